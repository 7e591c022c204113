// One dev cluster per data directory: a second instance (CLI, `npm start` or in-process) is
// refused before it touches the directory, a stale lock of a dead process is taken over, and
// the lock goes with stop() (or a failed start).
import { afterEach, describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { DirectoryLockedError, LOCK_FILE, startDevCluster } from './index.ts';
import type { DevCluster } from './index.ts';

const DEVCLUSTER_MAIN = resolve(import.meta.dirname, 'main.ts');
const OPERATOR_MAIN = resolve(import.meta.dirname, '../cli/main.ts');

const dirs: string[] = [];
const children = new Set<ChildProcess>();
afterEach(() => {
  for (const c of children) c.kill('SIGKILL');
  children.clear();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'devcluster-lock-'));
  dirs.push(d);
  return d;
}

function api(kubeconfigPath: string): CoreV1Api {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfigPath);
  return kc.makeApiClient(CoreV1Api);
}

/** `npm run devcluster` as a child process, resolved once it is ready. */
async function startChild(dir: string): Promise<{ child: ChildProcess; pid: number; api: CoreV1Api }> {
  const child = spawn(process.execPath, [DEVCLUSTER_MAIN, '--port', '0', '--data-dir', dir, '--fresh', '--crds', join(dir, 'none')], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let out = '';
  child.stdout?.on('data', (d: Buffer) => { out += d.toString(); });
  const deadline = Date.now() + 20_000;
  while (!out.includes('devcluster ready') && Date.now() < deadline && child.exitCode === null) await new Promise((r) => setTimeout(r, 50));
  expect(out).toContain('devcluster ready');
  return { child, pid: child.pid ?? -1, api: api(join(dir, 'kubeconfig')) };
}

/** Runs a CLI to completion: exit code and stderr. */
function run(args: string[]): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, KUBECONFIG: '' } });
  children.add(child);
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => { stderr += d.toString(); });
  return new Promise((r) => child.once('exit', (code) => { children.delete(child); r({ code, stderr }); }));
}

async function refusal(p: Promise<DevCluster>): Promise<DirectoryLockedError> {
  const err: unknown = await p.then((c) => c.stop().then(() => undefined), (e: unknown) => e);
  expect(err).toBeInstanceOf(DirectoryLockedError);
  return err as DirectoryLockedError;
}

/** A pid that no live process has: a child that has exited (and been reaped). */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', '']);
  return r.pid ?? 4194000;
}

describe('devcluster data directory lock', () => {
  it('refuses a second instance on a running one\'s directory without touching its log; the first keeps every write across SIGKILL', async () => {
    const dir = tmp();
    const a = await startChild(dir);
    expect(readFileSync(join(dir, LOCK_FILE), 'utf8')).toBe(String(a.pid));
    const log = join(dir, 'store.jsonl');
    const before = { ino: statSync(log).ino, content: readFileSync(log, 'utf8') };

    // In-process, with and without --fresh: refused, naming A's pid, the directory and the way out.
    for (const fresh of [false, true]) {
      const err = await refusal(startDevCluster({ port: 0, dataDir: dir, fresh }));
      expect(err.pid).toBe(a.pid);
      expect(err.message).toBe(`data directory ${dir} is in use by process ${a.pid}: stop that process, or use another --data-dir (lock file ${join(dir, LOCK_FILE)})`);
    }
    // `npm run devcluster` and `npm start`: one line on stderr, exit code 1, no stack trace.
    const cli = await run([DEVCLUSTER_MAIN, '--port', '0', '--data-dir', dir, '--fresh', '--crds', join(dir, 'none')]);
    expect(cli.code).toBe(1);
    expect(cli.stderr).toBe(`devcluster: cannot start: data directory ${dir} is in use by process ${a.pid}: stop that process, or use another --data-dir (lock file ${join(dir, LOCK_FILE)})\n`);
    const start = await run([OPERATOR_MAIN, '--dev', '--data-dir', dir, '--port', '0', '--metrics-port', '0', '--fresh']);
    expect(start.code).toBe(1);
    expect(start.stderr.trimEnd().split('\n')).toEqual([
      `occupier-operator: cannot start the embedded development cluster: data directory ${dir} is in use by process ${a.pid}: stop that process, or use another --data-dir (lock file ${join(dir, LOCK_FILE)})`,
    ]);

    // A's log is the same file with the same content, and A's lock is still A's.
    expect(statSync(log).ino).toBe(before.ino);
    expect(readFileSync(log, 'utf8')).toBe(before.content);
    expect(readFileSync(join(dir, LOCK_FILE), 'utf8')).toBe(String(a.pid));

    // A acknowledges a write, dies without a chance to flush or unlock, and the restart keeps it.
    await a.api.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'two' }, data: { k: 'v' } } });
    await new Promise<void>((r) => { a.child.once('exit', () => r()); a.child.kill('SIGKILL'); });
    const b = await startDevCluster({ port: 0, dataDir: dir });
    try {
      expect((await api(b.kubeconfigPath).readNamespacedConfigMap({ namespace: 'default', name: 'two' })).data).toEqual({ k: 'v' });
    } finally {
      await b.stop();
    }
  });

  it('takes over the stale lock of a dead process', async () => {
    const dir = tmp();
    const a = await startDevCluster({ port: 0, dataDir: dir, fresh: true });
    await api(a.kubeconfigPath).createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'kept' } } });
    await a.stop();
    writeFileSync(join(dir, LOCK_FILE), String(deadPid()));
    const b = await startDevCluster({ port: 0, dataDir: dir });
    try {
      expect(readFileSync(join(dir, LOCK_FILE), 'utf8')).toBe(String(process.pid));
      expect((await api(b.kubeconfigPath).readNamespacedConfigMap({ namespace: 'default', name: 'kept' })).metadata?.name).toBe('kept');
    } finally {
      await b.stop();
    }
  });

  it('releases the lock on stop and when the start fails; refuses a second cluster in the same process', async () => {
    const dir = tmp();
    const a = await startDevCluster({ port: 0, dataDir: dir, fresh: true });
    expect(readFileSync(join(dir, LOCK_FILE), 'utf8')).toBe(String(process.pid));
    const err = await refusal(startDevCluster({ port: 0, dataDir: dir, fresh: true }));
    expect([err.pid, err.message]).toEqual([process.pid, expect.stringContaining(`in use by process ${process.pid} (this process)`)]);
    await a.stop();
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
    await (await startDevCluster({ port: 0, dataDir: dir })).stop();

    // A start that fails after taking the lock (port in use) gives it back.
    const busy = createServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', () => r()));
    try {
      const port = (busy.address() as AddressInfo).port;
      await expect(startDevCluster({ port, dataDir: dir })).rejects.toMatchObject({ code: 'EADDRINUSE' });
      expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
    } finally {
      await new Promise<void>((r) => busy.close(() => r()));
    }
    await (await startDevCluster({ port: 0, dataDir: dir })).stop();
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
  });
});
