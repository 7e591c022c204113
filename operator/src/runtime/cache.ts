/**
 * An informer cache per kind, built on client-node's `ListWatch`, with its sharp edges wrapped:
 * - `ListWatch` gives up after a non-410 watch error or a failed list (it only emits `error`):
 *   here it is restarted with exponential backoff (from the last resourceVersion; a stale one
 *   gets 410 Gone from the server and `ListWatch` relists, firing deletes for vanished objects);
 * - it has no "synced" signal: `listFn` is wrapped and the store is marked synced once the
 *   list result has been applied;
 * - `stop()` during a relist could leave a watch running: the `Watch` refuses to open once stopped;
 * - watches ask for bookmarks so an idle watch keeps a fresh resourceVersion;
 * - its update callback only gets the new object: the cache keeps its own store so handlers
 *   get `(old, new)`, and maintains custom indexes;
 * - it has no resync: a timer replays every object to handlers as `onUpdate(obj, obj)`;
 * - list calls have no timeout: a hung list would freeze the cache, so it is bounded here.
 * Every object in the store is deep-frozen as it enters (`util/freeze.ts`): readers share it,
 * and one that changes it gets a TypeError instead of corrupting the cache.
 */
import {
  CustomObjectsApi,
  KubernetesObjectApi,
  ListWatch,
  Watch,
  type KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
} from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { realClock, type Clock } from './clock.ts';
import { errorMessage } from './errors.ts';
import { pooledKubeConfig } from './pool.ts';
import { makeRateLimitedApiClient, type TokenBucket } from './ratelimit.ts';
import { silentLogger } from './logging.ts';
import { deepFreeze } from '../util/freeze.ts';

/** A resource type: group ('' for core), version, plural; `kind` is needed for the core group. */
export interface ResourceKind {
  group: string;
  version: string;
  plural: string;
  kind?: string;
}

export type Indexer<T> = (obj: T) => string[];

export interface EventHandler<T> {
  onAdd?(obj: T): void;
  onUpdate?(oldObj: T, newObj: T): void;
  onDelete?(obj: T): void;
}

export interface CacheOptions<T extends KubernetesObject> {
  kubeConfig: KubeConfig;
  resource: ResourceKind;
  /** Watch one namespace only (default: all namespaces / cluster-scoped). */
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** Replay every cached object to handlers this often (default 10 min, 0 = never). */
  resyncPeriodMs?: number;
  indexers?: Record<string, Indexer<T>>;
  /** Restart backoff after watch/list errors (default 500 ms doubling to 30 s). */
  backoff?: { initialMs?: number; maxMs?: number };
  /** Page size of list calls (default 500). */
  pageSize?: number;
  /** Give up on a list call after this long and restart (client-node has no request timeout; default 60 s). */
  listTimeoutMs?: number;
  /** Shared client-side rate limit for list calls. */
  rateLimiter?: TokenBucket;
  logger?: Logger;
  clock?: Clock;
  /**
   * Applied to every object as it enters the store, in place (client-go's `SetTransform`);
   * default `stripManagedFields`. Only what a write never needs back may go: an update that
   * omits managedFields keeps the server's, but one that omits an annotation deletes it.
   */
  transform?: ((obj: T) => void) | null;
}

/**
 * Drops `metadata.managedFields` (half of a typical cached object; no controller reads them,
 * and a PUT without them keeps the server's): controller-runtime's TransformStripManagedFields.
 */
export function stripManagedFields(obj: KubernetesObject): void {
  if (obj.metadata?.managedFields !== undefined) delete obj.metadata.managedFields;
}

/** `namespace/name`, or `name` for cluster-scoped objects. */
export function objectKey(obj: KubernetesObject): string {
  const ns = obj.metadata?.namespace;
  const name = obj.metadata?.name ?? '';
  return ns ? `${ns}/${name}` : name;
}

export function splitKey(key: string): { namespace: string | undefined; name: string } {
  const i = key.indexOf('/');
  return i < 0 ? { namespace: undefined, name: key } : { namespace: key.slice(0, i), name: key.slice(i + 1) };
}

/** The API path of a resource collection. */
export function resourcePath(resource: ResourceKind, namespace?: string): string {
  const base = resource.group === '' ? `/api/${resource.version}` : `/apis/${resource.group}/${resource.version}`;
  return namespace ? `${base}/namespaces/${namespace}/${resource.plural}` : `${base}/${resource.plural}`;
}

class GuardedWatch extends Watch {
  stopped = false;
  override async watch(
    path: string,
    queryParams: Record<string, string | number | boolean | undefined>,
    callback: (phase: string, apiObj: unknown, watchObj?: unknown) => void,
    done: (err: unknown) => void,
  ): Promise<AbortController> {
    if (this.stopped) return new AbortController();
    return super.watch(path, { ...queryParams, allowWatchBookmarks: true }, callback, done);
  }
}

