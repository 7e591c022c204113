/**
 * Where a frozen plan is kept when it is too large for the order's status (SPEC §1: the
 * order stays small however large the occupier). The items are gzipped JSON in immutable
 * ConfigMaps owned by the order (garbage-collected with it), in the order's namespace, so
 * they stay reviewable with kubectl and a resumed run reads exactly what was planned (its
 * SHA-256 is in status). Small plans stay inline in `status.plan.items`.
 */
import { createHash } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import type { CoreV1Api, V1ConfigMap } from '@kubernetes/client-node';
import type { OrderStatus } from '../../api/index.ts';
import type { PlanItem } from '../../planner/types.ts';
import { isConflict, isNotFound } from '../../runtime/index.ts';
import type { AnyOrder } from './plugin.ts';

/** Plans up to this size (JSON bytes) stay inline in status. */
export const INLINE_PLAN_BYTES = 64 * 1024;
/** Gzipped bytes per ConfigMap (a ConfigMap holds at most 1 MiB). */
const CHUNK_BYTES = 900 * 1024;
const KEY = 'plan.json.gz';
const SHA_ANNOTATION = 'occupier.dev/plan-sha256';

export type Stored = NonNullable<NonNullable<OrderStatus['plan']>['stored']>;

export interface PlanStore {
  /** Keeps `items` for `order` (idempotent: the same plan again reuses what is there). */
  save(order: AnyOrder, items: readonly PlanItem[]): Promise<Stored>;
  load(order: AnyOrder, stored: Stored): Promise<PlanItem[]>;
}

export function sha256(json: string): string {
  return createHash('sha256').update(json).digest('hex');
}

/** The ConfigMap names of an order's plan: `<kind>.<name>.plan`, `-1`, `-2`, ... per chunk. */
export function planConfigMapNames(order: AnyOrder, chunks: number): string[] {
  const base = `${order.kind.toLowerCase()}.${order.metadata.name}.plan`;
  const safe = base.length <= 240 ? base : `${order.kind.toLowerCase()}.${order.metadata.uid}.plan`;
  return Array.from({ length: chunks }, (_, i) => (i === 0 ? safe : `${safe}-${i}`));
}

export function configMapPlanStore(core: CoreV1Api): PlanStore {
  return {
    async save(order, items) {
      const json = JSON.stringify(items);
      const sha = sha256(json);
      const gz = gzipSync(json);
      const chunks = Math.max(1, Math.ceil(gz.length / CHUNK_BYTES));
      const names = planConfigMapNames(order, chunks);
      const namespace = order.metadata.namespace ?? 'default';
      for (const [i, name] of names.entries()) {
        const body: V1ConfigMap = {
          metadata: {
            name,
            namespace,
            labels: { 'app.kubernetes.io/managed-by': 'occupier-operator', 'occupier.dev/order-kind': order.kind, 'occupier.dev/order': order.metadata.name ?? '' },
            annotations: { [SHA_ANNOTATION]: sha, 'occupier.dev/review': `kubectl -n ${namespace} get configmap ${names.join(' ')} -o jsonpath='{.binaryData.plan\\.json\\.gz}' | base64 -d | gunzip` },
            ownerReferences: [{ apiVersion: order.apiVersion ?? 'occupier.dev/v1alpha1', kind: order.kind ?? '', name: order.metadata.name ?? '', uid: order.metadata.uid ?? '' }],
          },
          immutable: true,
          binaryData: { [KEY]: gz.subarray(i * CHUNK_BYTES, (i + 1) * CHUNK_BYTES).toString('base64') },
        };
        try {
          await core.createNamespacedConfigMap({ namespace, body });
          continue;
        } catch (err) {
          if (!isConflict(err)) throw err; // 409 AlreadyExists
        }
        const existing = await core.readNamespacedConfigMap({ name, namespace });
        if (existing.metadata?.annotations?.[SHA_ANNOTATION] === sha) continue;
        // A plan made before a crash, never started: replace it (the ConfigMap is immutable).
        await core.deleteNamespacedConfigMap({ name, namespace }).catch((e: unknown) => {
          if (!isNotFound(e)) throw e;
        });
        await core.createNamespacedConfigMap({ namespace, body });
      }
      return { configMaps: names, sha256: sha };
    },

    async load(order, stored) {
      const namespace = order.metadata.namespace ?? 'default';
      const parts: Buffer[] = [];
      for (const name of stored.configMaps) {
        const cm = await core.readNamespacedConfigMap({ name, namespace });
        parts.push(Buffer.from(cm.binaryData?.[KEY] ?? '', 'base64'));
      }
      const json = gunzipSync(Buffer.concat(parts)).toString('utf8');
      if (sha256(json) !== stored.sha256) throw new Error(`the plan in ConfigMap(s) ${stored.configMaps.join(', ')} does not match status.plan.stored.sha256: it was changed or lost`);
      return JSON.parse(json) as PlanItem[];
    },
  };
}

/** Recently saved or loaded plans by SHA-256: running orders look at theirs on every pass. */
const loaded = new Map<string, PlanItem[]>();

function remember(sha: string, items: PlanItem[]): void {
  loaded.set(sha, items);
  if (loaded.size > 32) loaded.delete(loaded.keys().next().value ?? '');
}

/** Saves a plan and keeps it at hand: the run that follows need not read it back. */
export async function savePlan(store: PlanStore, order: AnyOrder, items: PlanItem[]): Promise<Stored> {
  const stored = await store.save(order, items);
  remember(stored.sha256, items);
  return stored;
}

/** The frozen plan items of an order: inline in status, or loaded (once) from the plan store. */
export async function planItemsOf(order: AnyOrder, store: PlanStore | undefined): Promise<PlanItem[]> {
  const plan = order.status?.plan;
  if (plan?.items) return plan.items;
  if (!plan?.stored) return [];
  const cached = loaded.get(plan.stored.sha256);
  if (cached) return cached;
  if (!store) throw new Error(`the plan of ${order.kind} ${order.metadata.namespace}/${order.metadata.name} is in ConfigMap(s) ${plan.stored.configMaps.join(', ')} but no plan store is configured`);
  const items = await store.load(order, plan.stored);
  remember(plan.stored.sha256, items);
  return items;
}
