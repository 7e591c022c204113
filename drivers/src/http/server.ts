/**
 * The reference server of the http driver protocol: serves a simulated driver (its backend,
 * latency and fault injection) over HTTP, so the http driver is tested against a real server
 * and any other backend can be compared with it. `node drivers/src/http/server.ts --port 8080
 * --state-dir ./state [--token T]` runs it standalone.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { CAPABILITIES, DriverError, REASONS, toDriverError } from '../contract.ts';
import type { Capability, Outcome, SiteContext } from '../contract.ts';
import { SimulatedBackend } from '../simulated/backend.ts';
import { SimulatedDriver } from '../simulated/driver.ts';
import { ITEM_OPS, PROBLEM_CONTENT_TYPE, problemOf, siteContextSchema, taskPath } from './protocol.ts';
import type { ItemOp } from './protocol.ts';

export interface ReferenceServerOptions {
  driver: SimulatedDriver;
  /** Require `Authorization: Bearer <token>`. */
  token?: string;
  host?: string;
  /** 0 (default) picks a free port. */
  port?: number;
}

export interface ReferenceServer {
  /** Base URL, e.g. `http://127.0.0.1:41234`. */
  url: string;
  server: Server;
  close(): Promise<void>;
}

const MAX_BODY = 16 * 1024 * 1024;

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent || res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': status >= 400 ? PROBLEM_CONTENT_TYPE : 'application/json', 'content-length': Buffer.byteLength(text).toString(), ...headers });
  res.end(text);
}

function sendOutcome(res: ServerResponse, outcome: Outcome): void {
  if (outcome.state === 'Done') return send(res, 200, outcome);
  send(res, 202, outcome, { location: taskPath(outcome.taskRef), 'retry-after': Math.max(1, Math.ceil(outcome.retryAfterMs / 1000)).toString() });
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY) throw DriverError.permanent(REASONS.InvalidSpec, 'request body too large');
    chunks.push(chunk);
  }
  if (size === 0) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw DriverError.permanent(REASONS.InvalidSpec, 'request body is not JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw DriverError.permanent(REASONS.InvalidSpec, 'request body must be a JSON object');
  return parsed as Record<string, unknown>;
}

function siteOf(body: Record<string, unknown>, pathSite: string): SiteContext {
  const parsed = siteContextSchema.safeParse(body['site']);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw DriverError.permanent(REASONS.InvalidSpec, `body.site (the Site pools) is invalid${issue ? ` at ${['site', ...issue.path].join('.')}: ${issue.message}` : ''}`);
  }
  const ctx = parsed.data as SiteContext;
  if (ctx.name !== pathSite) throw DriverError.permanent(REASONS.InvalidSpec, `body.site.name must be the path site ${pathSite}`);
  return ctx;
}

function capabilityOf(value: string): Capability {
  if (!(CAPABILITIES as readonly string[]).includes(value)) throw DriverError.permanent(REASONS.NotSupported, `unknown capability ${value}`);
  return value as Capability;
}

function idempotencyKeyOf(req: IncomingMessage): string {
  const key = req.headers['idempotency-key'];
  if (typeof key !== 'string' || key.length === 0 || key.length > 255) throw DriverError.permanent(REASONS.InvalidSpec, 'Idempotency-Key header (1-255 characters) is required');
  return key;
}

const ROUTE = /^\/v1\/sites\/([^/]+)\/([^/]+)\/([^/:]+)(?:\/([^/:]+))?:([a-z]+)$/;

