import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { load } from 'js-yaml';
import { structuralProblems, compileRule } from '../schema/index.ts';
import type { JSONSchemaProps } from '../schema/index.ts';
import { KINDS, renderCRDs } from './index.ts';

const CRD_DIR = join(import.meta.dirname, '..', '..', '..', 'crds');

interface CRD {
  spec: {
    names: { kind: string; shortNames: string[]; categories: string[] };
    versions: { subresources: { status: object }; additionalPrinterColumns: { name: string }[]; schema: { openAPIV3Schema: JSONSchemaProps } }[];
  };
}

const onDisk = () => readdirSync(CRD_DIR).filter((f) => f.endsWith('.yaml')).sort();

function collectRules(node: unknown, out: string[]): string[] {
  if (Array.isArray(node)) node.forEach((n) => collectRules(n, out));
  else if (node && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) {
      if (k === 'x-kubernetes-validations') for (const r of v as { rule: string }[]) out.push(r.rule);
      else collectRules(v, out);
    }
  }
  return out;
}

describe('crds/', () => {
  it('matches what `npm run generate` writes, byte for byte', () => {
    const wanted = renderCRDs();
    expect(onDisk()).toEqual([...wanted.keys()].sort());
    for (const [file, text] of wanted) {
      expect(readFileSync(join(CRD_DIR, file), 'utf8'), `crds/${file} is stale: run npm run generate`).toBe(text);
    }
  });

  const crds = () => onDisk().map((f) => [f, load(readFileSync(join(CRD_DIR, f), 'utf8')) as CRD] as const);

  it('holds one CRD per kind, each with status subresource, printer columns, short names and the occupier category', () => {
    const list = crds();
    expect(list.map(([, c]) => c.spec.names.kind).sort()).toEqual(KINDS.map((k) => k.kind).sort());
    for (const [file, crd] of list) {
      const v = crd.spec.versions[0];
      expect(v?.subresources.status, file).toEqual({});
      expect(v?.additionalPrinterColumns.length, file).toBeGreaterThanOrEqual(2);
      expect(crd.spec.names.shortNames.length, file).toBeGreaterThan(0);
      expect(crd.spec.names.categories, file).toContain('tenancy');
    }
  });

  it('gives kubectl get decommissions the columns OCCUPIER, PHASE, SCHEDULED, AGE', () => {
    const decom = crds().find(([, c]) => c.spec.names.kind === 'Decommission')?.[1];
    expect(decom?.spec.versions[0]?.additionalPrinterColumns.map((c) => c.name.toUpperCase())).toEqual([
      'OCCUPIER',
      'PHASE',
      'SCHEDULED',
      'AGE',
    ]);
  });

  it.each(onDisk())('%s has a structural schema', (file) => {
    const crd = load(readFileSync(join(CRD_DIR, file), 'utf8')) as CRD;
    const schema = crd.spec.versions[0]?.schema.openAPIV3Schema;
    expect(schema).toBeDefined();
    expect(structuralProblems(schema as JSONSchemaProps)).toEqual([]);
  });

  it.each(onDisk())('%s has CEL rules that compile', (file) => {
    const crd = load(readFileSync(join(CRD_DIR, file), 'utf8')) as CRD;
    for (const rule of collectRules(crd, [])) expect(compileRule(rule), rule).toEqual({ ok: true });
  });

  it('a schema with an untyped node is reported as not structural (the check can fail)', () => {
    expect(structuralProblems({ type: 'object', properties: { spec: {} } } as JSONSchemaProps)).not.toEqual([]);
  });
});
