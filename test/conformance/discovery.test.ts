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
    const idx = await c.request('GET', '/openapi/v3');
    const entry = (idx.body['paths'] as Record<string, Json>)[`apis/${GROUP}/v1`];
    expect(entry?.['serverRelativeURL']).toBeTruthy();
    const doc = await c.request('GET', String(entry?.['serverRelativeURL']));
    const schemas = (doc.body['components'] as Json)['schemas'] as Record<string, Json>;
    const w = Object.values(schemas).find((s) => ((s['x-kubernetes-group-version-kind'] as Json[] | undefined) ?? []).some((g) => g['group'] === GROUP && g['kind'] === 'Widget' && g['version'] === 'v1'));
    expect(((w?.['properties'] as Json)['spec'] as Json)['description']).toBe('WidgetSpec is the desired state of a Widget.');
    const item = (doc.body['paths'] as Record<string, Json>)[`/apis/${GROUP}/v1/namespaces/{namespace}/widgets/{name}`];
    const params = ((item?.['patch'] as Json)['parameters'] as Json[]).map((p) => p['name']);
    expect(params).toContain('fieldValidation');
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
    ['/api/v1', 'events', { apiVersion: 'v1', kind: 'Event', involvedObject: { kind: 'Widget', name: 't1', namespace: 'x' }, reason: 'Test', message: 'hello', type: 'Normal' }],
    ['/apis/events.k8s.io/v1', 'events', { apiVersion: 'events.k8s.io/v1', kind: 'Event', eventTime: '2026-01-01T00:00:00.000000Z', reportingController: 'test', reportingInstance: 'test-1', action: 'Test', reason: 'Test', regarding: { kind: 'Widget', name: 't1' }, type: 'Normal', note: 'hello' }],
    ['/apis/coordination.k8s.io/v1', 'leases', { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', spec: { holderIdentity: 'me', leaseDurationSeconds: 15 } }],
  ])('%s %s: create, get, update, delete', async (prefix, plural, body) => {
    const path = `${prefix}/namespaces/${c.ns}/${plural}`;
    const created = await c.request('POST', path, { body: { ...body, metadata: { name: `b-${plural}` } } });
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
