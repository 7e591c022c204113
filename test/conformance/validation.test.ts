// Schema validation of custom resources: unknown fields by fieldValidation, types, enums,
// required, formats, minimum, CEL rules, defaults; Status bodies that name the field.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, meta, widget, WIDGETS } from './harness.ts';
import type { Conn, Json } from './harness.ts';

let c: Conn;
let base: string;
beforeAll(async () => { c = await connect(); base = `${WIDGETS}/namespaces/${c.ns}/widgets`; });
afterAll(async () => { await c.stop(); });

const causes = (b: Json): Json[] => ((b['details'] as Json | undefined)?.['causes'] as Json[] | undefined) ?? [];

describe('unknown fields', () => {
  it('Strict refuses them naming the field', async () => {
    const r = await c.request('POST', `${base}?fieldValidation=Strict`, { body: widget('uf1', { color: 'red', bogus: 1 }) });
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ kind: 'Status', reason: 'BadRequest' });
    expect(String(r.body['message'])).toContain('strict decoding error: unknown field "spec.bogus"');
  });

  it('Warn stores without them and returns a Warning header', async () => {
    const r = await c.request('POST', `${base}?fieldValidation=Warn`, { body: widget('uf2', { color: 'red', bogus: 1 }) });
    expect(r.status).toBe(201);
    expect(String(r.headers['warning'])).toContain('unknown field \\"spec.bogus\\"');
    expect(r.body['spec']).not.toHaveProperty('bogus');
  });

  it('Ignore prunes them silently', async () => {
    const r = await c.request('POST', `${base}?fieldValidation=Ignore`, { body: widget('uf3', { color: 'red', bogus: 1 }) });
    expect(r.status).toBe(201);
    expect(r.headers['warning']).toBeUndefined();
    expect(r.body['spec']).not.toHaveProperty('bogus');
  });
});

describe('invalid values → 422 Invalid with causes', () => {
  it.each([
    ['enum', { color: 'purple' }, 'spec.color', 'FieldValueNotSupported'],
    ['required', { size: 2 }, 'spec.color', 'FieldValueRequired'],
    ['type', { color: 'red', size: 'big' }, 'spec.size', 'FieldValueTypeInvalid'],
    ['minimum', { color: 'red', size: 0 }, 'spec.size', 'FieldValueInvalid'],
    ['format', { color: 'red', owner: 'not-an-email' }, 'spec.owner', 'FieldValueTypeInvalid'],
    ['CEL rule', { color: 'red', size: 5, maxSize: 4 }, 'spec', 'FieldValueInvalid'],
  ])('%s', async (_what, spec, field, reason) => {
    const r = await c.request('POST', base, { body: widget('bad', spec) });
    expect(r.status, r.text).toBe(422);
    expect(r.body).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'Invalid', code: 422 });
    expect(String(r.body['message'])).toMatch(new RegExp(`^Widget\\.conformance\\.example\\.com "bad" is invalid: .*${field.replace('.', '\\.')}`));
    expect(causes(r.body)).toEqual(expect.arrayContaining([expect.objectContaining({ field, reason })]));
  });

  it('reports the CEL rule message', async () => {
    const r = await c.request('POST', base, { body: widget('cel', { color: 'red', size: 5, maxSize: 4 }) });
    expect(String(r.body['message'])).toContain('size must not exceed maxSize');
  });

  it('validates status writes too', async () => {
    await c.request('POST', base, { body: widget('vs') });
    const r = await c.request('PATCH', `${base}/vs/status`, { raw: JSON.stringify({ status: { conditions: [{ type: 'Ready', status: 'Maybe' }] } }), contentType: 'application/merge-patch+json' });
    expect(r.status).toBe(422);
    expect(causes(r.body)[0]?.['field']).toBe('status.conditions[0].status');
  });
});

describe('defaults', () => {
  it('fills defaults on create and on update', async () => {
    const r = await c.request('POST', base, { body: widget('def', { color: 'green' }) });
    expect(r.body['spec']).toEqual({ color: 'green', size: 3 });
    expect(meta(r.body)['generation']).toBe(1);
  });
});

describe('CRD validation', () => {
  it('refuses a CRD whose name is not <plural>.<group>', async () => {
    const r = await c.request('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', {
      body: {
        apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: 'wrong.conformance.example.com' },
        spec: { group: 'conformance.example.com', scope: 'Namespaced', names: { plural: 'things', kind: 'Thing' },
          versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object' } } }] },
      },
    });
    expect(r.status).toBe(422);
    expect(causes(r.body).map((x) => x['field'])).toContain('metadata.name');
  });
});
