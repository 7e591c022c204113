/**
 * What the webhook reads of the cluster to judge an order: the occupier it names (and, for a
 * CustomerMove, the destination reseller) and the Sites. Read from the API server at the
 * time of the request, not from the operator's caches: an order applied right after its
 * occupier must not be refused because a watch has not caught up.
 */
import type { CustomObjectsApi } from '@kubernetes/client-node';
import type { OccupierResource, SiteResource } from '../api/index.ts';
import { GROUP, VERSION } from '../api/index.ts';
import { isNotFound } from '../runtime/index.ts';

export const ORDER_KINDS = ['SiteMove', 'CustomerMove', 'Decommission'] as const;
export type OrderKind = (typeof ORDER_KINDS)[number];

/** Order resources (plural) → kind: the webhook's rules match these. */
export const ORDER_RESOURCES: Readonly<Record<string, OrderKind>> = {
  sitemoves: 'SiteMove',
  customermoves: 'CustomerMove',
  decommissions: 'Decommission',
};

export interface ClusterState {
  occupier(namespace: string, name: string): Promise<OccupierResource | undefined>;
  site(name: string): Promise<SiteResource | undefined>;
}

async function orUndefined<T>(read: () => Promise<T>): Promise<T | undefined> {
  try {
    return await read();
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

export function apiState(api: CustomObjectsApi): ClusterState {
  return {
    occupier: (namespace, name) =>
      orUndefined(async () => (await api.getNamespacedCustomObject({ group: GROUP, version: VERSION, namespace, plural: 'occupiers', name })) as OccupierResource),
    site: (name) => orUndefined(async () => (await api.getClusterCustomObject({ group: GROUP, version: VERSION, plural: 'sites', name })) as SiteResource),
  };
}
