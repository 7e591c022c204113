// HTTPS front: bearer-token authentication, routing of discovery, OpenAPI and resource
// requests, JSON bodies and Status errors.
import { createServer } from 'node:https';
import type { Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { timingSafeEqual } from 'node:crypto';
import { ApiError, badRequest } from './errors.ts';
import type { Obj } from './errors.ts';
import { aggregated, AGGREGATED_CT, apiGroup, apiGroupList, apiVersions, resourceList, version, wantsAggregated } from './discovery.ts';
import { v3Doc, v3Index } from './openapi.ts';
import { list, watch } from './lists.ts';
import type { Registry, ResourceInfo } from './registry.ts';
import type { Ctx, Resources, Result } from './resources.ts';
import type { Store } from './store.ts';
import { columnsFor, table, wantsTable } from './table.ts';
import { decodeProtobuf } from './protobuf.ts';

export interface ServerDeps {
  registry: Registry;
  resources: Resources;
  store: Store;
  token: string;
  cert: string;
  key: string;
  bookmarkMs: number;
  address: () => string;
}

const MAX_BODY = 8 * 1024 * 1024;

function readBody(req: IncomingMessage): Promise<string> {
  return readRaw(req).then((b) => b.toString('utf8'));
}

function readRaw(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) { reject(new ApiError(413, 'RequestEntityTooLarge', 'request entity too large')); req.destroy(); return; }
      chunks.push(c);
    });
    req.on('end', () => resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, code: number, body: Obj | string, contentType = 'application/json', warnings: string[] = []): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  const headers: Record<string, string | string[]> = { 'Content-Type': contentType, 'Content-Length': String(Buffer.byteLength(text)), 'Cache-Control': 'no-cache, private' };
  if (warnings.length) headers['Warning'] = warnings.map((w) => `299 - ${JSON.stringify(w)}`);
  res.writeHead(code, headers);
  res.end(text);
}

function sendError(res: ServerResponse, e: unknown): void {
  const err = e instanceof ApiError ? e : new ApiError(500, 'InternalError', `Internal error occurred: ${e instanceof Error ? e.message : String(e)}`);
  if (!(e instanceof ApiError)) console.error('devcluster internal error', e);
  if (res.headersSent) { res.end(); return; }
  send(res, err.code, err.toStatus());
}

/** Splits `/api/v1/...` or `/apis/g/v/...` into group, version and the remaining segments. */
function parsePath(path: string): { group: string; version: string; rest: string[] } | undefined {
  const raw = path.split('/').filter((s) => s !== '');
  const segs = path.includes('%') ? raw.map(decodeURIComponent) : raw;
  if (segs[0] === 'api' && segs[1]) return { group: '', version: segs[1], rest: segs.slice(2) };
  if (segs[0] === 'apis' && segs[1] && segs[2]) return { group: segs[1], version: segs[2], rest: segs.slice(3) };
  return undefined;
}

export function createApiServer(d: ServerDeps): { server: Server; closers: Set<() => void> } {
  const closers = new Set<() => void>();
  const expected = Buffer.from(`Bearer ${d.token}`);
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'https://devcluster');
    const path = url.pathname.replace(/\/+$/, '') || '/';
    const auth = Buffer.from(req.headers['authorization'] ?? '');
    if (auth.length !== expected.length || !timingSafeEqual(auth, expected)) {
      if (path === '/healthz' || path === '/livez' || path === '/readyz') { send(res, 200, 'ok', 'text/plain'); return; }
      send(res, 401, new ApiError(401, 'Unauthorized', 'Unauthorized').toStatus());
      return;
    }
    const accept = req.headers['accept'];
    const method = req.method ?? 'GET';
    if (path === '/version') return send(res, 200, version());
    if (path === '/healthz' || path === '/livez' || path === '/readyz') return send(res, 200, 'ok', 'text/plain');
    if (path === '/api' || path === '/apis') {
      const core = path === '/api';
      if (wantsAggregated(accept)) return send(res, 200, aggregated(d.registry, core), AGGREGATED_CT);
      return send(res, 200, core ? apiVersions(d.address()) : apiGroupList(d.registry));
    }
    if (path === '/openapi/v3') return send(res, 200, v3Index(d.registry));
    if (path.startsWith('/openapi/v3/')) {
      const p = parsePath(path.slice('/openapi/v3'.length));
      const doc = p && p.rest.length === 0 ? v3Doc(d.registry, p.group, p.version) : undefined;
      if (!doc) return send(res, 404, new ApiError(404, 'NotFound', 'the server could not find the requested resource').toStatus());
      return send(res, 200, doc);
    }
    const segs = path.split('/').filter(Boolean);
    if (segs.length === 2 && segs[0] === 'apis') {
      const g = apiGroup(d.registry, decodeURIComponent(segs[1] ?? ''));
      if (g) return send(res, 200, g);
      return send(res, 404, new ApiError(404, 'NotFound', 'the server could not find the requested resource').toStatus());
    }
    const p = parsePath(path);
    if (!p) return send(res, 404, new ApiError(404, 'NotFound', 'the server could not find the requested resource').toStatus());
    if (p.rest.length === 0) {
      const rl = resourceList(d.registry, p.group, p.version);
      if (!rl) return send(res, 404, new ApiError(404, 'NotFound', 'the server could not find the requested resource').toStatus());
      return send(res, 200, rl);
    }
    const ctx = route(d.registry, p.group, p.version, p.rest, url.searchParams, String(req.headers['user-agent'] ?? ''));
    if (!ctx) return send(res, 404, new ApiError(404, 'NotFound', 'the server could not find the requested resource').toStatus());
    await serve(d, ctx, method, req, res, closers);
  };
  const server = createServer({ cert: d.cert, key: d.key }, (req, res) => {
    handle(req, res).catch((e: unknown) => sendError(res, e));
  });
  server.keepAliveTimeout = 60_000;
  return { server, closers };
}

