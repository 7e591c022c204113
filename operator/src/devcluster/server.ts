// HTTPS front: bearer-token authentication, routing of discovery, OpenAPI and resource
// requests, JSON bodies and Status errors.
import { createServer } from 'node:https';
import type { Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { timingSafeEqual } from 'node:crypto';
import { ApiError, badRequest, methodNotAllowed, noSuchResource, notFound, unrecognized } from './errors.ts';
import type { Obj } from './errors.ts';
import { aggregated, AGGREGATED_CT, apiGroup, apiGroupList, apiVersions, resourceList, version, wantsAggregated } from './discovery.ts';
import { v3Doc, v3Index } from './openapi.ts';
import { checkResourceVersionParam, list, watch } from './lists.ts';
import type { Registry, ResourceInfo } from './registry.ts';
import type { Ctx, Resources, Result } from './resources.ts';
import type { Store } from './store.ts';
import { columnsFor, table, wantsTable } from './table.ts';
import { decodeProtobuf } from './protobuf.ts';
import { duplicateFields, goJsonError } from './gojson.ts';
import { isObj } from './patch.ts';
import { checkWriteOptions, fieldValidation } from './validation.ts';
import { BUILTINS } from './registry.ts';
import { V2_PROTOBUF_CT, v2Doc, v2Protobuf, wantsV2Protobuf } from './openapiv2.ts';

/** Groups whose resources are all built in (the others are served by the custom resource handler). */
const BUILTIN_GROUPS = new Set(BUILTINS.map((r) => r.group));

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

/** The real API server's request body limit (3 MiB): larger bodies get 413 before they are decoded. */
export const MAX_BODY = 3 * 1024 * 1024;

const tooLarge = (): ApiError => new ApiError(413, 'RequestEntityTooLarge', `Request entity too large: limit is ${MAX_BODY}`);

function readBody(req: IncomingMessage): Promise<string> {
  return readRaw(req).then((b) => b.toString('utf8'));
}

/**
 * The request body, at most MAX_BODY bytes: a larger one (by Content-Length, or once more has
 * arrived) is refused with 413 without being kept in memory; Node discards the rest of it once the
 * response is sent, so the client still reads the Status.
 */
function readRaw(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    if (Number(req.headers['content-length'] ?? 0) > MAX_BODY) { reject(tooLarge()); return; }
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (c: Buffer): void => {
      size += c.length;
      if (size > MAX_BODY) {
        chunks.length = 0;
        req.off('data', onData);
        req.resume();
        reject(tooLarge());
        return;
      }
      chunks.push(c);
    };
    req.on('data', onData);
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

function sendBytes(res: ServerResponse, code: number, body: Buffer, contentType: string): void {
  res.writeHead(code, { 'Content-Type': contentType, 'Content-Length': String(body.length), 'Cache-Control': 'no-cache, private' });
  res.end(body);
}

/** Go's http.NotFound. */
function pageNotFound(res: ServerResponse): void {
  res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff' });
  res.end('404 page not found\n');
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
    if (path === '/openapi/v2') {
      if (wantsV2Protobuf(accept)) return sendBytes(res, 200, v2Protobuf(d.registry), V2_PROTOBUF_CT);
      return send(res, 200, v2Doc(d.registry));
    }
    if (path === '/openapi/v3') return send(res, 200, v3Index(d.registry));
    if (path.startsWith('/openapi/v3/')) {
      const p = parsePath(path.slice('/openapi/v3'.length));
      const doc = p && p.rest.length === 0 ? v3Doc(d.registry, p.group, p.version) : undefined;
      if (!doc) return send(res, 404, '', 'text/plain; charset=utf-8');
      return send(res, 200, doc);
    }
    const segs = path.split('/').filter(Boolean);
    if (segs.length === 2 && segs[0] === 'apis') {
      const g = apiGroup(d.registry, decodeURIComponent(segs[1] ?? ''));
      if (g) return send(res, 200, g);
      return pageNotFound(res);
    }
    const p = parsePath(path);
    if (!p) return pageNotFound(res);
    // Built-in groups answer unknown versions and resources with a NotFound Status; the handler of
    // custom resource groups (and of unknown groups) with Go's plain "404 page not found".
    const builtinGroup = BUILTIN_GROUPS.has(p.group);
    const missing = (): void => (builtinGroup ? send(res, 404, noSuchResource().toStatus()) : pageNotFound(res));
    if (p.rest.length === 0) {
      const rl = resourceList(d.registry, p.group, p.version);
      if (!rl) return missing();
      return send(res, 200, rl);
    }
    const routed = route(d.registry, p.group, p.version, p.rest, url.searchParams, String(req.headers['user-agent'] ?? ''));
    if (routed === undefined) return missing();
    if (routed instanceof ApiError) throw routed;
    await serve(d, routed, method, req, res, closers);
  };
  const server = createServer({ cert: d.cert, key: d.key }, (req, res) => {
    handle(req, res).catch((e: unknown) => sendError(res, e));
  });
  server.keepAliveTimeout = 60_000;
  return { server, closers };
}

/**
 * Resolves resource, namespace, name and subresource from the segments after the version:
 * undefined when no such resource is served, an ApiError for an unknown subresource (a custom
 * resource's handler says the object is not found, a built-in's that the resource is).
 */
function route(reg: Registry, group: string, ver: string, rest: string[], q: URLSearchParams, userAgent: string): Ctx | ApiError | undefined {
  let ns: string | undefined;
  let segs = rest;
  if (segs[0] === 'namespaces' && segs.length >= 3) {
    const r = reg.lookup(group, ver, segs[2] ?? '');
    if (r?.namespaced) { ns = segs[1]; segs = segs.slice(2); }
  }
  const info: ResourceInfo | undefined = reg.lookup(group, ver, segs[0] ?? '');
  if (!info) return undefined;
  const sub = segs[2];
  if (segs.length > 3 || (sub !== undefined && !(sub === 'status' && info.statusSubresource) && !(sub === 'finalize' && info.key === '/namespaces'))) {
    return info.builtin ? noSuchResource() : notFound(info.plural, info.group, segs[1] ?? '');
  }
  return { info, version: ver, ns, name: segs[1], sub: sub === 'finalize' ? undefined : sub, q, userAgent };
}

/**
 * A create/update body: JSON (or protobuf for the few built-ins kubectl sends so), decoded as the
 * real server reports failures; repeated keys are noted in the context for strict decoding.
 */
async function objectBody(req: IncomingMessage, ctx: Ctx): Promise<unknown> {
  const r = ctx.info;
  if (String(req.headers['content-type'] ?? '').startsWith('application/vnd.kubernetes.protobuf')) return decodeProtobuf(await readRaw(req));
  const raw = await readBody(req);
  let o: unknown;
  try { o = JSON.parse(raw) as unknown; } catch {
    throw unrecognized(r.kind, `couldn't get version/kind; json parse error: ${goJsonError(raw) ?? 'unexpected end of JSON input'}`, raw);
  }
  // Custom resources are decoded as unstructured objects, which need their kind.
  if (!r.builtin && isObj(o) && (o['kind'] === undefined || o['kind'] === '')) throw unrecognized(r.kind, `Object 'Kind' is missing in '${raw}'`, raw);
  if (fieldValidation(ctx.q) !== 'Ignore') {
    const dups = duplicateFields(raw);
    if (dups.length) ctx.duplicates = dups;
  }
  return o;
}

/** DeleteOptions in a DELETE body (empty: none). */
async function optionsBody(req: IncomingMessage): Promise<unknown> {
  const raw = await readBody(req);
  if (!raw) return undefined;
  try { return JSON.parse(raw) as unknown; } catch {
    throw badRequest(`couldn't get version/kind; json parse error: ${goJsonError(raw) ?? 'unexpected end of JSON input'}`);
  }
}

async function serve(d: ServerDeps, ctx: Ctx, method: string, req: IncomingMessage, res: ServerResponse, closers: Set<() => void>): Promise<void> {
  const accept = req.headers['accept'];
  const collection = ctx.name === undefined;
  const r = ctx.info;
  if (r.virtual && !(collection && method === 'POST')) throw methodNotAllowed();
  if (method === 'POST' || method === 'PUT' || method === 'PATCH') checkWriteOptions(ctx.q, method === 'POST' ? 'CreateOptions' : method === 'PUT' ? 'UpdateOptions' : 'PatchOptions');
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
      case 'POST': return reply(await d.resources.create(ctx, await objectBody(req, ctx)));
      case 'DELETE': {
        if (!r.verbs.includes('deletecollection')) throw methodNotAllowed();
        const opts = await optionsBody(req);
        const objs = JSON.parse(list(d.resources, d.store, ctx, undefined).body) as Obj;
        const items = d.resources.deleteCollection(ctx, (objs['items'] as Obj[] | undefined) ?? [], opts);
        await d.store.drain();
        return send(res, 200, { ...objs, items });
      }
      // The custom resource handler wants a name for these; built-ins do not route them at all.
      case 'PUT': case 'PATCH': throw r.builtin ? methodNotAllowed() : badRequest('name must be provided');
      default: throw methodNotAllowed();
    }
  }
  switch (method) {
    case 'GET': checkResourceVersionParam(ctx.q, 'get'); return reply(d.resources.get(ctx));
    case 'PUT': return reply(await d.resources.update(ctx, await objectBody(req, ctx)));
    case 'PATCH': return reply(await d.resources.patch(ctx, await readBody(req), String(req.headers['content-type'] ?? '')));
    case 'DELETE': return reply(await d.resources.remove(ctx, await optionsBody(req)));
    // The custom resource handler creates on a POST to an item path too (the name in the body counts).
    case 'POST': if (!r.builtin && ctx.sub === undefined) return reply(await d.resources.create({ ...ctx, name: undefined }, await objectBody(req, ctx)));
      throw methodNotAllowed();
    default: throw methodNotAllowed();
  }
}
