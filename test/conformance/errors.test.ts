// Error responses, compared with a real kube-apiserver's word for word: Status bodies of 404, 409,
// 422 (schema, enum, CEL, anyOf/oneOf), 400 (strict decoding, bad JSON), the 3 MiB request limit
// (413), etcd's request size limit, and the few places where the embedded cluster still differs
// (each pinned here: `if (c.external) … else …`, listed in operator/src/devcluster/README.md).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, GROUP, meta, widget, WIDGETS } from './harness.ts';
import type { Conn, Json } from './harness.ts';

let c: Conn;
let base: string;

const SHAPES_CRD: Json = {
  apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: `shapes.${GROUP}` },
  spec: {
    group: GROUP, scope: 'Namespaced', names: { plural: 'shapes', singular: 'shape', kind: 'Shape' },
    versions: [{
      name: 'v1', served: true, storage: true,
      schema: {
        openAPIV3Schema: {
          type: 'object',
          properties: {
            spec: {
              type: 'object',
              properties: {
                size: { type: 'integer', anyOf: [{ minimum: 10 }, { maximum: 1 }] },
                mode: { type: 'string', oneOf: [{ pattern: '^a' }, { pattern: 'b$' }] },
              },
            },
          },
        },
      },
    }],
  },
};

beforeAll(async () => {
  c = await connect();
  base = `${WIDGETS}/namespaces/${c.ns}/widgets`;
  const crd = await c.request('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', { body: SHAPES_CRD });
  if (crd.status !== 201 && crd.status !== 409) throw new Error(`cannot install ${String(meta(SHAPES_CRD)['name'])}: ${crd.text}`);
  const deadline = Date.now() + 30_000;
  while ((await c.request('GET', `${WIDGETS}/namespaces/${c.ns}/shapes`)).status !== 200) {
    if (Date.now() > deadline) throw new Error('shapes not served');
    await new Promise((r) => setTimeout(r, 200));
  }
});
afterAll(async () => { await c.stop(); });

const causes = (r: { body: Json }): Json[] => (((r.body['details'] as Json | undefined)?.['causes'] as Json[] | undefined) ?? []);
const byField = (a: Json, b: Json): number => String(a['field']).localeCompare(String(b['field'])) || String(a['message']).localeCompare(String(b['message']));
/** A JSON body padded with trailing spaces (still valid JSON) to exactly `size` bytes. */
const padded = (o: Json, size: number): string => {
  const s = JSON.stringify(o);
  if (Buffer.byteLength(s) > size) throw new Error('body already larger than the padding target');
  return s + ' '.repeat(size - Buffer.byteLength(s));
};

