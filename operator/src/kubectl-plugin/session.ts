/**
 * The plugin's connection to the cluster, as kubectl makes it: the kubeconfig from
 * `--kubeconfig`, else `$KUBECONFIG`, else `~/.kube/config`, else in-cluster; `--context`;
 * the namespace from `-n`, else the context's, else `default`. Every client shares the
 * runtime's one keep-alive pool (`runtime/pool.ts`), closed when the command ends.
 */
import { existsSync } from 'node:fs';
import { ApiException, CoreV1Api, CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { GROUP, KINDS, VERSION } from '../api/index.ts';
import type { OccupierResource } from '../api/index.ts';
import type { AnyOrder } from '../controllers/orders/plugin.ts';
import { closePool, httpStatus, pooledKubeConfig, ResourceClient } from '../runtime/index.ts';
import type { OrderKind } from './args.ts';
import { UsageError } from './args.ts';

export interface Session {
  namespace: string;
  core: CoreV1Api;
  occupiers: ResourceClient<OccupierResource>;
  orders(kind: OrderKind): ResourceClient<AnyOrder>;
  close(): Promise<void>;
}

export interface ConnectOptions {
  kubeconfig: string | undefined;
  context: string | undefined;
  namespace: string | undefined;
}

/** The KubeConfig kubectl would use with these flags. */
export function loadKubeConfig(opts: ConnectOptions): KubeConfig {
  const kc = new KubeConfig();
  if (opts.kubeconfig !== undefined) {
    if (!existsSync(opts.kubeconfig)) throw new UsageError(`--kubeconfig "${opts.kubeconfig}": no such file`);
    kc.loadFromFile(opts.kubeconfig);
  } else {
    kc.loadFromDefault();
  }
  if (opts.context !== undefined) {
    const names = kc.getContexts().map((c) => c.name);
    if (!names.includes(opts.context)) throw new UsageError(`--context "${opts.context}": no such context in the kubeconfig (it has: ${names.join(', ') || 'none'})`);
    kc.setCurrentContext(opts.context);
  }
  return kc;
}

const plural = (kind: string): string => KINDS.find((k) => k.kind === kind)?.plural ?? `${kind.toLowerCase()}s`;

export function connect(opts: ConnectOptions): Session {
  const raw = loadKubeConfig(opts);
  const kc = pooledKubeConfig(raw);
  const custom = kc.makeApiClient(CustomObjectsApi);
  const namespace = opts.namespace ?? raw.getContextObject(raw.getCurrentContext())?.namespace ?? 'default';
  const client = <T extends OccupierResource | AnyOrder>(kind: string): ResourceClient<T> =>
    new ResourceClient<T>(custom, { group: GROUP, version: VERSION, plural: plural(kind), kind }, { fieldManager: 'kubectl-occupier' });
  return {
    namespace,
    core: kc.makeApiClient(CoreV1Api),
    occupiers: client<OccupierResource>('Occupier'),
    orders: (kind) => client<AnyOrder>(kind),
    close: () => closePool(raw),
  };
}

/** An API error as kubectl prints it: `Error from server (NotFound): ...`, or the connection failure. */
export function describeError(err: unknown): string {
  const status = httpStatus(err);
  if (err instanceof ApiException || status !== undefined) {
    const body = (err as { body?: unknown }).body;
    let parsed: { reason?: string; message?: string } | undefined;
    if (typeof body === 'string') {
      try {
        parsed = JSON.parse(body) as { reason?: string; message?: string };
      } catch {
        parsed = { message: body };
      }
    } else if (typeof body === 'object' && body !== null) parsed = body as { reason?: string; message?: string };
    return `Error from server (${parsed?.reason ?? `HTTP ${status}`}): ${parsed?.message ?? (err as Error).message}`;
  }
  const e = err as { message?: string; cause?: { message?: string; code?: string } };
  if (e.message === 'fetch failed' || e.cause?.code) return `Unable to connect to the server: ${e.cause?.message ?? e.message ?? String(err)}`;
  return `error: ${e.message ?? String(err)}`;
}
