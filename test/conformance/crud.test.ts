// Custom resource CRUD, patches, preconditions, status subresource and generation rules.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, meta, widget, WIDGETS } from './harness.ts';
import type { Conn, Json } from './harness.ts';

let c: Conn;
let base: string;
beforeAll(async () => { c = await connect(); base = `${WIDGETS}/namespaces/${c.ns}/widgets`; });
afterAll(async () => { await c.stop(); });

const create = async (name: string, spec: Json = { color: 'red' }, m: Json = {}): Promise<Json> => {
  const r = await c.request('POST', base, { body: widget(name, spec, m) });
  expect(r.status, r.text).toBe(201);
  return r.body;
};

describe('create and get', () => {
  it('assigns uid, creationTimestamp, generation 1 and a resourceVersion, and drops status on create', async () => {
    const r = await c.request('POST', base, { body: { ...widget('c1'), status: { phase: 'Sneaky' } } });
    expect(r.status).toBe(201);
    const m = meta(r.body);
    expect(m['uid']).toMatch(/^[0-9a-f-]{36}$/);
    expect(m['creationTimestamp']).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(m['generation']).toBe(1);
    expect(m['resourceVersion']).toMatch(/^\d+$/);
    expect(r.body['status']).toBeUndefined();
    const g = await c.request('GET', `${base}/c1`);
    expect(g.status).toBe(200);
    expect(meta(g.body)['uid']).toBe(m['uid']);
  });

  it('generates names from generateName', async () => {
    const r = await c.request('POST', base, { body: widget('', { color: 'blue' }, { name: undefined, generateName: 'gen-' }) });
    expect(r.status).toBe(201);
    expect(String(meta(r.body)['name'])).toMatch(/^gen-[a-z0-9]{5}$/);
  });

  it('refuses a duplicate with 409 AlreadyExists and a missing object with 404 NotFound', async () => {
    await create('dup');
    const again = await c.request('POST', base, { body: widget('dup') });
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'AlreadyExists', code: 409 });
    const missing = await c.request('GET', `${base}/nope`);
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ reason: 'NotFound', message: 'widgets.conformance.example.com "nope" not found' });
  });

  it('refuses a name that is not a DNS subdomain', async () => {
    const r = await c.request('POST', base, { body: widget('Not_Valid') });
    expect(r.status).toBe(422);
    expect(r.body['reason']).toBe('Invalid');
  });

  it('does not store anything on dryRun=All', async () => {
    const r = await c.request('POST', `${base}?dryRun=All`, { body: widget('dry') });
    expect(r.status).toBe(201);
    expect((await c.request('GET', `${base}/dry`)).status).toBe(404);
  });
});

describe('update and resourceVersion', () => {
  it('rejects a stale resourceVersion with 409 Conflict', async () => {
    const w = await create('u1');
    const first = await c.request('PUT', `${base}/u1`, { body: { ...w, spec: { color: 'green' } } });
    expect(first.status).toBe(200);
    expect(Number(meta(first.body)['resourceVersion'])).toBeGreaterThan(Number(meta(w)['resourceVersion']));
    const stale = await c.request('PUT', `${base}/u1`, { body: { ...w, spec: { color: 'blue' } } });
    expect(stale.status).toBe(409);
    expect(stale.body).toMatchObject({ kind: 'Status', reason: 'Conflict', code: 409 });
    expect(String(stale.body['message'])).toContain('the object has been modified');
  });

  it('keeps resourceVersions increasing across objects', async () => {
    const a = await create('rv-a');
    const b = await create('rv-b');
    expect(Number(meta(b)['resourceVersion'])).toBeGreaterThan(Number(meta(a)['resourceVersion']));
  });

  it('bumps generation on spec changes only', async () => {
    const w = await create('gen1');
    const labelled = await c.request('PATCH', `${base}/gen1`, { raw: JSON.stringify({ metadata: { labels: { a: 'b' } } }), contentType: 'application/merge-patch+json' });
    expect(meta(labelled.body)['generation']).toBe(1);
    const st = await c.request('PATCH', `${base}/gen1/status`, { raw: JSON.stringify({ status: { phase: 'Ready' } }), contentType: 'application/merge-patch+json' });
    expect(st.status).toBe(200);
    expect(meta(st.body)['generation']).toBe(1);
    const spec = await c.request('PATCH', `${base}/gen1`, { raw: JSON.stringify({ spec: { size: 9 } }), contentType: 'application/merge-patch+json' });
    expect(meta(spec.body)['generation']).toBe(2);
    expect(meta(w)['uid']).toBe(meta(spec.body)['uid']);
  });

  it('ignores status on the main endpoint and everything but status on /status', async () => {
    const w = await create('st1');
    const s = await c.request('PUT', `${base}/st1/status`, { body: { ...w, spec: { color: 'blue' }, status: { phase: 'Done' } } });
    expect(s.status).toBe(200);
    expect(s.body['spec']).toMatchObject({ color: 'red' });
    expect(s.body['status']).toEqual({ phase: 'Done' });
    const m = await c.request('PUT', `${base}/st1`, { body: { ...s.body, status: { phase: 'Overwritten' } } });
    expect(m.status).toBe(200);
    expect(m.body['status']).toEqual({ phase: 'Done' });
  });

  it('does not write when nothing changes (same resourceVersion)', async () => {
    const w = await create('noop');
    const r = await c.request('PUT', `${base}/noop`, { body: w });
    expect(r.status).toBe(200);
    expect(meta(r.body)['resourceVersion']).toBe(meta(w)['resourceVersion']);
  });
});

