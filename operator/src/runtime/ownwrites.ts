/**
 * A controller's own last write per object, until its cache has caught up with it. A pass that
 * starts from a stale cached copy would otherwise find "nothing changed" against an outdated
 * status and skip a needed write — and a controller's own status writes do not wake it again
 * (its predicates filter them). controller-runtime leaves this to each reconciler; here it is
 * written once, for the order engine and the Occupier controller.
 *
 * Only the status and resourceVersion are kept (not the whole response: its spec and
 * managedFields would double what the cache holds). A write is forgotten as soon as the cache
 * holds it (`following(cache)`: the cache's own update event, since a controller's own write
 * costs it no pass that could notice) — kept on, 10,000 Ready occupiers held a second copy of
 * every status for minutes; a write whose watch event came before its response is not kept at
 * all. A write nothing has dropped (no cache followed, or a watch that is down) is forgotten
 * after `ttlMs`.
 */
import type { KubernetesObject } from '@kubernetes/client-node';
import { objectKey } from './cache.ts';

type WithStatus = KubernetesObject & { status?: unknown };

/** What `following` needs of a cache (runtime/cache.ts `Cache`). */
interface Followed<T> {
  addHandler(handler: { onAdd?(obj: T): void; onUpdate?(oldObj: T, newObj: T): void; onDelete?(obj: T): void }): void;
  get(key: string): T | undefined;
}

interface Written {
  resourceVersion: string;
  status: unknown;
  at: number;
}

const idOf = (o: WithStatus): string => o.metadata?.uid ?? `${o.metadata?.namespace}/${o.metadata?.name}`;

/** `obj` is older than `resourceVersion` (both as the API server's etcd revisions, numbers). */
function behind(obj: WithStatus, resourceVersion: string): boolean {
  const a = Number(obj.metadata?.resourceVersion);
  const b = Number(resourceVersion);
  return Number.isFinite(a) && Number.isFinite(b) && b > a;
}

export class OwnWrites<T extends WithStatus> {
  private readonly last = new Map<string, Written>();
  private sweptAt = 0;
  private readonly ttlMs: number;
  private readonly now: () => number;
  /** The cache followed (`following`), to look up its copy of an object. */
  private followed: { get(key: string): WithStatus | undefined } | undefined;

  constructor(ttlMs = 5 * 60_000, now: () => number = () => performance.now()) {
    this.ttlMs = ttlMs;
    this.now = now;
  }

  /** One that forgets each write as soon as `cache` holds it (or the object is deleted). */
  static following<T extends WithStatus>(cache: Followed<T>, ttlMs?: number): OwnWrites<T> {
    const own = new OwnWrites<T>(ttlMs);
    own.followed = cache;
    cache.addHandler({
      onAdd: (obj) => own.cached(obj),
      onUpdate: (_old, obj) => own.cached(obj),
      onDelete: (obj) => void own.last.delete(idOf(obj)),
    });
    return own;
  }

  /** The cache now holds `obj`: a write it has caught up with is forgotten. */
  cached(obj: T): void {
    const id = idOf(obj);
    const mine = this.last.get(id);
    if (mine && !behind(obj, mine.resourceVersion)) this.last.delete(id);
  }

  /** Records an object as this controller's write returned it. */
  remember(obj: T): void {
    const rv = obj.metadata?.resourceVersion;
    if (rv === undefined) return;
    const at = this.now();
    // Its watch event can come before the response: then the cache has it already.
    const inCache = this.followed?.get(objectKey(obj));
    if (inCache && !behind(inCache, rv)) return void this.last.delete(idOf(obj));
    this.last.set(idOf(obj), { resourceVersion: rv, status: obj.status, at });
    if (at - this.sweptAt > this.ttlMs / 10) this.sweep(at);
  }

  /**
   * The cached object, or — while the cache is behind this controller's last write — that
   * write's status and resourceVersion on it. Once the cache has caught up, the write is forgotten.
   */
  freshest<U extends T>(cached: U): U {
    const id = idOf(cached);
    const mine = this.last.get(id);
    if (!mine) return cached;
    if (behind(cached, mine.resourceVersion)) {
      const fresh: U = { ...cached, metadata: { ...cached.metadata, resourceVersion: mine.resourceVersion } };
      if (mine.status !== undefined) fresh.status = mine.status;
      return fresh;
    }
    this.last.delete(id);
    return cached;
  }

  /** Writes remembered and not yet caught up with or expired. */
  get size(): number {
    return this.last.size;
  }

  private sweep(at: number): void {
    this.sweptAt = at;
    for (const [id, w] of this.last) if (at - w.at > this.ttlMs) this.last.delete(id);
  }
}
