// Discovery, OpenAPI v3, Table output, built-in resources and access reviews.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, GROUP, meta, widget, WIDGETS } from './harness.ts';
import type { Conn, Json } from './harness.ts';

let c: Conn;
beforeAll(async () => { c = await connect(); });
afterAll(async () => { await c.stop(); });

const AGG = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json';
const TABLE = 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json';

describe('discovery', () => {
  it('serves /version, /api and /apis', async () => {
    const v = await c.request('GET', '/version');
    expect(v.body['major']).toBe('1');
    expect(v.body['gitVersion']).toMatch(/^v1\./);
    const api = await c.request('GET', '/api');
    expect(api.body).toMatchObject({ kind: 'APIVersions', versions: ['v1'] });
    const apis = await c.request('GET', '/apis');
    const groups = (apis.body['groups'] as Json[]).map((g) => g['name']);
    expect(groups).toEqual(expect.arrayContaining([GROUP, 'coordination.k8s.io', 'events.k8s.io', 'apiextensions.k8s.io', 'authorization.k8s.io']));
  });

  it('lists resources with verbs, short names, categories and the status subresource', async () => {
    const r = await c.request('GET', WIDGETS);
    expect(r.body).toMatchObject({ kind: 'APIResourceList', groupVersion: `${GROUP}/v1` });
    const res = r.body['resources'] as Json[];
    expect(res.find((x) => x['name'] === 'widgets')).toMatchObject({
      kind: 'Widget', namespaced: true, singularName: 'widget', shortNames: ['wdg'], categories: ['conformance'],
      verbs: expect.arrayContaining(['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch']),
    });
    expect(res.find((x) => x['name'] === 'widgets/status')).toMatchObject({ verbs: expect.arrayContaining(['get', 'patch', 'update']) });
    expect(res.find((x) => x['name'] === 'gadgets')).toMatchObject({ namespaced: false });
    const core = await c.request('GET', '/api/v1');
    expect((core.body['resources'] as Json[]).map((x) => x['name'])).toEqual(expect.arrayContaining(['namespaces', 'configmaps', 'secrets', 'events']));
  });

  it('serves aggregated discovery (apidiscovery.k8s.io/v2)', async () => {
    const r = await c.request('GET', '/apis', { accept: AGG });
    expect(String(r.headers['content-type'])).toContain('as=APIGroupDiscoveryList');
    const group = (r.body['items'] as Json[]).find((g) => meta(g)['name'] === GROUP);
    const v1 = ((group?.['versions'] as Json[])[0]?.['resources'] as Json[]).find((x) => x['resource'] === 'widgets');
    expect(v1).toMatchObject({ scope: 'Namespaced', responseKind: { group: GROUP, version: 'v1', kind: 'Widget' }, categories: ['conformance'] });
  });

  it('publishes OpenAPI v3 with the CRD schema and fieldValidation on PATCH', async () => {
    // A real server publishes a new CRD asynchronously (its OpenAPI controller): the group's entry,
    // then the kinds' schemas, may appear a moment after the CRD is Established. Poll for both.
    const find = async (): Promise<{ w: Json | undefined; item: Json | undefined }> => {
      const idx = await c.request('GET', '/openapi/v3');
      const entry = (idx.body['paths'] as Record<string, Json> | undefined)?.[`apis/${GROUP}/v1`];
      if (!entry?.['serverRelativeURL']) return { w: undefined, item: undefined };
      const doc = await c.request('GET', String(entry['serverRelativeURL']));
      const schemas = ((doc.body['components'] as Json | undefined)?.['schemas'] as Record<string, Json> | undefined) ?? {};
      const w = Object.values(schemas).find((x) => ((x['x-kubernetes-group-version-kind'] as Json[] | undefined) ?? []).some((g) => g['group'] === GROUP && g['kind'] === 'Widget' && g['version'] === 'v1'));
      const item = (doc.body['paths'] as Record<string, Json> | undefined)?.[`/apis/${GROUP}/v1/namespaces/{namespace}/widgets/{name}`];
      return { w, item };
    };
    let found = await find();
    const deadline = Date.now() + 60_000;
    while ((!found.w || !found.item) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 250));
      found = await find();
    }
    expect(((found.w?.['properties'] as Json)['spec'] as Json)['description']).toBe('WidgetSpec is the desired state of a Widget.');
    const params = ((found.item?.['patch'] as Json)['parameters'] as Json[]).map((p) => p['name']);
    expect(params).toContain('fieldValidation');
  });

  it('publishes OpenAPI v2 (Swagger 2.0) with the CRD schema, in JSON and in gnostic protobuf', async () => {
    const name = `${GROUP.split('.').reverse().join('.')}.v1.Widget`;
    let doc: Json = {};
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      doc = (await c.request('GET', '/openapi/v2')).body;
      if ((doc['definitions'] as Json | undefined)?.[name]) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(doc['swagger']).toBe('2.0');
    const w = (doc['definitions'] as Record<string, Json>)[name] as Json;
    expect(w['x-kubernetes-group-version-kind']).toEqual([{ group: GROUP, kind: 'Widget', version: 'v1' }]);
    expect((w['properties'] as Json)['metadata']).toMatchObject({ $ref: '#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta' });
    expect(((w['properties'] as Json)['spec'] as Json)['required']).toEqual(['color']);
    // What kubectl's client-side validation asks for (apply -f of a kind: List).
    const pb = await c.request('GET', '/openapi/v2', { accept: 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf' });
    expect(pb.status).toBe(200);
    expect(pb.headers['content-type']).toBe('application/com.github.proto-openapi.spec.v2.v1.0+protobuf');
    expect([...pb.bytes.subarray(0, 5)]).toEqual([0x0a, 0x03, 0x32, 0x2e, 0x30]); // field 1 (swagger) = "2.0"
    expect(pb.bytes.includes(Buffer.from(name))).toBe(true);
  });
});

