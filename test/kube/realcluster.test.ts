// `npm run realcluster` as a user runs it: the CLI starts etcd and kube-apiserver, writes
// <data-dir>/kubeconfig, prints `kube-apiserver ready`, serves kubectl, and Ctrl-C (SIGINT)
// stops both processes. Needs the binaries of test/kube/build.sh (KUBE_BIN_DIR, set by
// vitest.config.ts when the real cluster can run).
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runKubectl } from '../support/cluster.ts';

const MAIN = resolve(import.meta.dirname, 'main.ts');
const binDir = process.env['KUBE_BIN_DIR'];
const dir = mkdtempSync(join(tmpdir(), 'realcluster-cli-'));

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Whether a process is alive (signal 0). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe.skipIf(!binDir)('npm run realcluster', () => {
  it('starts etcd and kube-apiserver, writes a kubeconfig kubectl uses, and Ctrl-C stops both', async () => {
    const child = spawn(process.execPath, [MAIN, '--data-dir', dir], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env } });
    let out = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { out += d.toString(); });
    const exited = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
    const deadline = Date.now() + 90_000;
    while (!out.includes('kube-apiserver ready') && Date.now() < deadline && child.exitCode === null) await new Promise((r) => setTimeout(r, 100));
    expect(out).toContain('kube-apiserver ready');
    const kubeconfig = join(dir, 'kubeconfig');
    expect(out).toContain(`kubeconfig: ${kubeconfig}`);
    const version = await runKubectl(kubeconfig, join(dir, 'kubectl-cache'), ['version', '-o', 'json']);
    expect(version.code, version.stderr).toBe(0);
    expect((JSON.parse(version.stdout) as { serverVersion: { gitVersion: string } }).serverVersion.gitVersion).toMatch(/^v1\.\d+\.\d+$/);
    // alice is in the token file with no rights: authenticated, then forbidden by RBAC.
    const who = await runKubectl(kubeconfig, join(dir, 'kubectl-cache'), ['--context', 'alice', 'auth', 'whoami', '-o', 'jsonpath={.status.userInfo.username}']);
    expect(who.stdout).toBe('alice');
    const denied = await runKubectl(kubeconfig, join(dir, 'kubectl-cache'), ['--context', 'alice', 'get', 'namespaces']);
    expect(denied.stderr).toContain('is forbidden: User "alice" cannot list resource "namespaces"');
    const pids = ['etcd', 'kube-apiserver'].map((name) => {
      const line = readFileSync(`/proc/${child.pid ?? 0}/task/${child.pid ?? 0}/children`, 'utf8').trim().split(/\s+/).map(Number)
        .find((pid) => existsSync(`/proc/${pid}/cmdline`) && readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0]?.endsWith(`/${name}`));
      expect(line, `${name} is a child of the CLI`).toBeDefined();
      return line ?? 0;
    });
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(out).toContain('stopping kube-apiserver and etcd');
    for (const pid of pids) expect(alive(pid), `process ${pid} stopped`).toBe(false);
  }, 120_000);
});
