/**
 * An EventRecorder writing core/v1 Events, with client-go's two protections against floods:
 * - aggregation: the same (object, type, reason, message) seen again within `windowMs` patches
 *   the existing Event's `count` and `lastTimestamp` instead of creating a new Event;
 * - a per-object token bucket (default burst 25, refill 1 per 5 min, as client-go's spam
 *   filter): beyond it, events for that object are dropped (and counted).
 * Recording never throws: failures are logged.
 *
 * Events are written beside the controllers, not in their way: at most `concurrency` (default
 * 4) writes in flight, the rest queued in order (client-go's broadcaster writes them from one
 * goroutine). When 1,000 orders start at one instant, their status writes go first and their
 * Events follow; each Event keeps the time it was recorded. Beyond `maxQueued` (default 10,000)
 * waiting, an Event is dropped, counted and logged.
 *
 * Where an Event goes: the API server refuses one whose namespace differs from its involved
 * object's (422 `involvedObject.namespace: ... does not match event.namespace`), so an Event about a
 * namespaced object lives in that namespace and one about a cluster-scoped object (a Site) in
 * "default" (the only other namespace it accepts for those), as client-go's recorder does.
 */
import { randomBytes } from 'node:crypto';
import { PatchStrategy, setHeaderOptions, type CoreV1Api, type CoreV1Event, type KubernetesObject } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { realClock, type Clock } from './clock.ts';
import { errorMessage, isConflict, isNotFound } from './errors.ts';
import { silentLogger } from './logging.ts';
import { TokenBucket } from './ratelimit.ts';

export type EventType = 'Normal' | 'Warning';

export interface EventRecorderOptions {
  core: CoreV1Api;
  /** `source.component` and `reportingController`, e.g. "occupier-operator". */
  component: string;
  /** `reportingInstance` and `source.host` (default: hostname_pid). */
  instance?: string;
  /** Aggregation window (default 10 min). */
  windowMs?: number;
  /** Per-object burst (default 25) and refill rate in events/s (default 1/300). */
  perObjectBurst?: number;
  perObjectQps?: number;
  /** Event writes in flight at once (default 4) and Events waiting beyond them (default 10,000). */
  concurrency?: number;
  maxQueued?: number;
  logger?: Logger;
  clock?: Clock;
}

interface Aggregate {
  name: string;
  namespace: string;
  count: number;
  lastSeen: number;
  chain: Promise<void>;
}

const MAX_TRACKED = 4096;

/** The namespace an Event about `obj` must be written to: the object's, "default" for a cluster-scoped one. */
export function eventNamespace(obj: KubernetesObject): string {
  const ns = obj.metadata?.namespace;
  return ns !== undefined && ns !== '' ? ns : 'default';
}

export class EventRecorder {
  private readonly opts: EventRecorderOptions;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly instance: string;
  private readonly aggregates = new Map<string, Aggregate>();
  private readonly buckets = new Map<string, TokenBucket>();
  private droppedCount = 0;
  private writing = 0;
  private readonly waiting: (() => void)[] = [];
  /** Event names: the time in ms and this sequence (from a random start), as client-go uses the time in ns. */
  private seq = randomBytes(4).readUInt32BE() % 1_000_000;

  constructor(opts: EventRecorderOptions) {
    this.opts = opts;
    this.clock = opts.clock ?? realClock;
    this.log = (opts.logger ?? silentLogger()).child({ component: 'events' });
    this.instance = opts.instance ?? `${process.env['HOSTNAME'] ?? 'localhost'}_${process.pid}`;
  }

  /** Events dropped by the per-object rate limit so far. */
  dropped(): number {
    return this.droppedCount;
  }

  normal(obj: KubernetesObject, reason: string, message: string): Promise<void> {
    return this.record(obj, 'Normal', reason, message);
  }

  warning(obj: KubernetesObject, reason: string, message: string): Promise<void> {
    return this.record(obj, 'Warning', reason, message);
  }

  /** Record an Event about `obj`. Resolves once written (or dropped); never rejects. */
  record(obj: KubernetesObject, type: EventType, reason: string, message: string): Promise<void> {
    const meta = obj.metadata ?? {};
    const objectId = meta.uid ?? `${meta.namespace ?? ''}/${meta.name ?? ''}`;
    const key = `${objectId}\u0000${type}\u0000${reason}\u0000${message}`;
    const now = this.clock.now();
    const existing = this.aggregates.get(key);
    if (!this.allow(objectId)) {
      this.droppedCount++;
      this.log.debug({ object: objectId, reason }, 'event dropped by per-object rate limit');
      return Promise.resolve();
    }
    if (this.waiting.length >= (this.opts.maxQueued ?? 10_000)) {
      if (this.droppedCount++ % 1000 === 0) this.log.warn({ object: objectId, reason, waiting: this.waiting.length, dropped: this.droppedCount }, 'event dropped: too many events waiting to be written');
      return Promise.resolve();
    }
    if (existing && now - existing.lastSeen <= (this.opts.windowMs ?? 600_000)) {
      existing.count++;
      existing.lastSeen = now;
      const count = existing.count;
      existing.chain = existing.chain.then(() => this.bump(existing, count, now, obj, type, reason, message));
      return existing.chain;
    }
    const namespace = eventNamespace(obj);
    const agg: Aggregate = { name: this.eventName(meta.name, now), namespace, count: 1, lastSeen: now, chain: Promise.resolve() };
    agg.chain = this.create(agg, now, obj, type, reason, message);
    this.aggregates.delete(key);
    this.aggregates.set(key, agg);
    if (this.aggregates.size > MAX_TRACKED) {
      const oldest = this.aggregates.keys().next().value;
      if (oldest !== undefined) this.aggregates.delete(oldest);
    }
    return agg.chain;
  }

