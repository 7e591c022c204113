import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpMethod, RequestContext } from '@kubernetes/client-node';
import type { ResponseContext } from '@kubernetes/client-node';
import { classifyApiError } from './errors.ts';
import { UndiciHttpLibrary } from './http.ts';

// A real local HTTP server: what the library sends and what client-node gets back.
const seen: { method: string | undefined; url: string | undefined; headers: Record<string, unknown>; body: string }[] = [];
const server = createServer((req, res) => {
  let body = '';
  req.on('data', (d: Buffer) => (body += d.toString()));
  req.on('end', () => {
    seen.push({ method: req.method, url: req.url, headers: req.headers, body });
    if (req.url === '/slow') return void setTimeout(() => res.end('late'), 5_000);
    res.writeHead(req.url === '/missing' ? 404 : 200, [['content-type', 'application/json'], ['x-multi', 'a'], ['x-multi', 'b']]);
    res.end(JSON.stringify({ echoed: body }));
  });
});
let base = '';
beforeAll(async () => {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => {
  server.closeAllConnections();
  server.close();
});

const send = (ctx: RequestContext): Promise<ResponseContext> => new UndiciHttpLibrary().send(ctx).toPromise();

describe('the API clients\' HTTP library (undici request, not fetch)', () => {
  it('sends the method, URL, headers and body, and hands client-node the status, headers and body', async () => {
    const ctx = new RequestContext(`${base}/apis/x?fieldManager=me`, HttpMethod.PATCH);
    ctx.setHeaderParam('Content-Type', 'application/merge-patch+json');
    ctx.setBody('{"status":{"phase":"Running"}}');
    const res = await send(ctx);
    expect(seen.at(-1)).toMatchObject({ method: 'PATCH', url: '/apis/x?fieldManager=me', body: '{"status":{"phase":"Running"}}', headers: { 'content-type': 'application/merge-patch+json' } });
    expect(res.httpStatusCode).toBe(200);
    // Repeated headers joined as fetch joins them.
    expect(res.headers['x-multi']).toBe('a, b');
    expect(JSON.parse(await res.body.text())).toEqual({ echoed: '{"status":{"phase":"Running"}}' });
  });

  it('returns an error status as a response (client-node turns it into an ApiException)', async () => {
    const res = await send(new RequestContext(`${base}/missing`, HttpMethod.GET));
    expect(res.httpStatusCode).toBe(404);
    expect((await res.body.binary()).toString()).toBe('{"echoed":""}');
  });

  it('throws a network failure as fetch does (TypeError "fetch failed", the cause kept), so it is retried', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const err = await send(new RequestContext(`http://127.0.0.1:${port}/`, HttpMethod.GET)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TypeError);
    expect((err as Error).message).toBe('fetch failed');
    expect(((err as Error).cause as { code?: string }).code).toBe('ECONNREFUSED');
    expect(classifyApiError(err)).toBe('retryable');
  });

  it('stops on its signal with the abort error itself', async () => {
    const ctx = new RequestContext(`${base}/slow`, HttpMethod.GET);
    ctx.setSignal(AbortSignal.timeout(100));
    const err = await send(ctx).catch((e: unknown) => e);
    expect((err as Error).name).toMatch(/AbortError|TimeoutError/);
    expect(classifyApiError(err)).toBe('retryable');
  });
});
