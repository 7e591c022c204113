/**
 * Finalizer helper, in the shape of kube-rs `kube-runtime/src/finalizer.rs`.
 *
 * `finalizer(client, obj, name, { apply, cleanup })` decides between four cases:
 *
 * | object                       | finalizer `name` | action                                         |
 * | ---------------------------- | ---------------- | ---------------------------------------------- |
 * | live                         | absent           | add it (JSON patch); end this pass (or `apply` the patched object with `applyAfterAdd`) |
 * | live                         | present          | `apply(obj)`                                   |
 * | being deleted                | present          | `cleanup(obj)`, then remove it (guarded patch) |
 * | being deleted                | absent           | nothing (another finalizer holds the object)   |
 *
 * Guarantees:
 * - `apply` only runs on objects that carry the finalizer, so whatever `apply` creates is
 *   always followed by a `cleanup` before the object can disappear.
 * - Adding the finalizer ends the pass without calling `apply`: the watch event caused by the
 *   patch triggers the next reconcile, which then sees the finalizer (level-based, and the
 *   next pass works from an object that is known to carry it).
 * - The add is guarded by a `test` of the current finalizer list (or of the resourceVersion
 *   when there is none), so a concurrent change fails the patch instead of being clobbered.
 * - Removal is a JSON patch `test` + `remove` on the finalizer's index, so it can never remove
 *   another controller's finalizer if the list changed meanwhile; it then fails and retries.
 * - `cleanup` is called only while the object is being deleted and our finalizer is present;
 *   the finalizer is removed only after `cleanup` resolves without throwing.
 *
 * Assumptions (the caller's side of the contract):
 * - `apply` and `cleanup` are idempotent: either may run more than once for the same state
 *   (a crash after `cleanup` but before the removal patch runs `cleanup` again).
 * - `cleanup` must tolerate `apply` never having run (the object may be deleted right after
 *   the finalizer was added).
 * - Errors thrown by `apply` / `cleanup` or the patches propagate to the controller, which
 *   retries with backoff (or records a TerminalError).
 */
import type { KubernetesObject } from '@kubernetes/client-node';
import type { ResourceClient, JsonPatchOp } from './client.ts';
import type { ReconcileResult } from './controller.ts';
import { httpStatus } from './errors.ts';

/**
 * A guarded finalizer patch whose `test` failed. The API server answers a failed JSON-patch
 * `test` with a bare 422 "the server rejected our request due to an error in our request" (no
 * details), which says nothing in a log; this names the object, the finalizer and the cause.
 */
export class StaleFinalizerError extends Error {
  override readonly name = 'StaleFinalizerError';
}

async function guardedPatch<T extends KubernetesObject>(client: ResourceClient<T>, obj: T, name: string, what: string, ops: JsonPatchOp[]): Promise<T> {
  const meta = obj.metadata ?? {};
  try {
    return await client.jsonPatch(meta.namespace, meta.name ?? '', ops);
  } catch (err) {
    if (httpStatus(err) !== 422) throw err;
    const at = meta.namespace ? `${meta.namespace}/${meta.name ?? ''}` : (meta.name ?? '');
    throw new StaleFinalizerError(
      `${what} finalizer ${name} on ${obj.kind ?? 'object'} ${at}: the object changed since this pass read it (resourceVersion ${meta.resourceVersion ?? 'unknown'}; the guarded JSON patch's test failed); retrying from a fresh read`,
      { cause: err },
    );
  }
}

export interface FinalizerHandlers<T> {
  apply(obj: T): Promise<ReconcileResult | void>;
  cleanup(obj: T): Promise<ReconcileResult | void>;
  /**
   * After adding the finalizer, go on with `apply` on the patched object (which carries it)
   * in the same pass instead of waiting for the watch event: for controllers whose first pass
   * is on a user's critical path (an order created "now"). Default false.
   */
  applyAfterAdd?: boolean;
}

export async function finalizer<T extends KubernetesObject>(
  client: ResourceClient<T>,
  obj: T,
  name: string,
  handlers: FinalizerHandlers<T>,
): Promise<ReconcileResult | void> {
  const meta = obj.metadata ?? {};
  const finalizers = meta.finalizers;
  const index = finalizers?.indexOf(name) ?? -1;
  const deleting = meta.deletionTimestamp !== undefined && meta.deletionTimestamp !== null;

  if (deleting) {
    if (index < 0) return undefined;
    const result = await handlers.cleanup(obj);
    const path = `/metadata/finalizers/${index}`;
    await guardedPatch(client, obj, name, 'removing', [
      { op: 'test', path, value: name },
      { op: 'remove', path },
    ]);
    return result;
  }
  if (index >= 0) return handlers.apply(obj);

  const ops: JsonPatchOp[] = finalizers
    ? [
        { op: 'test', path: '/metadata/finalizers', value: finalizers },
        { op: 'add', path: '/metadata/finalizers/-', value: name },
      ]
    : [
        { op: 'test', path: '/metadata/resourceVersion', value: meta.resourceVersion ?? '' },
        { op: 'add', path: '/metadata/finalizers', value: [name] },
      ];
  const patched = await guardedPatch(client, obj, name, 'adding', ops);
  return handlers.applyAfterAdd ? handlers.apply(patched) : undefined;
}