export class Cache<T extends KubernetesObject = KubernetesObject> {
  readonly resource: ResourceKind;
  readonly namespace: string | undefined;
  private readonly opts: CacheOptions<T>;
  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly store = new Map<string, T>();
  private readonly indexers: Map<string, Indexer<T>>;
  private readonly indexes = new Map<string, Map<string, Set<string>>>();
  private readonly indexedValues = new Map<string, Map<string, string[]>>();
  private readonly handlers: EventHandler<T>[] = [];
  private readonly watch: GuardedWatch;
  private readonly informer: ListWatch<T>;
  private synced = false;
  private syncWaiters: Array<() => void> = [];
  private running = false;
  private restartDelayMs = 0;
  private cancelRestart: (() => void) | undefined;
  private cancelResync: (() => void) | undefined;
  private relists = 0;

  constructor(opts: CacheOptions<T>) {
    this.opts = opts;
    this.resource = opts.resource;
    this.namespace = opts.namespace;
    this.clock = opts.clock ?? realClock;
    this.log = (opts.logger ?? silentLogger()).child({ cache: this.describe() });
    this.indexers = new Map(Object.entries(opts.indexers ?? {}));
    for (const name of this.indexers.keys()) this.indexes.set(name, new Map());
    this.watch = new GuardedWatch(pooledKubeConfig(opts.kubeConfig));
    const listFn = this.makeListFn();
    this.informer = new ListWatch<T>(
      resourcePath(opts.resource, opts.namespace),
      this.watch,
      async () => {
        const list = await withTimeout(listFn(), opts.listTimeoutMs ?? 60_000, `list of ${this.describe()}`);
        // ListWatch applies the list right after this promise settles (same microtask chain);
        // by the next macrotask the store holds it.
        setImmediate(() => this.onListed());
        return list;
      },
      false,
      opts.labelSelector,
      opts.fieldSelector,
    );
    this.informer.on('add', (obj) => this.onUpsert(obj));
    this.informer.on('update', (obj) => this.onUpsert(obj));
    this.informer.on('delete', (obj) => this.onDelete(obj));
    this.informer.on('error', (err: unknown) => this.onError(err));
  }

  /** Human-readable name of what this cache watches. */
  describe(): string {
    const r = this.resource;
    return `${r.plural}${r.group ? '.' + r.group : ''}/${r.version}${this.namespace ? ` in ${this.namespace}` : ''}`;
  }