  /**
   * `<object>.<hex>`, unique per recorder: two Events about one object in the same millisecond
   * got the same name about once in 1,000 (a 3-digit random part), and the second was refused
   * with 409 AlreadyExists and lost (twice in a 3-minute soak).
   */
  private eventName(objectName: string | undefined, now: number): string {
    this.seq = (this.seq + 1) % 1_000_000;
    return `${objectName ?? 'object'}.${(BigInt(now) * 1_000_000n + BigInt(this.seq)).toString(16)}`;
  }

  private allow(objectId: string): boolean {
    let bucket = this.buckets.get(objectId);
    if (!bucket) {
      bucket = new TokenBucket({ qps: this.opts.perObjectQps ?? 1 / 300, burst: this.opts.perObjectBurst ?? 25, clock: this.clock });
      this.buckets.set(objectId, bucket);
      if (this.buckets.size > MAX_TRACKED) {
        const oldest = this.buckets.keys().next().value;
        if (oldest !== undefined) this.buckets.delete(oldest);
      }
    }
    return bucket.tryTake();
  }

  /** Runs one API write when a slot is free (in the order asked). */
  private async write(call: () => Promise<unknown>): Promise<void> {
    if (this.writing < (this.opts.concurrency ?? 4)) this.writing++;
    else await new Promise<void>((r) => this.waiting.push(r));
    try {
      await call();
    } finally {
      // The slot goes to the next waiting write, if any.
      const next = this.waiting.shift();
      if (next) next();
      else this.writing--;
    }
  }

  private body(agg: Aggregate, at: number, obj: KubernetesObject, type: EventType, reason: string, message: string): CoreV1Event {
    const meta = obj.metadata ?? {};
    const ts = new Date(at);
    return {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: agg.name, namespace: agg.namespace },
      involvedObject: {
        ...(obj.apiVersion !== undefined ? { apiVersion: obj.apiVersion } : {}),
        ...(obj.kind !== undefined ? { kind: obj.kind } : {}),
        ...(meta.name !== undefined ? { name: meta.name } : {}),
        ...(meta.namespace !== undefined && meta.namespace !== '' ? { namespace: meta.namespace } : {}),
        ...(meta.uid !== undefined ? { uid: meta.uid } : {}),
        ...(meta.resourceVersion !== undefined ? { resourceVersion: meta.resourceVersion } : {}),
      },
      type,
      reason,
      message: message.length > 1024 ? message.slice(0, 1021) + '...' : message,
      count: 1,
      firstTimestamp: ts,
      lastTimestamp: ts,
      source: { component: this.opts.component, host: this.instance },
      reportingComponent: this.opts.component,
      reportingInstance: this.instance,
    };
  }

  private async create(agg: Aggregate, at: number, obj: KubernetesObject, type: EventType, reason: string, message: string): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        await this.write(() => this.opts.core.createNamespacedEvent({ namespace: agg.namespace, body: this.body(agg, at, obj, type, reason, message) }));
        return;
      } catch (err) {
        // The name is taken (another recorder of this component, e.g. the replica before a
        // restart, in the same millisecond): the Event is not lost, it gets another name.
        if (isConflict(err) && attempt === 0) {
          agg.name = this.eventName(obj.metadata?.name, at);
          continue;
        }
        this.log.warn({ err: errorMessage(err), reason }, 'could not create event');
        return;
      }
    }
  }

  private async bump(agg: Aggregate, count: number, at: number, obj: KubernetesObject, type: EventType, reason: string, message: string): Promise<void> {
    if (count < agg.count) return; // a later bump will write a higher count
    try {
      await this.write(() =>
        this.opts.core.patchNamespacedEvent(
          // Count and time as they are when the write goes (more may have come while it waited).
          { name: agg.name, namespace: agg.namespace, body: { count: agg.count, lastTimestamp: new Date(agg.lastSeen) } },
          setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
        ),
      );
    } catch (err) {
      if (isNotFound(err)) {
        // the Event expired or was deleted: start a new one
        await this.create(agg, at, obj, type, reason, message);
        return;
      }
      this.log.warn({ err: errorMessage(err), reason }, 'could not update event');
    }
  }
}
