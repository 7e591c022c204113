// In-memory object store: one monotonically increasing revision for every write, a bounded
// window of recent events (for watches from a resourceVersion and consistent list pages), a
// watch fan-out hub, and the append-only log behind it.
//
// Stored objects are treated as immutable: every write stores a new object, so readers and
// watchers can share references and serialized JSON without copying.
import { join } from 'node:path';
import { AppendLog } from './log.ts';
import type { FsyncPolicy } from './log.ts';
import { ApiError } from './errors.ts';
import type { Obj } from './errors.ts';
import type { Matcher } from './selectors.ts';

export type EventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface StoreEvent {
  rv: number;
  type: EventType;
  key: string;
  id: string;
  ns: string;
  obj: Obj;
  prev: Obj | undefined;
  /** `{"type":...,"object":...}\n`, built once for all watchers. */
  line?: string;
}

export interface Watcher {
  /** Events at or below this revision were already sent (initial list or backlog). */
  after: number;
  key: string;
  ns: string | undefined;
  match: Matcher | undefined;
  send(ev: StoreEvent, type: EventType): void;
}

interface Entry { obj: Obj; json: string | undefined }

const metaOf = (o: Obj): Obj => (o['metadata'] as Obj | undefined) ?? {};

export function eventLine(ev: StoreEvent, type: EventType = ev.type): string {
  if (type === ev.type) {
    ev.line ??= `{"type":"${ev.type}","object":${JSON.stringify(ev.obj)}}\n`;
    return ev.line;
  }
  return `{"type":"${type}","object":${JSON.stringify(ev.obj)}}\n`;
}

/** etcd's default --max-request-bytes (1.5 MiB): the limit of one write request (key, value, framing). */
export const ETCD_MAX_REQUEST_BYTES = 1.5 * 1024 * 1024;

/**
 * Whether the real server's etcd would refuse this write ("etcdserver: request is too large", a 500):
 * the transaction holds the object (as stored, without its resourceVersion) and its key twice, plus
 * some framing. Approximate to a few dozen bytes (the real server stores built-ins as protobuf).
 */
function tooLargeForEtcd(key: string, id: string, json: string): boolean {
  if (json.length * 3 < ETCD_MAX_REQUEST_BYTES) return false; // cannot be: UTF-8 takes at most 3 bytes per UTF-16 unit
  const etcdKey = '/registry/'.length + key.length + 1 + Buffer.byteLength(id);
  return Buffer.byteLength(json) + 2 * etcdKey + 18 > ETCD_MAX_REQUEST_BYTES;
}

export class Store {
  rev = 0;
  /** Events at or below this revision are gone from the window. */
  compactedRv = 0;
  private tables = new Map<string, Map<string, Entry>>();
  private window: StoreEvent[] = [];
  private windowStart = 0;
  private readonly windowSize: number;
  private watchers = new Map<string, Set<Watcher>>();
  private log: AppendLog | undefined;
  private live = 0;

  constructor(windowSize: number) {
    this.windowSize = Math.max(1, windowSize);
  }

  /** Loads `<dir>/store.jsonl` (unless fresh), compacts it and opens it for appending. */
  open(dir: string, fresh: boolean, fsync: FsyncPolicy): void {
    const path = join(dir, 'store.jsonl');
    if (!fresh) {
      for (const rec of AppendLog.read(path) as Obj[]) {
        const rv = Number(rec['rv'] ?? 0);
        if (rv > this.rev) this.rev = rv;
        const key = rec['k'];
        const id = rec['id'];
        if (typeof key !== 'string' || typeof id !== 'string') continue;
        const t = this.table(key);
        if (rec['d']) { if (t.delete(id)) this.live--; } else {
          if (!t.has(id)) this.live++;
          t.set(id, { obj: rec['o'] as Obj, json: undefined });
        }
      }
    }
    this.compactedRv = this.rev;
    this.publishedRv = this.rev;
    this.log = new AppendLog(path, fsync);
    this.log.compactNow(this.snapshotLines());
  }

