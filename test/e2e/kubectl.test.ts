// Real kubectl against the project's API server (the embedded cluster, or a real kube-apiserver), end to end.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { hasKubectl, kubectlBinary, withCluster } from '../support/cluster.ts';
import type { ClusterEnv } from '../support/cluster.ts';

const REPO = resolve(import.meta.dirname, '../..');
const FIXTURE = readFileSync(join(REPO, 'test/conformance/fixtures/widgets.yaml'), 'utf8');

const widget = (name: string, spec: string, labels = ''): string => `apiVersion: conformance.example.com/v1
kind: Widget
metadata:
  name: ${name}
${labels ? `  labels: {${labels}}\n` : ''}spec:
${spec}
`;

let env: ClusterEnv;

describe.skipIf(!hasKubectl)('kubectl against the API server', () => {
  beforeAll(async () => { env = await withCluster({ crdDir: join(REPO, 'test/conformance/no-crds-here') }); });
  afterAll(async () => { await env.stop(); });

  const k = async (args: string[], stdin?: string): Promise<string> => {
    const r = await env.kubectl(args, stdin);
    if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
    return r.stdout;
  };

  it('applies a CRD and serves its kind at once', async () => {
    expect(await k(['apply', '-f', '-'], FIXTURE)).toContain('customresourcedefinition.apiextensions.k8s.io/widgets.conformance.example.com created');
    await k(['wait', '--for=condition=Established', 'crd/widgets.conformance.example.com', '--timeout=10s']);
    const out = await k(['apply', '-f', '-'], widget('w1', '  color: red\n  size: 2', 'env: prod'));
    expect(out).toContain('widget.conformance.example.com/w1 created');
    expect(await k(['apply', '-f', '-'], widget('w1', '  color: green\n  size: 2', 'env: prod'))).toContain('configured');
    expect(await k(['apply', '-f', '-'], widget('w1', '  color: green\n  size: 2', 'env: prod'))).toContain('unchanged');
  });

  it('prints printer columns with kubectl get', async () => {
    const out = await k(['get', 'widgets']);
    const [header, row] = out.trim().split('\n');
    expect(header?.split(/\s+/)).toEqual(['NAME', 'COLOR', 'SIZE', 'READY', 'AGE']);
    expect(row).toMatch(/^w1\s+green\s+2\s+\S*\s*\d+s$/);
  });

  it('prints YAML with -o yaml', async () => {
    const out = await k(['get', 'wdg', 'w1', '-o', 'yaml']);
    expect(out).toContain('kind: Widget');
    expect(out).toContain('color: green');
    expect(out).toMatch(/resourceVersion: "\d+"/);
    expect(out).toContain('kubectl.kubernetes.io/last-applied-configuration');
  });

  it('lists everything in a category and filters by label', async () => {
    await k(['apply', '-f', '-'], widget('w2', '  color: blue', 'env: dev'));
    expect(await k(['get', 'conformance'])).toMatch(/widget\.conformance\.example\.com\/w1[\s\S]*widget\.conformance\.example\.com\/w2/);
    expect((await k(['get', 'wdg', '-l', 'env=prod', '-o', 'name'])).trim()).toBe('widget.conformance.example.com/w1');
    expect((await k(['get', 'wdg', '-l', 'env in (dev,qa)', '-o', 'name'])).trim()).toBe('widget.conformance.example.com/w2');
    expect((await k(['get', 'wdg', '-l', '!env', '-o', 'name'])).trim()).toBe('');
  });

  it('explains the kind from the CRD schema', async () => {
    const out = await k(['explain', 'widget.spec']);
    expect(out).toContain('WidgetSpec is the desired state of a Widget.');
    expect(out).toMatch(/color\s+<string> -required-/);
    expect(out).toContain('Colour of the widget.');
  });

  it('refuses a bad manifest naming the field', async () => {
    const unknown = await env.kubectl(['apply', '-f', '-'], widget('bad', '  color: red\n  bogus: 1'));
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toContain('unknown field "spec.bogus"');
    const invalid = await env.kubectl(['apply', '-f', '-'], widget('bad', '  color: purple'));
    expect(invalid.code).not.toBe(0);
    expect(invalid.stderr).toContain('spec.color: Unsupported value: "purple"');
  });

  it('applies a kind: List, validated client-side against /openapi/v2', async () => {
    // kubectl validates each item of a List with the OpenAPI v2 document (gnostic protobuf).
    const list = (cm: string, spec: string): string => `apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: ConfigMap
  metadata: { name: list-cm }
  data: { a: b }
${cm}- apiVersion: conformance.example.com/v1
  kind: Widget
  metadata: { name: list-w }
  spec: { ${spec} }
`;
    const out = await k(['apply', '-f', '-'], list('', 'color: red'));
    expect(out).toContain('configmap/list-cm created');
    expect(out).toContain('widget.conformance.example.com/list-w created');
    const bad = await env.kubectl(['apply', '-f', '-'], list('  bogus: 1\n', 'color: red, x: 1'));
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('ValidationError(ConfigMap): unknown field "bogus" in io.k8s.api.core.v1.ConfigMap');
    expect(bad.stderr).toContain('ValidationError(Widget.spec): unknown field "x" in com.example.conformance.v1.Widget.spec');
    await k(['delete', 'cm/list-cm', 'wdg/list-w']);
  });

  it('applies server-side with managedFields recorded', async () => {
    const out = await k(['apply', '--server-side', '-f', '-'], widget('ssa', '  color: red'));
    expect(out).toContain('widget.conformance.example.com/ssa serverside-applied');
    const yaml = await k(['get', 'wdg', 'ssa', '-o', 'yaml', '--show-managed-fields']);
    expect(yaml).toMatch(/manager: kubectl\n\s+operation: Apply/);
    const conflict = await env.kubectl(['apply', '--server-side', '--field-manager=other', '-f', '-'], widget('ssa', '  color: blue'));
    expect(conflict.code).not.toBe(0);
    expect(conflict.stderr).toContain('conflict');
    await k(['apply', '--server-side', '--field-manager=other', '--force-conflicts', '-f', '-'], widget('ssa', '  color: blue'));
    expect(await k(['get', 'wdg', 'ssa', '-o', 'jsonpath={.spec.color}'])).toBe('blue');
  });

  it('waits for a condition set through the status endpoint', async () => {
    const waiting = env.kubectl(['wait', '--for=condition=Ready', 'wdg/w1', '--timeout=20s']);
    await new Promise((r) => setTimeout(r, 500));
    await k(['patch', 'wdg', 'w1', '--subresource=status', '--type=merge', '-p',
      '{"status":{"conditions":[{"type":"Ready","status":"True","reason":"Done","message":"ok","lastTransitionTime":"2026-01-01T00:00:00Z"}]}}']);
    const r = await waiting;
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('condition met');
    expect(await k(['get', 'wdg', 'w1'])).toMatch(/w1\s+green\s+2\s+True/);
  });

  it('streams changes with get -w', async () => {
    const child = spawn(kubectlBinary() ?? 'kubectl', ['--kubeconfig', env.kubeconfigPath, '--cache-dir', join(env.dataDir, 'kubectl-cache'), 'get', 'wdg', '-w', '--output-watch-events']);
    let out = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    const until = async (re: RegExp): Promise<void> => {
      const deadline = Date.now() + 15_000;
      while (!re.test(out)) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${String(re)} in:\n${out}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    try {
      await until(/ADDED\s+w1/);
      await k(['apply', '-f', '-'], widget('w3', '  color: red'));
      await until(/ADDED\s+w3/);
      await k(['patch', 'wdg', 'w3', '--type=merge', '-p', '{"spec":{"size":8}}']);
      await until(/MODIFIED\s+w3\s+red\s+8/);
      await k(['delete', 'wdg', 'w3']);
      await until(/DELETED\s+w3/);
    } finally { child.kill(); }
  });

  it('delete waits for a finalizer removed in parallel', async () => {
    await k(['apply', '-f', '-'], widget('fin', '  color: red').replace('metadata:\n', 'metadata:\n  finalizers: [example.com/hold]\n'));
    const t0 = Date.now();
    const deleting = env.kubectl(['delete', 'wdg', 'fin', '--timeout=20s']);
    const deadline = Date.now() + 10_000;
    while (!(await k(['get', 'wdg', 'fin', '-o', 'jsonpath={.metadata.deletionTimestamp}'])) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    await new Promise((r) => setTimeout(r, 500));
    await k(['patch', 'wdg', 'fin', '--type=json', '-p', '[{"op":"test","path":"/metadata/finalizers/0","value":"example.com/hold"},{"op":"remove","path":"/metadata/finalizers/0"}]']);
    const r = await deleting;
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('widget.conformance.example.com "fin" deleted');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(500);
    const gone = await env.kubectl(['get', 'wdg', 'fin']);
    expect(gone.stderr).toContain('NotFound');
  });

  it('creates built-ins with kubectl create and answers auth can-i (protobuf bodies)', async () => {
    await k(['create', 'namespace', 'e2e']);
    await k(['create', 'configmap', 'cfg', '-n', 'e2e', '--from-literal=a=b']);
    await k(['create', 'secret', 'generic', 'sec', '-n', 'e2e', '--from-literal=pw=hunter2']);
    expect(Buffer.from(await k(['get', 'secret', 'sec', '-n', 'e2e', '-o', 'jsonpath={.data.pw}']), 'base64').toString()).toBe('hunter2');
    expect(await k(['get', 'cm', 'cfg', '-n', 'e2e', '-o', 'jsonpath={.data.a}'])).toBe('b');
    expect((await k(['auth', 'can-i', 'create', 'widgets'])).trim()).toBe('yes');
    expect(await k(['auth', 'whoami'])).toMatch(env.kind === 'real' ? /Username\s+admin\b/ : /Username\s+devcluster-admin\b/);
    await k(['delete', 'namespace', 'e2e', '--wait=false']);
    if (env.kind === 'real') {
      // No namespace controller runs beside our real kube-apiserver (as in envtest): the
      // namespace stays Terminating with its objects; the API server refuses new ones.
      expect(await k(['get', 'ns', 'e2e', '-o', 'jsonpath={.status.phase}'])).toBe('Terminating');
      expect((await env.kubectl(['create', 'configmap', 'late', '-n', 'e2e'])).stderr).toContain('because it is being terminated');
    } else {
      await k(['wait', '--for=delete', 'ns/e2e', '--timeout=10s']);
      expect((await env.kubectl(['get', 'ns', 'e2e'])).stderr).toContain('NotFound');
    }
  });
});

const CRDS = join(REPO, 'crds');
const EXAMPLES = join(REPO, 'examples');
const haveExamples = existsSync(join(CRDS)) && existsSync(join(EXAMPLES, 'kustomization.yaml'));

describe.skipIf(!hasKubectl || !haveExamples)('kubectl apply of examples/ with the occupier.dev CRDs', () => {
  let ex: ClusterEnv;
  beforeAll(async () => { ex = await withCluster(); });
  afterAll(async () => { await ex.stop(); });

  it('applies every example and lists them in the tenancy category', async () => {
    const r = await ex.kubectl(['apply', '-k', EXAMPLES]);
    expect(r.code, r.stderr).toBe(0);
    const all = await ex.kubectl(['get', 'tenancy', '-A']);
    expect(all.code, all.stderr).toBe(0);
    expect(all.stdout).toMatch(/site\.occupier\.dev\//);
    expect(all.stdout).toMatch(/occupier\.occupier\.dev\//);
    // Re-applying is a no-op on the server (kubectl may still say "configured" when list items
    // carry schema defaults, as with a real API server): no resourceVersion moves.
    const rvs = async (): Promise<string> => (await ex.kubectl(['get', 'tenancy', '-A', '-o', 'jsonpath={.items[*].metadata.resourceVersion}'])).stdout;
    const before = await rvs();
    const again = await ex.kubectl(['apply', '-k', EXAMPLES]);
    expect(again.code, again.stderr).toBe(0);
    expect(await rvs()).toBe(before);
  });

  it('gets and describes one occupier by the kind name (the category does not hijack it)', async () => {
    const got = await ex.kubectl(['get', 'occupier', '-n', 'occupiers', 'acme-design', '-o', 'name']);
    expect(got.code, got.stderr).toBe(0);
    expect(got.stdout.trim()).toBe('occupier.occupier.dev/acme-design');
    const described = await ex.kubectl(['describe', 'occupier', '-n', 'occupiers', 'acme-design']);
    expect(described.code, described.stderr).toBe(0);
    expect(described.stdout).toMatch(/^Name:\s+acme-design$/m);
  });
});

if (!haveExamples) console.warn('skipping the examples/ e2e test: crds/ or examples/kustomization.yaml is missing');
