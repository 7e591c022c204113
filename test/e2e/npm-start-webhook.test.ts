/**
 * `npm start` and the admission webhook, as a user runs it (the real CLI in a process of its
 * own): against a real kube-apiserver, `--webhook-local` serves the webhook on loopback,
 * registers it (url + own CA), enforces site access, says so in the banner, and removes its
 * configurations when stopped; without the flag the banner says nothing is registered. On the
 * embedded cluster the banner says site access is not enforced there, and `--webhook-local`
 * is refused.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { clusterKind, useCluster } from '../support/cluster.ts';
import { decommission, manifest, NS, occupier, site } from '../support/estate.ts';
import { stopProcess } from '../support/process.ts';

const REPO = resolve(import.meta.dirname, '../..');
const REAL = clusterKind() === 'real';

interface Started { proc: ChildProcess; out: () => string; exited: Promise<number | null> }

/** The `webhook` line of the ready record (stdout is a pipe: the banner is one JSON record). */
function readyWebhookLine(out: string): string {
  const line = out.split('\n').find((l) => l.includes('"msg":"occupier-operator ready"'));
  if (!line) throw new Error(`no ready record in:\n${out}`);
  return (JSON.parse(line) as { webhook?: string }).webhook ?? '';
}

const READY = /"msg":"occupier-operator ready"[^\n]*\n/;

/** `node operator/src/cli/main.ts ...args`; resolves once stdout has `until` (or it exits). */
async function npmStart(args: string[], until: RegExp): Promise<Started> {
  const proc = spawn(process.execPath, ['operator/src/cli/main.ts', '--metrics-port', '0', '--log-level', 'error', ...args], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, KUBECONFIG: '' } });
  let out = '';
  const exited = new Promise<number | null>((done) => proc.once('exit', (code) => done(code)));
  await new Promise<void>((done, fail) => {
    const timer = setTimeout(() => fail(new Error(`npm start did not print ${String(until)} in 60 s:\n${out}`)), 60_000);
    const look = (chunk: Buffer): void => {
      out += chunk.toString();
      if (until.test(out)) { clearTimeout(timer); done(); }
    };
    proc.stdout.on('data', look);
    proc.stderr.on('data', look);
    void exited.then(() => { clearTimeout(timer); done(); });
  });
  return { proc, out: () => out, exited };
}

const running: ChildProcess[] = [];
afterAll(async () => {
  for (const p of running) await stopProcess(p, 'SIGKILL');
});

describe.skipIf(!REAL)(`npm start against a real cluster${REAL ? '' : ' — skipped: needs a real kube-apiserver (OCCUPIER_TEST_CLUSTER=real)'}`, () => {
  const env = useCluster();

  it('--webhook-local: registered (url + own CA), site access enforced, banner says so, removed on exit', async () => {
    const k = (args: string[], stdin?: string): Promise<string> => env().kubectlOk(args, stdin);
    await k(['create', 'namespace', NS]);
    await k(['apply', '-f', '-'], manifest(site('london-shoreditch', 1), occupier('acme', 1, { sites: [{ name: 'london-shoreditch', index: 1 }] })));
    // bob may create orders (RBAC) but manages no site.
    await k(['create', 'clusterrole', 'order-placer', '--verb=create,get', '--resource=decommissions.occupier.dev']);
    await k(['-n', NS, 'create', 'rolebinding', 'bob-orders', '--clusterrole=order-placer', '--user=bob']);

    const op = await npmStart(['--kubeconfig', env().kubeconfigPath, '--webhook-local', '--webhook-port', '0'], READY);
    running.push(op.proc);
    const banner = /admission webhook: serving on :(\d+), registered as (https:\/\/127\.0\.0\.1:\d+) \(occupier-operator; removed on exit\): site access is enforced/.exec(readyWebhookLine(op.out()));
    expect(banner, op.out()).not.toBeNull();
    const config = JSON.parse(await k(['get', 'validatingwebhookconfiguration', 'occupier-operator', '-o', 'json'])) as { webhooks: { clientConfig: { url: string }; namespaceSelector: unknown }[] };
    expect(config.webhooks[0]?.clientConfig.url).toBe(`${banner?.[2] ?? ''}/validate-orders`);
    // A local operator has no namespace of its own: only kube-system is left out (orders in `default` are checked).
    expect(config.webhooks[0]?.namespaceSelector).toEqual({ matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: ['kube-system'] }] });

    const refused = await env().kubectl(['--context', 'bob', 'create', '-f', '-'], manifest(decommission('acme', 'acme')));
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('bob may not manage site london-shoreditch');

    await stopProcess(op.proc, 'SIGINT');
    expect(await op.exited).toBe(0);
    for (const kind of ['validatingwebhookconfiguration', 'mutatingwebhookconfiguration']) {
      const gone = await env().kubectl(['get', kind, 'occupier-operator']);
      expect(gone.stderr).toContain('NotFound');
    }
  });

  it('without --webhook-local, outside a cluster: no webhook registered, and the banner says site access is not checked', async () => {
    const op = await npmStart(['--kubeconfig', env().kubeconfigPath], READY);
    running.push(op.proc);
    expect(readyWebhookLine(op.out())).toContain('admission webhook: none registered (not in a cluster, no --webhook-local): site access is NOT checked');
    expect((await env().kubectl(['get', 'validatingwebhookconfiguration', 'occupier-operator'])).stderr).toContain('NotFound');
    await stopProcess(op.proc, 'SIGINT');
  });
});

describe.skipIf(REAL)('npm start on the embedded cluster', () => {
  it('says site access is not enforced there, and refuses --webhook-local', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'npm-start-'));
    try {
      const op = await npmStart(['--dev', '--data-dir', dir, '--port', '0'], READY);
      running.push(op.proc);
      expect(readyWebhookLine(op.out())).toContain('site access: NOT enforced here — the embedded cluster has one all-powerful user and calls no admission webhook');
      await stopProcess(op.proc, 'SIGINT');
      const refused = await npmStart(['--dev', '--data-dir', dir, '--port', '0', '--webhook-local'], /webhook-local/);
      expect(await refused.exited).toBe(2);
      expect(refused.out()).toContain('--webhook-local needs a real cluster (--kubeconfig)');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
