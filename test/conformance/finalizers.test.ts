// Finalizers and deletion ordering (garbage-collector finalizers, DeleteOptions); namespace deletion:
// what the API server does alone, and what the namespace controller does where one runs.
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

  it('propagationPolicy=Foreground keeps the object with the foregroundDeletion finalizer until the garbage collector (or a client) removes it', async () => {
    await c.request('POST', base, { body: widget('f2') });
    const r = await c.request('DELETE', `${base}/f2?propagationPolicy=Foreground`);
    expect(r.status).toBe(200);
    expect(r.body['kind']).toBe('Widget');
    expect(meta(r.body)).toMatchObject({ finalizers: ['foregroundDeletion'], generation: 2, deletionGracePeriodSeconds: 0 });
    expect(meta(r.body)['deletionTimestamp']).toBeTruthy();
    if (c.controllers.garbageCollector) {
      // No dependents: the garbage collector removes its finalizer and the object goes.
      const deadline = Date.now() + 30_000;
      while ((await c.request('GET', `${base}/f2`)).status !== 404 && Date.now() < deadline) await new Promise((res) => setTimeout(res, 200));
    } else {
      // No garbage collector (the dev cluster, a bare kube-apiserver): it stays, deleting.
      await new Promise((res) => setTimeout(res, 500));
      const got = await c.request('GET', `${base}/f2`);
      expect(got.status).toBe(200);
      expect(meta(got.body)['finalizers']).toEqual(['foregroundDeletion']);
      // Deleting again with another policy swaps the garbage collector's finalizer.
      const orphan = await c.request('DELETE', `${base}/f2`, { body: { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Orphan' } });
      expect(meta(orphan.body)['finalizers']).toEqual(['orphan']);
      expect((await mp(`${base}/f2`, { metadata: { finalizers: null } })).status).toBe(200);
    }
    expect((await c.request('GET', `${base}/f2`)).status).toBe(404);
  });

  it('answers an immediate delete with a Success Status, and keeps finalizers it did not add', async () => {
    const created = await c.request('POST', base, { body: widget('f3') });
    const gone = await c.request('DELETE', `${base}/f3`);
    expect(gone.status).toBe(200);
    expect(gone.body).toMatchObject({ kind: 'Status', apiVersion: 'v1', status: 'Success', details: { name: 'f3', group: 'conformance.example.com', kind: 'widgets', uid: meta(created.body)['uid'] } });
    await c.request('POST', base, { body: widget('f4', { color: 'red' }, { finalizers: ['example.com/keep'] }) });
    const orphan = await c.request('DELETE', `${base}/f4?propagationPolicy=Orphan`);
    expect(meta(orphan.body)['finalizers']).toEqual(['example.com/keep', 'orphan']);
    expect((await mp(`${base}/f4`, { metadata: { finalizers: null } })).status).toBe(200);
    expect((await c.request('GET', `${base}/f4`)).status).toBe(404);
  });

  it('refuses invalid DeleteOptions and failed preconditions as the real server words them', async () => {
    const created = await c.request('POST', base, { body: widget('f5') });
    const bad = await c.request('DELETE', `${base}/f5?propagationPolicy=Sideways`);
    expect(bad.status).toBe(422);
    expect(bad.body).toMatchObject({
      reason: 'Invalid',
      message: 'DeleteOptions.meta.k8s.io "" is invalid: propagationPolicy: Unsupported value: "Sideways": supported values: "Foreground", "Background", "Orphan", "nil"',
      details: { group: 'meta.k8s.io', kind: 'DeleteOptions', causes: [{ reason: 'FieldValueNotSupported', field: 'propagationPolicy' }] },
    });
    const both = await c.request('DELETE', `${base}/f5`, { body: { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Orphan', orphanDependents: true } });
    expect(both.status).toBe(422);
    expect(both.body['message']).toBe('DeleteOptions.meta.k8s.io "" is invalid: propagationPolicy: Invalid value: "Orphan": orphanDependents and deletionPropagation cannot be both set');
    const uid = String(meta(created.body)['uid']);
    const wrongUid = await c.request('DELETE', `${base}/f5`, { body: { kind: 'DeleteOptions', apiVersion: 'v1', preconditions: { uid: 'abc' } } });
    expect(wrongUid.status).toBe(409);
    expect(wrongUid.body).toMatchObject({
      reason: 'Conflict', details: { name: 'f5', group: 'conformance.example.com', kind: 'Widget' },
      message: `Operation cannot be fulfilled on Widget.conformance.example.com "f5": the UID in the precondition (abc) does not match the UID in record (${uid}). The object might have been deleted and then recreated`,
    });
    const rv = String(meta(created.body)['resourceVersion']);
    const wrongRv = await c.request('DELETE', `${base}/f5`, { body: { kind: 'DeleteOptions', apiVersion: 'v1', preconditions: { resourceVersion: '1' } } });
    expect(wrongRv.body['message']).toBe(`Operation cannot be fulfilled on Widget.conformance.example.com "f5": the ResourceVersion in the precondition (1) does not match the ResourceVersion in record (${rv}). The object might have been modified`);
    expect((await c.request('DELETE', `${base}/f5`, { body: { kind: 'DeleteOptions', apiVersion: 'v1', preconditions: { uid, resourceVersion: rv } } })).status).toBe(200);
  });
});

describe('namespace deletion', () => {
  const waitFor = async (pred: () => Promise<boolean>): Promise<void> => {
    const deadline = Date.now() + 30_000;
    while (!(await pred())) {
      if (Date.now() > deadline) throw new Error('timed out');
      await new Promise((res) => setTimeout(res, 100));
    }
  };

  it('goes Terminating and refuses new content (the API server alone)', async () => {
    const ns = `${c.ns}-t`;
    const created = await c.request('POST', '/api/v1/namespaces', { body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } } });
    expect(created.status).toBe(201);
    expect(meta(created.body)['labels']).toEqual({ 'kubernetes.io/metadata.name': ns });
    expect(created.body).toMatchObject({ spec: { finalizers: ['kubernetes'] }, status: { phase: 'Active' } });
    const nsBase = `${WIDGETS}/namespaces/${ns}/widgets`;
    // Held by a finalizer, so that the dev cluster's namespace controller cannot finish either.
    await c.request('POST', nsBase, { body: widget('held', { color: 'red' }, { finalizers: ['example.com/hold'] }) });
    const del = await c.request('DELETE', `/api/v1/namespaces/${ns}`);
    expect(del.status).toBe(200);
    expect(del.body).toMatchObject({ kind: 'Namespace', spec: { finalizers: ['kubernetes'] }, status: { phase: 'Terminating' } });
    expect(meta(del.body)['deletionTimestamp']).toBeTruthy();
    expect(meta(del.body)['deletionGracePeriodSeconds']).toBeUndefined();
    expect(((await c.request('GET', `/api/v1/namespaces/${ns}`)).body['status'] as Json)['phase']).toBe('Terminating');
    const late = await c.request('POST', nsBase, { body: widget('late') });
    expect(late.status).toBe(403);
    expect(late.body).toMatchObject({
      reason: 'Forbidden', message: `widgets.conformance.example.com "late" is forbidden: unable to create new content in namespace ${ns} because it is being terminated`,
      details: { name: 'late', group: 'conformance.example.com', kind: 'widgets', causes: [{ reason: 'NamespaceTerminating', message: `namespace ${ns} is being terminated`, field: 'metadata.namespace' }] },
    });
    const lateCm = await c.request('POST', `/api/v1/namespaces/${ns}/configmaps`, { body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'late' } } });
    expect(lateCm.status).toBe(403);
    expect(lateCm.body['message']).toBe(`configmaps "late" is forbidden: unable to create new content in namespace ${ns} because it is being terminated`);
    expect((lateCm.body['details'] as Json)['group']).toBeUndefined();
    // Updates of what is there are still allowed.
    expect((await mp(`${nsBase}/held`, { metadata: { labels: { still: 'writable' } } })).status).toBe(200);
    if (!c.controllers.namespace) {
      // Without a namespace controller nothing marks the content deleting.
      expect(meta((await c.request('GET', `${nsBase}/held`)).body)['deletionTimestamp']).toBeUndefined();
    }
    await mp(`${nsBase}/held`, { metadata: { finalizers: null } });
  });

  it('is emptied, then removed, by the namespace controller', async (ctx) => {
    if (!c.controllers.namespace) ctx.skip('no namespace controller runs against this cluster (the `real` project starts a bare kube-apiserver, as envtest)');
    const ns = `${c.ns}-x`;
    expect((await c.request('POST', '/api/v1/namespaces', { body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } } })).status).toBe(201);
    const nsBase = `${WIDGETS}/namespaces/${ns}/widgets`;
    await c.request('POST', nsBase, { body: widget('a') });
    await c.request('POST', nsBase, { body: widget('held', { color: 'red' }, { finalizers: ['example.com/hold'] }) });
    await c.request('POST', `/api/v1/namespaces/${ns}/configmaps`, { body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm' }, data: { a: 'b' } } });
    expect((await c.request('DELETE', `/api/v1/namespaces/${ns}`)).status).toBe(200);
    await waitFor(async () => (await c.request('GET', `${nsBase}/a`)).status === 404);
    await waitFor(async () => (await c.request('GET', `/api/v1/namespaces/${ns}/configmaps/cm`)).status === 404);
    const held = await c.request('GET', `${nsBase}/held`);
    expect(meta(held.body)['deletionTimestamp']).toBeTruthy();
    expect(((await c.request('GET', `/api/v1/namespaces/${ns}`)).body['status'] as Json)['phase']).toBe('Terminating');
    await mp(`${nsBase}/held`, { metadata: { finalizers: null } });
    await waitFor(async () => (await c.request('GET', `/api/v1/namespaces/${ns}`)).status === 404);
  });

  it('refuses to create objects in a namespace that does not exist', async () => {
    const r = await c.request('POST', `${WIDGETS}/namespaces/${c.ns}-missing/widgets`, { body: widget('a') });
    expect(r.status).toBe(404);
    expect(r.body['message']).toBe(`namespaces "${c.ns}-missing" not found`);
  });
});
