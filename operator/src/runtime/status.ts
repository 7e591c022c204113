/**
 * Status writes through the /status subresource.
 * - `updateStatus`: read-modify-write with optimistic concurrency: PUT /status carrying the
 *   resourceVersion that was read; on 409 Conflict re-read and re-apply the mutator.
 * - `patchStatus`: a merge patch of `{ status }` (no conflicts: last writer wins per field).
 */
import type { KubernetesObject } from '@kubernetes/client-node';
import type { ResourceClient } from './client.ts';
import { isConflict } from './errors.ts';

export interface UpdateStatusOptions<T> {
  /** First attempt uses this object (e.g. from the cache) instead of a GET. */
  current?: T;
  /** Conflict retries before giving up (default 5). */
  maxRetries?: number;
}

/**
 * Apply `mutate` to a fresh copy of the object and PUT its status. `mutate` returns false to
 * skip the write (nothing changed). Returns the written object (or the unchanged one).
 * Conflicts are retried with a re-read; other errors are thrown.
 */
export async function updateStatus<T extends KubernetesObject>(
  client: ResourceClient<T>,
  namespace: string | undefined,
  name: string,
  mutate: (obj: T) => boolean | void,
  opts: UpdateStatusOptions<T> = {},
): Promise<T> {
  const maxRetries = opts.maxRetries ?? 5;
  let current = opts.current ?? (await client.get(namespace, name));
  for (let attempt = 0; ; attempt++) {
    const copy = structuredClone(current);
    if (mutate(copy) === false) return current;
    try {
      return await client.replaceStatus(copy);
    } catch (err) {
      if (!isConflict(err) || attempt >= maxRetries) throw err;
      current = await client.get(namespace, name);
    }
  }
}

/** Merge-patch `status` of the object (fields not mentioned are kept; null deletes). */
export async function patchStatus<T extends KubernetesObject>(client: ResourceClient<T>, namespace: string | undefined, name: string, status: object): Promise<T> {
  return client.mergePatchStatus(namespace, name, { status });
}