describe('404, 409', () => {
  it('names the resource and omits an empty group', async () => {
    const cr = await c.request('GET', `${base}/nope`);
    expect(cr.body).toEqual({
      kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: `widgets.${GROUP} "nope" not found`,
      reason: 'NotFound', details: { name: 'nope', group: GROUP, kind: 'widgets' }, code: 404,
    });
    const core = await c.request('GET', `/api/v1/namespaces/${c.ns}/configmaps/nope`);
    expect(core.body).toEqual({
      kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'configmaps "nope" not found',
      reason: 'NotFound', details: { name: 'nope', kind: 'configmaps' }, code: 404,
    });
  });

  it('answers unknown paths as the real server\'s handlers do', async () => {
    // Built-in groups: a NotFound Status with empty details.
    const builtin = await c.request('GET', `/api/v1/namespaces/${c.ns}/nopes`);
    expect(builtin.status).toBe(404);
    expect(builtin.body).toMatchObject({ reason: 'NotFound', message: 'the server could not find the requested resource', details: {} });
    // Custom resource groups and unknown groups: Go's plain 404.
    for (const path of [`${WIDGETS}/nopes`, '/apis/nope.example.com', '/apis/nope.example.com/v1']) {
      const r = await c.request('GET', path);
      expect(r.status, path).toBe(404);
      expect(r.text, path).toBe('404 page not found\n');
    }
    // A custom resource's unknown subresource: the object "is not found".
    await c.request('POST', base, { body: widget('sub') });
    const sub = await c.request('GET', `${base}/sub/scale`);
    expect(sub.status).toBe(404);
    expect(sub.body['message']).toBe(`widgets.${GROUP} "sub" not found`);
  });

  it('creates on a POST to a custom resource\'s item path (the body\'s name counts); a built-in\'s refuses it', async () => {
    const r = await c.request('POST', `${base}/url-name`, { body: widget('body-name') });
    expect(r.status).toBe(201);
    expect(meta(r.body)['name']).toBe('body-name');
    const cm = await c.request('POST', `/api/v1/namespaces/${c.ns}/configmaps/x`, { body: {} });
    expect(cm.body).toMatchObject({ code: 405, reason: 'MethodNotAllowed', message: 'the server does not allow this method on the requested resource', details: {} });
  });

  it('reports AlreadyExists and a stale resourceVersion', async () => {
    const created = await c.request('POST', base, { body: widget('dup') });
    const again = await c.request('POST', base, { body: widget('dup') });
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ reason: 'AlreadyExists', message: `widgets.${GROUP} "dup" already exists`, details: { name: 'dup', group: GROUP, kind: 'widgets' } });
    await c.request('PATCH', `${base}/dup`, { raw: '{"spec":{"size":5}}', contentType: 'application/merge-patch+json' });
    const stale = await c.request('PUT', `${base}/dup`, { body: { ...created.body, spec: { color: 'blue' } } });
    expect(stale.status).toBe(409);
    expect(stale.body).toMatchObject({
      reason: 'Conflict', details: { name: 'dup', group: GROUP, kind: 'widgets' },
      message: `Operation cannot be fulfilled on widgets.${GROUP} "dup": the object has been modified; please apply your changes to the latest version and try again`,
    });
    const noRv = await c.request('PUT', `${base}/dup`, { body: widget('dup', { color: 'blue' }) });
    expect(noRv.status).toBe(422);
    expect(noRv.body).toMatchObject({
      message: `widgets.${GROUP} "dup" is invalid: metadata.resourceVersion: Invalid value: 0: must be specified for an update`,
      details: { name: 'dup', group: GROUP, kind: 'widgets', causes: [{ reason: 'FieldValueInvalid', field: 'metadata.resourceVersion', message: 'Invalid value: 0: must be specified for an update' }] },
    });
  });
});

