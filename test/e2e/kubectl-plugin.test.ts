/**
 * The kubectl plugin (`kubectl occupier ...`), end to end: the real bin (`kubectl-occupier.js`,
 * linked into a bin directory as `npm i -g` links it) run as a child process — by real kubectl's
 * plugin mechanism, and on its own with `--kubeconfig` — against the API server (embedded or
 * real), with orders created by kubectl and driven by the operator in process. What the plugin
 * prints is checked against the orders' status read through the real client.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { load } from 'js-yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Task } from '../../operator/src/api/index.ts';
import { filterTasks } from '../../operator/src/kubectl-plugin/tasks.ts';
import type { TasksView } from '../../operator/src/kubectl-plugin/tasks.ts';
import type { PlanView } from '../../operator/src/kubectl-plugin/plan.ts';
import type { HistoryView } from '../../operator/src/kubectl-plugin/history.ts';
import { startOperator } from '../../operator/src/operator.ts';
import type { RunningOperator } from '../../operator/src/operator.ts';
import { silentLogger } from '../../operator/src/runtime/index.ts';
import { kubectlBinary, withCluster } from '../support/cluster.ts';
import type { ClusterEnv, KubectlResult } from '../support/cluster.ts';
import { conditionOf, decommission, manifest, NS, Objects, occupier, phaseOf, site, siteMove, until } from '../support/estate.ts';
import type { Obj } from '../support/estate.ts';

const REPO = resolve(import.meta.dirname, '../..');
const SHIM = join(REPO, 'operator/src/kubectl-plugin/kubectl-occupier.js');

let env: ClusterEnv;
let op: RunningOperator;
let objects: Objects;
let binDir: string;

const A = { name: 'kp-a', index: 1 };
const B = { name: 'kp-b', index: 2 };
/** A site whose driver fails every Wi-Fi device removal (permanently) until it is re-applied without the fault. */
const F = { name: 'kp-f', index: 3 };
/** A site that does not offer wifi-secure: a move there is Blocked with that service unmatched. */
const C = { name: 'kp-c', index: 4 };

/** Where resellers and their customer live (access levels on every service, as CustomerMoves need). */
const R = { name: 'kp-r', index: 5 };
function resellerSite(): Obj {
  const o = site(R.name, R.index);
  (o.spec as { catalog: { services: unknown[] } }).catalog.services = [
    { name: 'internet-100', capability: 'network', accessLevels: [{ name: 'Standard', properties: { bandwidthMbps: '100' } }] },
    { name: 'wifi-secure', capability: 'wifi', accessLevels: [{ name: 'Standard', properties: { devicesPerUser: '3' } }] },
  ];
  return o;
}
const SERVICES = [
  { name: 'internet-100', accessLevel: 'Standard' },
  { name: 'wifi-secure', accessLevel: 'Standard' },
];
function resellerOccupier(name: string): Obj {
  return {
    apiVersion: 'occupier.dev/v1alpha1',
    kind: 'Occupier',
    metadata: { name, namespace: NS },
    spec: { displayName: `Reseller ${name}`, reseller: true, sites: [{ site: R.name, contract: { startDate: '2024-01-01', tariff: 'standard-2026' }, services: SERVICES.map((x) => ({ quantity: 10, ...x })) }] },
  };
}

function siteWithoutWifi(): Obj {
  const o = site(C.name, C.index);
  const spec = o.spec as { catalog: { services: { name: string }[] } };
  spec.catalog.services = spec.catalog.services.filter((x) => x.name !== 'wifi-secure');
  return o;
}

interface RunOpts {
  stdin?: string;
  env?: Record<string, string>;
  /** Run as `kubectl occupier ...` (kubectl finds kubectl-occupier on PATH); else the bin directly with --kubeconfig. */
  viaKubectl?: boolean;
}

/** The environment without the test runner's colour settings (FORCE_COLOR, even empty, forces colour). */
/** The environment without what decides colour: NO_COLOR, FORCE_COLOR, and CI (with CI set, Node gives a terminal no colours). */
function withoutColourSettings(e: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const { NO_COLOR: _no, FORCE_COLOR: _force, CI: _ci, ...rest } = e;
  return rest;
}

