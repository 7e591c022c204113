// The embedded development cluster: a Kubernetes-API-compatible HTTPS server that real kubectl
// and @kubernetes/client-node use unchanged. See README-style notes in log.ts (durability) and
// resources.ts (write rules).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { DirectoryLockedError, lockDirectory } from './dirlock.ts';
import type { DirectoryLock } from './dirlock.ts';
import { issueServerCert, loadOrCreateCa } from './tls.ts';
import { Store } from './store.ts';
import type { FsyncPolicy } from './log.ts';
import { infoFromCrd, Registry } from './registry.ts';
import type { ResourceInfo } from './registry.ts';
import { Resources } from './resources.ts';
import type { Ctx } from './resources.ts';
import { createApiServer } from './server.ts';
import { loadEngine } from './validation.ts';
import type { SchemaEngine } from './validation.ts';
import type { Obj } from './errors.ts';
import { ApiError } from './errors.ts';

export interface DevCluster { url: string; kubeconfigPath: string; token: string; caPem: string; dataDir: string; stop(): Promise<void> }

export interface DevClusterOptions {
  /** Default 8443; 0 picks a free port. */
  port?: number;
  /** State directory (default `.occupier/` in the cwd): log, CA, token, kubeconfig. */
  dataDir?: string;
  /** Start with an empty store. */
  fresh?: boolean;
  /** Listen address, default 127.0.0.1. */
  host?: string;
  /** Number of recent events kept for watches/continue tokens (older → 410 Expired). Default 10,000. */
  watchWindow?: number;
  /** CRD objects to install (create or update) at start. */
  crds?: unknown[];
  /** Durability policy, see log.ts: 'interval' (default: ack after write(2), fdatasync every 50 ms), 'batch' (ack after fdatasync), 'none'. */
  fsync?: FsyncPolicy;
  /** Interval of watch bookmarks when allowWatchBookmarks=true. Default 60,000 ms (the real server's: about once a minute; and 2 s before a watch's timeoutSeconds). */
  bookmarkIntervalMs?: number;
}

const CRD_KEY = 'apiextensions.k8s.io/customresourcedefinitions';
const BOOT_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

function loadOrCreateToken(dir: string): string {
  const path = join(dir, 'token');
  if (existsSync(path)) {
    const t = readFileSync(path, 'utf8').trim();
    if (t) return t;
  }
  const t = randomBytes(24).toString('base64url');
  writeFileSync(path, `${t}\n`, { mode: 0o600 });
  return t;
}

function kubeconfig(url: string, caPem: string, token: string): string {
  return [
    'apiVersion: v1', 'kind: Config', 'clusters:', '- name: occupier-dev', '  cluster:', `    server: ${url}`,
    `    certificate-authority-data: ${Buffer.from(caPem).toString('base64')}`, 'users:', '- name: occupier-dev-admin', '  user:',
    `    token: ${token}`, 'contexts:', '- name: occupier-dev', '  context:', '    cluster: occupier-dev', '    user: occupier-dev-admin',
    '    namespace: default', 'current-context: occupier-dev', 'preferences: {}', '',
  ].join('\n');
}

/** The lock file of a data directory (see dirlock.ts): one dev cluster per directory. */
export const LOCK_FILE = 'devcluster.lock';

/**
 * Takes the data directory for this process, or throws `DirectoryLockedError` naming the
 * process that holds it (another dev cluster or `npm start`, in this process or another).
 */
function lockDataDir(dataDir: string): DirectoryLock {
  try {
    return lockDirectory(dataDir, LOCK_FILE);
  } catch (e) {
    if (!(e instanceof DirectoryLockedError)) throw e;
    throw new DirectoryLockedError(e.dir, e.pid, e.lockFile,
      `data directory ${e.dir} is in use by process ${e.pid}${e.pid === process.pid ? ' (this process)' : ''}: stop that process, or use another --data-dir (lock file ${e.lockFile})`);
  }
}

