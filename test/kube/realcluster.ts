// A real Kubernetes control plane for tests and local development, envtest-style: etcd and
// kube-apiserver built from the Go modules pinned in this folder (build.sh), started on free
// loopback ports. Nothing else runs: no controller-manager (so no namespace controller and no
// garbage collector), no scheduler, no kubelet — tests must not rely on them.
//
//   const bin = await ensureBinaries();                      // builds once, cached by go.sum
//   const etcd = await startEtcd({ binDir: bin, dataDir });   // one etcd can serve many API servers
//   const api = await startKubeApiserver({ binDir: bin, dataDir, etcdUrl: etcd.url, etcdPrefix: '/t1' });
//   api.kubeconfigPath … await api.stop(); await etcd.stop();
//
// Flags follow controller-runtime's envtest defaults: RBAC authorization, a static token file
// (an admin in system:masters and limited test users), service-account keys, and the default
// admission chain, so validating and mutating admission webhooks are on.
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { Agent, request } from 'node:https';
import { issueServerCert, loadOrCreateCa } from '../../operator/src/devcluster/tls.ts';

const HERE = import.meta.dirname;
export const BINARIES = ['etcd', 'kube-apiserver', 'kubectl'] as const;

/** The users of the token file: name → groups. `admin` is a cluster admin; the others start with no rights. */
export const TEST_USERS: Readonly<Record<string, readonly string[]>> = {
  admin: ['system:masters'],
  alice: ['occupier:test-users'],
  bob: ['occupier:test-users'],
  carol: ['occupier:test-users'],
};

/** Where build.sh puts (or already put) the binaries, without building. */
export function cachedBinDir(): string | undefined {
  const r = spawnSync('bash', [join(HERE, 'build.sh'), '--print-dir'], { encoding: 'utf8' });
  const dir = r.stdout.trim().split('\n').pop();
  return r.status === 0 && dir && BINARIES.every((b) => existsSync(join(dir, b))) ? dir : undefined;
}

/** Why the real cluster cannot run here (no Go toolchain), or undefined when it can. */
export function unavailableReason(): string | undefined {
  if (process.env['KUBE_BIN_DIR']) return BINARIES.every((b) => existsSync(join(process.env['KUBE_BIN_DIR'] ?? '', b))) ? undefined : `KUBE_BIN_DIR=${process.env['KUBE_BIN_DIR']} lacks ${BINARIES.join('/')}`;
  if (cachedBinDir()) return undefined;
  const go = spawnSync('go', ['version'], { encoding: 'utf8' });
  if (go.error || go.status !== 0) return 'no Go toolchain on PATH to build kube-apiserver and etcd (test/kube/build.sh)';
  return undefined;
}

/** Builds (if not cached) and returns the directory holding etcd, kube-apiserver and kubectl. */
export async function ensureBinaries(log: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): Promise<string> {
  const fromEnv = process.env['KUBE_BIN_DIR'];
  if (fromEnv) return resolve(fromEnv);
  return new Promise((res, rej) => {
    const child = spawn('bash', [join(HERE, 'build.sh')], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { for (const l of d.toString().split('\n')) if (l.trim()) log(l); });
    child.on('error', rej);
    child.on('close', (code) => {
      const dir = out.trim().split('\n').pop() ?? '';
      if (code === 0 && dir) res(dir);
      else rej(new Error(`test/kube/build.sh failed (exit ${code ?? 'signal'})`));
    });
  });
}

export async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => res(port));
    });
  });
}

interface Proc { child: ChildProcess; output: () => string; exited: Promise<number | null> }

function startProcess(bin: string, args: string[], logFile: string): Proc {
  const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: false });
  let tail = '';
  const keep = (d: Buffer): void => { tail = (tail + d.toString()).slice(-64_000); };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<number | null>((res) => {
    child.on('exit', (code) => {
      writeFileSync(logFile, tail);
      res(code);
    });
    child.on('error', (e) => {
      tail += `\ncannot start ${bin}: ${e.message}`;
      res(null);
    });
  });
  return { child, output: () => tail, exited };
}

async function stopProcess(p: Proc, graceMs = 5_000): Promise<void> {
  if (p.child.exitCode !== null || p.child.signalCode !== null) return;
  p.child.kill('SIGTERM');
  const t = setTimeout(() => p.child.kill('SIGKILL'), graceMs);
  await p.exited;
  clearTimeout(t);
}

async function waitFor(what: string, proc: Proc, check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let dead = false;
  void proc.exited.then(() => { dead = true; });
  for (;;) {
    if (dead) throw new Error(`${what} exited before it was ready:\n${proc.output().slice(-4_000)}`);
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`${what} not ready after ${timeoutMs} ms:\n${proc.output().slice(-4_000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export interface Etcd { url: string; stop(): Promise<void> }

/** Starts etcd on free loopback ports, data in `<dataDir>/etcd` (kept across restarts). */
export async function startEtcd(opts: { binDir: string; dataDir: string; port?: number }): Promise<Etcd> {
  const dir = join(resolve(opts.dataDir), 'etcd');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const port = opts.port ?? await freePort();
  const peer = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const proc = startProcess(join(opts.binDir, 'etcd'), [
    '--name', 'test', '--data-dir', dir,
    '--listen-client-urls', url, '--advertise-client-urls', url,
    '--listen-peer-urls', `http://127.0.0.1:${peer}`, '--initial-advertise-peer-urls', `http://127.0.0.1:${peer}`,
    '--initial-cluster', `test=http://127.0.0.1:${peer}`,
    '--unsafe-no-fsync', '--quota-backend-bytes', String(4 * 1024 ** 3), '--log-level', 'warn',
  ], join(resolve(opts.dataDir), 'etcd.log'));
  await waitFor('etcd', proc, async () => (await fetch(`${url}/health`)).ok, 30_000);
  return { url, stop: () => stopProcess(proc) };
}

