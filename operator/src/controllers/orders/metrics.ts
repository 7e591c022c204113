/**
 * Order metrics for alerts on stuck, missed, blocked and failed work. Gauges are computed from
 * the order caches at scrape time (never stale, nothing to forget on deletion); counters and
 * the duration histogram are updated by the order controllers.
 */
import { Counter, Gauge, Histogram } from 'prom-client';
import type { Registry } from 'prom-client';
import { ORDER_PHASES } from '../../api/index.ts';
import type { OrderStatus } from '../../api/index.ts';

export const ORDER_KINDS = ['SiteMove', 'CustomerMove', 'Decommission'] as const;
export type OrderKindName = (typeof ORDER_KINDS)[number];

interface OrderLike {
  metadata?: { namespace?: string; name?: string };
  status?: Pick<OrderStatus, 'phase' | 'startedAt' | 'scheduledFor' | 'tasks'>;
}

/**
 * Since when a running order has had work due (ms), for OrderStuck: its start, or the latest
 * `notBefore` that has come. Undefined while it only waits for its time — no step running and
 * one waiting for a `notBefore` ahead (a move's source steps wait for the end of the move
 * date: not stuck). A step that retries is Running, so a stuck order is never hidden.
 */
export function activeSince(status: NonNullable<OrderLike['status']>, nowMs: number): number | undefined {
  if (status.phase !== 'Running' || !status.startedAt) return undefined;
  const open = (status.tasks ?? []).filter((t) => t.state !== 'Succeeded' && t.state !== 'Failed');
  const ahead = (t: (typeof open)[number]): boolean => t.notBefore !== undefined && Date.parse(t.notBefore) > nowMs;
  if (open.some(ahead) && !open.some((t) => t.state === 'Running')) return undefined;
  const came = (status.tasks ?? []).flatMap((t) => (t.notBefore !== undefined && !ahead(t) ? [Date.parse(t.notBefore)] : []));
  return Math.max(Date.parse(status.startedAt), ...came.filter(Number.isFinite));
}

export interface OrderSource {
  kind: OrderKindName;
  list(): OrderLike[];
}

export class OrderMetrics {
  readonly duration: Histogram<'kind' | 'result'>;
  readonly missed: Counter<'kind'>;

  constructor(registry: Registry, sources: () => OrderSource[], now: () => number = Date.now) {
    new Gauge({
      name: 'occupier_operator_orders',
      help: 'Orders per kind and phase (an order no controller has seen yet counts as Pending).',
      labelNames: ['kind', 'phase'],
      registers: [registry],
      collect() {
        for (const kind of ORDER_KINDS) for (const phase of ORDER_PHASES) this.set({ kind, phase }, 0);
        for (const src of sources()) for (const o of src.list()) this.inc({ kind: src.kind, phase: o.status?.phase ?? 'Pending' });
      },
    });
    /** A gauge of one timestamp per order, for the orders `pick` returns one for. */
    const timestampGauge = (name: string, help: string, pick: (s: NonNullable<OrderLike['status']>) => string | number | undefined): void => {
      new Gauge({
        name,
        help,
        labelNames: ['kind', 'namespace', 'name'],
        registers: [registry],
        collect() {
          this.reset();
          for (const src of sources()) {
            for (const o of src.list()) {
              const at = o.status ? pick(o.status) : undefined;
              const ms = typeof at === 'string' ? Date.parse(at) : at;
              if (ms !== undefined && Number.isFinite(ms)) this.set({ kind: src.kind, namespace: o.metadata?.namespace ?? '', name: o.metadata?.name ?? '' }, ms / 1000);
            }
          }
        },
      });
    };
    timestampGauge('occupier_operator_order_started_timestamp_seconds', 'Start time of running orders.', (s) => (s.phase === 'Running' ? s.startedAt : undefined));
    timestampGauge(
      'occupier_operator_order_active_timestamp_seconds',
      'Since when running orders have had work due: the start, or the latest step notBefore that came; absent while an order only waits for a notBefore ahead (alert OrderStuck: work due for too long).',
      (s) => activeSince(s, now()),
    );
    timestampGauge(
      'occupier_operator_order_scheduled_timestamp_seconds',
      'Scheduled time of orders that have not started and are not Blocked (alert: the time passed and it did not start).',
      // A Blocked order has its own alert (OrderBlocked): one alert per cause.
      (s) => (s.startedAt || s.phase === 'Succeeded' || s.phase === 'Failed' || s.phase === 'Blocked' ? undefined : s.scheduledFor),
    );
    this.duration = new Histogram({
      name: 'occupier_operator_order_duration_seconds',
      help: 'Time from the start of an order run to its end, by result.',
      labelNames: ['kind', 'result'],
      buckets: [1, 5, 10, 30, 60, 300, 900, 1800, 3600, 7200],
      registers: [registry],
    });
    this.missed = new Counter({
      name: 'occupier_operator_order_missed_schedule_total',
      help: 'Orders that failed because their starting deadline passed (MissedSchedule).',
      labelNames: ['kind'],
      registers: [registry],
    });
    for (const kind of ORDER_KINDS) {
      this.missed.inc({ kind }, 0);
      for (const result of ['Succeeded', 'Failed']) this.duration.zero({ kind, result });
    }
  }
}