  /** Start listing and watching (returns at once; see `waitForSync`). */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.watch.stopped = false;
    this.restartInformer();
    this.scheduleResync();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.watch.stopped = true;
    this.cancelRestart?.();
    this.cancelResync?.();
    await this.informer.stop();
  }

  hasSynced(): boolean {
    return this.synced;
  }

  /** Number of completed lists (the first one, and relists after 410 Gone). */
  listCount(): number {
    return this.relists;
  }

  /** Resolve once the first list has been applied to the store. */
  waitForSync(signal?: AbortSignal): Promise<void> {
    if (this.synced) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const done = (): void => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      const onAbort = (): void => {
        this.syncWaiters = this.syncWaiters.filter((w) => w !== done);
        reject(signal?.reason as Error);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.syncWaiters.push(done);
    });
  }

  /** Get by key (`namespace/name` or `name`). */
  get(key: string): T | undefined {
    return this.store.get(key);
  }

  list(namespace?: string): T[] {
    const all = [...this.store.values()];
    return namespace === undefined ? all : all.filter((o) => o.metadata?.namespace === namespace);
  }

  keys(): string[] {
    return [...this.store.keys()];
  }

  /** Objects whose indexer `indexName` returned `value`. */
  byIndex(indexName: string, value: string): T[] {
    const index = this.indexes.get(indexName);
    if (!index) throw new Error(`cache ${this.describe()}: no index named ${indexName}`);
    const keys = index.get(value);
    if (!keys) return [];
    const out: T[] = [];
    for (const k of keys) {
      const obj = this.store.get(k);
      if (obj) out.push(obj);
    }
    return out;
  }

  addHandler(handler: EventHandler<T>): void {
    this.handlers.push(handler);
  }

  private makeListFn(): () => Promise<KubernetesListObject<T>> {
    const { kubeConfig, resource, namespace, labelSelector, fieldSelector } = this.opts;
    const limit = this.opts.pageSize ?? 500;
    const clientOpts = this.opts.rateLimiter ? { bucket: this.opts.rateLimiter } : {};
    const selectors = {
      ...(labelSelector !== undefined ? { labelSelector } : {}),
      ...(fieldSelector !== undefined ? { fieldSelector } : {}),
    };
    if (resource.group === '') {
      const kind = resource.kind;
      if (!kind) throw new Error(`cache ${this.describe()}: core-group resources need a kind`);
      const api = makeRateLimitedApiClient(kubeConfig, KubernetesObjectApi, clientOpts);
      return () =>
        paginate<T>((cont) =>
          api.list(resource.version, kind, namespace, undefined, undefined, undefined, fieldSelector, labelSelector, limit, cont) as Promise<KubernetesListObject<T>>,
        );
    }
    const api = makeRateLimitedApiClient(kubeConfig, CustomObjectsApi, clientOpts);
    const { group, version, plural } = resource;
    return () =>
      paginate<T>(async (cont) => {
        const page = namespace
          ? await api.listNamespacedCustomObject({ group, version, plural, namespace, limit, ...selectors, ...(cont ? { _continue: cont } : {}) })
          : await api.listClusterCustomObject({ group, version, plural, limit, ...selectors, ...(cont ? { _continue: cont } : {}) });
        return page as KubernetesListObject<T>;
      });
  }

  private restartInformer(): void {
    this.cancelRestart = undefined;
    if (!this.running) return;
    this.informer.start().catch((err: unknown) => this.onError(err));
  }

  private onListed(): void {
    this.relists++;
    this.restartDelayMs = 0;
    if (!this.synced) {
      this.synced = true;
      this.log.debug({ objects: this.store.size }, 'cache synced');
      const waiters = this.syncWaiters;
      this.syncWaiters = [];
      for (const w of waiters) w();
    } else {
      this.log.info({ objects: this.store.size }, 'cache relisted');
    }
  }

  private onError(err: unknown): void {
    if (!this.running) return;
    const { initialMs = 500, maxMs = 30_000 } = this.opts.backoff ?? {};
    this.restartDelayMs = this.restartDelayMs === 0 ? initialMs : Math.min(this.restartDelayMs * 2, maxMs);
    const delay = Math.round(this.restartDelayMs * (0.8 + Math.random() * 0.4));
    this.log.warn({ err: errorMessage(err), retryInMs: delay }, 'list/watch failed, restarting');
    this.cancelRestart?.();
    this.cancelRestart = this.clock.setTimer(() => this.restartInformer(), delay);
  }

  private scheduleResync(): void {
    const period = this.opts.resyncPeriodMs ?? 600_000;
    if (!(period > 0) || !this.running) return;
    this.cancelResync = this.clock.setTimer(() => {
      if (this.synced) for (const obj of this.store.values()) this.emit((h) => h.onUpdate?.(obj, obj));
      this.scheduleResync();
    }, period);
  }

  /** An add or update from the informer: either may arrive for an object the store already holds (relists). */
  private onUpsert(obj: T): void {
    // In place: client-node's ListWatch keeps the same object, so there is one copy, stripped,
    // then frozen: every reader (reconcilers included) gets this object, read-only.
    (this.opts.transform === undefined ? stripManagedFields : this.opts.transform)?.(obj);
    deepFreeze(obj);
    const key = objectKey(obj);
    const old = this.store.get(key);
    this.store.set(key, obj);
    this.reindex(key, obj);
    if (old) this.emit((h) => h.onUpdate?.(old, obj));
    else this.emit((h) => h.onAdd?.(obj));
  }

  private onDelete(obj: T): void {
    const key = objectKey(obj);
    const last = this.store.get(key) ?? obj;
    this.store.delete(key);
    this.reindex(key, undefined);
    this.emit((h) => h.onDelete?.(last));
  }

  private emit(fn: (h: EventHandler<T>) => void): void {
    for (const h of this.handlers) {
      try {
        fn(h);
      } catch (err) {
        this.log.error({ err: errorMessage(err) }, 'event handler threw');
      }
    }
  }

  private reindex(key: string, obj: T | undefined): void {
    if (this.indexers.size === 0) return;
    const previous = this.indexedValues.get(key);
    const next = new Map<string, string[]>();
    for (const [name, indexer] of this.indexers) {
      const index = this.indexes.get(name);
      if (!index) continue;
      for (const v of previous?.get(name) ?? []) {
        const set = index.get(v);
        set?.delete(key);
        if (set?.size === 0) index.delete(v);
      }
      if (!obj) continue;
      let values: string[] = [];
      try {
        values = indexer(obj);
      } catch (err) {
        this.log.error({ err: errorMessage(err), index: name, key }, 'indexer threw');
      }
      next.set(name, values);
      for (const v of values) {
        let set = index.get(v);
        if (!set) index.set(v, (set = new Set()));
        set.add(key);
      }
    }
    if (obj) this.indexedValues.set(key, next);
    else this.indexedValues.delete(key);
  }
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DOMException(`${what} timed out after ${ms} ms`, 'TimeoutError')), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

async function paginate<T extends KubernetesObject>(page: (cont: string | undefined) => Promise<KubernetesListObject<T>>): Promise<KubernetesListObject<T>> {
  let cont: string | undefined;
  const items: T[] = [];
  let first: KubernetesListObject<T> | undefined;
  do {
    const res = await page(cont);
    first ??= res;
    items.push(...(res.items ?? []));
    // Typed lists (client-node's ObjectSerializer) name it `_continue`; raw custom-object lists keep the wire name `continue`.
    const meta = res.metadata as { _continue?: string; continue?: string } | undefined;
    cont = meta?._continue || meta?.continue || undefined;
  } while (cont);
  return { ...first, items };
}
