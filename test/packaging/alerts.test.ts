/**
 * The chart's PrometheusRule: its groups, as rendered, must pass `promtool check rules`,
 * and `promtool test rules` with charts/occupier-operator/tests/alerts.test.yaml must fire
 * every alert (and show each one not firing). Every alert has a severity, a summary, a
 * description, and a runbook section in docs/runbooks.md that its runbook_url points at.
 */
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dump, load } from 'js-yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { anchorOf, runbookAnchors, runbookSection } from './runbooks.ts';
import { CHART_DIR, ROOT, helmTemplate, one, run } from './tools.ts';
import type { Values } from './tools.ts';

interface AlertRule {
  alert: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
interface RuleGroup {
  name: string;
  rules: AlertRule[];
}

const UNIT_TESTS = join(CHART_DIR, 'tests', 'alerts.test.yaml');
const ALERTS = [
  'OccupierOperatorDown',
  'OccupierOperatorNoLeader',
  'OrderStuck',
  'OrderScheduleMissed',
  'OrderFailed',
  'OrderBlocked',
  'ReconcileErrorRateHigh',
  'WorkqueueStuck',
];

const workdirs: string[] = [];
afterAll(() => {
  for (const dir of workdirs) rmSync(dir, { recursive: true, force: true });
});

function ruleGroups(values: Values = {}): RuleGroup[] {
  return (one(helmTemplate(values), 'PrometheusRule') as unknown as { spec: { groups: RuleGroup[] } }).spec.groups;
}

/** Writes the rendered groups as rules.yaml beside a copy of the unit tests; returns the directory. */
function promtoolWorkdir(values: Values = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'occupier-alerts-'));
  workdirs.push(dir);
  writeFileSync(join(dir, 'rules.yaml'), dump({ groups: ruleGroups(values) }));
  copyFileSync(UNIT_TESTS, join(dir, 'alerts.test.yaml'));
  return dir;
}

