// CRD writes and the estimated cost of their CEL rules: a kube-apiserver refuses a CRD whose
// rules may cost more than 10,000,000 units each, or 100,000,000 together, in one object (from
// maxItems/maxProperties/maxLength, else from what a 3 MiB request can hold). The same table of
// CRDs (bounded and unbounded lists, nested lists, strings with and without maxLength, the
// factor buckets, the repository's crds/ and the Occupier CRD without its maxItems) is created on
// each server, with dryRun, and must be accepted or refused with the same causes and message.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { load } from 'js-yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from './harness.ts';
import type { Conn, Json } from './harness.ts';

const CRDS = '/apis/apiextensions.k8s.io/v1/customresourcedefinitions';
const GROUP = 'cost.example.com';
const HINT = '(try simplifying the rule, or adding maxItems, maxProperties, and maxLength where arrays, maps, and strings are declared)';
const ROOT = 'spec.validation.openAPIV3Schema';
const SPEC = `${ROOT}.properties[spec]`;

let c: Conn;
beforeAll(async () => { c = await connect(); });
afterAll(async () => { await c.stop(); });

function crd(plural: string, spec: Json, versions?: Json[]): Json {
  return {
    apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: `${plural}.${GROUP}` },
    spec: {
      group: GROUP, scope: 'Namespaced', names: { plural, singular: plural.replace(/s$/, ''), kind: plural[0]?.toUpperCase() + plural.slice(1, -1) },
      versions: versions ?? [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', properties: { spec } } } }],
    },
  };
}
const rules = (...r: string[]): Json => ({ 'x-kubernetes-validations': r.map((rule) => ({ rule })) });
/** A list of `n` strings of up to 100 characters whose rule compares every pair. */
const pairs = (n: number): Json => ({ type: 'array', maxItems: n, items: { type: 'string', maxLength: 100 }, ...rules('self.all(x, self.exists(y, x == y))') });
const causesOf = (b: Json): Json[] => ((b['details'] as Json | undefined)?.['causes'] as Json[] | undefined) ?? [];
const forbidden = (field: string, message: string): Json => ({ reason: 'FieldValueForbidden', field, message: `Forbidden: ${message}` });
const perRule = (field: string, factor: string): Json => forbidden(field, `estimated rule cost exceeds budget by factor of ${factor} ${HINT}`);
const contributed = (field: string): Json => forbidden(field, 'contributed to estimated rule cost total exceeding cost limit for entire OpenAPIv3 schema');
const total = (factor: string): Json => forbidden(ROOT, `x-kubernetes-validations estimated rule cost total for entire OpenAPIv3 schema exceeds budget by factor of ${factor} ${HINT}`);