describe('422 Invalid', () => {
  it('lists every schema violation, and says the CEL rules were not checked', async () => {
    const r = await c.request('POST', base, { body: widget('several', { size: 0, owner: 'nope', tags: [1] }) });
    expect(r.status).toBe(422);
    const want: Json[] = [
      { reason: 'FieldValueRequired', message: 'Required value', field: 'spec.color' },
      { reason: 'FieldValueInvalid', message: 'Invalid value: 0: spec.size in body should be greater than or equal to 1', field: 'spec.size' },
      { reason: 'FieldValueTypeInvalid', message: 'Invalid value: "nope": spec.owner in body must be of type email: "nope"', field: 'spec.owner' },
      { reason: 'FieldValueTypeInvalid', message: 'Invalid value: "integer": spec.tags[0] in body must be of type string: "integer"', field: 'spec.tags[0]' },
    ];
    const notChecked = { reason: 'FieldValueInvalid', message: 'Invalid value: null: some validation rules were not checked because the object was invalid; correct the existing errors to complete validation', field: '<nil>' };
    // The real server's order of property errors follows Go's map iteration (it varies): compare as sets.
    const got = causes(r);
    expect([...got].sort(byField)).toEqual([...want, notChecked].sort(byField));
    expect(got[got.length - 1]).toEqual(notChecked);
    const message = String(r.body['message']);
    expect(message.startsWith(`Widget.${GROUP} "several" is invalid: [`)).toBe(true);
    for (const x of got) expect(message).toContain(`${String(x['field'])}: ${String(x['message'])}`);
    expect(r.body['details']).toMatchObject({ name: 'several', group: GROUP, kind: 'Widget' });
  });

  it('hides nothing of an enum', async () => {
    const r = await c.request('POST', base, { body: widget('enum', { color: 'x' }) });
    expect(r.body['message']).toBe(`Widget.${GROUP} "enum" is invalid: [spec.color: Unsupported value: "x": supported values: "red", "green", "blue", <nil>: Invalid value: null: some validation rules were not checked because the object was invalid; correct the existing errors to complete validation]`);
    expect(causes(r)[0]).toEqual({ reason: 'FieldValueNotSupported', message: 'Unsupported value: "x": supported values: "red", "green", "blue"', field: 'spec.color' });
  });

  it('names a missing name, then the unchecked rules', async () => {
    const r = await c.request('POST', base, { body: { apiVersion: `${GROUP}/v1`, kind: 'Widget', metadata: {}, spec: { color: 'red' } } });
    expect(r.body['message']).toBe(`Widget.${GROUP} "" is invalid: [metadata.name: Required value: name or generateName is required, <nil>: Invalid value: null: some validation rules were not checked because the object was invalid; correct the existing errors to complete validation]`);
    expect(r.body['details']).toEqual({ group: GROUP, kind: 'Widget', causes: causes(r) });
  });

  it('refuses a kind that is not the resource\'s', async () => {
    const cr = await c.request('POST', base, { body: { ...widget('kind'), kind: 'Gadget' } });
    expect(cr.status).toBe(422);
    expect(cr.body).toMatchObject({
      message: `Gadget.${GROUP} "kind" is invalid: kind: Invalid value: "Gadget": must be Widget`,
      details: { name: 'kind', group: GROUP, kind: 'Gadget', causes: [{ reason: 'FieldValueInvalid', message: 'Invalid value: "Gadget": must be Widget', field: 'kind' }] },
    });
    const core = await c.request('POST', `/api/v1/namespaces/${c.ns}/configmaps`, { body: { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'kind' } } });
    expect(core.status).toBe(400);
    expect(core.body['message']).toBe('Secret in version "v1" cannot be handled as a ConfigMap: converting (v1.Secret) to (core.ConfigMap): unknown conversion');
  });

  it('reports a failed CEL rule (pinned: the value the dev cluster prints)', async () => {
    const r = await c.request('POST', base, { body: widget('cel', { color: 'red', size: 5, maxSize: 2 }) });
    expect(r.status).toBe(422);
    expect(causes(r)).toHaveLength(1);
    expect(causes(r)[0]).toMatchObject({ reason: 'FieldValueInvalid', field: 'spec' });
    if (c.external) {
      // A rule on an object or array omits the value.
      expect(r.body['message']).toBe(`Widget.${GROUP} "cel" is invalid: spec: Invalid value: size must not exceed maxSize`);
    } else {
      // operator/src/schema prints the type ("object") where the real server prints nothing.
      expect(String(causes(r)[0]?.['message'])).toMatch(/^Invalid value: .*size must not exceed maxSize$/);
    }
  });

  it('reports anyOf / oneOf failures (pinned: the real server\'s <nil> causes)', async () => {
    const shapes = `${WIDGETS}/namespaces/${c.ns}/shapes`;
    const anyOf = await c.request('POST', shapes, { body: { apiVersion: `${GROUP}/v1`, kind: 'Shape', metadata: { name: 'any' }, spec: { size: 5 } } });
    const oneOf = await c.request('POST', shapes, { body: { apiVersion: `${GROUP}/v1`, kind: 'Shape', metadata: { name: 'one' }, spec: { mode: 'ab' } } });
    expect(anyOf.status).toBe(422);
    expect(oneOf.status).toBe(422);
    if (c.external) {
      expect(causes(anyOf)).toEqual([
        { reason: 'FieldValueInvalid', message: 'Invalid value: "": "spec.size" must validate at least one schema (anyOf)', field: '<nil>' },
        { reason: 'FieldValueInvalid', message: 'Invalid value: 5: spec.size in body should be greater than or equal to 10', field: 'spec.size' },
      ]);
      expect(causes(oneOf)).toEqual([{ reason: 'FieldValueInvalid', message: 'Invalid value: "": "spec.mode" must validate one and only one schema (oneOf). Found 2 valid alternatives', field: '<nil>' }]);
    } else {
      // operator/src/schema names the field itself and gives no detail of the alternatives.
      expect(causes(anyOf)).toEqual([{ reason: 'FieldValueInvalid', message: 'Invalid value: "": spec.size in body must validate at least one schema (anyOf)', field: 'spec.size' }]);
      expect(causes(oneOf)[0]).toMatchObject({ reason: 'FieldValueInvalid', field: 'spec.mode' });
      expect(String(causes(oneOf)[0]?.['message'])).toContain('must validate one and only one schema (oneOf)');
    }
  });

  it('validates the write options', async () => {
    const create = await c.request('POST', `${base}?fieldValidation=Loose`, { body: widget('fv') });
    expect(create.status).toBe(422);
    expect(create.body).toMatchObject({
      message: 'CreateOptions.meta.k8s.io "" is invalid: fieldValidation: Unsupported value: "Loose": supported values: "", "Ignore", "Strict", "Warn"',
      details: { group: 'meta.k8s.io', kind: 'CreateOptions', causes: [{ reason: 'FieldValueNotSupported', field: 'fieldValidation' }] },
    });
    const patch = await c.request('PATCH', `${base}/fv?fieldValidation=Loose`, { raw: '{}', contentType: 'application/merge-patch+json' });
    expect(patch.body['message']).toBe('PatchOptions.meta.k8s.io "" is invalid: fieldValidation: Unsupported value: "Loose": supported values: "", "Ignore", "Strict", "Warn"');
  });

  it('says no more than the real server about a failed JSON patch', async () => {
    await c.request('POST', base, { body: widget('jp') });
    for (const ops of [[{ op: 'test', path: '/spec/color', value: 'blue' }], [{ op: 'remove', path: '/spec/nope' }], [{ op: 'add', path: '/spec/a/b', value: 1 }]]) {
      const r = await c.request('PATCH', `${base}/jp`, { raw: JSON.stringify(ops), contentType: 'application/json-patch+json' });
      expect(r.body).toEqual({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'the server rejected our request due to an error in our request', reason: 'Invalid', details: {}, code: 422 });
    }
    // Replacing a missing key adds it.
    const replaced = await c.request('PATCH', `${base}/jp`, { raw: '[{"op":"replace","path":"/spec/owner","value":"a@b.example"}]', contentType: 'application/json-patch+json' });
    expect(replaced.status).toBe(200);
    expect(replaced.body['spec']).toEqual({ color: 'red', size: 3, owner: 'a@b.example' });
  });
});

