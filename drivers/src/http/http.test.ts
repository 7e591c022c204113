import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { load } from 'js-yaml';
import { afterEach, describe, expect, it } from 'vitest';
import { DriverError } from '../contract.ts';
import type { SiteContext } from '../contract.ts';
import { SimulatedBackend, SimulatedDriver } from '../simulated/index.ts';
import { HttpDriver } from './driver.ts';
import { OPENAPI_FILE, renderOpenAPI } from './openapi.ts';
import { itemPath } from './protocol.ts';
import { startReferenceServer } from './server.ts';

const SITE: SiteContext = { name: 'lon', telephony: { numberBlocks: [{ start: '+442070000000', count: 5 }], coolingOffDays: 1 }, switches: [{ name: 'sw-1', ports: 4 }] };
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function reference(settings?: Record<string, string>, token?: string) {
  const backend = new SimulatedBackend();
  const server = await startReferenceServer({ driver: new SimulatedDriver({ backend, ...(settings ? { settings } : {}) }), ...(token ? { token } : {}) });
  cleanups.push(() => server.close());
  return { backend, server, driver: new HttpDriver({ endpoint: `${server.url}/`, ...(token ? { token: async () => token } : {}) }) };
}

/** A server that answers every request with a fixed status, headers and body. */
async function fixed(status: number, body: string, headers: Record<string, string> = {}): Promise<string> {
  const server = createServer((_req, res) => {
    res.writeHead(status, headers);
    res.end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanups.push(() => new Promise<void>((r) => server.close(() => r())));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const signal = (): AbortSignal => AbortSignal.timeout(5_000);
const observeNumber = (d: HttpDriver) => d.observe({ site: SITE, signal: signal(), ref: { capability: 'telephony', type: 'number', key: '+442070000001' } });

describe('http driver protocol', () => {
  it('publishes an OpenAPI 3.1 file that matches the item schemas', () => {
    const text = readFileSync(OPENAPI_FILE, 'utf8');
    expect(text).toBe(renderOpenAPI());
    const doc = load(text) as { openapi: string; paths: Record<string, unknown> };
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toContain('/v1/sites/{site}/telephony/number/{key}:ensure');
    expect(Object.keys(doc.paths)).not.toContain('/v1/sites/{site}/network/pool/{key}:ensure');
  });

  it('answers 202 with Location and Retry-After, then 200 from the task and the repeated call', async () => {
    const { server, backend } = await reference({ asyncMs: '1500' });
    const url = `${server.url}${itemPath('lon', 'ports', 'port', 'occ/desk:1+a@b', 'ensure')}`;
    const init = { method: 'POST', headers: { 'content-type': 'application/json', 'idempotency-key': 'k1' }, body: JSON.stringify({ site: SITE, spec: { occupier: 'occ' } }) };
    const res = await fetch(url, init);
    expect(res.status).toBe(202);
    const body = (await res.json()) as { taskRef: string };
    expect(res.headers.get('location')).toBe(`/v1/tasks/${body.taskRef}`);
    expect(res.headers.get('retry-after')).toBe('2');
    expect((await fetch(`${server.url}${res.headers.get('location') ?? ''}`)).status).toBe(202);
    expect(backend.counts({ site: 'lon', capability: 'ports', type: 'port', key: 'occ/desk:1+a@b' }).creates).toBe(1);
    const driver = new HttpDriver({ endpoint: server.url });
    expect(await driver.task(body.taskRef, signal())).toMatchObject({ state: 'InProgress', taskRef: body.taskRef });
  });

  it('answers problem+json: 400 without Idempotency-Key, 401 without the token, 404 for an unknown route', async () => {
    const { server } = await reference(undefined, 'tok');
    const post = (path: string, headers: Record<string, string>) => fetch(`${server.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ site: SITE, spec: { occupier: 'o' } }) });
    const noKey = await post(itemPath('lon', 'ports', 'port', 'o/1', 'ensure'), { authorization: 'Bearer tok' });
    expect(noKey.status).toBe(400);
    expect(noKey.headers.get('content-type')).toBe('application/problem+json');
    expect(await noKey.json()).toMatchObject({ reason: 'InvalidSpec', retryable: false, status: 400 });
    const noToken = await post(itemPath('lon', 'ports', 'port', 'o/1', 'ensure'), { 'idempotency-key': 'k' });
    expect(await noToken.json()).toMatchObject({ status: 401, reason: 'Unauthorized', retryable: false });
    const badSite = await fetch(`${server.url}${itemPath('lon', 'ports', 'pool', '-', 'observe')}`, { method: 'POST', headers: { authorization: 'Bearer tok' }, body: JSON.stringify({ site: { name: 'lon', switches: [{ name: 'sw', ports: 'many' }] } }) });
    expect(await badSite.json()).toMatchObject({ status: 400, reason: 'InvalidSpec', detail: expect.stringContaining('site.switches.0.ports') });
    const unknown = await post('/v1/sites/lon/ports/port/o:frobnicate', { authorization: 'Bearer tok' });
    expect(await unknown.json()).toMatchObject({ status: 404, reason: 'NotSupported' });
  });

  it('carries Permanent and Transient errors with their reasons', async () => {
    const { driver } = await reference({ failOnStep: 'observe', transientOnStep: 'ensure:1' });
    await expect(observeNumber(driver)).rejects.toMatchObject({ code: 'Permanent', reason: 'InjectedFailure' });
    const ensure = () => driver.ensure({ site: SITE, signal: signal(), item: { capability: 'telephony', type: 'number', key: '+442070000001', spec: { occupier: 'o' } }, idempotencyKey: 'k' });
    await expect(ensure()).rejects.toMatchObject({ code: 'Transient', reason: 'InjectedFault' });
    expect(await ensure()).toMatchObject({ state: 'Done', details: { state: 'Allocated' } });
    await expect(driver.ensure({ site: SITE, signal: signal(), item: { capability: 'telephony', type: 'number', key: '+442070000001', spec: { occupier: 'x' } }, idempotencyKey: 'k2' })).rejects.toMatchObject({
      code: 'Permanent',
      reason: 'NumberInUse',
    });
  });

  it('maps answers that are not problem+json by status', async () => {
    await expect(observeNumber(new HttpDriver({ endpoint: await fixed(502, '<html>bad gateway</html>') }))).rejects.toMatchObject({ code: 'Transient', reason: 'BackendUnavailable' });
    const limited = await observeNumber(new HttpDriver({ endpoint: await fixed(429, '', { 'retry-after': '3' }) })).catch((e: unknown) => e as DriverError);
    expect(limited).toMatchObject({ code: 'Transient', reason: 'RateLimited', retryAfterMs: 3000 });
    await expect(observeNumber(new HttpDriver({ endpoint: await fixed(403, 'no') }))).rejects.toMatchObject({ code: 'Permanent', reason: 'Unauthorized' });
    await expect(observeNumber(new HttpDriver({ endpoint: await fixed(200, 'not json') }))).rejects.toMatchObject({ code: 'Transient', reason: 'BadResponse' });
    await expect(observeNumber(new HttpDriver({ endpoint: await fixed(200, '{"hello":1}') }))).rejects.toMatchObject({ code: 'Transient', reason: 'BadResponse' });
  });

  it('fails Transient Unreachable when nothing listens', async () => {
    const url = await fixed(200, '{}');
    await cleanups.pop()?.();
    await expect(observeNumber(new HttpDriver({ endpoint: url }))).rejects.toMatchObject({ code: 'Transient', reason: 'Unreachable' });
  });

  it('aborts the server-side work when the client gives up', async () => {
    const { driver } = await reference({ slowStep: 'observe', slowMs: '30000' });
    const controller = new AbortController();
    const pending = driver.observe({ site: SITE, signal: controller.signal, ref: { capability: 'ports', type: 'pool', key: '-' } });
    setTimeout(() => controller.abort(DriverError.transient('Timeout', 'gave up')), 50);
    await expect(pending).rejects.toMatchObject({ reason: 'Timeout' });
  });
});
