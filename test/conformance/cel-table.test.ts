// The CEL test table (operator/src/schema/cel-cases.ts) as CRD rules, on each server: every case
// is a property of a batch CRD with its rule in x-kubernetes-validations (a value case as
// `(expr) == value`, an error case as `dyn(expr) != null`, a compile-error case as itself), one
// object holds every case's `self`, and the 422's causes name the properties whose rules failed.
// Cases a server refuses with the CRD are taken out of their batch and recorded as compile errors.
// Each case's outcome must be what the table says — or, on the real kube-apiserver, the known
// difference the case carries (operator/src/devcluster/README.md "Known differences").
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CelUint } from '../../operator/src/schema/cel/index.ts';
import { COMPILE_ERRORS, EVALUATION_CASES } from '../../operator/src/schema/cel-cases.ts';
import type { CelCase, Outcome } from '../../operator/src/schema/cel-cases.ts';
import type { JSONSchemaProps } from '../../operator/src/schema/types.ts';
import { clusterKind } from '../support/cluster.ts';
import { connect } from './harness.ts';
import type { Conn, Json } from './harness.ts';

const GROUP = 'celtable.example.com';
const BATCH = 30;

/** A CEL literal of a table value (lists and maps mixing types get dyn() elements). */
function celLiteral(v: unknown): string {
  if (typeof v === 'bigint') return String(v);
  if (typeof v === 'number') return Number.isInteger(v) ? `${v}.0` : String(v);
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'boolean') return String(v);
  if (v === null) return 'null';
  if (v instanceof CelUint) return `${v.value}u`;
  if (v instanceof Uint8Array) return `b"${[...v].map((b) => `\\x${b.toString(16).padStart(2, '0')}`).join('')}"`;
  if (v instanceof Date) return `timestamp(${JSON.stringify(v.toISOString())})`;
  const kind = (x: unknown): string => (Array.isArray(x) ? 'list' : x instanceof CelUint ? 'uint' : x === null ? 'null' : typeof x);
  const wrap = (xs: unknown[]): ((s: string) => string) => (new Set(xs.map(kind)).size > 1 ? (s) => `dyn(${s})` : (s) => s);
  if (Array.isArray(v)) return `[${v.map(celLiteral).map(wrap(v)).join(', ')}]`;
  const entries = Object.entries(v as Record<string, unknown>);
  const w = wrap(entries.map(([, x]) => x));
  return `{${entries.map(([k, x]) => `${JSON.stringify(k)}: ${w(celLiteral(x))}`).join(', ')}}`;
}

/** The rule a case becomes on a cluster. */
function ruleOf(c: CelCase): string {
  if ('value' in c.want) return c.cluster?.unordered ? `sets.equivalent(${c.expr}, ${celLiteral(c.want.value)})` : `(${c.expr}) == ${celLiteral(c.want.value)}`;
  if ('error' in c.want) return `dyn(${c.expr}) != null`;
  return c.expr;
}

/** A schema for data (typed; lists, maps and strings bounded so no rule is refused for its estimated cost). */
function schemaOf(v: unknown): JSONSchemaProps {
  if (typeof v === 'boolean') return { type: 'boolean' };
  if (typeof v === 'number') return Number.isInteger(v) ? { type: 'integer' } : { type: 'number' };
  if (typeof v === 'string') return { type: 'string' };
  if (Array.isArray(v)) return { type: 'array', items: v.length > 0 ? schemaOf(v[0]) : { type: 'string' } };
  if (v !== null && typeof v === 'object') return { type: 'object', properties: Object.fromEntries(Object.entries(v).map(([k, x]) => [k, schemaOf(x)])) };
  return { type: 'integer' };
}
function bounded(s: JSONSchemaProps): JSONSchemaProps {
  const out: JSONSchemaProps = { ...s };
  if (s.type === 'array') { out.maxItems ??= 100; if (s.items) out.items = bounded(s.items); }
  if (s.type === 'string') out.maxLength ??= 1000;
  if (typeof s.additionalProperties === 'object') { out.maxProperties ??= 100; out.additionalProperties = bounded(s.additionalProperties); }
  if (s.properties) out.properties = Object.fromEntries(Object.entries(s.properties).map(([k, p]) => [k, bounded(p)]));
  return out;
}

type Seen = { kind: 'true' } | { kind: 'false' } | { kind: 'error'; message: string } | { kind: 'compile'; message: string };

function expected(c: CelCase): Outcome {
  if (clusterKind() === 'real' && c.cluster?.real) return c.cluster.real;
  if (c.cluster?.outcome) return c.cluster.outcome;
  if ('value' in c.want) return { kind: 'true' };
  if ('error' in c.want) return { kind: 'error', match: c.want.error };
  return { kind: 'compile', match: c.want.compileError };
}

/** Whether what a server answered is what the case expects (an error case may be refused at compile time too). */
function agrees(want: Outcome, got: Seen | undefined): boolean {
  if (got === undefined) return false;
  if (want.kind === 'true' || want.kind === 'false') return got.kind === want.kind;
  if (want.kind === 'error') return (got.kind === 'error' || got.kind === 'compile') && want.match.test(got.message);
  return got.kind === 'compile' && want.match.test(got.message);
}