/** Resolves resource, namespace, name and subresource from the segments after the version. */
function route(reg: Registry, group: string, ver: string, rest: string[], q: URLSearchParams, userAgent: string): Ctx | undefined {
  let ns: string | undefined;
  let segs = rest;
  if (segs[0] === 'namespaces' && segs.length >= 3) {
    const r = reg.lookup(group, ver, segs[2] ?? '');
    if (r?.namespaced) { ns = segs[1]; segs = segs.slice(2); }
  }
  const info: ResourceInfo | undefined = reg.lookup(group, ver, segs[0] ?? '');
  if (!info) return undefined;
  if (segs.length > 3) return undefined;
  const sub = segs[2];
  if (sub !== undefined && !(sub === 'status' && info.statusSubresource) && !(sub === 'finalize' && info.key === '/namespaces')) return undefined;
  return { info, version: ver, ns, name: segs[1], sub: sub === 'finalize' ? undefined : sub, q, userAgent };
}

async function serve(d: ServerDeps, ctx: Ctx, method: string, req: IncomingMessage, res: ServerResponse, closers: Set<() => void>): Promise<void> {
  const accept = req.headers['accept'];
  const collection = ctx.name === undefined;
  const r = ctx.info;
  if (r.virtual && !(collection && method === 'POST')) throw new ApiError(405, 'MethodNotAllowed', `the server does not allow this method on the requested resource`);
  const body = async (): Promise<unknown> => {
    if (String(req.headers['content-type'] ?? '').startsWith('application/vnd.kubernetes.protobuf')) return decodeProtobuf(await readRaw(req));
    const raw = await readBody(req);
    if (!raw) return undefined;
    try { return JSON.parse(raw) as unknown; } catch (e) { throw badRequest(`couldn't get version/kind; json parse error: ${(e as Error).message}`); }
  };
  const reply = (out: Result): void => {
    if (wantsTable(accept) && typeof out.body === 'object' && method === 'GET') {
      const t = table([out.body], columnsFor(r, ctx.version), ctx.q.get('includeObject') ?? 'Metadata', { resourceVersion: String((out.body['metadata'] as Obj | undefined)?.['resourceVersion'] ?? '') });
      return send(res, out.code, t, 'application/json;as=Table;v=v1;g=meta.k8s.io');
    }
    if (wantsTable(accept) && typeof out.body === 'string' && method === 'GET') {
      const o = JSON.parse(out.body) as Obj;
      const t = table([o], columnsFor(r, ctx.version), ctx.q.get('includeObject') ?? 'Metadata', { resourceVersion: String((o['metadata'] as Obj | undefined)?.['resourceVersion'] ?? '') });
      return send(res, out.code, t, 'application/json;as=Table;v=v1;g=meta.k8s.io');
    }
    send(res, out.code, out.body, 'application/json', out.warnings);
  };
  if (collection) {
    switch (method) {
      case 'GET': {
        const w = ctx.q.get('watch');
        if (w === 'true' || w === '1') { watch(d.resources, d.store, ctx, req, res, { bookmarkMs: d.bookmarkMs, closers }); return; }
        const out = list(d.resources, d.store, ctx, accept);
        return send(res, 200, out.body, out.contentType);
      }
      case 'POST': return reply(await d.resources.create(ctx, await body()));
      case 'DELETE': {
        await body();
        const objs = JSON.parse(list(d.resources, d.store, ctx, undefined).body) as Obj;
        const items = d.resources.deleteCollection(ctx, (objs['items'] as Obj[] | undefined) ?? []);
        await d.store.drain();
        return send(res, 200, { ...objs, items });
      }
      default: throw new ApiError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');
    }
  }
  switch (method) {
    case 'GET': return reply(d.resources.get(ctx));
    case 'PUT': return reply(await d.resources.update(ctx, await body()));
    case 'PATCH': return reply(await d.resources.patch(ctx, await readBody(req), String(req.headers['content-type'] ?? '')));
    case 'DELETE': return reply(await d.resources.remove(ctx, await body()));
    default: throw new ApiError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');
  }
}
