/**
 * The Grafana dashboard (charts/occupier-operator/dashboards/occupier-operator.json): every
 * PromQL expression parses (promtool), reads only series a running operator exports on
 * /metrics (scraped after the examples were applied and reconciled, so driver calls exist)
 * and groups only by labels those series carry; every runbook link names a section of
 * docs/runbooks.md; the chart ships it in a ConfigMap for the Grafana sidecar with its
 * constants taken from the values.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dump } from 'js-yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOperator } from '../../operator/src/operator.ts';
import type { RunningOperator } from '../../operator/src/operator.ts';
import { silentLogger } from '../../operator/src/runtime/index.ts';
import { hasKubectl, withDevCluster } from '../support/cluster.ts';
import type { DevClusterEnv } from '../support/cluster.ts';
import { until } from '../support/estate.ts';
import { startPrometheus } from '../support/prometheus.ts';
import type { Prometheus } from '../support/prometheus.ts';
import { EXAMPLES_DIR } from '../support/examples.ts';
import { tearDown } from '../support/process.ts';
import { runbookAnchors } from './runbooks.ts';
import { CHART_DIR, helmTemplate, ofKind, one, run } from './tools.ts';
import type { K8sObject, Values } from './tools.ts';

const DASHBOARD_FILE = join(CHART_DIR, 'dashboards', 'occupier-operator.json');

interface Target {
  expr: string;
  refId: string;
}
interface Link {
  title: string;
  url: string;
}
interface Panel {
  id: number;
  type: string;
  title: string;
  targets?: Target[];
  links?: Link[];
  panels?: Panel[];
}
interface Variable {
  name: string;
  type: string;
  query: string | { query: string };
}
interface Dashboard {
  uid: string;
  title: string;
  panels: Panel[];
  links: Link[];
  templating: { list: Variable[] };
}

const dashboard = JSON.parse(readFileSync(DASHBOARD_FILE, 'utf8')) as Dashboard;
const panels = dashboard.panels.flatMap((p) => [p, ...(p.panels ?? [])]);
const targets = panels.flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title, expr: t.expr })));
const variable = (name: string): Variable | undefined => dashboard.templating.list.find((v) => v.name === name);

/** Grafana's variables replaced by what Prometheus would be sent (durations, numbers, a job). */
function substitute(expr: string): string {
  return expr
    .replaceAll('$__rate_interval', '1m')
    .replaceAll('$__interval', '30s')
    .replaceAll('$job', 'occupier-operator')
    .replaceAll('$stuck_after', '7200')
    .replaceAll('$late_after', '600');
}

const FUNCTIONS_AND_KEYWORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'bool', 'and', 'or', 'unless', 'offset', 'inf', 'nan']);

/**
 * The series names and grouping labels of a PromQL expression: strings, label matchers and
 * range selectors are dropped; `by (...)` lists are grouping labels; a bare identifier not
 * followed by "(" (a function or aggregation) and not a keyword is a series name.
 */
export function promqlNames(expr: string): { series: string[]; groupBy: string[] } {
  const noStrings = expr.replace(/"(?:[^"\\]|\\.)*"/g, '""');
  const groupBy = [...noStrings.matchAll(/\b(?:by|without|on|ignoring)\s*\(([^)]*)\)/g)].flatMap((m) =>
    (m[1] ?? '').split(',').map((l) => l.trim()).filter(Boolean),
  );
  const bare = noStrings
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ');
  const series = [...bare.matchAll(/\b([a-zA-Z_:][a-zA-Z0-9_:]*)\b(\s*\()?/g)]
    .filter((m) => m[2] === undefined && !FUNCTIONS_AND_KEYWORDS.has((m[1] ?? '').toLowerCase()))
    .map((m) => m[1] ?? '')
    .filter((name) => !/^\d/.test(name));
  return { series: [...new Set(series)], groupBy: [...new Set(groupBy)] };
}

