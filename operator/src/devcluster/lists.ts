// List (selectors, limit/continue over a consistent snapshot, Table output) and watch
// (from a resourceVersion, bookmarks, 410 Expired, timeouts, fan-out with one serialization per event).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError, badRequest, gone } from './errors.ts';
import type { Obj } from './errors.ts';
import { both, fieldMatcher, labelMatcher } from './selectors.ts';
import type { Matcher } from './selectors.ts';
import { deliver, eventLine } from './store.ts';
import { goJsonError } from './gojson.ts';
import type { EventType, Store, StoreEvent, Watcher } from './store.ts';
import { columnsFor, table, tableRow, tableColumns, wantsTable } from './table.ts';
import type { Ctx, Resources } from './resources.ts';
import { idOf } from './resources.ts';

const EXPIRED_CONTINUE = 'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.';

function matcherOf(ctx: Ctx): Matcher | undefined {
  return both(labelMatcher(ctx.q.get('labelSelector')), fieldMatcher(ctx.q.get('fieldSelector'), ctx.info.plural, ctx.info.kind));
}

const metaOf = (o: Obj): Obj => (o['metadata'] as Obj | undefined) ?? {};

interface Token { rv: number; start: string }

function decodeToken(s: string): Token {
  const invalidToken = (why: string): ApiError => badRequest(`invalid continue token: continue key is not valid: ${why}`);
  const bad = s.search(/[^A-Za-z0-9_-]/);
  if (bad >= 0) throw invalidToken(`illegal base64 data at input byte ${bad}`);
  const text = Buffer.from(s, 'base64url').toString('utf8');
  let t: Partial<Token>;
  try { t = JSON.parse(text) as Partial<Token>; } catch { throw invalidToken(goJsonError(text) ?? 'unexpected end of JSON input'); }
  if (typeof t.rv === 'number' && typeof t.start === 'string') return { rv: t.rv, start: t.start };
  throw invalidToken('incorrect encoded start resourceVersion (version meta.k8s.io/v1)');
}

/** A resourceVersion query parameter must be an unsigned integer (Go's strconv.ParseUint message). */
export function checkResourceVersionParam(q: URLSearchParams, kind: 'list' | 'get' | 'watch'): void {
  const rv = q.get('resourceVersion');
  if (rv === null || rv === '' || /^\d+$/.test(rv)) return;
  const why = `resourceVersion: Invalid value: ${JSON.stringify(rv)}: strconv.ParseUint: parsing ${JSON.stringify(rv)}: invalid syntax`;
  // A list reports it as a bad request; get and watch as an internal error (no reason), as the real server does.
  if (kind === 'list') throw badRequest(`invalid resource version: ${why}`);
  throw new ApiError(500, '', why);
}

export interface ListOutput { body: string; contentType: string }

export function list(res: Resources, store: Store, ctx: Ctx, accept: string | undefined): ListOutput {
  const r = ctx.info;
  const match = matcherOf(ctx);
  checkResourceVersionParam(ctx.q, 'list');
  const limitParam = ctx.q.get('limit');
  if (limitParam !== null && limitParam !== '' && !/^[-+]?\d+$/.test(limitParam)) throw badRequest(`strconv.ParseInt: parsing ${JSON.stringify(limitParam)}: invalid syntax`);
  const limit = Number(limitParam ?? 0);
  const cont = ctx.q.get('continue');
  let rv = store.rev;
  let items: Obj[];
  let start = '';
  if (cont) {
    const t = decodeToken(cont);
    const snap = store.listAt(r.key, t.rv, ctx.ns);
    if (!snap) throw gone(EXPIRED_CONTINUE);
    rv = t.rv;
    start = t.start;
    items = snap;
  } else items = store.list(r.key, ctx.ns);
  const out: Obj[] = [];
  let next: string | undefined;
  let remaining = 0;
  for (const o of items) {
    const id = idOf(r, String(metaOf(o)['namespace'] ?? ''), String(metaOf(o)['name']));
    if (start && id <= start) continue;
    if (match && !match(o)) continue;
    if (limit > 0 && out.length >= limit) {
      if (!next) {
        const last = out[out.length - 1] as Obj;
        next = Buffer.from(JSON.stringify({ rv, start: idOf(r, String(metaOf(last)['namespace'] ?? ''), String(metaOf(last)['name'])) })).toString('base64url');
      }
      remaining++;
      continue;
    }
    out.push(o);
  }
  const listMeta: Obj = { resourceVersion: String(rv), ...(next ? { continue: next, remainingItemCount: remaining } : {}) };
  if (wantsTable(accept)) {
    const cols = columnsFor(r, ctx.version);
    const t = table(out, cols, ctx.q.get('includeObject') ?? 'Metadata', listMeta);
    return { body: JSON.stringify(t), contentType: 'application/json;as=Table;v=v1;g=meta.k8s.io' };
  }
  const av = r.group ? `${r.group}/${ctx.version}` : ctx.version;
  const parts = out.map((o) => {
    const v = res.view(o, r, ctx.version);
    if (v !== o || cont) return JSON.stringify(v);
    return store.json(r.key, idOf(r, String(metaOf(o)['namespace'] ?? ''), String(metaOf(o)['name']))) ?? JSON.stringify(o);
  });
  return {
    body: `{"kind":${JSON.stringify(r.listKind)},"apiVersion":${JSON.stringify(av)},"metadata":${JSON.stringify(listMeta)},"items":[${parts.join(',')}]}`,
    contentType: 'application/json',
  };
}

