/**
 * A controller's own last write per object, until its cache has caught up with it. A pass that
 * starts from a stale cached copy would otherwise find "nothing changed" against an outdated
 * status and skip a needed write — and a controller's own status writes do not wake it again
 * (its predicates filter them). controller-runtime leaves this to each reconciler; here it is
 * written once, for the order engine and the Occupier controller.
 *
 * Only the status and resourceVersion are kept (not the whole response: its spec and
 * managedFields would double what the cache holds), and a write no pass has looked at for
 * `ttlMs` is forgotten: by then the cache has long caught up, and after the last pass of an
 * object (an occupier Ready and left alone) nothing else would remove it.
 */
import type { KubernetesObject } from '@kubernetes/client-node';

type WithStatus = KubernetesObject & { status?: unknown };

interface Written {
  resourceVersion: string;
  status: unknown;
  at: number;
}

const idOf = (o: WithStatus): string => o.metadata?.uid ?? `${o.metadata?.namespace}/${o.metadata?.name}`;

export class OwnWrites<T extends WithStatus> {
  private readonly last = new Map<string, Written>();
  private sweptAt = 0;
  private readonly ttlMs: number;
  private readonly now: () => number;

  constructor(ttlMs = 5 * 60_000, now: () => number = () => performance.now()) {
    this.ttlMs = ttlMs;
    this.now = now;
  }

  /** Records an object as this controller's write returned it. */
  remember(obj: T): void {
    const rv = obj.metadata?.resourceVersion;
    if (rv === undefined) return;
    const at = this.now();
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
    const a = Number(cached.metadata?.resourceVersion);
    const b = Number(mine.resourceVersion);
    if (Number.isFinite(a) && Number.isFinite(b) && b > a) {
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