export async function startDevCluster(opts: DevClusterOptions = {}): Promise<DevCluster> {
  const dataDir = resolve(opts.dataDir ?? '.occupier');
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  // Before anything in the directory is read or written: a second instance must not compact
  // (or, with --fresh, empty) the log a running one appends to.
  const lock = lockDataDir(dataDir);
  let cluster: DevCluster;
  try {
    cluster = await startLocked(dataDir, opts);
  } catch (e) {
    lock.release();
    throw e;
  }
  const stop = cluster.stop;
  return { ...cluster, stop: () => stop().finally(() => lock.release()) };
}

/** Starts the cluster in a data directory this process holds the lock of. */
async function startLocked(dataDir: string, opts: DevClusterOptions): Promise<DevCluster> {
  const host = opts.host ?? '127.0.0.1';
  const ca = loadOrCreateCa(dataDir);
  const token = loadOrCreateToken(dataDir);
  const leaf = issueServerCert(ca, [host]);
  let engine: SchemaEngine | undefined;
  try { engine = await loadEngine(); } catch (e) {
    console.warn(`devcluster: schema engine unavailable (${(e as Error).message}); custom resources are not validated`);
  }
  const store = new Store(opts.watchWindow ?? 10_000);
  store.open(dataDir, opts.fresh === true, opts.fsync ?? 'interval');
  const registry = new Registry();
  const syncCrds = (): void => {
    registry.reset(store.list(CRD_KEY).map(infoFromCrd).filter((r): r is ResourceInfo => r !== undefined));
  };
  syncCrds();
  const resources = new Resources(store, engine, { crdsChanged: syncCrds });
  resources.namespaced = () => registry.all().filter((r) => r.namespaced && !r.virtual);
  resources.crdInstances = (crd: Obj) => infoFromCrd(crd);
  resources.kindsOf = (apiVersion: string) => new Set(registry.all().filter((r) => r.versions.some((v) => (r.group ? `${r.group}/${v}` : v) === apiVersion)).map((r) => r.kind));
  const ctxFor = (info: ResourceInfo, name?: string): Ctx => ({ info, version: info.version, ns: undefined, name, q: new URLSearchParams(), userAgent: 'devcluster' });
  const nsInfo = registry.lookup('', 'v1', 'namespaces') as ResourceInfo;
  for (const ns of BOOT_NAMESPACES) {
    if (!store.get(nsInfo.key, ns)) await resources.create(ctxFor(nsInfo), { metadata: { name: ns } });
  }
  const crdInfo = registry.lookup('apiextensions.k8s.io', 'v1', 'customresourcedefinitions') as ResourceInfo;
  for (const raw of opts.crds ?? []) {
    const crd = structuredClone(raw) as Obj;
    const name = String((crd['metadata'] as Obj | undefined)?.['name'] ?? '');
    const existing = store.get(crdInfo.key, name);
    try {
      if (existing) {
        (crd['metadata'] as Obj)['resourceVersion'] = (existing['metadata'] as Obj)['resourceVersion'];
        await resources.update(ctxFor(crdInfo, name), crd);
      } else await resources.create(ctxFor(crdInfo), crd);
    } catch (e) {
      await store.close();
      throw new Error(`cannot install CRD ${name}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    }
  }
  let port = 0;
  const urlHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  const { server, closers } = createApiServer({
    registry, resources, store, token, cert: leaf.certPem, key: leaf.keyPem, bookmarkMs: opts.bookmarkIntervalMs ?? 60_000,
    address: () => `${urlHost}:${port}`,
  });
  try {
    await new Promise<void>((res, rej) => {
      server.once('error', rej);
      server.listen(opts.port ?? 8443, host, () => { server.off('error', rej); res(); });
    });
  } catch (e) {
    await store.close();
    throw e;
  }
  port = (server.address() as AddressInfo).port;
  const url = `https://${urlHost}:${port}`;
  const kubeconfigPath = join(dataDir, 'kubeconfig');
  writeFileSync(kubeconfigPath, kubeconfig(url, ca.certPem, token), { mode: 0o600 });
  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopped ??= (async () => {
      for (const c of [...closers]) c();
      await new Promise<void>((res) => { server.close(() => res()); server.closeAllConnections(); });
      await store.close();
    })();
    return stopped;
  };
  return { url, kubeconfigPath, token, caPem: ca.certPem, dataDir, stop };
}

export { ApiError, DirectoryLockedError };