/** Streams a watch until the client goes away, the timeout passes, or the server stops. */
export function watch(res: Resources, store: Store, ctx: Ctx, req: IncomingMessage, out: ServerResponse, opts: { bookmarkMs: number; closers: Set<() => void> }): void {
  const r = ctx.info;
  const match = matcherOf(ctx);
  const asTable = wantsTable(req.headers['accept']);
  const cols = asTable ? columnsFor(r, ctx.version) : [];
  const av = r.group ? `${r.group}/${ctx.version}` : ctx.version;
  const rvParam = ctx.q.get('resourceVersion') ?? '';
  const sendInitial = ctx.q.get('sendInitialEvents') === 'true';
  checkResourceVersionParam(ctx.q, 'watch');
  const since = Number(rvParam || 0);
  const backlog = rvParam === '' || rvParam === '0' || sendInitial ? undefined : store.eventsSince(r.key, since);
  out.writeHead(200, { 'Content-Type': asTable ? 'application/json;as=Table;v=v1;g=meta.k8s.io' : 'application/json', 'Cache-Control': 'no-cache, private', 'Transfer-Encoding': 'chunked' });
  out.flushHeaders();
  let closed = false;
  let firstTable = true;
  // Events of one tick are coalesced into one TLS write per watcher.
  let corked = false;
  const uncork = (): void => { if (corked) { corked = false; out.uncork(); } };
  const write = (s: string): void => {
    if (closed) return;
    if (!corked) { corked = true; out.cork(); process.nextTick(uncork); }
    out.write(s);
    if (out.writableLength > 64 * 1024 * 1024) close(); // a consumer that cannot keep up is dropped
  };
  const send = (ev: StoreEvent, type: EventType): void => {
    if (asTable) {
      const row = tableRow(ev.obj, cols, ctx.q.get('includeObject') ?? 'Metadata');
      const t = { kind: 'Table', apiVersion: 'meta.k8s.io/v1', metadata: { resourceVersion: String(ev.rv) }, columnDefinitions: firstTable ? tableColumns(cols) : null, rows: [row] };
      firstTable = false;
      write(`{"type":"${type}","object":${JSON.stringify(t)}}\n`);
    } else {
      const v = res.view(ev.obj, r, ctx.version);
      write(v === ev.obj ? eventLine(ev, type) : `{"type":"${type}","object":${JSON.stringify(v)}}\n`);
    }
  };
  const watcher: Watcher = { after: rvParam === '' || rvParam === '0' || sendInitial ? store.rev : since, key: r.key, ns: ctx.ns, match, send };
  /** The revision the watch starts from (before any replay): what its progress bookmarks must exceed. */
  const startRv = watcher.after;
  let unsubscribe = (): void => undefined;
  let timer: NodeJS.Timeout | undefined;
  let bookmarks: NodeJS.Timeout | undefined;
  let preDeadline: NodeJS.Timeout | undefined;
  const close = (): void => {
    if (closed) return;
    closed = true;
    unsubscribe();
    if (timer) clearTimeout(timer);
    if (bookmarks) clearInterval(bookmarks);
    if (preDeadline) clearTimeout(preDeadline);
    opts.closers.delete(close);
    if (corked) uncork();
    out.end();
  };
  opts.closers.add(close);
  req.on('close', close);
  out.on('close', close);
  out.on('error', close);
  if (rvParam !== '' && rvParam !== '0' && !backlog) {
    const status = gone(`too old resource version: ${since} (${store.compactedRv + 1})`).toStatus();
    write(`{"type":"ERROR","object":${JSON.stringify(status)}}\n`);
    close();
    return;
  }
  if (backlog) for (const ev of backlog) deliver(watcher, ev);
  else {
    for (const o of store.list(r.key, ctx.ns)) {
      if (match && !match(o)) continue;
      const m = metaOf(o);
      send({ rv: Number(m['resourceVersion']), type: 'ADDED', key: r.key, id: '', ns: String(m['namespace'] ?? ''), obj: o, prev: undefined }, 'ADDED');
    }
  }
  const bookmark = (extra: Obj = {}): void => {
    write(`{"type":"BOOKMARK","object":${JSON.stringify({ kind: r.kind, apiVersion: av, metadata: { resourceVersion: String(Math.max(watcher.after, store.publishedRvOf(r.key))), ...extra } })}}\n`);
  };
  const allowBookmarks = ctx.q.get('allowWatchBookmarks') === 'true';
  // As the real server's cacher (one per resource): a progress bookmark only once this resource
  // was written after the revision the watch started from.
  const progress = (): void => { if (store.publishedRvOf(r.key) > startRv) bookmark(); };
  if (sendInitial && allowBookmarks) bookmark({ annotations: { 'k8s.io/initial-events-end': 'true' } });
  unsubscribe = store.subscribe(watcher);
  if (allowBookmarks) bookmarks = setInterval(progress, opts.bookmarkMs);
  const timeout = Number(ctx.q.get('timeoutSeconds') ?? 0);
  if (timeout > 0) timer = setTimeout(close, timeout * 1000);
  // As the real server's cacher: a bookmark 2 s before the watch's deadline (when that is still ahead).
  if (allowBookmarks && timeout > 2) preDeadline = setTimeout(progress, timeout * 1000 - 2000);
}

export { ApiError };
