/**
 * Archiving an occupier's history (contracts, occupancies, services, call charges, access logs,
 * bookings) through the records driver, so it stays readable after the occupier is gone. Used
 * by the Decommission order and by deleting an Occupier (either deletion policy).
 */
import type { SiteResource } from '../api/index.ts';
import { executeItems, listItems } from './execute.ts';
import type { ExecuteOptions, ItemResult } from './execute.ts';

/** What the archive holds, and where each part is listed from. */
const HISTORY: readonly [field: string, capability: 'billing' | 'access', type: string][] = [
  ['contracts', 'billing', 'contract'],
  ['occupancies', 'billing', 'occupancy'],
  ['services', 'billing', 'service'],
  ['callCharges', 'billing', 'callCharge'],
  ['accessLogs', 'access', 'accessLog'],
  ['bookings', 'billing', 'booking'],
];

/**
 * Lists the occupier's history at every one of `sites` and archives it through the records
 * driver of the first (key: the occupier identity). One result: the archive call's.
 */
export async function archiveHistory(sites: readonly SiteResource[], identity: string, opts: ExecuteOptions): Promise<ItemResult> {
  const id = `records/archive/${identity}`;
  const first = sites[0];
  if (!first) return { id, op: 'ensure', state: 'Failed', code: 'Permanent', reason: 'SiteNotFound', message: 'no site to archive through' };
  const history: Record<string, Record<string, unknown>[]> = Object.fromEntries(HISTORY.map(([field]) => [field, []]));
  try {
    // Every listing at once (each is a driver round trip), kept in site then field order.
    const listings = await Promise.all(sites.flatMap((site) => HISTORY.map(async ([field, capability, type]) => ({ site, field, listed: await listItems(site, capability, type, identity, opts) }))));
    for (const { site, field, listed } of listings) {
      for (const l of listed) history[field]?.push({ site: site.metadata.name, key: l.key, ...(l.details as Record<string, unknown>) });
    }
  } catch (err) {
    const e = err as { code?: string; reason?: string; message?: string };
    return { id, op: 'ensure', state: 'Failed', code: e.code === 'Permanent' ? 'Permanent' : 'Transient', reason: e.reason ?? 'Internal', message: `listing history: ${e.message ?? String(err)}` };
  }
  const [result] = await executeItems(first, [{ op: 'ensure', capability: 'records', type: 'archive', key: identity, spec: { occupier: identity, history }, step: 'archive' }], opts);
  return result ?? { id, op: 'ensure', state: 'Failed', code: 'Transient', reason: 'Internal', message: 'no result' };
}
