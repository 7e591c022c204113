/**
 * Who is whose customer, for `status.customers` of a reseller (pure). A customer's current
 * reseller is its `status.reseller` (which the Occupier controller writes: Git's
 * `spec.resellerRef`, or the reseller of its last completed CustomerMove) if set, else
 * `spec.resellerRef`. A decommissioned occupier is nobody's customer.
 *
 * Wiring (operator.ts): index the occupier cache with `resellerKeysOf`, answer
 * `customersOf(key)` from that index, and queue the old and the new reseller when a customer
 * changes: `watchOf(occupiers, resellerKeysOf, resellerChanged)` on the Occupier controller.
 */
import type { OccupierResource } from '../../api/index.ts';

/** The index name on the occupier cache. */
export const RESELLER_INDEX = 'reseller';

/** `[namespace/reseller]` of the occupier's current reseller, or `[]` (not a customer, or decommissioned). */
export function resellerKeysOf(o: OccupierResource): string[] {
  if (o.status?.phase === 'Decommissioned') return [];
  const reseller = o.status?.reseller ?? o.spec?.resellerRef?.name;
  return reseller ? [`${o.metadata?.namespace ?? ''}/${reseller}`] : [];
}

/** Whether an update changed whose customer the occupier is (the old and the new reseller must recount). */
export function resellerChanged(oldObj: OccupierResource, newObj: OccupierResource): boolean {
  return resellerKeysOf(oldObj).join('\n') !== resellerKeysOf(newObj).join('\n');
}

/** The names of the customers among `occupiers` (as the index returns them), sorted. */
export function customerNames(occupiers: readonly OccupierResource[]): string[] {
  return [...new Set(occupiers.map((o) => o.metadata?.name ?? '').filter((n) => n !== ''))].sort();
}
