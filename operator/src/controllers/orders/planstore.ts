/**
 * Where a frozen plan is kept when it is too large for the order's status (SPEC §1: the
 * order stays small however large the occupier). The items are gzipped JSON in immutable
 * ConfigMaps owned by the order (garbage-collected with it), in the order's namespace, so
 * they stay reviewable with kubectl and a resumed run reads exactly what was planned (its
 * SHA-256 is in status). Small plans stay inline in `status.plan.items`.
 */
import type { CoreV1Api } from '@kubernetes/client-node';
import type { OrderStatus } from '../../api/index.ts';
import type { PlanItem } from '../../planner/types.ts';
import { chunkNames, readBlob, writeBlob } from '../blobs.ts';
import { Recent } from '../../util/recent.ts';
import type { AnyOrder } from './plugin.ts';

export { sha256 } from '../blobs.ts';

/** Plans up to this size (JSON bytes) stay inline in status. */
export const INLINE_PLAN_BYTES = 64 * 1024;
const KEY = 'plan.json.gz';

export type Stored = NonNullable<NonNullable<OrderStatus['plan']>['stored']>;

export interface PlanStore {
  /** Keeps `items` for `order` (idempotent: the same plan again reuses what is there). */
  save(order: AnyOrder, items: readonly PlanItem[]): Promise<Stored>;
  load(order: AnyOrder, stored: Stored): Promise<PlanItem[]>;
}

/** The ConfigMap names of an order's plan: `<kind>.<name>.plan`, `-1`, `-2`, ... per chunk. */
export function planConfigMapNames(order: AnyOrder, chunks: number): string[] {
  const base = `${order.kind.toLowerCase()}.${order.metadata.name}.plan`;
  return chunkNames(base.length <= 240 ? base : `${order.kind.toLowerCase()}.${order.metadata.uid}.plan`, chunks);
}

export function configMapPlanStore(core: CoreV1Api): PlanStore {
  return {
    async save(order, items) {
      const [base = ''] = planConfigMapNames(order, 1);
      return writeBlob(
        core,
        {
          namespace: order.metadata.namespace ?? 'default',
          base,
          key: KEY,
          labels: { 'occupier.dev/order-kind': order.kind, 'occupier.dev/order': order.metadata.name ?? '' },
          // Garbage-collected with the order.
          ownerReferences: [{ apiVersion: order.apiVersion ?? 'occupier.dev/v1alpha1', kind: order.kind ?? '', name: order.metadata.name ?? '', uid: order.metadata.uid ?? '' }],
        },
        JSON.stringify(items),
      );
    },

    async load(order, stored) {
      const json = await readBlob(core, order.metadata.namespace ?? 'default', stored, KEY, 'status.plan.stored.sha256');
      return JSON.parse(json) as PlanItem[];
    },
  };
}

/** Recently saved or loaded plans, per store (as long as its operator lives): running orders look at theirs on every pass. */
const recentByStore = new WeakMap<PlanStore, Recent<PlanItem[]>>();
function recentOf(store: PlanStore): Recent<PlanItem[]> {
  let recent = recentByStore.get(store);
  if (!recent) recentByStore.set(store, (recent = new Recent<PlanItem[]>(32)));
  return recent;
}

/** Saves a plan and keeps it at hand: the run that follows need not read it back. */
export async function savePlan(store: PlanStore, order: AnyOrder, items: PlanItem[]): Promise<Stored> {
  const stored = await store.save(order, items);
  recentOf(store).remember(stored.sha256, items);
  return stored;
}

/** The frozen plan items of an order: inline in status, or loaded (once) from the plan store. */
export async function planItemsOf(order: AnyOrder, store: PlanStore | undefined): Promise<PlanItem[]> {
  const plan = order.status?.plan;
  if (plan?.items) return plan.items;
  if (!plan?.stored) return [];
  if (!store) throw new Error(`the plan of ${order.kind} ${order.metadata.namespace}/${order.metadata.name} is in ConfigMap(s) ${plan.stored.configMaps.join(', ')} but no plan store is configured`);
  const cached = recentOf(store).get(plan.stored.sha256);
  if (cached) return cached;
  const items = await store.load(order, plan.stored);
  recentOf(store).remember(plan.stored.sha256, items);
  return items;
}