/** Runs the plugin as a user does; never throws on a non-zero exit. */
function plugin(args: string[], opts: RunOpts = {}): Promise<KubectlResult> {
  const kubectl = kubectlBinary();
  const cacheDir = join(env.dataDir, 'plugin-home');
  const [cmd, argv] = opts.viaKubectl ? [kubectl ?? 'kubectl', ['occupier', ...args]] : [join(binDir, 'kubectl-occupier'), ['--kubeconfig', env.kubeconfigPath, ...args]];
  return new Promise((done, reject) => {
    const childEnv = withoutColourSettings({ ...process.env, PATH: `${binDir}:${process.env['PATH'] ?? ''}`, KUBECONFIG: env.kubeconfigPath, HOME: cacheDir });
    const child = spawn(cmd, argv, { env: { ...childEnv, ...opts.env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      done({ code: code ?? -1, stdout, stderr });
    });
    child.stdin.end(opts.stdin ?? '');
  });
}

async function pluginOk(args: string[], opts: RunOpts = {}): Promise<string> {
  const r = await plugin(args, opts);
  if (r.code !== 0) throw new Error(`kubectl occupier ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return r.stdout;
}

const kubectl = (args: string[], stdin?: string): Promise<string> => env.kubectlOk(args, stdin);

interface OrderStatus {
  phase?: string;
  plan?: { summary?: string; itemCount?: number; counts?: Record<string, number>; items?: { kind: string; name: string; action: string }[]; stored?: { configMaps: string[] } };
  tasks?: Task[];
}
const st = (o: Obj | undefined): OrderStatus => (o?.status ?? {}) as OrderStatus;
const annotations = (o: Obj | undefined): Record<string, string> => ((o?.metadata as { annotations?: Record<string, string> } | undefined)?.annotations ?? {});

async function readyOccupier(name: string, n: number, s: { name: string; index: number }, users = 4): Promise<void> {
  await kubectl(['apply', '-f', '-'], manifest(occupier(name, n, { sites: [s], users, numbers: 4, devices: 2, ports: 1 })));
  await until(`occupier ${name} Ready`, async () => conditionOf(await objects.get('occupiers', name), 'Ready')?.status === 'True', 60_000);
}

async function waitPhase(plural: string, name: string, phase: string, timeoutMs = 40_000): Promise<Obj> {
  return until(`${plural} ${name} ${phase}`, async () => {
    const o = await objects.get(plural, name);
    return phaseOf(o) === phase ? o : undefined;
  }, timeoutMs).catch(async (err: unknown) => {
    throw new Error(`${String(err)}; status: ${JSON.stringify((await objects.get(plural, name))?.status)}`, { cause: err });
  });
}

/** `kind/action` counts of plan items, as status.plan.counts keeps them. */
function countsOf(items: readonly { kind: string; action: string }[]): Record<string, number> {
  const c: Record<string, number> = {};
  for (const i of items) c[`${i.kind}/${i.action}`] = (c[`${i.kind}/${i.action}`] ?? 0) + 1;
  return c;
}

beforeAll(async () => {
  env = await withCluster();
  objects = new Objects(env.kubeConfig);
  // The bin linked as `npm i -g` links it: a symlink on PATH named after the plugin.
  binDir = mkdtempSync(join(tmpdir(), 'kubectl-occupier-bin-'));
  symlinkSync(SHIM, join(binDir, 'kubectl-occupier'));
  op = startOperator({ kubeConfig: env.kubeConfig, metricsPort: 0, handleSignals: false, logger: silentLogger() });
  await kubectl(['create', 'namespace', NS]);
  await kubectl(['apply', '-f', '-'], manifest(site(A.name, A.index), site(B.name, B.index), site(F.name, F.index, { failOnStep: 'wifi/device/remove' }), siteWithoutWifi(), resellerSite()));
  await until('operator ready', async () => op.manager.isReady());
}, 120_000);

afterAll(async () => {
  await op?.stop();
  await env?.stop();
  if (binDir) rmSync(binDir, { recursive: true, force: true });
});

describe('kubectl occupier', () => {
  it('plan: a Manual SiteMove reviewed as the wizard screens, every item of status.plan shown and counted; approve starts it; tasks follow it', async () => {
    await readyOccupier('kp-mover', 1, A);
    await kubectl(['apply', '-f', '-'], manifest(siteMove('kp-mover', 'kp-mover', A.name, B.name, { approval: 'Manual', telephony: 'Transfer', spaces: ['office-11'] })));
    const waiting = await waitPhase('sitemoves', 'kp-mover', 'AwaitingApproval');
    const plan = st(waiting).plan;
    const items = plan?.items ?? [];
    expect(items.length).toBeGreaterThan(10);

    // Through kubectl's plugin mechanism, -n as the user types it.
    const text = await pluginOk(['plan', 'sitemove/kp-mover', '-n', NS], { viaKubectl: true });
    expect(text).toMatch(/^SiteMove occupiers\/kp-mover\s+occupier kp-mover\s+phase AwaitingApproval/);
    expect(text).toContain(`Plan: ${plan?.summary} (${items.length} items`);
    // Users move (site access at the destination) and lose their accounts at the source.
    expect(text).toMatch(/Review Users: 4 moved, 0 new, 4 released, 0 unmatched/);
    expect(text).toMatch(/Review Services: 0 moved, 2 new, 2 released, 0 unmatched/);
    expect(text).toMatch(/Review Phone numbers: 4 moved, 0 new, 0 released, 0 unmatched/);
    expect(text).toMatch(/Review Spaces: 0 moved, 1 new, 1 released, 0 unmatched/);
    expect(text).toMatch(/Review IPs and VLANs: 0 moved, 1 new, 1 released, 0 unmatched/);
    expect(text).toMatch(/NAME\s+SITE\s+CHANGE\s+ACTION\s+STEP\s+DETAIL/);
    for (const i of items) expect(text, `${i.kind} ${i.name}`).toContain(i.name);
    expect(text).toMatch(/user0@kp-mover\.example\s+kp-b\s+moved\s+Move\s+users/);
    expect(text).toContain(`Approve to run it: kubectl occupier -n ${NS} approve sitemove/kp-mover`);
    expect(text, 'no colour when stdout is not a terminal').not.toContain('\u001b[');

    // -o json: the same review for scripts; every item once, counts as status keeps them.
    const view = JSON.parse(await pluginOk(['plan', 'smv/kp-mover', '-n', NS, '-o', 'json'])) as PlanView;
    expect(view.source).toBe('status');
    expect(view.itemCount).toBe(plan?.itemCount);
    const shown = view.screens.flatMap((s) => s.items);
    expect(shown).toHaveLength(items.length);
    expect(countsOf(shown)).toEqual(plan?.counts);
    for (const s of view.screens) expect(Object.values(s.counts).reduce((a, b) => a + b, 0)).toBe(s.items.length);
    // -o yaml parses to the same thing.
    expect(load(await pluginOk(['plan', 'sitemoves/kp-mover', '-n', NS, '-o', 'yaml']))).toEqual(view);

    // No tasks before the run; approve starts it.
    const none = await plugin(['tasks', 'sitemove/kp-mover', '-n', NS]);
    expect(none).toMatchObject({ code: 0, stdout: '' });
    expect(none.stderr).toContain('No tasks yet in sitemove occupiers/kp-mover: it is AwaitingApproval');
    const approved = await pluginOk(['approve', 'sitemove/kp-mover', '-n', NS], { viaKubectl: true });
    expect(approved).toContain('sitemove.occupier.dev/kp-mover approved (occupier.dev/approve=true): it starts now');
    expect(annotations(await objects.get('sitemoves', 'kp-mover'))['occupier.dev/approve']).toBe('true');
    const running = await until('DestinationReady', async () => {
      const o = await objects.get('sitemoves', 'kp-mover');
      return conditionOf(o, 'DestinationReady')?.status === 'True' ? o : undefined;
    });
    const again = await plugin(['approve', 'sitemove/kp-mover', '-n', NS]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/error: sitemove occupiers\/kp-mover is Running \(started .*\): there is nothing left to approve/);

    // tasks: the whole table, then filtered like the manual's Tasks page; -o json equals status filtered by hand.
    const all = st(running).tasks ?? [];
    const table = await pluginOk(['tasks', 'sitemove/kp-mover', '-n', NS]);
    expect(table.split('\n')[0]).toMatch(/^SITE\s+STEP\s+STATE\s+ATTEMPTS\s+ITEMS\s+NEXT\s+LAST ERROR$/);
    expect(table.trim().split('\n')).toHaveLength(all.length + 1);
    expect(table).toMatch(/kp-b\s+contract\s+Succeeded\s+[1-9]/);
    expect(table).toMatch(/kp-a\s+network\s+Pending\s+0\s+\S+\s+starts in \S+/);
    const filter = { states: ['Pending' as const], sites: [A.name], steps: [] };
    const filtered = JSON.parse(await pluginOk(['tasks', 'smv/kp-mover', '-n', NS, '--state', 'pending', '--site', A.name, '-o', 'json'])) as TasksView;
    const expected = all.filter((t) => t.state === 'Pending' && t.site === A.name);
    expect(expected.length).toBeGreaterThan(0);
    expect(filtered.tasks.map((t) => `${t.site}/${t.step}`)).toEqual(expected.map((t) => `${t.site}/${t.step}`));
    expect(filterTasks(all, filter)).toEqual(expected);
    const byStep = await plugin(['tasks', 'smv/kp-mover', '-n', NS, '--step', 'contract,network', '--state', 'Succeeded']);
    expect(byStep.stdout.trim().split('\n').slice(1).map((l) => l.split(/\s+/).slice(0, 3).join(' '))).toEqual(
      all.filter((t) => ['contract', 'network'].includes(t.step) && t.state === 'Succeeded').map((t) => `${t.site} ${t.step} Succeeded`),
    );
    expect(byStep.stderr).toMatch(/\d+ of \d+ tasks \(--state Succeeded --step contract,network\)/);
    const wide = await pluginOk(['tasks', 'smv/kp-mover', '-n', NS, '-o', 'wide']);
    expect(wide.split('\n')[0]).toMatch(/NOT BEFORE\s+NEXT RETRY AT\s+STARTED\s+COMPLETED\s+LAST ERROR$/);
  });

  it('approve and retry refuse what the engine would ignore, naming the field and value; a Scheduled order has no plan yet, a Blocked one shows what is unmatched', async () => {
    await readyOccupier('kp-auto', 2, A);
    await kubectl(['apply', '-f', '-'], manifest(siteMove('kp-auto', 'kp-auto', A.name, B.name, { scheduledAt: '2099-01-01T00:00:00Z' })));
    await waitPhase('sitemoves', 'kp-auto', 'Scheduled');
    const r = await plugin(['approve', 'sitemove/kp-auto', '-n', NS]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('error: sitemove occupiers/kp-auto has spec.approval: Automatic: it runs without approval, there is nothing to approve');
    expect(annotations(await objects.get('sitemoves', 'kp-auto'))['occupier.dev/approve']).toBeUndefined();
    // A Scheduled order has no plan yet, and says so.
    expect(await pluginOk(['plan', 'sitemove/kp-auto', '-n', NS])).toContain('No plan yet: the plan is computed when the order is due (it is Scheduled).');
    const retry = await plugin(['retry', 'sitemove/kp-auto', '-n', NS]);
    expect(retry).toMatchObject({ code: 1, stderr: 'error: sitemove occupiers/kp-auto is Scheduled: only a Failed order can be retried\n' });
    await kubectl(['-n', NS, 'delete', 'sitemove', 'kp-auto', '--wait=true', '--timeout=30s']);

    // Blocked: the review shows what is unmatched and the Blocked message (every reason), no items yet.
    await kubectl(['apply', '-f', '-'], manifest(siteMove('kp-auto-c', 'kp-auto', A.name, C.name)));
    const blocked = await waitPhase('sitemoves', 'kp-auto-c', 'Blocked');
    const message = conditionOf(blocked, 'Blocked')?.message ?? '';
    expect(message).toContain('wifi-secure');
    const text = await pluginOk(['plan', 'sitemove/kp-auto-c', '-n', NS]);
    expect(text).toContain(`Plan: ${st(blocked).plan?.summary} (its items are listed once the prerequisites are met)`);
    expect(text).toContain('Unmatched (the order is blocked until they are mapped or fixed): wifi-secure');
    expect(text).toContain(`Blocked: ${message}`);
    expect(text).not.toContain('Review ');
    await kubectl(['-n', NS, 'delete', 'sitemove', 'kp-auto-c', '--wait=true', '--timeout=30s']);
  });

  it('a Decommission is approved only with the occupier name typed again (or --yes); failed, it is retried the same way; history shows its orders, record and events', async () => {
    await readyOccupier('kp-gone', 3, F);
    await kubectl(['apply', '-f', '-'], manifest(decommission('kp-gone', 'kp-gone', { approval: 'Manual' })));
    await waitPhase('decommissions', 'kp-gone', 'AwaitingApproval');

    const wrong = await plugin(['approve', 'decommission/kp-gone', '-n', NS], { stdin: 'kp-gon\n' });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain("Type the occupier's name (kp-gone) to confirm: ");
    expect(wrong.stderr).toContain('error: confirmation "kp-gon" does not match the occupier\'s name "kp-gone": nothing changed');
    const silent = await plugin(['approve', 'decom/kp-gone', '-n', NS]);
    expect(silent.code).toBe(1);
    expect(silent.stderr).toContain('error: no confirmation given (stdin ended): type the occupier\'s name "kp-gone", or pass --yes; nothing changed');
    expect(annotations(await objects.get('decommissions', 'kp-gone'))['occupier.dev/approve']).toBeUndefined();
    expect(phaseOf(await objects.get('decommissions', 'kp-gone'))).toBe('AwaitingApproval');

    const right = await plugin(['approve', 'decommission/kp-gone', '-n', NS], { stdin: 'kp-gone\n', viaKubectl: true });
    expect(right.code, right.stderr).toBe(0);
    expect(right.stdout).toContain('decommission.occupier.dev/kp-gone approved (occupier.dev/approve=true)');

    // The site's driver refuses to remove Wi-Fi devices: the order fails at that step.
    const failed = await waitPhase('decommissions', 'kp-gone', 'Failed');
    const bad = (st(failed).tasks ?? []).filter((t) => t.state === 'Failed');
    expect(bad.map((t) => `${t.site}/${t.step}`)).toEqual([`${F.name}/wifi-devices`]);
    const failedTable = await plugin(['tasks', 'decommission/kp-gone', '-n', NS, '--state', 'Failed']);
    expect(failedTable.stdout.trim().split('\n')).toHaveLength(2);
    expect(failedTable.stdout).toMatch(/kp-f\s+wifi-devices\s+Failed\s+\d+\s+\S+\s+.*InjectedFailure/);
    expect(failedTable.stderr).toContain(`Resume from the failed step: kubectl occupier -n ${NS} retry decommission/kp-gone`);

    // Fixed at the site, retried with --yes (a script), as the hint says.
    await kubectl(['apply', '-f', '-'], manifest(site(F.name, F.index)));
    const retried = await pluginOk(['retry', 'decommission/kp-gone', '-n', NS, '--yes']);
    expect(retried).toContain(`decommission.occupier.dev/kp-gone retry requested (occupier.dev/retry=true): resumes from ${F.name}/wifi-devices`);
    await waitPhase('decommissions', 'kp-gone', 'Succeeded');
    await until('occupier Decommissioned', async () => phaseOf(await objects.get('occupiers', 'kp-gone')) === 'Decommissioned');

    const history = await pluginOk(['history', 'kp-gone', '-n', NS], { viaKubectl: true });
    expect(history).toMatch(/^Occupier occupiers\/kp-gone\s+phase Decommissioned/);
    expect(history).toMatch(/Decommission\s+kp-gone\s+occupier\s+Succeeded/);
    expect(history).toMatch(/Archived record\n {2}records\/archive\/occupiers\/kp-gone, archived \S+: contracts 1/);
    expect(history).toMatch(/Events\nLAST SEEN\s+TYPE\s+REASON\s+COUNT\s+MESSAGE/);
    const json = JSON.parse(await pluginOk(['history', 'occupier/kp-gone', '-n', NS, '-o', 'json'])) as HistoryView;
    expect(json.status?.phase).toBe('Decommissioned');
    expect(json.orders.map((o) => `${o.kind}/${o.name}/${o.phase}`)).toEqual(['Decommission/kp-gone/Succeeded']);
    expect(json.archive?.recordRef).toBe('records/archive/occupiers/kp-gone');
    const occEvents = (await kubectl(['-n', NS, 'get', 'events', '--field-selector', 'involvedObject.name=kp-gone,involvedObject.kind=Occupier', '-o', 'jsonpath={.items[*].reason}'])).split(' ').filter(Boolean);
    expect(json.events.map((e) => e.reason).sort()).toEqual(occEvents.sort());
  });

  it('a CustomerMove: its plan (billing, directory, services, users moved), approved; history of the customer and of the reseller it moved to', async () => {
    for (const r of ['kp-rs-old', 'kp-rs-new']) await kubectl(['apply', '-f', '-'], manifest(resellerOccupier(r)));
    const cust = occupier('kp-cust', 5, { sites: [R], users: 2, numbers: 1, devices: 0, ports: 0 });
    const spec = cust.spec as { resellerRef?: { name: string }; sites: { services: unknown[] }[] };
    spec.resellerRef = { name: 'kp-rs-old' };
    for (const e of spec.sites) e.services = SERVICES.map((x) => ({ quantity: 1, ...x }));
    await kubectl(['apply', '-f', '-'], manifest(cust));
    for (const n of ['kp-rs-old', 'kp-rs-new', 'kp-cust']) await until(`${n} Ready`, async () => conditionOf(await objects.get('occupiers', n), 'Ready')?.status === 'True', 60_000);
    const move = { apiVersion: 'occupier.dev/v1alpha1', kind: 'CustomerMove', metadata: { name: 'kp-cust-move', namespace: NS }, spec: { occupierRef: { name: 'kp-cust' }, toReseller: { name: 'kp-rs-new' }, approval: 'Manual' } };
    await kubectl(['apply', '-f', '-'], manifest(move));
    const waiting = await waitPhase('customermoves', 'kp-cust-move', 'AwaitingApproval');
    const items = st(waiting).plan?.items ?? [];
    const view = JSON.parse(await pluginOk(['plan', 'cmv/kp-cust-move', '-n', NS, '-o', 'json'])) as PlanView;
    expect(countsOf(view.screens.flatMap((x) => x.items))).toEqual(countsOf(items));
    expect(view.screens.find((x) => x.kind === 'User')?.counts).toEqual({ moved: 2, new: 0, released: 0, unmatched: 0 });
    const text = await pluginOk(['plan', 'customermove/kp-cust-move', '-n', NS]);
    expect(text).toMatch(/^CustomerMove occupiers\/kp-cust-move\s+occupier kp-cust\s+phase AwaitingApproval/);
    expect(text).toMatch(/user1@kp-cust\.example\s+kp-r\s+moved\s+Move/);
    expect(text).toMatch(/Review Contracts: 1 moved/);

    // Not a Decommission: no typed confirmation.
    expect(await pluginOk(['approve', 'customermove/kp-cust-move', '-n', NS])).toContain('customermove.occupier.dev/kp-cust-move approved');
    await waitPhase('customermoves', 'kp-cust-move', 'Succeeded');
    const mine = load(await pluginOk(['history', 'kp-cust', '-n', NS, '-o', 'yaml'])) as HistoryView;
    expect(mine.orders.map((o) => `${o.kind}/${o.name}/${o.role}/${o.phase}`)).toEqual(['CustomerMove/kp-cust-move/occupier/Succeeded']);
    await until('customer under the new reseller', async () => ((await objects.get('occupiers', 'kp-cust'))?.status as { reseller?: string } | undefined)?.reseller === 'kp-rs-new');
    expect(await pluginOk(['history', 'kp-cust', '-n', NS])).toMatch(/reseller kp-rs-new/);
    const theirs = await pluginOk(['history', 'kp-rs-new', '-n', NS]);
    expect(theirs).toMatch(/CustomerMove\s+kp-cust-move\s+reseller of kp-cust\s+Succeeded/);
  });

  it('a plan too large for status is read from its ConfigMaps, every item once', async () => {
    await readyOccupier('kp-big', 4, A, 160);
    await kubectl(['apply', '-f', '-'], manifest(siteMove('kp-big', 'kp-big', A.name, B.name, { approval: 'Manual' })));
    const waiting = await waitPhase('sitemoves', 'kp-big', 'AwaitingApproval');
    const plan = st(waiting).plan;
    expect(plan?.stored?.configMaps, 'the plan is in ConfigMaps').toEqual(['sitemove.kp-big.plan']);
    const view = JSON.parse(await pluginOk(['plan', 'sitemove/kp-big', '-n', NS, '-o', 'json'])) as PlanView;
    expect(view.source).toBe('configmaps');
    const shown = view.screens.flatMap((s) => s.items);
    expect(shown).toHaveLength(plan?.itemCount ?? -1);
    expect(countsOf(shown)).toEqual(plan?.counts);
    expect(view.screens.find((s) => s.kind === 'User')?.counts.moved).toBe(160);
    const text = await pluginOk(['plan', 'sitemove/kp-big', '-n', NS]);
    expect(text).toContain('Items read from ConfigMap sitemove.kp-big.plan (SHA-256 checked against status.plan.stored)');
    expect(text).toContain('user159@kp-big.example');
    await kubectl(['-n', NS, 'delete', 'sitemove', 'kp-big', '--wait=true', '--timeout=30s']);
  });

  it('errors as kubectl prints them; flags of kubectl (--context, namespace of the context); usage errors exit 2', async () => {
    const missing = await plugin(['plan', 'sitemove/nope', '-n', NS]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^Error from server \(NotFound\): .*"nope" not found/);
    const ctx = await plugin(['tasks', 'sitemove/x', '--context', 'no-such-context']);
    expect(ctx.code).toBe(2);
    expect(ctx.stderr).toMatch(/^error: --context "no-such-context": no such context in the kubeconfig \(it has: .+\)/);
    const bad = await plugin(['tasks', 'sitemove/x', '--state', 'Done']);
    expect(bad).toMatchObject({ code: 2, stderr: "error: --state \"Done\" is not a task state: use Pending, Running, Succeeded, Failed\nSee 'kubectl occupier --help'.\n" });
    const out = await plugin(['plan', 'sitemove/x', '-o', 'xml']);
    expect(out.code).toBe(2);
    expect(out.stderr).toContain('error: --output "xml" is not supported: use json, yaml or wide');
    const help = await pluginOk(['--help'], { viaKubectl: true });
    expect(help).toContain('kubectl occupier plan <kind>/<name>');
    // Without -n, the namespace of the kubeconfig's context (as kubectl): set it to the orders' namespace.
    const kc = join(env.dataDir, 'ns-kubeconfig');
    writeFileSync(kc, await kubectl(['config', 'view', '--raw', '-o', 'yaml']));
    await env.kubectl(['--kubeconfig', kc, 'config', 'set-context', '--current', `--namespace=${NS}`]);
    const viaContext = await plugin(['--kubeconfig', kc, 'history', 'kp-mover']);
    expect(viaContext.code, viaContext.stderr).toBe(0);
    expect(viaContext.stdout).toMatch(/SiteMove\s+kp-mover\s+occupier\s+Running/);
  });

  it('colour only on a terminal, and never with NO_COLOR', async () => {
    const script = '/usr/bin/script';
    if (!existsSync(script)) return void expect.fail('script(1) is needed to give the plugin a terminal');
    const run = async (extra: string): Promise<string> => {
      const cmd = `${extra} ${join(binDir, 'kubectl-occupier')} --kubeconfig ${env.kubeconfigPath} tasks sitemove/kp-mover -n ${NS}`;
      const r = await new Promise<string>((done) => {
        const child = spawn(script, ['-qec', cmd, '/dev/null'], { env: { ...withoutColourSettings(process.env), TERM: 'xterm-256color' }, stdio: ['pipe', 'pipe', 'inherit'] });
        let out = '';
        child.stdout.on('data', (d: Buffer) => (out += d.toString()));
        child.on('close', () => done(out));
        child.stdin.end();
      });
      return r;
    };
    const tty = await run('env -u NO_COLOR');
    const ESC = String.fromCharCode(27);
    expect(tty).toContain(`${ESC}[32mSucceeded${ESC}[39m`);
    const plain = await run('env NO_COLOR=1');
    expect(plain).toMatch(/Succeeded/);
    expect(plain).not.toContain('\u001b[');
  });

  it('starts on an older Node by running the package\'s own Node 24', async () => {
    const old = ['/usr/bin/node', '/usr/local/bin/node'].find((p) => existsSync(p));
    if (!old) return;
    const r = await new Promise<KubectlResult>((done) => {
      const child = spawn(old, [SHIM, '--kubeconfig', env.kubeconfigPath, 'tasks', 'sitemove/kp-mover', '-n', NS, '--state', 'Succeeded'], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('close', (code) => done({ code: code ?? -1, stdout, stderr }));
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/kp-b\s+contract\s+Succeeded/);
  });
});
