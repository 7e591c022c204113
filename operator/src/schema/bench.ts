/**
 * Micro-benchmark: validate (+ prune + default) a ~5 KB object against a ~40 KB schema
 * with formats, patterns, enums, map lists and CEL rules. Run: node operator/src/schema/bench.ts
 */
import { applyDefaults, pruneUnknown, structuralProblems, validate } from './index.ts';
import type { JSONSchemaProps } from './index.ts';

function leafSet(prefix: string, n: number): Record<string, JSONSchemaProps> {
  const out: Record<string, JSONSchemaProps> = {};
  for (let i = 0; i < n; i++) {
    const kind = i % 5;
    const description = `The ${prefix} field number ${i}; a long description as generated CRDs carry, so that kubectl explain is useful to operators reading it.`;
    out[`${prefix}${i}`] =
      kind === 0 ? { type: 'string', description, maxLength: 253, pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$' }
      : kind === 1 ? { type: 'integer', description, minimum: 0, maximum: 65535 }
      : kind === 2 ? { type: 'string', description, enum: ['Alpha', 'Beta', 'Gamma', 'Delta'], default: 'Alpha' }
      : kind === 3 ? { type: 'string', description, format: 'date-time' }
      : { type: 'boolean', description, default: false };
  }
  return out;
}

export function benchSchema(): JSONSchemaProps {
  const item: JSONSchemaProps = {
    type: 'object',
    required: ['name'],
    'x-kubernetes-validations': [{ rule: "!has(self.email) || self.email.endsWith('.com') || self.email.endsWith('.dev')", message: 'email domain' }],
    properties: {
      name: { type: 'string', maxLength: 63 },
      email: { type: 'string', format: 'email' },
      mac: { type: 'string', format: 'mac' },
      role: { type: 'string', enum: ['admin', 'member'], default: 'member' },
      ...leafSet('u', 20),
    },
  };
  return {
    type: 'object',
    'x-kubernetes-validations': [{ rule: '!has(oldSelf.status) || !has(oldSelf.status.startedAt) || self.spec == oldSelf.spec', message: 'frozen' }],
    properties: {
      apiVersion: { type: 'string' },
      kind: { type: 'string' },
      metadata: { type: 'object' },
      spec: {
        type: 'object',
        'x-kubernetes-validations': [
          { rule: 'self.users.all(u, u.name.size() > 0)', message: 'names' },
          { rule: "self.a0 != 'forbidden'", message: 'a0' },
          { rule: 'size(self.users) <= 100' },
          { rule: 'self.users.exists_one(u, u.role == "admin") || self.users.all(u, u.role == "member")' },
        ],
        properties: {
          ...leafSet('a', 110),
          cidr: { type: 'string', format: 'cidr', 'x-kubernetes-validations': [{ rule: 'isCIDR(self)' }] },
          users: { type: 'array', 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['name'], items: item },
          groups: { type: 'object', additionalProperties: { type: 'object', properties: leafSet('g', 10) } },
        },
      },
      status: { type: 'object', properties: { startedAt: { type: 'string', format: 'date-time' }, ...leafSet('s', 70) } },
    },
  };
}

export function benchObject(): Record<string, unknown> {
  const users = [];
  for (let i = 0; i < 20; i++) {
    users.push({ name: `user-${i}`, email: `user${i}@example.com`, mac: '00:1a:2b:3c:4d:5e', role: i === 0 ? 'admin' : 'member', u0: 'abc', u1: 8080, u3: '2024-01-01T10:00:00Z' });
  }
  const spec: Record<string, unknown> = { cidr: '10.0.0.0/16', users, groups: { g1: { g0: 'x', g1: 5 }, g2: { g2: 'Beta' } } };
  for (let i = 0; i < 110; i++) {
    const kind = i % 5;
    spec[`a${i}`] = kind === 0 ? `name-${i}` : kind === 1 ? i * 10 : kind === 2 ? 'Gamma' : kind === 3 ? '2024-05-06T07:08:09Z' : true;
  }
  return { apiVersion: 'bench.dev/v1', kind: 'Bench', metadata: { name: 'b', namespace: 'default' }, spec, status: { startedAt: '2024-01-01T00:00:00Z' } };
}

function main(): void {
  const schema = benchSchema();
  const obj = benchObject();
  const problems = structuralProblems(schema);
  if (problems.length > 0) throw new Error(`bench schema is not structural: ${problems.join('; ')}`);
  const first = validate(schema, obj, obj);
  if (first.length > 0) throw new Error(`bench object is invalid: ${JSON.stringify(first)}`);
  const schemaKB = JSON.stringify(schema).length / 1024;
  const objKB = JSON.stringify(obj).length / 1024;
  const N = 5000;
  // CPU time (user+system) per operation, best of 3 rounds: the machine is shared
  const time = (label: string, fn: (i: number) => void, setup?: () => void): void => {
    setup?.();
    for (let i = 0; i < 200; i++) fn(i);
    let best = Infinity;
    let bestWall = Infinity;
    for (let round = 0; round < 3; round++) {
      setup?.();
      const c0 = process.cpuUsage();
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < N; i++) fn(i);
      const c = process.cpuUsage(c0);
      best = Math.min(best, (c.user + c.system) / N);
      bestWall = Math.min(bestWall, Number(process.hrtime.bigint() - t0) / 1000 / N);
    }
    console.log(`${label}: ${best.toFixed(1)} µs CPU/op (${bestWall.toFixed(1)} µs wall)`);
  };
  console.log(`schema ${schemaKB.toFixed(1)} KB, object ${objKB.toFixed(1)} KB, ${N} iterations`);
  time('validate (create)', () => validate(schema, obj));
  const oldObj = structuredClone(obj) as { spec: Record<string, unknown>; status: Record<string, unknown> };
  oldObj.spec['a1'] = 7;
  delete oldObj.status['startedAt'];
  time('validate (update of one field, transition rules)', () => validate(schema, obj, oldObj));
  time('validate (same update, ratcheting off)', () => validate(schema, obj, oldObj, { ratcheting: false }));
  const pruneCopies: Record<string, unknown>[] = [];
  time('pruneUnknown alone', (i) => pruneUnknown(schema, pruneCopies[i % N]), () => {
    pruneCopies.length = 0;
    for (let i = 0; i < N; i++) pruneCopies.push(structuredClone(obj));
  });
  time('applyDefaults alone', (i) => applyDefaults(schema, pruneCopies[i % N]), () => {
    pruneCopies.length = 0;
    for (let i = 0; i < N; i++) pruneCopies.push(structuredClone(obj));
  });
  let copies: Record<string, unknown>[] = [];
  const fresh = (): void => {
    copies = Array.from({ length: N }, () => structuredClone(obj));
  };
  time('prune + default + validate (fresh copy each time)', (i) => {
    const copy = copies[i % N] as Record<string, unknown>;
    pruneUnknown(schema, copy);
    applyDefaults(schema, copy);
    validate(schema, copy);
  }, fresh);
}

if (import.meta.url === `file://${process.argv[1]}`) main();