/** Handles one request; exported for embedding the protocol in another server. */
export function referenceHandler(options: Pick<ReferenceServerOptions, 'driver' | 'token'>) {
  const { driver, token } = options;
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const controller = new AbortController();
    res.on('close', () => {
      if (!res.writableFinished) controller.abort(DriverError.transient(REASONS.Cancelled, 'client went away'));
    });
    try {
      const url = new URL(req.url ?? '/', 'http://localhost');
      if (req.method === 'GET' && url.pathname === '/healthz') return send(res, 200, { ok: true });
      if (token !== undefined && req.headers['authorization'] !== `Bearer ${token}`) throw DriverError.permanent(REASONS.Unauthorized, 'a valid bearer token is required');
      const task = /^\/v1\/tasks\/([^/]+)$/.exec(url.pathname);
      if (task && req.method === 'GET') {
        const outcome = driver.task(decodeURIComponent(task[1] ?? ''));
        if (!outcome) throw DriverError.permanent(REASONS.NotSupported, 'unknown task');
        return sendOutcome(res, outcome);
      }
      const m = ROUTE.exec(url.pathname);
      if (!m || req.method !== 'POST') throw DriverError.permanent(REASONS.NotSupported, `no route for ${req.method ?? ''} ${url.pathname}`);
      const [pathSite, capability, type, key, op] = [m[1], m[2], m[3], m[4], m[5]].map((s) => (s === undefined ? undefined : decodeURIComponent(s)));
      const body = await readJson(req);
      const site = siteOf(body, pathSite ?? '');
      const cap = capabilityOf(capability ?? '');
      const signal = controller.signal;
      if (key === undefined) {
        if (op !== 'list') throw DriverError.permanent(REASONS.NotSupported, `unknown operation ${op ?? ''}`);
        const occupier = typeof body['occupier'] === 'string' ? body['occupier'] : undefined;
        const items = await driver.list({ site, signal, capability: cap, type: type ?? '', ...(occupier === undefined ? {} : { occupier }) });
        return send(res, 200, { items });
      }
      if (!(ITEM_OPS as readonly string[]).includes(op ?? '')) throw DriverError.permanent(REASONS.NotSupported, `unknown operation ${op ?? ''}`);
      const ref = { capability: cap, type: type ?? '', key };
      switch (op as ItemOp) {
        case 'observe':
          return send(res, 200, await driver.observe({ site, signal, ref, ...(body['desired'] === undefined ? {} : { desired: body['desired'] }) }));
        case 'ensure':
          return sendOutcome(res, await driver.ensure({ site, signal, item: { ...ref, spec: body['spec'] }, idempotencyKey: idempotencyKeyOf(req) }));
        case 'remove':
          return sendOutcome(res, await driver.remove({ site, signal, ref, idempotencyKey: idempotencyKeyOf(req) }));
      }
    } catch (err) {
      const error = toDriverError(err);
      const problem = problemOf(error);
      send(res, problem.status, problem, error.retryAfterMs === undefined ? {} : { 'retry-after': Math.ceil(error.retryAfterMs / 1000).toString() });
    }
  };
}

/** Starts the reference server (loopback, port 0 unless given). */
export async function startReferenceServer(options: ReferenceServerOptions): Promise<ReferenceServer> {
  const handler = referenceHandler(options);
  const server = createServer((req, res) => void handler(req, res));
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const { address, port } = server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;
  return {
    url: `http://${host}:${port}`,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '8080' },
      host: { type: 'string', default: '127.0.0.1' },
      'state-dir': { type: 'string' },
      token: { type: 'string' },
      setting: { type: 'string', multiple: true, default: [] },
    },
  });
  const backend = new SimulatedBackend(values['state-dir'] === undefined ? {} : { stateDir: values['state-dir'] });
  const settings = Object.fromEntries(values.setting.map((s) => [s.slice(0, s.indexOf('=')), s.slice(s.indexOf('=') + 1)]));
  const driver = new SimulatedDriver({ backend, settings });
  const server = await startReferenceServer({ driver, host: values.host, port: Number(values.port), ...(values.token === undefined ? {} : { token: values.token }) });
  console.log(`http driver reference server listening on ${server.url}`);
  const stop = (): void => {
    void server.close().then(() => backend.close());
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (import.meta.main) await main();
