/**
 * The README's first tour, run as printed: `npm start`'s operator (the CLI, in a directory
 * with the examples, so `.occupier/kubeconfig` and `examples/` resolve as in a clone), then
 * every command of the tour's code block — kubectl, the kubectl plugin as `kubectl occupier`
 * (found on PATH as kubectl finds plugins), curl of /metrics — then the read-only commands of
 * the order runbooks in docs/runbooks.md with the variables the runbooks tell you to set.
 */
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubectlBinary } from '../support/cluster.ts';
import { until } from '../support/estate.ts';

const REPO = resolve(import.meta.dirname, '../..');
const MAIN = join(REPO, 'operator/src/cli/main.ts');
const PLUGIN = join(REPO, 'operator/src/kubectl-plugin/kubectl-occupier.js');

/** The first ```sh block after a heading of a markdown file. */
function codeBlockAfter(file: string, heading: string): string[] {
  const text = readFileSync(file, 'utf8');
  const at = text.indexOf(`\n${heading}\n`);
  if (at < 0) throw new Error(`${file} has no heading "${heading}"`);
  const start = text.indexOf('```sh\n', at);
  const end = text.indexOf('\n```', start + 6);
  return text.slice(start + 6, end).split('\n');
}

/** The `## <alert>` section of docs/runbooks.md, its shell lines (code blocks, indented or not). */
function runbookCommands(alert: string): string[] {
  const text = readFileSync(join(REPO, 'docs/runbooks.md'), 'utf8');
  const start = text.indexOf(`\n## ${alert}\n`);
  const next = text.indexOf('\n## ', start + 4);
  const lines: string[] = [];
  let fenced = false;
  for (const line of text.slice(start, next < 0 ? undefined : next).split('\n')) {
    if (line.trim().startsWith('```')) fenced = !fenced;
    else if (fenced) lines.push(line.trim());
  }
  return lines;
}

const kubectl = kubectlBinary();

describe.skipIf(!kubectl)('README: the first tour and the order runbooks, as printed', () => {
  let dir = '';
  let child: ChildProcess | undefined;
  let out = '';
  let env: Record<string, string | undefined> = {};
  let metricsPort = 0;

  /** Runs one line in bash in the tour's directory. */
  const sh = (line: string, extraEnv: Record<string, string> = {}): { status: number | null; stdout: string; stderr: string } => {
    const r = spawnSync('bash', ['-o', 'pipefail', '-c', line], { cwd: dir, env: { ...env, ...extraEnv }, encoding: 'utf8', timeout: 60_000 });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'readme-tour-'));
    symlinkSync(join(REPO, 'examples'), join(dir, 'examples'));
    // kubectl finds `kubectl occupier` as kubectl-occupier on PATH (what `npm i -g .` installs).
    const bin = join(dir, 'bin');
    mkdirSync(bin);
    writeFileSync(join(bin, 'kubectl-occupier'), `#!/bin/sh\nexec "${process.execPath}" "${PLUGIN}" "$@"\n`);
    chmodSync(join(bin, 'kubectl-occupier'), 0o755);
    env = { ...process.env, KUBECONFIG: '', PATH: [bin, dirname(kubectl ?? ''), process.env['PATH'] ?? ''].join(delimiter) };
    for (const name of ['KUBERNETES_SERVICE_HOST', 'NO_COLOR', 'FORCE_COLOR']) delete env[name];
    child = spawn(process.execPath, [MAIN, '--dev', '--port', '0', '--metrics-port', '0'], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout?.on('data', (d: Buffer) => { out += d.toString(); });
    child.stderr?.on('data', (d: Buffer) => { out += d.toString(); });
    const ready = await until('operator ready', async () => /"metricsPort":(\d+).*"msg":"occupier-operator ready"/.exec(out)?.[1], 40_000);
    metricsPort = Number(ready);
  }, 60_000);

  afterAll(async () => {
    if (child && child.exitCode === null) {
      const exited = new Promise((r) => child?.once('exit', r));
      child.kill('SIGINT');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('reviews the site move with kubectl occupier plan, approves it, and sees it run in tasks, events and /metrics', async () => {
    const lines = codeBlockAfter(join(REPO, 'README.md'), '### A first tour: review a site move, approve it, watch it, follow a runbook').filter((l) => l && !l.startsWith('#'));
    expect(lines.length).toBe(8);
    const outputs: string[] = [];
    for (const line of lines) {
      if (line.startsWith('kubectl occupier plan')) {
        // A person reads the plan once the order is due; the test waits for that.
        await until('AwaitingApproval', async () => sh('kubectl --kubeconfig .occupier/kubeconfig -n occupiers get sitemove acme-design-to-canary-wharf -o jsonpath={.status.phase}').stdout === 'AwaitingApproval' || undefined, 30_000, 200);
      }
      if (line.startsWith('kubectl occupier tasks')) {
        await until('DestinationReady', async () => sh(`kubectl --kubeconfig .occupier/kubeconfig -n occupiers get sitemove acme-design-to-canary-wharf -o jsonpath='{.status.conditions[?(@.type=="DestinationReady")].status}'`).stdout === 'True' || undefined, 30_000, 200);
      }
      const r = sh(line.replace('localhost:8080', `localhost:${metricsPort}`));
      expect(r.status, `${line}\n${r.stdout}\n${r.stderr}`).toBe(0);
      outputs.push(r.stdout);
    }
    const [, , , plan, approve, tasks, events, metrics] = outputs;
    expect(plan).toContain('phase AwaitingApproval');
    expect(plan).toMatch(/Review Users: 3 moved/);
    expect(approve).toContain('approved (occupier.dev/approve=true)');
    expect(tasks).toMatch(/london-canary-wharf\s+contract\s+Succeeded/);
    expect(tasks).toMatch(/london-shoreditch\s+services\s+Pending/); // the end of the move date
    for (const reason of ['Approved', 'Started', 'DestinationReady']) expect(events).toMatch(new RegExp(`Normal\\s+${reason}\\s+sitemove/acme-design-to-canary-wharf`));
    expect(events).toContain('phase MoveScheduled → Moving: SiteMove acme-design-to-canary-wharf Running');
    expect(metrics).toContain('occupier_operator_orders{kind="SiteMove",phase="Running"} 1');
    expect(metrics).toMatch(/^occupier_operator_order_started_timestamp_seconds\{kind="SiteMove",namespace="occupiers",name="acme-design-to-canary-wharf"\} \d+$/m);
  });

  it("runs the order runbooks' read-only commands as printed, with the variables they say to set", () => {
    const vars = { KIND: 'sitemove', NS: 'occupiers', NAME: 'acme-design-to-canary-wharf', KUBECONFIG: join(dir, '.occupier/kubeconfig') };
    const ran: string[] = [];
    for (const alert of ['OrderStuck', 'OrderScheduleMissed', 'OrderFailed', 'OrderBlocked']) {
      for (const line of runbookCommands(alert).map((l) => l.replace(/\s+#.*$/, ''))) {
        if (!/^kubectl -n \$NS (get|describe) /.test(line)) continue; // changes, edits and the operator's own namespace are not run
        const r = sh(line, vars);
        expect(r.status, `${alert}: ${line}\n${r.stderr}`).toBe(0);
        ran.push(line);
        if (line.includes('.status.tasks[*]')) expect(r.stdout).toMatch(/^london-canary-wharf\tcontract\tSucceeded\t1\t/m);
        if (line.endsWith(`{.status.phase}{"\\n"}'`)) expect(r.stdout).toBe('Running\n');
      }
    }
    expect(ran.length).toBeGreaterThanOrEqual(7);
  });
});
