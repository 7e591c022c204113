/**
 * One active order per occupier at a time (SPEC §1): which other orders stand in the way.
 */
import type { OrderPhase } from '../api/index.ts';
import type { OrderKind, OrderSummary } from './types.ts';

/** Order phases after which the order no longer holds its occupier. */
export const TERMINAL_ORDER_PHASES: readonly OrderPhase[] = ['Succeeded', 'Failed'];

/** Whether an order is over (Succeeded or Failed). */
export function isTerminal(order: Pick<OrderSummary, 'phase'>): boolean {
  return order.phase !== undefined && TERMINAL_ORDER_PHASES.includes(order.phase);
}

/** Whether an order's run has begun (it is Running, or it has a `startedAt`). */
export function hasStarted(order: Pick<OrderSummary, 'phase' | 'startedAt'>): boolean {
  return order.phase === 'Running' || order.startedAt !== undefined;
}

function sameOrder(a: { kind: OrderKind; name: string }, b: { kind: OrderKind; name: string }): boolean {
  return a.kind === b.kind && a.name === b.name;
}

function createdBefore(a: OrderSummary, b: OrderSummary): boolean {
  const ta = a.createdAt ? Date.parse(a.createdAt) : Number.POSITIVE_INFINITY;
  const tb = b.createdAt ? Date.parse(b.createdAt) : Number.POSITIVE_INFINITY;
  if (ta !== tb) return ta < tb;
  return `${a.kind}/${a.name}` < `${b.kind}/${b.name}`;
}

/**
 * The other orders for the same occupier that hold it, so `self` must wait (`Blocked`,
 * reason `ConflictingOrder`) until they end.
 *
 * Another order holds the occupier when it has not ended (not Succeeded or Failed) and
 * either it has started, or it is the occupier's recorded `status.activeOrder`, or it was
 * created before `self` (ties broken by kind/name) — so of two waiting orders exactly one
 * goes first and they never block each other. A started `self` is never blocked.
 */
export function conflictingOrders(
  self: OrderSummary,
  orders: readonly OrderSummary[],
  activeOrder?: { kind: OrderKind; name: string } | undefined,
): OrderSummary[] {
  if (hasStarted(self) && !isTerminal(self)) return [];
  const selfIsActive = activeOrder !== undefined && sameOrder(activeOrder, self);
  return orders.filter((o) => {
    if (o.occupier !== self.occupier || sameOrder(o, self) || isTerminal(o)) return false;
    if (hasStarted(o)) return true;
    if (activeOrder !== undefined && sameOrder(activeOrder, o)) return true;
    if (selfIsActive) return false;
    return createdBefore(o, self);
  });
}