  private *snapshotLines(): Iterable<string> {
    for (const [key, t] of this.tables) {
      for (const [id, e] of t) yield `{"k":${JSON.stringify(key)},"id":${JSON.stringify(id)},"o":${e.json ?? JSON.stringify(e.obj)}}`;
    }
    yield `{"rv":${this.rev}}`;
  }

  private table(key: string): Map<string, Entry> {
    let t = this.tables.get(key);
    if (!t) { t = new Map(); this.tables.set(key, t); }
    return t;
  }

  get(key: string, id: string): Obj | undefined {
    return this.tables.get(key)?.get(id)?.obj;
  }

  /** Serialized form of a stored object, cached. */
  json(key: string, id: string): string | undefined {
    const e = this.tables.get(key)?.get(id);
    if (!e) return undefined;
    e.json ??= JSON.stringify(e.obj);
    return e.json;
  }

  /** Objects of a resource (optionally one namespace), sorted by namespace/name. */
  list(key: string, ns?: string): Obj[] {
    const t = this.tables.get(key);
    if (!t) return [];
    const ids = [...t.keys()].sort();
    const out: Obj[] = [];
    for (const id of ids) {
      const e = t.get(id);
      if (!e) continue;
      if (ns !== undefined && metaOf(e.obj)['namespace'] !== ns) continue;
      out.push(e.obj);
    }
    return out;
  }

  count(key: string): number { return this.tables.get(key)?.size ?? 0; }

  /** Stores a new version: stamps metadata.resourceVersion, records the event, logs it. */
  put(key: string, id: string, obj: Obj): { obj: Obj; durable: Promise<void> } {
    const rv = this.rev + 1;
    (metaOf(obj))['resourceVersion'] = String(rv);
    const t = this.table(key);
    const prev = t.get(id)?.obj;
    const json = JSON.stringify(obj);
    if (tooLargeForEtcd(key, id, json)) throw new ApiError(500, '', 'etcdserver: request is too large');
    this.rev = rv;
    if (!prev) this.live++;
    t.set(id, { obj, json });
    const ev: StoreEvent = { rv, type: prev ? 'MODIFIED' : 'ADDED', key, id, ns: String(metaOf(obj)['namespace'] ?? ''), obj, prev };
    ev.line = `{"type":"${ev.type}","object":${json}}\n`;
    const durable = this.record(ev, `{"k":${JSON.stringify(key)},"id":${JSON.stringify(id)},"rv":${rv},"o":${json}}`);
    return { obj, durable };
  }

  /** Removes an object; the DELETED event carries its last state with the new resourceVersion. */
  remove(key: string, id: string): { obj: Obj; durable: Promise<void> } | undefined {
    const t = this.tables.get(key);
    const prev = t?.get(id)?.obj;
    if (!t || !prev) return undefined;
    const rv = ++this.rev;
    t.delete(id);
    this.live--;
    const obj = { ...prev, metadata: { ...metaOf(prev), resourceVersion: String(rv) } };
    const ev: StoreEvent = { rv, type: 'DELETED', key, id, ns: String(metaOf(obj)['namespace'] ?? ''), obj, prev };
    const durable = this.record(ev, `{"k":${JSON.stringify(key)},"id":${JSON.stringify(id)},"rv":${rv},"d":1}`);
    return { obj, durable };
  }

