/**
 * What `npm start` prints: JSON lines when stdout is a pipe (as in a pod or `| tee`), pino-pretty
 * and one banner when a person watches (a real pseudo-terminal from `script`, or
 * --log-format pretty). The banner's kubectl commands are run as printed against the cluster
 * the operator started.
 */
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { kubectlBinary } from '../../../test/support/cluster.ts';
import { bannerLines, loggerOptions, resolveLogFormat } from './banner.ts';
import { parseOptions } from './options.ts';

const REPO = resolve(import.meta.dirname, '../../..');
const MAIN = join(REPO, 'operator/src/cli/main.ts');
const READY = 'occupier-operator is ready';

const dirs: string[] = [];
const children = new Set<ChildProcess>();
afterEach(async () => {
  for (const c of children) {
    c.kill('SIGTERM');
    await new Promise((r) => (c.exitCode !== null || c.signalCode !== null ? r(undefined) : c.once('exit', r)));
  }
  children.clear();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'cli-output-'));
  dirs.push(d);
  return d;
}

/**
 * Runs the operator on a fresh embedded cluster until `until` appears in its stdout. With
 * `tty`, under `script` (util-linux), so stdout is a real pseudo-terminal.
 */
async function startCli(opts: { dataDir: string; args?: string[]; env?: Record<string, string>; tty?: boolean; until: string }): Promise<{ out: () => string }> {
  const argv = [MAIN, '--dev', '--fresh', '--data-dir', opts.dataDir, '--port', '0', '--metrics-port', '0', ...(opts.args ?? [])];
  const env: Record<string, string | undefined> = { ...process.env, KUBECONFIG: '', ...opts.env };
  for (const name of ['KUBERNETES_SERVICE_HOST', 'NO_COLOR', 'FORCE_COLOR']) delete env[name];
  const child = opts.tty
    ? spawn('script', ['-qfec', [process.execPath, ...argv].map((a) => `'${a}'`).join(' '), '/dev/null'], { cwd: REPO, env, stdio: ['pipe', 'pipe', 'pipe'] })
    : spawn(process.execPath, argv, { cwd: REPO, env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let out = '';
  let err = '';
  child.stdout?.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr?.on('data', (d: Buffer) => { err += d.toString(); });
  const deadline = Date.now() + 40_000;
  while (!out.includes(opts.until) && Date.now() < deadline && child.exitCode === null) await new Promise((r) => setTimeout(r, 100));
  if (!out.includes(opts.until)) throw new Error(`no "${opts.until}" in the output:\n${out}\n${err}`);
  // The lines written right after it.
  await new Promise((r) => setTimeout(r, 300));
  return { out: () => out };
}

describe('log format', () => {
  it('auto is pretty on a terminal outside a pod, JSON in a pod or on a pipe; json and pretty are what they say', () => {
    expect(resolveLogFormat('auto', { isTTY: true, inPod: false })).toBe('pretty');
    expect(resolveLogFormat('auto', { isTTY: false, inPod: false })).toBe('json');
    expect(resolveLogFormat('auto', { isTTY: true, inPod: true })).toBe('json');
    expect(resolveLogFormat('json', { isTTY: true, inPod: false })).toBe('json');
    expect(resolveLogFormat('pretty', { isTTY: false, inPod: true })).toBe('pretty');
    expect(loggerOptions('pretty', 'debug', false)).toMatchObject({ level: 'debug', transport: { target: 'pino-pretty' } });
    expect(loggerOptions('json', 'info', true)).toEqual({ level: 'info' });
  });

  it('is --log-format or OCCUPIER_LOG_FORMAT (auto by default), and a bad one is refused naming the flag and the value', () => {
    expect(parseOptions([], {}).logFormat).toBe('auto');
    expect(parseOptions([], { OCCUPIER_LOG_FORMAT: 'json' }).logFormat).toBe('json');
    expect(parseOptions(['--log-format', 'pretty'], { OCCUPIER_LOG_FORMAT: 'json' }).logFormat).toBe('pretty');
    expect(() => parseOptions(['--log-format', 'fancy'], {})).toThrow('--log-format must be one of auto, json, pretty, got "fancy"');
  });
});

describe('the banner', () => {
  it('names the kubeconfig in every kubectl command, the plugin, and how to run the cluster apart', () => {
    const lines = bannerLines({ metricsPort: 8080, kubeconfig: '.occupier/kubeconfig', devCluster: { url: 'https://127.0.0.1:8443', dataDir: '.occupier' } });
    const commands = lines.map((l) => l.trim()).filter((l) => l.startsWith('kubectl'));
    expect(commands.length).toBeGreaterThanOrEqual(5);
    for (const c of commands) expect(c, c).toContain('--kubeconfig .occupier/kubeconfig');
    expect(commands.some((c) => c.startsWith('kubectl occupier plan sitemove/acme-design-to-canary-wharf -n occupiers'))).toBe(true);
    expect(lines.join('\n')).toContain('stop this, npm run devcluster -- --data-dir .occupier, then npm start -- --kubeconfig .occupier/kubeconfig --driver-state-dir .occupier/drivers');
    expect(lines.join('\n')).toContain('--fresh wipes it');
    expect(lines.length, 'fits a first screen').toBeLessThanOrEqual(20);
    // Against a cluster of the default kubeconfig: plain kubectl, no dev-cluster hints.
    const plain = bannerLines({ metricsPort: 8080, kubeconfig: undefined, devCluster: undefined });
    expect(plain.filter((l) => l.includes('--kubeconfig'))).toEqual([]);
    expect(plain.join('\n')).not.toContain('devcluster');
  });
});

describe('npm start output', () => {
  it('on a pipe: every stdout line is JSON, one of them says ready with the kubeconfig, and there is no banner', async () => {
    const dataDir = tmp();
    const { out } = await startCli({ dataDir, until: '"msg":"occupier-operator ready"' });
    const lines = out().split('\n').filter(Boolean);
    const records = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    const ready = records.find((r) => r['msg'] === 'occupier-operator ready');
    expect(ready).toMatchObject({ level: 30, kubeconfig: join(dataDir, 'kubeconfig') });
    expect(typeof ready?.['metricsPort']).toBe('number');
    expect(out()).not.toContain(READY);
  });

  it('the ready line is there even with --log-level warn (scripts wait for it)', async () => {
    const { out } = await startCli({ dataDir: tmp(), args: ['--log-level', 'warn'], until: '"msg":"occupier-operator ready"' });
    expect(out().split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { msg: string }).msg)).toEqual(['occupier-operator ready']);
  });

  it('on a terminal (a pseudo-TTY): pino-pretty lines in colour, then the banner', async () => {
    const { out } = await startCli({ dataDir: tmp(), tty: true, until: READY });
    const text = stripVTControlCharacters(out());
    expect(stripVTControlCharacters(out()).length, 'colour escapes').toBeLessThan(out().length);
    expect(text).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: embedded development cluster started/m);
    expect(text).not.toMatch(/^\{"level"/m);
    expect(text).toContain('Next, in another terminal:');
  });

  it('--log-format pretty on a pipe: the same without colour, and the banner\'s kubectl commands work as printed', async () => {
    const dataDir = tmp();
    const { out } = await startCli({ dataDir, args: ['--log-format', 'pretty'], until: READY });
    expect(stripVTControlCharacters(out()), 'no colour escapes').toBe(out());
    expect(out()).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: caches synced/m);
    const banner = out().slice(out().indexOf(READY));
    expect(banner).toContain(`state is in ${dataDir}/`);
    const kubectl = kubectlBinary();
    if (!kubectl) throw new Error('kubectl not found (KUBECTL, KUBE_BIN_DIR or PATH)');
    const commands = banner
      .split('\n')
      .map((l) => l.replace(/#.*$/, '').trim())
      .filter((l) => l.startsWith('kubectl --kubeconfig ') && !l.endsWith(' -w'));
    expect(commands.map((c) => c.split(' ').slice(3, 5).join(' '))).toEqual(['apply -k', 'get tenancy', '-n occupiers']);
    for (const c of commands) {
      expect(c).toContain(`--kubeconfig ${join(dataDir, 'kubeconfig')}`);
      const r = spawnSync(kubectl, c.split(' ').slice(1), { cwd: REPO, encoding: 'utf8', timeout: 30_000 });
      expect(r.status, `${c}\n${r.stderr}`).toBe(0);
    }
  });
});