/** Series names and their label names, from /metrics text (histograms: _bucket, _sum, _count). */
function exported(text: string): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  const add = (name: string, labels: string[] = []): void => {
    const set = out.get(name) ?? new Set<string>();
    for (const l of labels) set.add(l);
    out.set(name, set);
  };
  for (const line of text.split('\n')) {
    const type = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (type) {
      const [, name = '', kind] = type;
      if (kind === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) add(name + suffix, suffix === '_bucket' ? ['le'] : []);
      else if (kind === 'summary') for (const suffix of ['', '_sum', '_count']) add(name + suffix);
      else add(name);
      continue;
    }
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? /.exec(line);
    if (sample) add(sample[1] ?? '', [...(sample[2] ?? '').matchAll(/([a-zA-Z_]\w*)="/g)].map((m) => m[1] ?? ''));
  }
  return out;
}

/** What Prometheus adds to every scraped series (the ServiceMonitor's target labels). */
const TARGET_LABELS = ['job', 'instance', 'namespace', 'pod', 'service', 'container', 'endpoint'];

describe('the dashboard JSON', () => {
  it('has the panels the operator is watched by, each with at least one query', () => {
    expect(dashboard.uid).toBe('occupier-operator');
    const titles = panels.filter((p) => p.type !== 'row').map((p) => p.title);
    for (const title of [
      'Orders by kind and phase',
      'Orders failed',
      'Orders blocked',
      'Orders stuck',
      'Running orders (time since start)',
      'Reconciles per second',
      'Reconcile errors (share)',
      'Reconcile time (p50, p99)',
      'Queue depth',
      'Longest-running reconcile',
      'Driver calls per second',
      'Driver call latency (p50, p95)',
    ]) {
      expect(titles).toContain(title);
    }
    for (const p of panels.filter((q) => q.type !== 'row')) expect(p.targets?.length, p.title).toBeGreaterThan(0);
    expect(new Set(panels.map((p) => p.id)).size, 'panel ids are unique').toBe(panels.length);
  });

  it('parses: every expression passes promtool check rules', () => {
    const dir = mkdtempSync(join(tmpdir(), 'occupier-dashboard-'));
    try {
      const rules = targets.map((t, i) => ({ record: `dashboard:query_${i}`, expr: substitute(t.expr) }));
      writeFileSync(join(dir, 'rules.yaml'), dump({ groups: [{ name: 'dashboard', rules }] }));
      const result = run('promtool', ['check', 'rules', join(dir, 'rules.yaml')]);
      expect(result.stdout + result.stderr).toContain(`SUCCESS: ${rules.length} rules found`);
      expect(result.status).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('links each stuck, blocked, failed and late panel to a runbook section that exists', () => {
    const anchors = runbookAnchors();
    const links = [...dashboard.links, ...panels.flatMap((p) => p.links ?? [])];
    const linked = new Set<string>();
    for (const link of links) {
      expect(link.url.startsWith('${runbooks}'), link.url).toBe(true);
      const anchor = link.url.split('#')[1];
      if (anchor === undefined) continue;
      expect(anchors, `${link.title}: docs/runbooks.md has no section #${anchor}`).toContain(anchor);
      linked.add(anchor);
    }
    for (const alert of ['OrderStuck', 'OrderBlocked', 'OrderFailed', 'OrderScheduleMissed']) expect(linked).toContain(alert.toLowerCase());
    expect(variable('runbooks')?.query).toBe('docs/runbooks.md');
  });

  it('promqlNames finds series and grouping labels (and nothing else)', () => {
    expect(
      promqlNames('sum by (controller, le) (rate(occupier_operator_reconcile_time_seconds_bucket{job=~"$job",x="a b"}[$__rate_interval])) / on (controller) group_left sum(up) > bool 0'),
    ).toEqual({ series: ['occupier_operator_reconcile_time_seconds_bucket', 'up'], groupBy: ['controller', 'le'] });
    expect(promqlNames(substitute('count(time() - max by (kind) (foo_seconds) > $stuck_after) or vector(0)'))).toEqual({ series: ['foo_seconds'], groupBy: ['kind'] });
  });
});

describe.skipIf(!hasKubectl)('the dashboard against a running operator and a real Prometheus (embedded cluster, examples applied)', () => {
  let env: DevClusterEnv | undefined;
  let op: RunningOperator | undefined;
  let prometheus: Prometheus | undefined;
  let stateDir: string | undefined;
  let metrics = new Map<string, Set<string>>();

  beforeAll(async () => {
    env = await withDevCluster();
    const { kubectlOk } = env;
    stateDir = mkdtempSync(join(tmpdir(), 'dashboard-drivers-'));
    op = startOperator({ kubeConfig: env.kubeConfig, metricsPort: 0, stateDir, logger: silentLogger(), handleSignals: false });
    await until('operator ready', async () => (op?.manager.isReady() ? true : undefined));
    await kubectlOk(['apply', '-k', EXAMPLES_DIR]);
    await kubectlOk(['wait', '--for=condition=Ready', 'occupiers', '--all', '-n', 'occupiers', '--timeout=60s']);
    // One order running (and staying so: every call at its site stays in progress), the
    // other two scheduled: every order series has samples, driver calls have been made.
    await kubectlOk(['patch', 'site', 'manchester-spinningfields', '--type=merge', '-p', JSON.stringify({ spec: { drivers: { default: { settings: { stuckStep: '*' } } } } })]);
    await kubectlOk(['-n', 'occupiers', 'patch', 'decommission', 'initech', '--type=json', '-p', JSON.stringify([{ op: 'remove', path: '/spec/scheduledAt' }])]);
    await until('decommission initech Running', async () => (await kubectlOk(['-n', 'occupiers', 'get', 'decommission', 'initech', '-o', 'jsonpath={.status.phase}'])) === 'Running' || undefined, 30_000);
    const target = `127.0.0.1:${String(op.manager.port)}`;
    const res = await fetch(`http://${target}/metrics`);
    expect(res.status).toBe(200);
    metrics = exported(await res.text());
    prometheus = await startPrometheus('occupier-operator', [target]);
    const p = prometheus;
    // Enough scrapes for rate() over the window the queries are sent with.
    await until('5 scrapes', async () => Number((await p.query('count_over_time(up{job="occupier-operator"}[1m])'))[0]?.value[1] ?? 0) >= 5 || undefined, 30_000, 500);
  }, 180_000);

  afterAll(async () => {
    try {
      await prometheus?.stop();
    } finally {
      await tearDown({ operator: op, cluster: env, stateDir });
    }
  });

  it('reads only series the operator exports (and Prometheus\' own `up`)', () => {
    // The scrape saw every family the dashboard is about, with samples.
    for (const name of [
      'occupier_operator_orders',
      'occupier_operator_order_started_timestamp_seconds',
      'occupier_operator_order_scheduled_timestamp_seconds',
      'occupier_operator_reconcile_total',
      'occupier_operator_workqueue_depth',
      'occupier_operator_driver_calls_total',
      'occupier_operator_driver_call_duration_seconds_bucket',
    ]) {
      expect(metrics.get(name)?.size ?? 0, name).toBeGreaterThan(0);
    }
    const missing: string[] = [];
    for (const t of targets) {
      for (const name of promqlNames(substitute(t.expr)).series) if (name !== 'up' && !metrics.has(name)) missing.push(`${t.panel}: ${name}`);
    }
    expect(missing).toEqual([]);
    expect(new Set(targets.flatMap((t) => promqlNames(t.expr).series)).size).toBeGreaterThanOrEqual(12);
  });

  it('groups only by labels those series carry', () => {
    const wrong: string[] = [];
    for (const t of targets) {
      const { series, groupBy } = promqlNames(substitute(t.expr));
      const known = new Set([...TARGET_LABELS, ...series.flatMap((s) => [...(metrics.get(s) ?? [])])]);
      for (const label of groupBy) if (!known.has(label)) wrong.push(`${t.panel}: by (${label}) on ${series.join(', ')}`);
    }
    expect(wrong).toEqual([]);
  });

  it('every query runs in Prometheus, and the panels about what happened show it', async () => {
    const p = prometheus;
    if (!p) throw new Error('no prometheus');
    const results = new Map<string, number>();
    for (const t of targets) {
      const rows = await p.query(substitute(t.expr));
      results.set(t.panel, (results.get(t.panel) ?? 0) + rows.length);
    }
    // With the examples applied, one order running and two scheduled, these have data
    // (Leader is empty outside a pod: leader election is off; driver errors and order run
    // time need failures and finished orders).
    const empty = [
      'Operator up',
      'Orders failed',
      'Orders blocked',
      'Orders stuck',
      'Orders late',
      'Orders by kind and phase',
      'Running orders (time since start)',
      'Scheduled orders (time to start; negative = late)',
      'Orders finished',
      'Reconciles per second',
      'Reconcile errors (share)',
      'Reconcile time (p50, p99)',
      'Queue depth',
      'Longest-running reconcile',
      'Adds and retries',
      'Driver calls per second',
      'Driver call latency (p50, p95)',
    ].filter((panel) => !results.get(panel));
    expect(empty).toEqual([]);
    const running = await p.query(substitute(targets.find((t) => t.panel === 'Running orders (time since start)')?.expr ?? ''));
    expect(running.map((r) => r.metric)).toEqual([{ kind: 'Decommission', namespace: 'occupiers', name: 'initech' }]);
  });
});

describe('the chart ships the dashboard', () => {
  const configMap = (values: Values = {}): K8sObject =>
    one(ofKind(helmTemplate(values), 'ConfigMap').filter((c) => c.metadata.name.endsWith('-dashboard')), 'ConfigMap');
  const rendered = (cm: K8sObject): Dashboard => JSON.parse((cm['data'] as Record<string, string>)['occupier-operator.json'] ?? '') as Dashboard;
  const constant = (d: Dashboard, name: string): unknown => d.templating.list.find((v) => v.name === name)?.query;

  it('in a ConfigMap labelled for the Grafana sidecar, the JSON as in the repository', () => {
    const cm = configMap();
    expect(cm.metadata.namespace).toBe('occupier-system');
    expect(cm.metadata.labels?.['grafana_dashboard']).toBe('1');
    expect(rendered(cm)).toEqual(dashboard);
  });

  it('with the runbook base and the alert thresholds from the values, in the namespace asked for', () => {
    const cm = configMap({
      grafanaDashboard: { namespace: 'monitoring', labels: { grafana_dashboard: 'yes' }, annotations: { grafana_folder: 'Platform' } },
      prometheusRule: {
        runbookBaseURL: 'https://git.example.com/ops/occupier-operator/-/blob/main/docs/runbooks.md',
        alerts: { OrderStuck: { runningSeconds: 10_800 }, OrderScheduleMissed: { lateSeconds: 900 } },
      },
    });
    expect(cm.metadata.namespace).toBe('monitoring');
    expect(cm.metadata.labels?.['grafana_dashboard']).toBe('yes');
    expect(cm.metadata.annotations?.['grafana_folder']).toBe('Platform');
    const d = rendered(cm);
    expect(constant(d, 'runbooks')).toBe('https://git.example.com/ops/occupier-operator/-/blob/main/docs/runbooks.md');
    expect(constant(d, 'stuck_after')).toBe('10800');
    expect(constant(d, 'late_after')).toBe('900');
    expect(d.panels).toEqual(dashboard.panels);
  });

  it('not at all with grafanaDashboard.enabled=false', () => {
    expect(ofKind(helmTemplate({ grafanaDashboard: { enabled: false } }), 'ConfigMap').filter((c) => c.metadata.name.endsWith('-dashboard'))).toEqual([]);
  });
});
