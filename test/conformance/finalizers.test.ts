// Finalizers and deletion ordering; namespace deletion removes the namespace's objects.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, meta, widget, WIDGETS } from './harness.ts';
import type { Conn, Json } from './harness.ts';

let c: Conn;
let base: string;
beforeAll(async () => { c = await connect(); base = `${WIDGETS}/namespaces/${c.ns}/widgets`; });
afterAll(async () => { await c.stop(); });

const mp = (path: string, patch: unknown): ReturnType<Conn['request']> =>
  c.request('PATCH', path, { raw: JSON.stringify(patch), contentType: 'application/merge-patch+json' });

describe('finalizers', () => {
  it('keeps a deleting object until its last finalizer is removed, in order', async () => {
    const created = await c.request('POST', base, { body: widget('f1', { color: 'red' }, { finalizers: ['example.com/a', 'example.com/b'] }) });
    const w = await c.watch(`${base}?watch=true&fieldSelector=metadata.name%3Df1&resourceVersion=${String(meta(created.body)['resourceVersion'])}`);
    const del = await c.request('DELETE', `${base}/f1`);
    expect(del.status).toBe(200);
    const ev1 = await w.next();
    expect(ev1?.['type']).toBe('MODIFIED');
    const m1 = meta(ev1?.['object'] as Json);
    expect(m1['deletionTimestamp']).toBeTruthy();
    expect(m1['generation']).toBe(2);
    const got = await c.request('GET', `${base}/f1`);
    expect(got.status).toBe(200);
    expect(meta(got.body)['deletionTimestamp']).toBe(m1['deletionTimestamp']);
    // A second delete changes nothing.
    expect((await c.request('DELETE', `${base}/f1`)).status).toBe(200);
    // No new finalizers once deleting.
    const add = await mp(`${base}/f1`, { metadata: { finalizers: ['example.com/a', 'example.com/b', 'example.com/c'] } });
    expect(add.status).toBe(422);
    expect(String(add.body['message'])).toContain('no new finalizers can be added if the object is being deleted');
    // Spec changes are still possible while deleting.
    const r1 = await c.request('PATCH', `${base}/f1`, {
      raw: JSON.stringify([{ op: 'test', path: '/metadata/finalizers/0', value: 'example.com/a' }, { op: 'remove', path: '/metadata/finalizers/0' }]),
      contentType: 'application/json-patch+json',
    });
    expect(r1.status, r1.text).toBe(200);
    expect((await w.next())?.['type']).toBe('MODIFIED');
    expect((await c.request('GET', `${base}/f1`)).status).toBe(200);
    const r2 = await mp(`${base}/f1`, { metadata: { finalizers: null } });
    expect(r2.status).toBe(200);
    const gone = await w.next();
    expect(gone?.['type']).toBe('DELETED');
    expect((await c.request('GET', `${base}/f1`)).status).toBe(404);
    w.close();
  });

  it('accepts propagationPolicy', async () => {
    await c.request('POST', base, { body: widget('f2') });
    const r = await c.request('DELETE', `${base}/f2?propagationPolicy=Foreground`);
    expect([200, 202]).toContain(r.status);
    const deadline = Date.now() + 10_000;
    while ((await c.request('GET', `${base}/f2`)).status !== 404 && Date.now() < deadline) await new Promise((res) => setTimeout(res, 100));
    expect((await c.request('GET', `${base}/f2`)).status).toBe(404);
  });
});

describe('namespace deletion', () => {
  it('goes Terminating, removes the objects in it, then disappears', async () => {
    const ns = `${c.ns}-x`;
    expect((await c.request('POST', '/api/v1/namespaces', { body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } } })).status).toBe(201);
    const nsBase = `${WIDGETS}/namespaces/${ns}/widgets`;
    await c.request('POST', nsBase, { body: widget('a') });
    await c.request('POST', nsBase, { body: widget('held', { color: 'red' }, { finalizers: ['example.com/hold'] }) });
    await c.request('POST', `/api/v1/namespaces/${ns}/configmaps`, { body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm' }, data: { a: 'b' } } });
    const del = await c.request('DELETE', `/api/v1/namespaces/${ns}`);
    expect(del.status).toBe(200);
    const waitFor = async (pred: () => Promise<boolean>): Promise<void> => {
      const deadline = Date.now() + 30_000;
      while (!(await pred())) {
        if (Date.now() > deadline) throw new Error('timed out');
        await new Promise((res) => setTimeout(res, 100));
      }
    };
    await waitFor(async () => (await c.request('GET', `${nsBase}/a`)).status === 404);
    await waitFor(async () => (await c.request('GET', `/api/v1/namespaces/${ns}/configmaps/cm`)).status === 404);
    const nsObj = await c.request('GET', `/api/v1/namespaces/${ns}`);
    expect((nsObj.body['status'] as Json)['phase']).toBe('Terminating');
    const create = await c.request('POST', nsBase, { body: widget('late') });
    expect(create.status).toBe(403);
    const held = await c.request('GET', `${nsBase}/held`);
    expect(meta(held.body)['deletionTimestamp']).toBeTruthy();
    await mp(`${nsBase}/held`, { metadata: { finalizers: null } });
    await waitFor(async () => (await c.request('GET', `/api/v1/namespaces/${ns}`)).status === 404);
  });

  it('refuses to create objects in a namespace that does not exist', async () => {
    const r = await c.request('POST', `${WIDGETS}/namespaces/${c.ns}-missing/widgets`, { body: widget('a') });
    expect(r.status).toBe(404);
    expect(r.body['message']).toBe(`namespaces "${c.ns}-missing" not found`);
  });
});