describe('Table output', () => {
  it('renders printer columns for kubectl get', async () => {
    const base = `${WIDGETS}/namespaces/${c.ns}/widgets`;
    await c.request('POST', base, { body: widget('t1', { color: 'green', size: 4 }) });
    await c.request('PATCH', `${base}/t1/status`, { raw: JSON.stringify({ status: { conditions: [{ type: 'Ready', status: 'True' }] } }), contentType: 'application/merge-patch+json' });
    const r = await c.request('GET', base, { accept: TABLE });
    expect(r.body).toMatchObject({ kind: 'Table', apiVersion: 'meta.k8s.io/v1' });
    const cols = (r.body['columnDefinitions'] as Json[]).map((x) => x['name']);
    expect(cols).toEqual(['Name', 'Color', 'Size', 'Ready', 'Age']);
    const row = (r.body['rows'] as Json[])[0];
    expect((row?.['cells'] as unknown[]).slice(0, 4)).toEqual(['t1', 'green', 4, 'True']);
    expect(meta(row?.['object'] as Json)['name']).toBe('t1');
    const one = await c.request('GET', `${base}/t1`, { accept: TABLE });
    expect(one.body['kind']).toBe('Table');
  });
});

describe('built-in resources', () => {
  it('has the standard namespaces', async () => {
    for (const ns of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) {
      expect((await c.request('GET', `/api/v1/namespaces/${ns}`)).status).toBe(200);
    }
  });

  it.each([
    ['/api/v1', 'configmaps', { apiVersion: 'v1', kind: 'ConfigMap', data: { k: 'v' } }],
    ['/api/v1', 'secrets', { apiVersion: 'v1', kind: 'Secret', type: 'Opaque', data: { k: 'dg==' } }],
    ['/api/v1', 'events', { apiVersion: 'v1', kind: 'Event', involvedObject: { kind: 'Widget', name: 't1', namespace: '<ns>' }, reason: 'Test', message: 'hello', type: 'Normal' }],
    ['/apis/events.k8s.io/v1', 'events', { apiVersion: 'events.k8s.io/v1', kind: 'Event', eventTime: '2026-01-01T00:00:00.000000Z', reportingController: 'test', reportingInstance: 'test-1', action: 'Test', reason: 'Test', regarding: { kind: 'Widget', name: 't1', namespace: '<ns>' }, type: 'Normal', note: 'hello' }],
    ['/apis/coordination.k8s.io/v1', 'leases', { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', spec: { holderIdentity: 'me', leaseDurationSeconds: 15 } }],
  ])('%s %s: create, get, update, delete', async (prefix, plural, body) => {
    const path = `${prefix}/namespaces/${c.ns}/${plural}`;
    const created = await c.request('POST', path, { raw: JSON.stringify({ ...body, metadata: { name: `b-${plural}` } }).replaceAll('<ns>', c.ns) });
    expect(created.status, created.text).toBe(201);
    const got = await c.request('GET', `${path}/b-${plural}`);
    expect(got.status).toBe(200);
    const upd = await c.request('PUT', `${path}/b-${plural}`, { body: { ...got.body, metadata: { ...meta(got.body), labels: { x: 'y' } } } });
    expect(upd.status).toBe(200);
    expect((await c.request('DELETE', `${path}/b-${plural}`)).status).toBe(200);
  });

  it('serves events.k8s.io/v1 and core/v1 Events from the same storage', async () => {
    const created = await c.request('POST', `/apis/events.k8s.io/v1/namespaces/${c.ns}/events`, {
      body: { apiVersion: 'events.k8s.io/v1', kind: 'Event', metadata: { name: 'shared-ev' }, eventTime: '2026-01-01T00:00:00.000000Z', reportingController: 'conformance', reportingInstance: 'conformance-1', action: 'Testing', reason: 'Shared', regarding: { kind: 'Widget', name: 'w-ev', namespace: c.ns }, type: 'Normal', note: 'seen by both APIs' },
    });
    expect(created.status, created.text).toBe(201);
    expect(created.body).toMatchObject({ apiVersion: 'events.k8s.io/v1', note: 'seen by both APIs' });
    const core = await c.request('GET', `/api/v1/namespaces/${c.ns}/events?fieldSelector=involvedObject.name%3Dw-ev`);
    expect((core.body['items'] as Json[]).map((e) => [e['message'], e['reason'], (e['involvedObject'] as Json)['kind']])).toEqual([['seen by both APIs', 'Shared', 'Widget']]);
    const v1 = await c.request('GET', `/apis/events.k8s.io/v1/namespaces/${c.ns}/events?fieldSelector=regarding.name%3Dw-ev`);
    expect((v1.body['items'] as Json[])[0]).toMatchObject({ note: 'seen by both APIs', regarding: { name: 'w-ev' } });
  });

  it('records an Event\'s managedFields in the request\'s API version, its object references atomic (pinned: nested structs)', async () => {
    const mf = (o: Json): Json => (((meta(o)['managedFields'] as Json[] | undefined) ?? [])[0]?.['fieldsV1'] as Json | undefined) ?? {};
    const v1 = await c.request('POST', `/apis/events.k8s.io/v1/namespaces/${c.ns}/events`, {
      body: { apiVersion: 'events.k8s.io/v1', kind: 'Event', metadata: { name: 'mf-v1' }, eventTime: '2026-01-01T00:00:00.000000Z', reportingController: 'test', reportingInstance: 'test-1', action: 'Test', reason: 'Test', regarding: { kind: 'Widget', name: 'w', namespace: c.ns }, type: 'Normal', note: 'hello' },
    });
    expect(mf(v1.body)).toEqual({ 'f:action': {}, 'f:eventTime': {}, 'f:note': {}, 'f:reason': {}, 'f:regarding': {}, 'f:reportingController': {}, 'f:reportingInstance': {}, 'f:type': {} });
    const core = await c.request('POST', `/api/v1/namespaces/${c.ns}/events`, {
      body: { apiVersion: 'v1', kind: 'Event', metadata: { name: 'mf-core' }, involvedObject: { kind: 'Widget', name: 'w', namespace: c.ns }, reason: 'Test', message: 'hello', type: 'Normal', source: { component: 'test' } },
    });
    const fields = mf(core.body);
    expect(fields['f:involvedObject']).toEqual({});
    // A struct that is not a pointer in Go (source) has no "." entry; the dev cluster, knowing no Go types, writes one.
    expect(fields['f:source']).toEqual(c.external ? { 'f:component': {} } : { '.': {}, 'f:component': {} });
  });

  it('refuses an Event whose involved object is in another namespace (422 naming involvedObject.namespace)', async () => {
    const core = `/api/v1/namespaces/${c.ns}/events`;
    const ev = (name: string, involved: Json, extra: Json = {}): Json => ({ apiVersion: 'v1', kind: 'Event', metadata: { name }, involvedObject: involved, reason: 'Test', message: 'hello', type: 'Normal', ...extra });
    const other = await c.request('POST', core, { body: ev('bad-ns', { kind: 'Widget', name: 't1', namespace: 'x' }) });
    expect(other.status).toBe(422);
    expect(other.body).toMatchObject({
      reason: 'Invalid', message: 'Event "bad-ns" is invalid: involvedObject.namespace: Invalid value: "x": does not match event.namespace',
      details: { name: 'bad-ns', kind: 'Event', causes: [{ reason: 'FieldValueInvalid', message: 'Invalid value: "x": does not match event.namespace', field: 'involvedObject.namespace' }] },
    });
    expect((other.body['details'] as Json)['group']).toBeUndefined();
    // A cluster-scoped involved object (no namespace): only "default" (or no namespace) will do.
    const empty = await c.request('POST', core, { body: ev('no-ns', { kind: 'Gadget', name: 'g1' }) });
    expect(empty.status).toBe(422);
    expect(empty.body['message']).toBe('Event "no-ns" is invalid: involvedObject.namespace: Invalid value: "": does not match event.namespace');
    const inDefault = await c.request('POST', '/api/v1/namespaces/default/events', { body: ev(`cluster-${c.ns}`, { kind: 'Gadget', name: 'g1' }) });
    expect(inDefault.status, inDefault.text).toBe(201);
    expect((await c.request('DELETE', `/api/v1/namespaces/default/events/cluster-${c.ns}`)).status).toBe(200);
    // An update is validated the same way.
    const ok = await c.request('POST', core, { body: ev('upd', { kind: 'Widget', name: 't1', namespace: c.ns }) });
    expect(ok.status).toBe(201);
    const moved = await c.request('PUT', `${core}/upd`, { body: { ...ok.body, involvedObject: { kind: 'Widget', name: 't1', namespace: 'x' } } });
    expect(moved.status).toBe(422);
    expect(moved.body['message']).toBe('Event "upd" is invalid: involvedObject.namespace: Invalid value: "x": does not match event.namespace');
  });

  it('validates events.k8s.io/v1 Events strictly, naming the core/v1 fields', async () => {
    const v1 = `/apis/events.k8s.io/v1/namespaces/${c.ns}/events`;
    const base: Json = { apiVersion: 'events.k8s.io/v1', kind: 'Event', eventTime: '2026-01-01T00:00:00.000000Z', reportingController: 'test', reportingInstance: 'test-1', action: 'Test', reason: 'Test', type: 'Normal', note: 'hello' };
    // With an eventTime, a regarding object in another namespace is accepted; none at all is not (outside default and kube-system).
    const elsewhere = await c.request('POST', v1, { body: { ...base, metadata: { name: 'elsewhere' }, regarding: { kind: 'Widget', name: 't1', namespace: 'x' } } });
    expect(elsewhere.status, elsewhere.text).toBe(201);
    const none = await c.request('POST', v1, { body: { ...base, metadata: { name: 'none' }, regarding: { kind: 'Gadget', name: 'g1' } } });
    expect(none.status).toBe(422);
    expect(none.body['message']).toBe('Event "none" is invalid: involvedObject.namespace: Invalid value: "": does not match event.namespace');
    const bare = await c.request('POST', v1, { body: { apiVersion: 'events.k8s.io/v1', kind: 'Event', metadata: { name: 'bare' }, regarding: { kind: 'Widget', name: 't1', namespace: c.ns }, type: 'Bad', deprecatedCount: 3 } });
    expect(bare.status).toBe(422);
    expect(bare.body['message']).toBe('Event "bare" is invalid: [eventTime: Required value, type: Invalid value: "": has invalid value: Bad, count: Invalid value: "": needs to be unset]');
    expect(((bare.body['details'] as Json)['causes'] as Json[]).map((x) => [x['reason'], x['field']])).toEqual([['FieldValueRequired', 'eventTime'], ['FieldValueInvalid', 'type'], ['FieldValueInvalid', 'count']]);
    // Notes, actions... are immutable through events.k8s.io/v1.
    const changed = await c.request('PUT', `${v1}/elsewhere`, { body: { ...elsewhere.body, note: 'changed' } });
    expect(changed.status).toBe(422);
    expect(changed.body['message']).toBe('Event "elsewhere" is invalid: message: Invalid value: "changed": field is immutable');
  });

  it('allows everything in access reviews for the dev user', async () => {
    const r = await c.request('POST', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', {
      body: { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', spec: { resourceAttributes: { verb: 'create', group: GROUP, resource: 'widgets', namespace: c.ns } } },
    });
    expect(r.status).toBe(201);
    expect((r.body['status'] as Json)['allowed']).toBe(true);
  });

  it('refuses requests without the token', async () => {
    const { request } = await import('node:https');
    const url = new URL(c.kc.getCurrentCluster()?.server ?? '');
    const code = await new Promise<number>((resolve, reject) => {
      const req = request({ host: url.hostname, port: url.port, path: '/api/v1/namespaces', rejectUnauthorized: false }, (res) => { res.resume(); resolve(res.statusCode ?? 0); });
      req.on('error', reject);
      req.end();
    });
    expect([401, 403]).toContain(code);
  });
});
