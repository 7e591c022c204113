/**
 * One keep-alive connection pool per KubeConfig, for every API client and watch the process
 * makes from it.
 *
 * Upstream (client-node 2.0.1): `KubeConfig.applySecurityAuthentication` builds a new undici
 * `Agent` for every request (`createDispatcher`, unlike `createAgent`, which caches its
 * https.Agent per cluster/user in `agentCache`). Each request therefore opens a new TLS
 * connection, and each idle one lingers until the server's keep-alive timeout: thousands of
 * connections and a TLS handshake per call at scale. Until the dispatcher is cached upstream,
 * this wraps a KubeConfig once: a view that lets client-node apply its authentication
 * (headers, refreshed tokens) and then swaps in one shared, bounded, keep-alive `Agent` built
 * from the same TLS options (`applyToHTTPSOptions` + `createDispatcherOptions`, both public).
 * Proxies (proxyUrl) keep client-node's own dispatcher.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import type { RequestOptions } from 'node:https';
import { Agent } from 'undici';

/** Connections per API server: watches (one each) plus requests in flight. */
export const POOL_CONNECTIONS = 64;

const views = new WeakMap<KubeConfig, KubeConfig>();
const agents = new WeakMap<KubeConfig, Promise<Agent | undefined>>();

/** The pooled view of `kc` (the same view for the same KubeConfig; a view of a view is itself). */
export function pooledKubeConfig(kc: KubeConfig): KubeConfig {
  if ((kc as { pooled?: boolean }).pooled) return kc;
  const existing = views.get(kc);
  if (existing) return existing;
  const shared = async (): Promise<Agent | undefined> => {
    const https: RequestOptions = {};
    await kc.applyToHTTPSOptions(https);
    const tls = {
      ...(https.ca !== undefined ? { ca: https.ca } : {}),
      ...(https.cert !== undefined ? { cert: https.cert } : {}),
      ...(https.key !== undefined ? { key: https.key } : {}),
      ...(https.rejectUnauthorized !== undefined ? { rejectUnauthorized: https.rejectUnauthorized } : {}),
      ...(https.servername !== undefined ? { servername: https.servername } : {}),
    };
    const opts = kc.createDispatcherOptions(kc.getCurrentCluster(), tls);
    if (opts.type !== 'agent') return undefined;
    // client-node's own connect options for the agent case (keep-alive probes after 30 s, as client-go).
    return new Agent({ connect: { ...tls, keepAlive: true, keepAliveInitialDelay: 30_000 }, connections: POOL_CONNECTIONS, keepAliveTimeout: 30_000 });
  };
  const view = Object.create(kc) as KubeConfig & { pooled: boolean };
  view.pooled = true;
  view.applySecurityAuthentication = async (context) => {
    await kc.applySecurityAuthentication(context);
    let agent = agents.get(kc);
    if (!agent) agents.set(kc, (agent = shared()));
    const pool = await agent;
    if (pool && context.getDispatcher() !== undefined) context.setDispatcher(pool);
  };
  views.set(kc, view);
  return view;
}

/** Closes the pool of `kc` (at shutdown): its idle keep-alive connections end now; the next request opens a new pool. */
export async function closePool(kc: KubeConfig): Promise<void> {
  const agent = agents.get(kc);
  agents.delete(kc);
  await (await agent)?.close().catch(() => undefined);
}
