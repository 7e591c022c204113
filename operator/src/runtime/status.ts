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
 * A copy `mutate` may change: metadata and status are deep copies, `spec` is shared with
 * `current` (a status write never changes it; the server ignores it on /status). An occupier's
 * spec is most of its bytes: cloning it for every status write was a tenth of a SiteMove's CPU.
 */
function statusCopy<T extends KubernetesObject>(current: T): T {
  const { spec, ...rest } = current as T & { spec?: unknown };
  const copy = structuredClone(rest) as T & { spec?: unknown };
  if (spec !== undefined) copy.spec = spec;
  return copy;
}

/**
 * Apply `mutate` to a fresh copy of the object and PUT its status. `mutate` returns false to
 * skip the write (nothing changed); it changes status (and metadata), never spec. Returns the
 * written object (or the unchanged one). Conflicts are retried with a re-read; other errors are thrown.
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
    const copy = statusCopy(current);
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

/** What `putStatus` did: the object as stored now, and — when it wrote — the status it replaced. */
export interface PutStatusResult<T extends KubernetesObject & { status?: unknown }> {
  object: T;
  written: boolean;
  /** The status the write replaced (as stored, not as the caller's possibly stale copy had it). */
  replaced: T['status'] | undefined;
}

/**
 * The whole status, from its one writer: PUT /status with `next` unless `unchanged(status)` says
 * the stored one already is it. No copy of the object is made (the body shares `current`'s
 * metadata and spec, which the server ignores on /status apart from the resourceVersion);
 * conflicts re-read and check again. What changed is told against the status it replaced, so
 * a pass that started from a stale cached copy neither writes nor reports a change twice.
 */
export async function putStatus<T extends KubernetesObject & { status?: unknown }>(
  client: ResourceClient<T>,
  current: T,
  next: NonNullable<T['status']>,
  unchanged: (status: T['status']) => boolean,
  maxRetries = 5,
): Promise<PutStatusResult<T>> {
  const { namespace, name = '' } = current.metadata ?? {};
  for (let attempt = 0; ; attempt++) {
    if (unchanged(current.status)) return { object: current, written: false, replaced: undefined };
    try {
      const object = await client.replaceStatus({ ...current, status: next } as T);
      return { object, written: true, replaced: current.status };
    } catch (err) {
      if (!isConflict(err) || attempt >= maxRetries) throw err;
      current = await client.get(namespace, name);
    }
  }
}
