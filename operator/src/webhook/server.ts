/**
 * The HTTPS server the API server calls: `POST /validate-orders` and `POST /mutate-orders`
 * (AdmissionReview v1 in, AdmissionReview v1 out), `GET /healthz`. Node's own https server;
 * the serving certificate can be replaced while it runs (rotation) without dropping it.
 * A handler that throws answers 500 with the error: with `failurePolicy: Fail` the API
 * server then refuses the order and shows that message, so nothing fails silently.
 */
import { createServer } from 'node:https';
import type { Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { CertPair } from '../devcluster/tls.ts';
import type { Logger } from '../runtime/index.ts';
import type { AdmissionRequest, AdmissionResponse, AdmissionReview } from './admission.ts';

export const VALIDATE_PATH = '/validate-orders';
export const MUTATE_PATH = '/mutate-orders';
const MAX_BODY_BYTES = 8 * 1024 * 1024;

export type AdmissionHandler = (req: AdmissionRequest) => Promise<AdmissionResponse>;

export interface WebhookServerOptions {
  /** 0: a free port. */
  port: number;
  /** Default: every interface, IPv6 and IPv4 where the host has both (an IPv6-only cluster calls the Pod on its IPv6 address). */
  host?: string;
  certificate: CertPair;
  handlers: Readonly<Record<string, AdmissionHandler>>;
  logger: Logger;
}

export interface WebhookServer {
  port: number;
  host: string;
  /** Serves new handshakes with this certificate from now on. */
  setCertificate(pair: CertPair): void;
  close(): Promise<void>;
}

class HttpError extends Error {
  override readonly name = 'HttpError';
  readonly code = 'WebhookHttp' as const;
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new HttpError(413, `request body over ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function reply(res: ServerResponse, status: number, body: string, type = 'application/json'): void {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

async function handle(req: IncomingMessage, res: ServerResponse, opts: WebhookServerOptions): Promise<void> {
  const path = (req.url ?? '').split('?')[0] ?? '';
  if (req.method === 'GET' && path === '/healthz') return reply(res, 200, 'ok', 'text/plain');
  const handler = opts.handlers[path];
  if (!handler) throw new HttpError(404, `no webhook at ${path}`);
  if (req.method !== 'POST') throw new HttpError(405, `${req.method ?? ''} ${path}: only POST`);
  let review: AdmissionReview;
  try {
    review = JSON.parse(await readBody(req)) as AdmissionReview;
  } catch (err) {
    if (err instanceof HttpError) throw err;
    throw new HttpError(400, `body is not JSON: ${(err as Error).message}`);
  }
  const request = review.request;
  if (review.kind !== 'AdmissionReview' || !request?.uid) throw new HttpError(400, 'body is not an AdmissionReview with a request.uid');
  const started = Date.now();
  const response = await handler(request);
  opts.logger.info(
    { path, uid: request.uid, operation: request.operation, resource: request.resource.resource, namespace: request.namespace, name: request.name, user: request.userInfo.username, allowed: response.allowed, ms: Date.now() - started, ...(response.status ? { message: response.status.message } : {}) },
    response.allowed ? 'admission allowed' : 'admission denied',
  );
  reply(res, 200, JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response } satisfies AdmissionReview));
}

export async function startWebhookServer(opts: WebhookServerOptions): Promise<WebhookServer> {
  const server: Server = createServer({ cert: opts.certificate.certPem, key: opts.certificate.keyPem, minVersion: 'TLSv1.2' }, (req, res) => {
    handle(req, res, opts).catch((err: unknown) => {
      const status = err instanceof HttpError ? err.status : 500;
      const message = err instanceof Error ? err.message : String(err);
      opts.logger.error({ err, path: req.url, status }, 'admission webhook request failed');
      if (!res.headersSent) reply(res, status, `${message}\n`, 'text/plain');
      else res.destroy();
    });
  });
  // Short keep-alive: the API server reuses connections; a stuck one must not hold a shutdown.
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port: opts.port, ...(opts.host !== undefined ? { host: opts.host } : {}) }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port, address: host } = server.address() as AddressInfo;
  return {
    port,
    host,
    setCertificate: (pair) => server.setSecureContext({ cert: pair.certPem, key: pair.keyPem, minVersion: 'TLSv1.2' }),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