describe('400 decoding', () => {
  it('strict: unknown fields sorted (metadata first), duplicate fields, for custom resources', async () => {
    const raw = `{"apiVersion":"${GROUP}/v1","kind":"Widget","zz":1,"metadata":{"name":"strict","foo":1},"spec":{"color":"red","color":"blue","y":1,"x":{"z":2}}}`;
    const r = await c.request('POST', `${base}?fieldValidation=Strict`, { raw });
    expect(r.status).toBe(400);
    expect(r.body).toEqual({
      kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', reason: 'BadRequest', code: 400,
      message: 'Widget in version "v1" cannot be handled as a Widget: strict decoding error: duplicate field "spec.color", unknown field "metadata.foo", unknown field "spec.x", unknown field "spec.y", unknown field "zz"',
    });
    // Warn (the default): stored without them, one warning each.
    const warned = await c.request('POST', base, { raw });
    expect(warned.status).toBe(201);
    expect(String(warned.headers['warning'])).toContain('299 - "unknown field \\"spec.x\\""');
    expect(String(warned.headers['warning'])).toContain('299 - "duplicate field \\"spec.color\\""');
    expect(warned.body['spec']).toEqual({ color: 'blue', size: 3 });
    expect(meta(warned.body)['foo']).toBeUndefined();
  });

  it('strict: a ConfigMap\'s unknown fields, in document order', async () => {
    const r = await c.request('POST', `/api/v1/namespaces/${c.ns}/configmaps?fieldValidation=Strict`, {
      raw: '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"strict","zfoo":1,"afoo":2},"zz":1,"data":{"a":"b"},"aa":2}',
    });
    expect(r.status).toBe(400);
    expect(r.body['message']).toBe('ConfigMap in version "v1" cannot be handled as a ConfigMap: strict decoding error: unknown field "metadata.zfoo", unknown field "metadata.afoo", unknown field "zz", unknown field "aa"');
  });

  it('strict: unknown fields inside built-ins other than ConfigMap and Secret (pinned: the dev cluster does not know their shape)', async () => {
    const r = await c.request('POST', `/apis/coordination.k8s.io/v1/namespaces/${c.ns}/leases?fieldValidation=Strict`, {
      body: { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: 'strict' }, spec: { holderIdentity: 'me', bogus: 1 } },
    });
    if (c.external) {
      expect(r.status).toBe(400);
      expect(r.body['message']).toBe('Lease in version "v1" cannot be handled as a Lease: strict decoding error: unknown field "spec.bogus"');
    } else {
      expect(r.status).toBe(201);
    }
  });

  it('reports bodies that are not JSON as Go\'s decoder does', async () => {
    const bad = await c.request('POST', base, { raw: '{nope' });
    expect(bad.status).toBe(400);
    expect(bad.body['message']).toBe('the object provided is unrecognized (must be of type Widget): couldn\'t get version/kind; json parse error: invalid character \'n\' looking for beginning of object key string ({nope)');
    const empty = await c.request('POST', base, { raw: '' });
    expect(empty.body['message']).toBe('the object provided is unrecognized (must be of type Widget): couldn\'t get version/kind; json parse error: unexpected end of JSON input (<empty>)');
    const noKind = await c.request('POST', base, { body: { metadata: { name: 'nokind' }, spec: { color: 'red' } } });
    expect(noKind.body['message']).toBe('the object provided is unrecognized (must be of type Widget): Object \'Kind\' is missing in \'{"metadata":{"name":"nokind"},"spec":{"color":"red"}}\' ({"metadata":{"name":"nokind"}, ...)');
    await c.request('POST', base, { body: widget('badpatch') });
    const patch = await c.request('PATCH', `${base}/badpatch`, { raw: '{"spec":', contentType: 'application/merge-patch+json' });
    expect(patch.body['message']).toBe('error decoding patch: unexpected end of JSON input');
  });

  it('checks list and watch parameters', async () => {
    const list = await c.request('GET', `${base}?resourceVersion=abc`);
    expect(list.status).toBe(400);
    expect(list.body['message']).toBe('invalid resource version: resourceVersion: Invalid value: "abc": strconv.ParseUint: parsing "abc": invalid syntax');
    const limit = await c.request('GET', `${base}?limit=ten`);
    expect(limit.body).toMatchObject({ code: 400, message: 'strconv.ParseInt: parsing "ten": invalid syntax' });
    // A watch or a get says so as an internal error, without a reason.
    const watch = await c.request('GET', `${base}?watch=true&resourceVersion=abc`);
    expect(watch.status).toBe(500);
    expect(watch.body).toEqual({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'resourceVersion: Invalid value: "abc": strconv.ParseUint: parsing "abc": invalid syntax', code: 500 });
  });

  it('reports a malformed label selector (pinned: the dev cluster\'s own words)', async () => {
    const r = await c.request('GET', `${base}?labelSelector=${encodeURIComponent('a b')}`);
    expect(r.status).toBe(400);
    if (c.external) expect(r.body['message']).toBe('unable to parse requirement: found \'b\', expected: in, notin, =, ==, !=, gt, lt');
    else expect(r.body['message']).toBe('unable to parse requirement: invalid label selector "a b"');
  });
});