  private record(ev: StoreEvent, logLine: string): Promise<void> {
    this.window.push(ev);
    if (this.window.length - this.windowStart > this.windowSize) {
      const dropped = this.window[this.windowStart];
      this.window[this.windowStart] = undefined as unknown as StoreEvent;
      this.windowStart++;
      if (dropped) this.compactedRv = dropped.rv;
      if (this.windowStart > 4096 && this.windowStart * 2 > this.window.length) {
        this.window = this.window.slice(this.windowStart);
        this.windowStart = 0;
      }
    }
    const log = this.log;
    if (!log) { this.publish(ev); return Promise.resolve(); }
    const p = log.append(logLine);
    // Watchers see a write once it is durable; a group commit's events go out in one tick
    // (in revision order: batches resolve in order), so each watcher gets one coalesced write.
    p.then(() => this.publish(ev), () => undefined);
    if (log.lines > 50_000 && log.lines > 4 * this.live) log.requestCompaction(() => this.snapshotLines());
    return p;
  }

  /** Highest revision whose event has been sent to watchers (what bookmarks may report). */
  publishedRv = 0;

  private readonly publishedByKey = new Map<string, number>();

  /** Highest published revision of one resource (what its watches' progress bookmarks report, as a real cacher's). */
  publishedRvOf(key: string): number {
    return this.publishedByKey.get(key) ?? this.compactedRv;
  }

  private publish(ev: StoreEvent): void {
    if (ev.rv > this.publishedRv) this.publishedRv = ev.rv;
    if (ev.rv > (this.publishedByKey.get(ev.key) ?? 0)) this.publishedByKey.set(ev.key, ev.rv);
    const ws = this.watchers.get(ev.key);
    if (ws) for (const w of ws) deliver(w, ev);
  }

  /** Events of `key` with rv > since, or undefined when `since` is older than the window. */
  eventsSince(key: string, since: number): StoreEvent[] | undefined {
    if (since < this.compactedRv) return undefined;
    const out: StoreEvent[] = [];
    for (let i = this.window.length - 1; i >= this.windowStart; i--) {
      const ev = this.window[i];
      if (!ev || ev.rv <= since) break;
      if (ev.key === key) out.push(ev);
    }
    return out.reverse();
  }

  /** State of a resource as of revision `at` (undefined when too old): current minus later events. */
  listAt(key: string, at: number, ns?: string): Obj[] | undefined {
    const later = this.eventsSince(key, at);
    if (!later) return undefined;
    if (later.length === 0) return this.list(key, ns);
    const state = new Map<string, Obj>();
    const t = this.tables.get(key);
    if (t) for (const [id, e] of t) state.set(id, e.obj);
    for (let i = later.length - 1; i >= 0; i--) {
      const ev = later[i];
      if (!ev) continue;
      if (ev.type === 'ADDED') state.delete(ev.id); else if (ev.prev) state.set(ev.id, ev.prev);
    }
    return [...state.keys()].sort().map((id) => state.get(id) as Obj)
      .filter((o) => ns === undefined || metaOf(o)['namespace'] === ns);
  }

  subscribe(w: Watcher): () => void {
    let ws = this.watchers.get(w.key);
    if (!ws) { ws = new Set(); this.watchers.set(w.key, ws); }
    ws.add(w);
    return () => { ws.delete(w); };
  }

  watcherCount(): number {
    let n = 0;
    for (const ws of this.watchers.values()) n += ws.size;
    return n;
  }

  drain(): Promise<void> { return this.log?.drain() ?? Promise.resolve(); }
  async close(): Promise<void> { await this.log?.close(); this.log = undefined; }
}

/** Sends an event to a watcher, turning selector transitions into ADDED/DELETED like the watch cache. */
export function deliver(w: Watcher, ev: StoreEvent): void {
  if (ev.rv <= w.after) return;
  w.after = ev.rv;
  if (w.ns !== undefined && ev.ns !== w.ns) return;
  if (!w.match) { w.send(ev, ev.type); return; }
  const now = ev.type !== 'DELETED' && w.match(ev.obj);
  const before = ev.prev !== undefined && w.match(ev.prev);
  if (ev.type === 'DELETED') { if (before) w.send(ev, 'DELETED'); return; }
  if (now && before) w.send(ev, 'MODIFIED');
  else if (now) w.send(ev, 'ADDED');
  else if (before) w.send(ev, 'DELETED');
}
