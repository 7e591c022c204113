// Server-side apply: create by apply, managedFields, conflicts with causes, force, field removal.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dump } from 'js-yaml';
import { connect, meta, widget, WIDGETS } from './harness.ts';
import type { Conn, Json } from './harness.ts';

let c: Conn;
let base: string;
beforeAll(async () => { c = await connect(); base = `${WIDGETS}/namespaces/${c.ns}/widgets`; });
afterAll(async () => { await c.stop(); });

const apply = (name: string, obj: Json, manager: string, force = false): ReturnType<Conn['request']> =>
  c.request('PATCH', `${base}/${name}?fieldManager=${manager}${force ? '&force=true' : ''}`, { raw: dump(obj), contentType: 'application/apply-patch+yaml' });

const managers = (o: Json): Json[] => (meta(o)['managedFields'] as Json[] | undefined) ?? [];

describe('server-side apply', () => {
  it('creates the object and records the manager with FieldsV1', async () => {
    const r = await apply('ssa1', widget('ssa1', { color: 'red', size: 2 }), 'alice');
    expect(r.status, r.text).toBe(201);
    const mf = managers(r.body).find((m) => m['manager'] === 'alice');
    expect(mf).toMatchObject({ operation: 'Apply', fieldsType: 'FieldsV1', apiVersion: 'conformance.example.com/v1' });
    expect(mf?.['fieldsV1']).toMatchObject({ 'f:spec': { 'f:color': {}, 'f:size': {} } });
  });

  it('refuses a conflicting apply by another manager with 409 and causes, and force takes ownership', async () => {
    const r = await apply('ssa1', widget('ssa1', { color: 'blue' }), 'bob');
    expect(r.status).toBe(409);
    expect(r.body).toMatchObject({ kind: 'Status', reason: 'Conflict', code: 409 });
    const causes = ((r.body['details'] as Json)['causes'] as Json[]);
    expect(causes).toEqual([expect.objectContaining({ reason: 'FieldManagerConflict', field: '.spec.color' })]);
    expect(String(r.body['message'])).toContain('conflict with "alice"');
    const f = await apply('ssa1', widget('ssa1', { color: 'blue' }), 'bob', true);
    expect(f.status).toBe(200);
    expect(f.body['spec']).toMatchObject({ color: 'blue', size: 2 });
    const alice = managers(f.body).find((m) => m['manager'] === 'alice');
    expect(alice?.['fieldsV1']).not.toHaveProperty(['f:spec', 'f:color']);
  });

  it('shares fields applied with the same value without conflict', async () => {
    const r = await apply('ssa1', widget('ssa1', { size: 2, color: 'blue' }), 'carol');
    expect(r.status, r.text).toBe(200);
  });

  it('removes fields a manager stops applying when nobody else owns them', async () => {
    await apply('ssa2', widget('ssa2', { color: 'red', tags: ['a'], owner: 'a@example.com' }), 'dave');
    const r = await apply('ssa2', widget('ssa2', { color: 'red' }), 'dave');
    expect(r.status).toBe(200);
    expect(r.body['spec']).toEqual({ color: 'red', size: 3 });
  });

  it('conflicts with fields set by an ordinary update', async () => {
    await apply('ssa3', widget('ssa3', { color: 'red' }), 'erin');
    const u = await c.request('PATCH', `${base}/ssa3?fieldManager=editor`, { raw: '{"spec":{"color":"green"}}', contentType: 'application/merge-patch+json' });
    expect(managers(u.body).find((m) => m['manager'] === 'editor')).toMatchObject({ operation: 'Update' });
    const r = await apply('ssa3', widget('ssa3', { color: 'red' }), 'erin');
    expect(r.status).toBe(409);
  });

  it('requires a fieldManager', async () => {
    const r = await c.request('PATCH', `${base}/ssa1`, { raw: dump(widget('ssa1')), contentType: 'application/apply-patch+yaml' });
    expect(r.status).toBe(422);
  });

  it('applies to the status subresource', async () => {
    const r = await c.request('PATCH', `${base}/ssa1/status?fieldManager=ctrl&force=true`, {
      raw: dump({ apiVersion: 'conformance.example.com/v1', kind: 'Widget', metadata: { name: 'ssa1' }, status: { phase: 'Ready' } }),
      contentType: 'application/apply-patch+yaml',
    });
    expect(r.status, r.text).toBe(200);
    expect(r.body['status']).toEqual({ phase: 'Ready' });
    expect(r.body['spec']).toMatchObject({ color: 'blue' });
  });
});
