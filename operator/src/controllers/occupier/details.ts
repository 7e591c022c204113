/**
 * Keeps `Occupier.status` small whatever the occupier's size. `status.sites[]` lists every
 * external item (inventory), number, port and Wi-Fi device: ~130 bytes per user per site, so a
 * 10,000-user occupier's status alone would pass etcd's 1.5 MiB object limit. When those lists
 * pass `INLINE_SITES_BYTES`, the full `status.sites` goes to ConfigMaps (`../blobs.ts`) and
 * status holds each site without its lists, with their `counts`, and `status.details` naming the
 * ConfigMaps (content-addressed: a change writes new ones, then the old ones are deleted).
 * The Occupier controller works on the full status (`hydrate`) and writes the bounded one
 * (`bound`); it deletes them when the occupier goes. They carry no owner reference: a
 * foreground deletion would collect them before the finalizer has removed what they list.
 */
import type { CoreV1Api } from '@kubernetes/client-node';
import type { OccupierResource, OccupierStatus } from '../../api/index.ts';
import { isNotFound } from '../../runtime/index.ts';
import { readBlob, reviewCommand, sha256, writeBlob } from '../blobs.ts';
import { Recent } from '../../util/recent.ts';

/** `status.sites` up to this size (JSON bytes) stays whole in status. */
export const INLINE_SITES_BYTES = 64 * 1024;
const KEY = 'sites.json.gz';
const PART_LABEL = 'occupier.dev/part';
const UID_LABEL = 'occupier.dev/occupier-uid';

type SiteStatus = NonNullable<OccupierStatus['sites']>[number];
export type Details = NonNullable<OccupierStatus['details']>;

/** How many items a site holds, and how many of them are billing history (lists or counts). */
export function siteItemCounts(s: SiteStatus): { inventory: number; history: number } {
  if (s.inventory) return { inventory: s.inventory.length, history: s.inventory.filter((id) => id.startsWith('billing/')).length };
  return { inventory: s.counts?.inventory ?? 0, history: s.counts?.history ?? 0 };
}

/** A site without its per-item lists, with their counts. */
export function summarizeSite(s: SiteStatus): SiteStatus {
  const { inventory = [], numbers = [], ports = [], wifiDevices = [], counts: _, ...rest } = s;
  return {
    ...rest,
    counts: { inventory: inventory.length, history: inventory.filter((id) => id.startsWith('billing/')).length, numbers: numbers.length, ports: ports.length, wifiDevices: wifiDevices.length },
  };
}

function baseName(obj: OccupierResource, sha: string): string {
  const base = `occupier.${obj.metadata.name}.sites.${sha.slice(0, 12)}`;
  return base.length <= 240 ? base : `occupier.${obj.metadata.uid}.sites.${sha.slice(0, 12)}`;
}

export interface StatusDetails {
  /** The occupier with `status.sites` whole (read from `status.details` when it is there). */
  hydrate(obj: OccupierResource): Promise<OccupierResource>;
  /** The status to write: `next` as it is when small, else its lists in ConfigMaps. */
  bound(obj: OccupierResource, next: OccupierStatus): Promise<OccupierStatus>;
  /** Deletes the occupier's detail ConfigMaps other than `keep`'s (all when absent). */
  prune(obj: OccupierResource, keep: Details | undefined): Promise<void>;
}

export function configMapStatusDetails(core: CoreV1Api, inlineBytes = INLINE_SITES_BYTES): StatusDetails {
  /** Recently read or written `status.sites` (a few: they can be megabytes), for this operator's life. */
  const recent = new Recent<SiteStatus[]>(16);
  return {
    async hydrate(obj) {
      const ref = obj.status?.details;
      if (!ref) return obj;
      let sites = recent.get(ref.sha256);
      if (!sites) {
        const json = await readBlob(core, obj.metadata.namespace ?? 'default', ref, KEY, 'status.details.sha256');
        sites = JSON.parse(json) as SiteStatus[];
        recent.remember(ref.sha256, sites);
      }
      return { ...obj, status: { ...obj.status, sites } };
    },

    async bound(obj, next) {
      const { details: _, ...rest } = next;
      const sites = rest.sites ?? [];
      const json = JSON.stringify(sites);
      const bytes = Buffer.byteLength(json);
      if (bytes <= inlineBytes) return rest;
      const sha = sha256(json);
      const namespace = obj.metadata.namespace ?? 'default';
      let configMaps = obj.status?.details?.sha256 === sha ? obj.status.details.configMaps : undefined;
      if (!configMaps) {
        const written = await writeBlob(core, { namespace, base: baseName(obj, sha), key: KEY, labels: { [PART_LABEL]: 'status-details', [UID_LABEL]: obj.metadata.uid ?? '' } }, json);
        configMaps = written.configMaps;
      }
      recent.remember(sha, sites);
      return { ...rest, sites: sites.map(summarizeSite), details: { configMaps, sha256: sha, bytes } };
    },

    async prune(obj, keep) {
      const namespace = obj.metadata.namespace ?? 'default';
      const list = await core.listNamespacedConfigMap({ namespace, labelSelector: `${PART_LABEL}=status-details,${UID_LABEL}=${obj.metadata.uid ?? ''}` });
      const kept = new Set(keep?.configMaps ?? []);
      for (const cm of list.items) {
        const name = cm.metadata?.name ?? '';
        if (kept.has(name)) continue;
        await core.deleteNamespacedConfigMap({ name, namespace }).catch((e: unknown) => {
          if (!isNotFound(e)) throw e;
        });
      }
    },
  };
}

/** The command that prints an occupier's full `status.sites` when it is kept in ConfigMaps. */
export function detailsCommand(namespace: string, ref: Details): string {
  return reviewCommand(namespace, ref.configMaps, KEY);
}
