/**
 * The Argo CD health checks (Lua), run by the real lua5.1 interpreter on the test cases
 * beside each script (health_test.yaml + testdata/, Argo CD's own layout), in a sandbox
 * holding only what Argo CD's Lua VM offers. The fixtures' status must be valid for the
 * CRD, so the scripts read the fields the operator really writes.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { load } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { pruneUnknown, validate } from '../../operator/src/schema/index.ts';
import type { JSONSchemaProps } from '../../operator/src/schema/index.ts';
import { KINDS, PATCH_FILE, README, README_BEGIN, README_END, healthDir, healthKey, renderPatch, renderReadmeSnippet } from './argocd-cm.ts';
import { CHART_DIR } from './tools.ts';
import { luaValue, runHealth } from './lua.ts';

interface HealthCase {
  healthStatus: { status: string; message: string };
  inputPath: string;
}

function casesOf(kind: string): HealthCase[] {
  const file = join(healthDir(kind), 'health_test.yaml');
  return (load(readFileSync(file, 'utf8')) as { tests: HealthCase[] }).tests;
}

function fixture(kind: string, c: HealthCase): Record<string, unknown> {
  return load(readFileSync(join(healthDir(kind), c.inputPath), 'utf8')) as Record<string, unknown>;
}

function statusSchema(kind: string): JSONSchemaProps {
  const file = join(CHART_DIR, 'crds', `occupier.dev_${kind.toLowerCase()}s.yaml`);
  const crd = load(readFileSync(file, 'utf8')) as {
    spec: { versions: { schema: { openAPIV3Schema: { properties: { status: JSONSchemaProps } } } }[] };
  };
  const version = crd.spec.versions[0];
  if (!version) throw new Error(`${file} has no version`);
  return version.schema.openAPIV3Schema.properties.status;
}

// -----------------------------------------------------------------------------------------

describe.each(KINDS)('Argo CD health of %s', (kind) => {
  const script = join(healthDir(kind), 'health.lua');
  const cases = casesOf(kind);

  it('has a script and at least 4 cases covering Healthy, Progressing, Degraded and Suspended', () => {
    expect(existsSync(script)).toBe(true);
    expect(cases.length).toBeGreaterThanOrEqual(4);
    expect(new Set(cases.map((c) => c.healthStatus.status))).toEqual(new Set(['Healthy', 'Progressing', 'Degraded', 'Suspended']));
  });

  it.each(cases.map((c) => [c.inputPath, c] as const))('%s', (_path, c) => {
    const obj = fixture(kind, c);
    expect(obj.kind).toBe(kind);
    expect(runHealth(script, obj)).toEqual(c.healthStatus);
  });

  it('fixtures carry a status the CRD accepts', () => {
    const schema = statusSchema(kind);
    for (const c of cases) {
      const obj = fixture(kind, c);
      if (obj.status === undefined) continue;
      const status = structuredClone(obj.status);
      expect(pruneUnknown(schema, status), `${c.inputPath}: unknown status fields`).toEqual([]);
      expect(validate(schema, status), `${c.inputPath}: invalid status`).toEqual([]);
    }
  });
});

describe('the Lua harness', () => {
  it('converts nested objects, arrays and escapes', () => {
    expect(luaValue({ a: [1, 'x"y'], b: null, 'c.d/e': { f: true } })).toBe('{["a"] = {1, "x\\"y"}, ["c.d/e"] = {["f"] = true}}');
    expect(luaValue('é\n')).toBe('"\\195\\169\\10"');
  });

  it('refuses a script that touches what Argo CD does not offer (os, io)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'occupier-lua-'));
    try {
      const bad = join(dir, 'health.lua');
      writeFileSync(bad, 'return { status = "Healthy", message = os.date() }\n');
      expect(() => runHealth(bad, {})).toThrow(/attempt to index global 'os'/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('argocd-cm snippet', () => {
  it('deploy/argocd/argocd-cm-patch.yaml carries every current script (node test/packaging/argocd-cm.ts --write)', () => {
    expect(readFileSync(PATCH_FILE, 'utf8')).toBe(renderPatch());
    const patch = load(readFileSync(PATCH_FILE, 'utf8')) as { data: Record<string, string> };
    for (const kind of KINDS) {
      expect(patch.data[healthKey(kind)]).toBe(readFileSync(join(healthDir(kind), 'health.lua'), 'utf8'));
    }
  });

  it('the chart README shows the same snippet', () => {
    const readme = readFileSync(README, 'utf8');
    const begin = readme.indexOf(README_BEGIN);
    const end = readme.indexOf(README_END);
    expect(begin).toBeGreaterThanOrEqual(0);
    expect(readme.slice(begin, end + README_END.length)).toBe(renderReadmeSnippet());
  });
});

describe('order health scripts', () => {
  // Argo CD wants one script per kind; the three orders share one logic. Keep them one.
  it('SiteMove, CustomerMove and Decommission run the same script (only the header comment differs)', () => {
    const body = (kind: string): string => readFileSync(join(healthDir(kind), 'health.lua'), 'utf8').split('\n').slice(1).join('\n');
    expect(body('CustomerMove')).toBe(body('SiteMove'));
    expect(body('Decommission')).toBe(body('SiteMove'));
  });
});
