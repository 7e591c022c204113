/**
 * A controller's own last write per object, until its cache has caught up with it. A pass that
 * starts from a stale cached copy would otherwise find "nothing changed" against an outdated
 * status and skip a needed write — and a controller's own status writes do not wake it again
 * (its predicates filter them). controller-runtime leaves this to each reconciler; here it is
 * written once, for the order engine and the Occupier controller.
 */
import type { KubernetesObject } from '@kubernetes/client-node';

type WithStatus = KubernetesObject & { status?: unknown };

const idOf = (o: WithStatus): string => o.metadata?.uid ?? `${o.metadata?.namespace}/${o.metadata?.name}`;

export class OwnWrites<T extends WithStatus> {
  private readonly last = new Map<string, T>();

  /** Records an object as this controller's write returned it. */
  remember(obj: T): void {
    this.last.set(idOf(obj), obj);
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
    const b = Number(mine.metadata?.resourceVersion);
    if (Number.isFinite(a) && Number.isFinite(b) && b > a) {
      const fresh: U = { ...cached, metadata: { ...cached.metadata, resourceVersion: mine.metadata?.resourceVersion } };
      if (mine.status !== undefined) fresh.status = mine.status;
      return fresh;
    }
    this.last.delete(id);
    return cached;
  }

  /** Writes remembered and not yet caught up with (for tests and metrics). */
  get size(): number {
    return this.last.size;
  }
}