interface Row { name: string; crd: Json; causes: Json[] }
const table: Row[] = [
  {
    name: 'bounded list, bounded strings: accepted',
    crd: crd('boundeds', { type: 'object', properties: { l: { type: 'array', maxItems: 100, items: { type: 'string', maxLength: 63, ...rules("self.matches('^[a-z]+$')") } } } }),
    causes: [],
  },
  {
    name: 'unbounded list of unbounded strings: more than 100x',
    crd: crd('unboundeds', { type: 'object', properties: { l: { type: 'array', items: { type: 'string', ...rules("self.matches('^[a-z]+$')") } } } }),
    causes: [perRule(`${SPEC}.properties[l].items.x-kubernetes-validations[0].rule`, 'more than 100x'),
      contributed(`${SPEC}.properties[l].items.x-kubernetes-validations[0].rule`), total('more than 100x')],
  },
  {
    name: 'unbounded list, rule on the list: cheap per element, accepted',
    crd: crd('listrules', { type: 'object', properties: { l: { type: 'array', items: { type: 'integer' }, ...rules('self.all(x, x > 0)') } } }),
    causes: [],
  },
  {
    name: 'nested lists: the outer one unbounded',
    crd: crd('nesteds', { type: 'object', properties: { l: { type: 'array', items: { type: 'array', maxItems: 10, items: { type: 'string', maxLength: 10, ...rules('self.size() > 1') } } } } }),
    causes: [],
  },
  {
    name: 'nested lists: both unbounded, pairs compared',
    crd: crd('nestedpairs', { type: 'object', properties: { l: { type: 'array', items: { type: 'array', items: { type: 'string' }, ...rules('self.all(x, self.exists(y, x == y))') } } } }),
    causes: [perRule(`${SPEC}.properties[l].items.x-kubernetes-validations[0].rule`, 'more than 100x'),
      contributed(`${SPEC}.properties[l].items.x-kubernetes-validations[0].rule`), total('more than 100x')],
  },
  {
    name: 'a string rule without maxLength',
    crd: crd('strings', { type: 'object', properties: { s: { type: 'string' }, t: { type: 'string' } }, ...rules('self.s.contains(self.t)') }),
    causes: [perRule(`${SPEC}.x-kubernetes-validations[0].rule`, 'more than 100x'), contributed(`${SPEC}.x-kubernetes-validations[0].rule`), total('more than 100x')],
  },
  {
    name: 'the same string rule with maxLength',
    crd: crd('boundedstrings', { type: 'object', properties: { s: { type: 'string', maxLength: 253 }, t: { type: 'string', maxLength: 253 } }, ...rules('self.s.contains(self.t)') }),
    causes: [],
  },
  {
    name: 'a factor below 1.5 is printed with six decimals',
    crd: crd('smallfactors', { type: 'object', properties: { l: pairs(500) } }),
    causes: [perRule(`${SPEC}.properties[l].x-kubernetes-validations[0].rule`, '1.150250x')],
  },
  {
    name: 'a factor from 1.5 to 100 with one',
    crd: crd('factors', { type: 'object', properties: { l: pairs(710) } }),
    causes: [perRule(`${SPEC}.properties[l].x-kubernetes-validations[0].rule`, '2.3x')],
  },
  {
    name: 'rules under the limit each, over it together: the four most expensive are named',
    crd: crd('totals', { type: 'object', properties: Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`p${i}`, pairs(450 - i)])) }),
    causes: [0, 1, 2, 3].map((i) => contributed(`${SPEC}.properties[p${i}].x-kubernetes-validations[0].rule`)).concat([total('1.090976x')]),
  },
  {
    name: 'versions with different schemas are checked each',
    crd: crd('versioneds', {}, [
      { name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', properties: { l: pairs(710) } } } } } },
      { name: 'v2', served: true, storage: false, schema: { openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', properties: { m: pairs(500) } } } } } },
    ]),
    causes: [perRule('spec.versions[0].schema.openAPIV3Schema.properties[spec].properties[l].x-kubernetes-validations[0].rule', '2.3x'),
      perRule('spec.versions[1].schema.openAPIV3Schema.properties[spec].properties[m].x-kubernetes-validations[0].rule', '1.150250x')],
  },
];

const REPO_CRDS = join(import.meta.dirname, '..', '..', 'crds');
const repoCrds = readdirSync(REPO_CRDS).filter((f) => f.endsWith('.yaml')).sort().map((f) => [f, load(readFileSync(join(REPO_CRDS, f), 'utf8')) as Json] as const);

async function create(body: Json): Promise<{ status: number; body: Json; text: string }> {
  return c.request('POST', `${CRDS}?dryRun=All`, { body });
}

describe('estimated rule cost when a CRD is created', () => {
  it.each(table.map((r) => [r.name, r] as const))('%s', async (_name, row) => {
    const r = await create(row.crd);
    if (row.causes.length === 0) { expect(r.status, r.text).toBe(201); return; }
    expect(r.status, r.text).toBe(422);
    expect(causesOf(r.body)).toEqual(row.causes);
    const name = String((row.crd['metadata'] as Json)['name']);
    const lines = row.causes.map((x) => `${String(x['field'])}: ${String(x['message'])}`);
    expect(r.body['message']).toBe(`CustomResourceDefinition.apiextensions.k8s.io "${name}" is invalid: ${lines.length === 1 ? lines[0] : `[${lines.join(', ')}]`}`);
  });

  it.each(repoCrds)('crds/%s is accepted', async (_f, body) => {
    const r = await create(body);
    expect(r.status, r.text).toBe(201);
  });

  it('the Occupier CRD without maxItems on spec.sites is refused (a real kube-apiserver refused it)', async () => {
    const occupier = structuredClone(repoCrds.find(([f]) => f.includes('occupiers'))?.[1]) as Json;
    const versions = (occupier['spec'] as Json)['versions'] as Json[];
    const sites = (((((versions[0]?.['schema'] as Json)['openAPIV3Schema'] as Json)['properties'] as Json)['spec'] as Json)['properties'] as Json)['sites'] as Json;
    delete sites['maxItems'];
    const r = await create(occupier);
    expect(r.status, r.text).toBe(422);
    const rule = `${SPEC}.properties[sites].items.properties[numbers].x-kubernetes-validations[0].rule`;
    expect(r.body['message']).toBe(`CustomResourceDefinition.apiextensions.k8s.io "occupiers.occupier.dev" is invalid: [${rule}: Forbidden: estimated rule cost exceeds budget by factor of more than 100x ${HINT}, ${rule}: Forbidden: contributed to estimated rule cost total exceeding cost limit for entire OpenAPIv3 schema, ${ROOT}: Forbidden: x-kubernetes-validations estimated rule cost total for entire OpenAPIv3 schema exceeds budget by factor of more than 100x ${HINT}]`);
    expect(causesOf(r.body)).toEqual([perRule(rule, 'more than 100x'), contributed(rule), total('more than 100x')]);
  });

  it('an update is checked too', async () => {
    const ok = crd('updates', { type: 'object', properties: { l: pairs(100) } });
    const created = await c.request('POST', CRDS, { body: ok });
    expect(created.status, created.text).toBe(201);
    let r = created;
    for (let attempt = 0; attempt < 5; attempt++) { // the CRD's status is written meanwhile: 409 until we have the latest
      const body = (await c.request('GET', `${CRDS}/updates.${GROUP}`)).body;
      const spec = ((((body['spec'] as Json)['versions'] as Json[])[0]?.['schema'] as Json)['openAPIV3Schema'] as Json)['properties'] as Json;
      (spec['spec'] as Json)['properties'] = { l: pairs(710) };
      r = await c.request('PUT', `${CRDS}/updates.${GROUP}`, { body });
      if (r.status !== 409) break;
    }
    expect(r.status, r.text).toBe(422);
    expect(causesOf(r.body)).toEqual([perRule(`${SPEC}.properties[l].x-kubernetes-validations[0].rule`, '2.3x')]);
    await c.request('DELETE', `${CRDS}/updates.${GROUP}`);
  });
});

describe('rule errors when a CRD is created: worded as the apiserver words them', () => {
  const bad = (rule: string): Json => crd('badrules', { type: 'object', properties: { x: { type: 'string', maxLength: 10 } }, ...rules(rule) });
  const value = (rule: string): string => `{"Rule":${JSON.stringify(rule)},"Message":"","MessageExpression":"","Reason":null,"FieldPath":"","OptionalOldSelf":null}`;
  it.each([
    ['a syntax error', 'self.x +', "compilation failed: ERROR: <input>:1:9: Syntax error: mismatched input '<EOF>' expecting {'[', '{', '(', '.', '-', '!', 'true', 'false', 'null', NUM_FLOAT, NUM_INT, NUM_UINT, STRING, BYTES, IDENTIFIER}\n | self.x +\n | ........^"],
    ['an undeclared reference', 'foo(1)', "compilation failed: ERROR: <input>:1:4: undeclared reference to 'foo' (in container '')\n | foo(1)\n | ...^"],
    ['two undeclared references', 'base64.encode(b"hi") == ""', "compilation failed: ERROR: <input>:1:1: undeclared reference to 'base64' (in container '')\n | base64.encode(b\"hi\") == \"\"\n | ^\nERROR: <input>:1:14: undeclared reference to 'encode' (in container '')\n | base64.encode(b\"hi\") == \"\"\n | .............^"],
    ['a non-bool rule', 'self.x.size()', 'cel expression must evaluate to a bool'],
    ['a string field used as a bool', 'self.x', 'cel expression must evaluate to a bool'],
    ['a field the schema does not declare', 'self.y == "a"', "compilation failed: ERROR: <input>:1:5: undefined field 'y'\n | self.y == \"a\"\n | ....^"],
    ['a string compared with an int', 'self.x == 1', "compilation failed: ERROR: <input>:1:8: found no matching overload for '_==_' applied to '(string, int)'\n | self.x == 1\n | .......^"],
  ])('%s', async (_what, rule, detail) => {
    const r = await create(bad(rule));
    expect(r.status, r.text).toBe(422);
    const field = `${SPEC}.x-kubernetes-validations[0].rule`;
    const message = `Invalid value: ${value(rule).replaceAll('<', '\\u003c')}: ${detail}`;
    expect(causesOf(r.body)).toEqual([{ reason: 'FieldValueInvalid', field, message }]);
    expect(r.body['message']).toBe(`CustomResourceDefinition.apiextensions.k8s.io "badrules.${GROUP}" is invalid: ${field}: ${message}`);
  });
});