export interface KubeApiserver {
  url: string;
  kubeconfigPath: string;
  caPem: string;
  /** Bearer tokens of TEST_USERS. */
  tokens: Record<string, string>;
  stop(): Promise<void>;
}

function loadOrCreate(path: string, make: () => string): string {
  if (existsSync(path)) return readFileSync(path, 'utf8');
  const v = make();
  writeFileSync(path, v, { mode: 0o600 });
  return v;
}

function kubeconfig(url: string, caPem: string, tokens: Record<string, string>): string {
  const ca = Buffer.from(caPem).toString('base64');
  const users = Object.keys(tokens);
  return [
    'apiVersion: v1', 'kind: Config',
    'clusters:', '- name: realcluster', '  cluster:', `    server: ${url}`, `    certificate-authority-data: ${ca}`,
    'users:', ...users.flatMap((u) => [`- name: ${u}`, '  user:', `    token: ${tokens[u] ?? ''}`]),
    'contexts:', ...users.flatMap((u) => [`- name: ${u === 'admin' ? 'realcluster' : u}`, '  context:', '    cluster: realcluster', `    user: ${u}`, '    namespace: default']),
    'current-context: realcluster', 'preferences: {}', '',
  ].join('\n');
}

/**
 * Starts kube-apiserver on a free loopback port (or `port`) against `etcdUrl`. Its own state (CA,
 * serving certificate, tokens, service-account key, kubeconfig) lives in `dataDir` and is reused
 * on restart. Distinct `etcdPrefix`es give independent clusters on one etcd.
 */
export async function startKubeApiserver(opts: { binDir: string; dataDir: string; etcdUrl: string; etcdPrefix?: string; port?: number; readyTimeoutMs?: number; extraArgs?: string[] }): Promise<KubeApiserver> {
  const dir = resolve(opts.dataDir);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const caPair = loadOrCreateCa(dir);
  const leaf = issueServerCert(caPair, ['127.0.0.1']);
  writeFileSync(join(dir, 'apiserver.crt'), leaf.certPem);
  writeFileSync(join(dir, 'apiserver.key'), leaf.keyPem, { mode: 0o600 });
  if (!existsSync(join(dir, 'sa.key'))) {
    const sa = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    writeFileSync(join(dir, 'sa.key'), sa.privateKey.export({ type: 'sec1', format: 'pem' }).toString(), { mode: 0o600 });
    writeFileSync(join(dir, 'sa.pub'), sa.publicKey.export({ type: 'spki', format: 'pem' }).toString());
  }
  const tokens: Record<string, string> = JSON.parse(loadOrCreate(join(dir, 'tokens.json'), () =>
    JSON.stringify(Object.fromEntries(Object.keys(TEST_USERS).map((u) => [u, randomBytes(24).toString('base64url')]))))) as Record<string, string>;
  // token,user,uid,"group1,group2"
  writeFileSync(join(dir, 'tokens.csv'), Object.entries(TEST_USERS).map(([u, groups]) => `${tokens[u] ?? ''},${u},${u},"${groups.join(',')}"`).join('\n') + '\n', { mode: 0o600 });
  const port = opts.port ?? await freePort();
  const url = `https://127.0.0.1:${port}`;
  const proc = startProcess(join(opts.binDir, 'kube-apiserver'), [
    `--etcd-servers=${opts.etcdUrl}`, `--etcd-prefix=${opts.etcdPrefix ?? '/registry'}`,
    '--bind-address=127.0.0.1', '--advertise-address=127.0.0.1', `--secure-port=${port}`,
    `--cert-dir=${join(dir, 'certs')}`, `--tls-cert-file=${join(dir, 'apiserver.crt')}`, `--tls-private-key-file=${join(dir, 'apiserver.key')}`,
    `--client-ca-file=${join(dir, 'ca.crt')}`, `--token-auth-file=${join(dir, 'tokens.csv')}`,
    '--authorization-mode=RBAC',
    `--service-account-key-file=${join(dir, 'sa.pub')}`, `--service-account-signing-key-file=${join(dir, 'sa.key')}`,
    '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
    '--service-cluster-ip-range=10.0.0.0/24', '--allow-privileged=true',
    '--disable-admission-plugins=ServiceAccount', '--profiling=false', '--v=0',
    ...(opts.extraArgs ?? []),
  ], join(dir, 'kube-apiserver.log'));
  const agent = new Agent({ ca: caPair.certPem, keepAlive: false });
  const readyz = (): Promise<boolean> => new Promise((res) => {
    const req = request(`${url}/readyz`, { agent, headers: { Authorization: `Bearer ${tokens['admin'] ?? ''}` }, timeout: 2_000 }, (r) => {
      r.resume();
      res(r.statusCode === 200);
    });
    req.on('error', () => res(false));
    req.on('timeout', () => { req.destroy(); res(false); });
    req.end();
  });
  try {
    await waitFor('kube-apiserver', proc, readyz, opts.readyTimeoutMs ?? 120_000);
  } catch (e) {
    await stopProcess(proc);
    throw e;
  }
  const kubeconfigPath = join(dir, 'kubeconfig');
  writeFileSync(kubeconfigPath, kubeconfig(url, caPair.certPem, tokens), { mode: 0o600 });
  return { url, kubeconfigPath, caPem: caPair.certPem, tokens, stop: () => stopProcess(proc, 10_000) };
}