describe('size limits', () => {
  const LIMIT = 3 * 1024 * 1024;
  const tooLarge = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: `Request entity too large: limit is ${LIMIT}`, reason: 'RequestEntityTooLarge', code: 413 };

  it('refuses request bodies over 3 MiB with 413, on POST and PUT, built-in or custom', async () => {
    const big = 'x'.repeat(3_500_000);
    const cms = `/api/v1/namespaces/${c.ns}/configmaps`;
    expect((await c.request('POST', cms, { body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'big' }, data: { a: big } } })).body).toEqual(tooLarge);
    expect((await c.request('POST', base, { body: widget('big', { color: 'red', tags: [big] }) })).body).toEqual(tooLarge);
    await c.request('POST', cms, { body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'small' } } });
    const small = await c.request('POST', base, { body: widget('small') });
    expect((await c.request('PUT', `${cms}/small`, { body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'small' }, data: { a: big } } })).body).toEqual(tooLarge);
    expect((await c.request('PUT', `${base}/small`, { body: { ...small.body, spec: { color: 'red', tags: [big] } } })).body).toEqual(tooLarge);
    // The connection is still usable, and nothing was written.
    expect(meta((await c.request('GET', `${base}/small`)).body)['resourceVersion']).toBe(meta(small.body)['resourceVersion']);
  });

  it('counts the bytes of the body: 3 MiB pass (to validation), one more does not', async () => {
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'edge' }, data: { a: 'x'.repeat(1_100_000) } };
    const at = await c.request('POST', `/api/v1/namespaces/${c.ns}/configmaps`, { raw: padded(cm, LIMIT) });
    expect(at.status).toBe(422); // past the body limit: ConfigMap data is limited to 1 MiB
    expect(at.body).toMatchObject({
      message: 'ConfigMap "edge" is invalid: []: Too long: may not be more than 1048576 bytes',
      details: { name: 'edge', kind: 'ConfigMap', causes: [{ reason: 'FieldValueTooLong', message: 'Too long: may not be more than 1048576 bytes', field: '[]' }] },
    });
    const over = await c.request('POST', `/api/v1/namespaces/${c.ns}/configmaps`, { raw: padded(cm, LIMIT + 1) });
    expect(over.body).toEqual(tooLarge);
    const secret = await c.request('POST', `/api/v1/namespaces/${c.ns}/secrets`, { body: { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'big' }, stringData: { a: 'x'.repeat(1_100_000) } } });
    expect(secret.status).toBe(422);
    expect(secret.body['message']).toBe('Secret "big" is invalid: data: Too long: may not be more than 1048576 bytes');
  });

  it('refuses an object too large for etcd (1.5 MiB per request) with a 500', async () => {
    const tooBig = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'etcdserver: request is too large', code: 500 };
    expect((await c.request('POST', base, { body: widget('etcd', { color: 'red', tags: ['x'.repeat(1_600_000)] }) })).body).toEqual(tooBig);
    expect((await c.request('GET', `${base}/etcd`)).status).toBe(404);
    const fits = await c.request('POST', base, { body: widget('etcd', { color: 'red', tags: ['x'.repeat(1_400_000)] }) });
    expect(fits.status).toBe(201);
    const grown = await c.request('PUT', `${base}/etcd`, { body: { ...fits.body, spec: { color: 'red', tags: ['x'.repeat(1_600_000)] } } });
    expect(grown.body).toEqual(tooBig);
    expect(meta((await c.request('GET', `${base}/etcd`)).body)['resourceVersion']).toBe(meta(fits.body)['resourceVersion']);
  });

  it('limits the annotations of an object to 256 KiB in all (keys and values)', async () => {
    const over = await c.request('POST', base, { body: widget('annotated', { color: 'red' }, { annotations: { 'example.com/pad': 'x'.repeat(262_144 - 'example.com/pad'.length + 1) } }) });
    expect(over.body).toMatchObject({
      code: 422,
      message: `Widget.${GROUP} "annotated" is invalid: [metadata.annotations: Too long: may not be more than 262144 bytes, <nil>: Invalid value: null: some validation rules were not checked because the object was invalid; correct the existing errors to complete validation]`,
      details: { causes: [{ reason: 'FieldValueTooLong', message: 'Too long: may not be more than 262144 bytes', field: 'metadata.annotations' }, { reason: 'FieldValueInvalid', field: '<nil>' }] },
    });
    const at = await c.request('POST', base, { body: widget('annotated', { color: 'red' }, { annotations: { 'example.com/pad': 'x'.repeat(262_144 - 'example.com/pad'.length) } }) });
    expect(at.status).toBe(201);
  });

  it('stores a create or update without its managedFields when only they pass the limit, and does not track them again; an apply is refused', async () => {
    // 60,000 labels: ~0.8 MB in the object, ~1 MB more in the managedFields that list them.
    const labels = (extra: string): Json => Object.fromEntries([...Array.from({ length: 60_000 }, (_, i) => `l-${String(i).padStart(6, '0')}`), extra].map((k) => [k, '']));
    const created = await c.request('POST', base, { body: widget('mf', { color: 'red' }, { labels: labels('first') }) });
    expect(created.status).toBe(201);
    expect(meta(created.body)['managedFields']).toBeUndefined();
    const got = await c.request('GET', `${base}/mf`);
    expect(meta(got.body)['managedFields']).toBeUndefined();
    expect(Object.keys(meta(got.body)['labels'] as Json)).toHaveLength(60_001);
    // An update of an object without managedFields does not track them again (skipNonAppliedManager),
    // even when they would now fit.
    const shrunk = await c.request('PUT', `${base}/mf`, { body: { ...got.body, metadata: { ...meta(got.body), labels: { few: '' } } } });
    expect(shrunk.status).toBe(200);
    expect(meta(shrunk.body)['managedFields']).toBeUndefined();
    const status = await c.request('PUT', `${base}/mf/status`, { body: { ...shrunk.body, status: { phase: 'Ready' } } });
    expect(meta(status.body)['managedFields']).toBeUndefined();
    const grown = await c.request('PUT', `${base}/mf`, { body: { ...status.body, metadata: { ...meta(status.body), labels: labels('second') } } });
    expect(grown.status).toBe(200);
    expect(meta(grown.body)['managedFields']).toBeUndefined();
    expect(meta(grown.body)['labels']).toHaveProperty('second');
    const applied = await c.request('PATCH', `${base}/mf-apply?fieldManager=dave`, { raw: JSON.stringify(widget('mf-apply', { color: 'red' }, { labels: labels('first') })), contentType: 'application/apply-patch+yaml' });
    expect(applied.body).toMatchObject({ status: 'Failure', code: 500, message: 'etcdserver: request is too large' });
  });
});