describe('patch', () => {
  it('applies JSON merge patches', async () => {
    await create('mp', { color: 'red', size: 2, tags: ['a'] });
    const r = await c.request('PATCH', `${base}/mp`, { raw: JSON.stringify({ spec: { size: null, tags: ['b', 'c'] } }), contentType: 'application/merge-patch+json' });
    expect(r.status).toBe(200);
    expect(r.body['spec']).toEqual({ color: 'red', size: 3, tags: ['b', 'c'] }); // size defaulted again
  });

  it('applies JSON patches and fails a `test` op with 422', async () => {
    await create('jp', { color: 'red', tags: ['x'] });
    const ok = await c.request('PATCH', `${base}/jp`, {
      raw: JSON.stringify([{ op: 'test', path: '/spec/color', value: 'red' }, { op: 'replace', path: '/spec/color', value: 'green' }, { op: 'add', path: '/spec/tags/-', value: 'y' }]),
      contentType: 'application/json-patch+json',
    });
    expect(ok.status, ok.text).toBe(200);
    expect(ok.body['spec']).toMatchObject({ color: 'green', tags: ['x', 'y'] });
    const bad = await c.request('PATCH', `${base}/jp`, {
      raw: JSON.stringify([{ op: 'test', path: '/spec/color', value: 'red' }, { op: 'replace', path: '/spec/color', value: 'blue' }]),
      contentType: 'application/json-patch+json',
    });
    expect(bad.status).toBe(422);
    expect(bad.body['kind']).toBe('Status');
    expect((await c.request('GET', `${base}/jp`)).body['spec']).toMatchObject({ color: 'green' });
  });

  it('answers strategic merge patch on a custom resource with 415', async () => {
    await create('smp');
    const r = await c.request('PATCH', `${base}/smp`, { raw: JSON.stringify({ spec: { color: 'blue' } }), contentType: 'application/strategic-merge-patch+json' });
    expect(r.status).toBe(415);
    expect(r.body['reason']).toBe('UnsupportedMediaType');
  });

  it('uses a resourceVersion in a patch as a precondition', async () => {
    await create('pre');
    const r = await c.request('PATCH', `${base}/pre`, { raw: JSON.stringify({ metadata: { resourceVersion: '1' }, spec: { size: 5 } }), contentType: 'application/merge-patch+json' });
    expect(r.status).toBe(409);
  });
});

describe('delete', () => {
  it('removes at once without finalizers, and deletecollection honours label selectors', async () => {
    await create('d1');
    const r = await c.request('DELETE', `${base}/d1`);
    expect(r.status).toBe(200);
    expect((await c.request('GET', `${base}/d1`)).status).toBe(404);
    await create('dc1', { color: 'red' }, { labels: { batch: 'x' } });
    await create('dc2', { color: 'red' }, { labels: { batch: 'x' } });
    await create('dc3', { color: 'red' }, { labels: { batch: 'y' } });
    const dc = await c.request('DELETE', `${base}?labelSelector=batch%3Dx`);
    expect(dc.status).toBe(200);
    expect((await c.request('GET', `${base}/dc1`)).status).toBe(404);
    expect((await c.request('GET', `${base}/dc3`)).status).toBe(200);
  });

  it('honours a uid precondition', async () => {
    await create('d2');
    const r = await c.request('DELETE', `${base}/d2`, { body: { kind: 'DeleteOptions', apiVersion: 'v1', preconditions: { uid: 'other' } } });
    expect(r.status).toBe(409);
  });
});

describe('cluster-scoped resources without a status subresource', () => {
  it('stores status through the main endpoint and bumps generation on any non-metadata change', async () => {
    const path = `${WIDGETS}/gadgets`;
    const name = `g-${c.ns}`;
    const r = await c.request('POST', path, { body: { apiVersion: 'conformance.example.com/v1', kind: 'Gadget', metadata: { name }, spec: { a: 1 }, status: { b: 2 } } });
    expect(r.status, r.text).toBe(201);
    expect(r.body['status']).toEqual({ b: 2 });
    const u = await c.request('PATCH', `${path}/${name}`, { raw: JSON.stringify({ status: { b: 3 } }), contentType: 'application/merge-patch+json' });
    expect(meta(u.body)['generation']).toBe(2);
    expect((await c.request('GET', `${path}/${name}/status`)).status).toBe(404);
    await c.request('DELETE', `${path}/${name}`);
  });
});