/** The error of a failed rule's cause (`Invalid value: "object": <error> evaluating rule: ...`). */
function runtimeError(message: string): string {
  const m = /^Invalid value: "[^"]*": (.*?) evaluating rule: /s.exec(message) ?? /^Invalid value: "[^"]*": '(.*?)': /s.exec(message);
  return m?.[1] ?? message;
}
const compileMessage = (message: string): string => message.replace(/^Invalid value: (\{.*?"OptionalOldSelf":(?:null|true|false)\}|"(?:[^"\\]|\\.)*"): /s, '');

let c: Conn;
const results = new Map<CelCase, Seen>();
let batchNo = 0;

async function runBatch(cases: CelCase[]): Promise<void> {
  const n = batchNo++;
  const plural = `batch${n}s`;
  let live = cases.map((x, i) => ({ c: x, prop: `c${i}` }));
  const crd = (): Json => ({
    apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: `${plural}.${GROUP}` },
    spec: {
      group: GROUP, scope: 'Cluster', names: { plural, singular: `batch${n}`, kind: `Batch${n}`, listKind: `Batch${n}List` },
      versions: [{
        name: 'v1', served: true, storage: true,
        schema: { openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', properties: Object.fromEntries(live.map(({ c: x, prop }) =>
          [prop, { ...bounded(x.schema ?? schemaOf(x.self)), 'x-kubernetes-validations': [{ rule: ruleOf(x), ...(/[\n\r]/.test(ruleOf(x)) ? { message: 'a multi-line rule' } : {}) }] }])) } } } },
      }],
    },
  });
  for (;;) {
    if (live.length === 0) return;
    const r = await c.request('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', { body: crd() });
    if (r.status === 201) break;
    expect(r.status, r.text).toBe(422);
    const all = ((r.body['details'] as Json | undefined)?.['causes'] as Json[] | undefined) ?? [];
    // rules that only contributed to an exceeded total go when nothing else was refused
    const own = all.filter((x) => !String(x['message']).startsWith('Forbidden: contributed to estimated rule cost total'));
    const causes = own.some((x) => /properties\[spec\]\.properties\[c\d+\]/.test(String(x['field']))) ? own : all;
    const refused = new Set<string>();
    for (const cause of causes) {
      const m = /properties\[spec\]\.properties\[(c\d+)\]/.exec(String(cause['field']));
      const hit = m === null ? undefined : live.find((l) => l.prop === m[1]);
      if (hit === undefined) continue;
      refused.add(hit.prop);
      const prev = results.get(hit.c);
      results.set(hit.c, { kind: 'compile', message: `${prev?.kind === 'compile' ? `${prev.message}\n` : ''}${compileMessage(String(cause['message']))}` });
    }
    expect(refused.size, `CRD refused for no case: ${r.text}`).toBeGreaterThan(0);
    live = live.filter((l) => !refused.has(l.prop));
  }
  const list = `/apis/${GROUP}/v1/${plural}`;
  const deadline = Date.now() + 30_000;
  while ((await c.request('GET', list)).status !== 200) {
    if (Date.now() > deadline) throw new Error(`${plural} not served`);
    await new Promise((r) => setTimeout(r, 200));
  }
  const spec = Object.fromEntries(live.map(({ c: x, prop }) => [prop, x.self ?? 0]));
  const r = await c.request('POST', list, { body: { apiVersion: `${GROUP}/v1`, kind: `Batch${n}`, metadata: { name: 'o' }, spec } });
  const failed = new Map<string, string>();
  if (r.status !== 201) {
    expect(r.status, r.text).toBe(422);
    for (const cause of ((r.body['details'] as Json | undefined)?.['causes'] as Json[] | undefined) ?? []) {
      const m = /^spec\.(c\d+)$/.exec(String(cause['field']));
      if (m?.[1] !== undefined) failed.set(m[1], String(cause['message']));
    }
  }
  for (const { c: x, prop } of live) {
    const msg = failed.get(prop);
    results.set(x, msg === undefined ? { kind: 'true' } : /failed rule: /.test(msg) ? { kind: 'false' } : { kind: 'error', message: runtimeError(msg) });
  }
}

const ALL = [...EVALUATION_CASES, ...COMPILE_ERRORS];

beforeAll(async () => {
  c = await connect();
  const solo = ALL.filter((x) => x.cluster?.solo);
  const rest = ALL.filter((x) => !x.cluster?.solo);
  for (const x of solo) await runBatch([x]);
  for (let i = 0; i < rest.length; i += BATCH) await runBatch(rest.slice(i, i + BATCH));
}, 600_000);
afterAll(async () => { await c.stop(); });

describe.each([...new Set(ALL.map((x) => x.group))])('CEL table on the cluster: %s', (group) => {
  it.each(ALL.filter((x) => x.group === group).map((x) => [x.expr, x] as const))('%s', (_expr, x) => {
    const want = expected(x);
    const got = results.get(x);
    expect(agrees(want, got), `rule ${JSON.stringify(ruleOf(x))}: want ${want.kind} ${'match' in want ? String(want.match) : ''}, got ${JSON.stringify(got)}`).toBe(true);
  });
});