describe('PrometheusRule', () => {
  const rules = ruleGroups().flatMap((g) => g.rules);

  it('has every alert, each with a severity, a summary and a description', () => {
    expect(rules.map((r) => r.alert)).toEqual(ALERTS);
    for (const rule of rules) {
      expect(['critical', 'warning', 'info'], rule.alert).toContain(rule.labels?.severity);
      expect(rule.annotations?.summary, rule.alert).toBeTruthy();
      expect(rule.annotations?.description, rule.alert).toBeTruthy();
    }
  });

  it('points every alert at its runbook in docs/runbooks.md by default, a section that exists and says what to run', () => {
    const anchors = runbookAnchors();
    for (const rule of rules) {
      const url = rule.annotations?.runbook_url ?? '';
      expect(url, rule.alert).toBe(`docs/runbooks.md#${rule.alert.toLowerCase()}`);
      expect(anchors, `docs/runbooks.md has a section for ${rule.alert}`).toContain(url.split('#')[1]);
      expect(anchorOf(rule.alert)).toBe(url.split('#')[1]);
      const section = runbookSection(rule.alert);
      for (const part of ['**What it means.**', '**What to run.**', '**When to raise a case.**', '```sh']) expect(section, `${rule.alert}: ${part}`).toContain(part);
      // Namespaced commands name their namespace.
      for (const cmd of section.split('\n').filter((l) => /^kubectl (get|describe|logs|annotate|delete|edit|port-forward) /.test(l))) {
        if (!/ -A\b|get sites|auth can-i/.test(cmd)) expect(cmd, `${rule.alert}: ${cmd}`).toMatch(/^kubectl -n \$\w+ /);
      }
    }
    expect(runbookSection('NoSuchAlert')).toBe('');
  });

  it('leaves runbook_url out with runbookBaseURL empty', () => {
    for (const rule of ruleGroups({ prometheusRule: { runbookBaseURL: '' } }).flatMap((g) => g.rules)) expect(rule.annotations?.runbook_url, rule.alert).toBeUndefined();
  });

  it('the chart README links every alert to its runbook', () => {
    const readme = readFileSync(join(CHART_DIR, 'README.md'), 'utf8');
    for (const alert of ALERTS) expect(readme).toContain(`(../../docs/runbooks.md#${alert.toLowerCase()})`);
  });

  it('uses only metrics the operator defines', () => {
    const sources = ['operator', 'drivers']
      .flatMap((dir) => readdirSync(join(ROOT, dir), { recursive: true, encoding: 'utf8' }).map((f) => join(ROOT, dir, f)))
      .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
      .map((f) => readFileSync(f, 'utf8'))
      .join('\n');
    const used = new Set(rules.flatMap((r) => [...r.expr.matchAll(/\boccupier_operator_\w+/g)].map((m) => m[0])));
    expect(used.size).toBeGreaterThanOrEqual(7);
    // Defined by full name, or as `${PREFIX}<suffix>` (runtime/metrics.ts).
    const undefinedMetrics = [...used].filter((name) => !sources.includes(`'${name}'`) && !sources.includes(`\${PREFIX}${name.slice('occupier_operator_'.length)}\``));
    expect(undefinedMetrics).toEqual([]);
  });

  it('passes promtool check rules', () => {
    const dir = promtoolWorkdir();
    const result = run('promtool', ['check', 'rules', join(dir, 'rules.yaml')]);
    expect(result.stdout + result.stderr).toContain(`SUCCESS: ${ALERTS.length} rules found`);
    expect(result.status).toBe(0);
  });

  it('passes promtool test rules (tests/alerts.test.yaml)', () => {
    const dir = promtoolWorkdir();
    const result = run('promtool', ['test', 'rules', join(dir, 'alerts.test.yaml')]);
    expect(result.stdout + result.stderr).toContain('SUCCESS');
    expect(result.status, result.stdout + result.stderr).toBe(0);
  });

  it('has unit tests that fire each alert and show it not firing', () => {
    interface UnitTest {
      alert_rule_test?: { alertname: string; exp_alerts?: unknown[] }[];
    }
    const tests = (load(readFileSync(UNIT_TESTS, 'utf8')) as { tests: UnitTest[] }).tests;
    const checks = tests.flatMap((t) => t.alert_rule_test ?? []);
    for (const alert of ALERTS) {
      const mine = checks.filter((c) => c.alertname === alert);
      expect(mine.some((c) => (c.exp_alerts ?? []).length > 0), `${alert} fires in a test`).toBe(true);
      expect(mine.some((c) => (c.exp_alerts ?? []).length === 0), `${alert} stays quiet in a test`).toBe(true);
    }
  });

  it('fails the unit tests when a threshold changes (they test the rendered rules)', () => {
    const dir = promtoolWorkdir({ prometheusRule: { alerts: { OrderStuck: { runningSeconds: 10_800 } } } });
    const result = run('promtool', ['test', 'rules', join(dir, 'alerts.test.yaml')]);
    expect(result.status).not.toBe(0);
    expect(result.stdout + result.stderr).toContain('alertname: OrderStuck');
  });

  it('leaves out disabled alerts and adds labels and runbook URLs from values', () => {
    const custom = ruleGroups({
      prometheusRule: {
        runbookBaseURL: 'https://git.example.com/ops/README.md',
        additionalAlertLabels: { team: 'facilities-platform' },
        alerts: { OrderBlocked: { enabled: false } },
      },
    }).flatMap((g) => g.rules);
    expect(custom.map((r) => r.alert)).toEqual(ALERTS.filter((a) => a !== 'OrderBlocked'));
    for (const rule of custom) {
      expect(rule.labels?.team).toBe('facilities-platform');
      expect(rule.annotations?.runbook_url).toBe(`https://git.example.com/ops/README.md#${rule.alert.toLowerCase()}`);
    }
  });
});
