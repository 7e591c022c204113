/**
 * `kubectl occupier history <occupier>`: what happened to an occupier — its lifecycle phase and
 * sites now, every order that acted on it (and CustomerMoves that brought customers to it as
 * a reseller), its archived record (`status.history`) and its Events. Works after the Occupier
 * is gone: its orders are still there.
 */
import type { CoreV1Event } from '@kubernetes/client-node';
import type { OccupierResource, OccupierStatus } from '../api/index.ts';
import type { AnyOrder } from '../controllers/orders/plugin.ts';
import { isNotFound } from '../runtime/index.ts';
import { ORDER_KINDS } from './args.ts';
import type { OrderKind } from './args.ts';
import type { Out } from './render.ts';
import { age, colourState, oneLine, table } from './render.ts';
import type { Session } from './session.ts';

export interface OrderRow {
  kind: OrderKind;
  name: string;
  /** `occupier`: the order acts on it; `reseller`: a CustomerMove that brings a customer to it. */
  role: 'occupier' | 'reseller';
  occupier: string;
  phase?: string | undefined;
  scheduledFor?: string | undefined;
  startedAt?: string | undefined;
  completedAt?: string | undefined;
  createdAt?: string | undefined;
  summary?: string | undefined;
}

export interface EventRow {
  type: string;
  reason: string;
  at?: string | undefined;
  count: number;
  message: string;
}

export interface HistoryView {
  namespace: string;
  occupier: string;
  /** Absent when the Occupier object is gone. */
  status?: { phase?: string | undefined; currentSites: string[]; reseller?: string | undefined; activeOrder?: string | undefined } | undefined;
  archive?: OccupierStatus['history'] | undefined;
  orders: OrderRow[];
  events: EventRow[];
}

/** Neither the Occupier nor any order of it exists. */
export class NotFoundError extends Error {
  override readonly name = 'NotFound';
  readonly code = 'NotFound' as const;
}

const iso = (v: unknown): string | undefined => (v instanceof Date ? v.toISOString() : typeof v === 'string' ? v : undefined);

async function listOrders(session: Session, kind: OrderKind): Promise<AnyOrder[]> {
  const c = session.orders(kind);
  const { group, version, plural } = c.resource;
  const res = (await c.api.listNamespacedCustomObject({ group, version, plural, namespace: session.namespace })) as { items?: AnyOrder[] };
  return res.items ?? [];
}

/** The rows of the orders that concern `occupier`, oldest first (pure). */
export function orderRows(kind: OrderKind, orders: readonly AnyOrder[], occupier: string): OrderRow[] {
  const rows: OrderRow[] = [];
  for (const o of orders) {
    const toReseller = (o.spec as { toReseller?: { name?: string } }).toReseller?.name;
    const role = o.spec.occupierRef.name === occupier ? 'occupier' : kind === 'CustomerMove' && toReseller === occupier ? 'reseller' : undefined;
    if (!role) continue;
    rows.push({
      kind,
      name: o.metadata.name ?? '',
      role,
      occupier: o.spec.occupierRef.name,
      phase: o.status?.phase,
      scheduledFor: o.status?.scheduledFor,
      startedAt: o.status?.startedAt,
      completedAt: o.status?.completedAt,
      createdAt: iso(o.metadata.creationTimestamp),
      summary: o.status?.plan?.summary,
    });
  }
  return rows;
}

function eventRows(events: readonly CoreV1Event[]): EventRow[] {
  return events
    .map((e) => ({
      type: e.type ?? '',
      reason: e.reason ?? '',
      at: iso(e.lastTimestamp) ?? iso(e.eventTime) ?? iso(e.firstTimestamp) ?? iso(e.metadata.creationTimestamp),
      count: e.count ?? 1,
      message: e.message ?? '',
    }))
    .sort((a, b) => (a.at ?? '').localeCompare(b.at ?? ''));
}

export async function historyView(session: Session, name: string): Promise<HistoryView> {
  let occ: OccupierResource | undefined;
  try {
    occ = await session.occupiers.get(session.namespace, name);
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  const orders = (await Promise.all(ORDER_KINDS.map(async (k) => orderRows(k, await listOrders(session, k), name))))
    .flat()
    .sort((a, b) => (a.createdAt ?? '').localeCompare(b.createdAt ?? ''));
  if (!occ && orders.length === 0) throw new NotFoundError(`occupiers.occupier.dev "${name}" not found in namespace ${session.namespace}, and no order names it`);
  const events = await session.core.listNamespacedEvent({ namespace: session.namespace, fieldSelector: `involvedObject.name=${name}` });
  const st = occ?.status;
  return {
    namespace: session.namespace,
    occupier: name,
    status: occ
      ? {
          phase: st?.phase,
          currentSites: st?.currentSites ?? [],
          reseller: st?.reseller ?? occ.spec.resellerRef?.name,
          activeOrder: st?.activeOrder ? `${st.activeOrder.kind}/${st.activeOrder.name}` : undefined,
        }
      : undefined,
    archive: st?.history,
    orders,
    events: eventRows(events.items.filter((e) => e.involvedObject.kind === 'Occupier')),
  };
}

const HISTORY_FIELDS = ['contracts', 'occupancies', 'services', 'callCharges', 'accessLogs', 'bookings'] as const;

export function renderHistory(out: Out, v: HistoryView, now: number): void {
  const head = `${out.paint('bold', `Occupier ${v.namespace}/${v.occupier}`)}`;
  if (v.status) {
    const s = v.status;
    out.write(`${head}   phase ${colourState(out, s.phase)}   sites ${s.currentSites.join(', ') || '<none>'}${s.reseller ? `   reseller ${s.reseller}` : ''}${s.activeOrder ? `   active order ${s.activeOrder}` : ''}\n`);
  } else {
    out.write(`${head}   the Occupier object is gone (deleted); its orders remain\n`);
  }

  out.write(`\n${out.paint('bold', 'Orders')}\n`);
  if (v.orders.length === 0) out.write('  none\n');
  else {
    const rows = v.orders.map((o) => [
      o.kind,
      o.name,
      o.role === 'reseller' ? `reseller of ${o.occupier}` : 'occupier',
      { text: o.phase ?? '', shown: colourState(out, o.phase) },
      o.scheduledFor ?? '',
      o.startedAt ?? '',
      o.completedAt ?? '',
      age(o.createdAt, now),
      o.summary ?? '',
    ]);
    out.write(table(['kind', 'name', 'role', 'phase', 'scheduled', 'started', 'completed', 'age', 'plan'], rows));
  }

  out.write(`\n${out.paint('bold', 'Archived record')}\n`);
  const a = v.archive;
  if (a) {
    const counts = HISTORY_FIELDS.filter((f) => a[f] !== undefined).map((f) => `${f} ${a[f]}`);
    out.write(`  ${a.recordRef ?? '<no reference>'}${a.archivedAt ? `, archived ${a.archivedAt}` : ''}${counts.length ? `: ${counts.join(', ')}` : ''}\n`);
  } else {
    out.write('  none yet (the history is archived when the occupier is decommissioned or deleted)\n');
  }

  out.write(`\n${out.paint('bold', 'Events')}\n`);
  if (v.events.length === 0) out.write('  none (Events expire after an hour on most clusters)\n');
  else out.write(table(['last seen', 'type', 'reason', 'count', 'message'], v.events.map((e) => [age(e.at, now), e.type === 'Warning' ? { text: e.type, shown: out.paint('yellow', e.type) } : e.type, e.reason, String(e.count), oneLine(e.message)])));
}
