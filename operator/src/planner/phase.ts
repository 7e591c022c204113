/**
 * The occupier's lifecycle phase and active order from its orders (SPEC §1 "Occupier
 * lifecycle phases"), and the lasting effects of its completed orders. What those effects
 * mean for the occupier's desired state, and the fields to change in Git (`SpecDrift`), is
 * `effective.ts`.
 */
import type { CustomerMoveResource, DecommissionResource, OccupierPhase, SiteMoveResource } from '../api/index.ts';
import type { SiteEntry } from './classify.ts';
import { hasStarted, isTerminal } from './conflicts.ts';
import type { OrderKind, OrderSummary } from './types.ts';

export interface PhaseInput {
  /** This occupier's orders, any kind (others are ignored). */
  orders: readonly OrderSummary[];
  /** A Decommission of the occupier has succeeded, now or before (sticky: also pass true when status.phase is already Decommissioned). */
  decommissioned: boolean;
  /** Whether the occupier's own provisioning has converged; false → `Pending` when no order applies. Default true. */
  provisioned?: boolean | undefined;
}

/**
 * The phase, first match wins:
 * 1. `Decommissioned`: a Decommission succeeded (final; the spec is ignored from then on).
 * 2. `DecommissionPending`: a Decommission has started and not ended (the manual's "decommission pending").
 * 3. `DecommissionFailed`: a Decommission failed after it started (one that failed before
 *    starting — missed schedule, wrong confirmation — touched nothing and does not count).
 * 4. `Moving`: a SiteMove or CustomerMove has started and not ended.
 * 5. `DecommissionScheduled`: a Decommission waits (scheduled, awaiting approval, blocked).
 * 6. `MoveScheduled`: a move waits (Connect's "Active - move scheduled").
 * 7. `Pending` while the occupier is not provisioned yet, else `Active`.
 * A move that failed after starting leaves the occupier `Active` (there is no move-failed
 * phase); the failure is on the order.
 */
export function occupierPhase(input: PhaseInput): OccupierPhase {
  const orders = input.orders;
  const decom = orders.filter((o) => o.kind === 'Decommission');
  const moves = orders.filter((o) => o.kind !== 'Decommission');
  const running = (o: OrderSummary): boolean => hasStarted(o) && !isTerminal(o);
  const waiting = (o: OrderSummary): boolean => !hasStarted(o) && !isTerminal(o);

  if (input.decommissioned || decom.some((o) => o.phase === 'Succeeded')) return 'Decommissioned';
  if (decom.some(running)) return 'DecommissionPending';
  if (decom.some((o) => o.phase === 'Failed' && o.startedAt !== undefined)) return 'DecommissionFailed';
  if (moves.some(running)) return 'Moving';
  if (decom.some(waiting)) return 'DecommissionScheduled';
  if (moves.some(waiting)) return 'MoveScheduled';
  return input.provisioned === false ? 'Pending' : 'Active';
}

/**
 * The order the phase is about (`status.activeOrder`): the one that started and has not ended
 * (for `DecommissionFailed`, the failed Decommission, which a retry resumes), else the waiting
 * one of the kind the phase names, the first created (ties by kind/name) — the one that goes
 * first (`conflictingOrders`). Absent in `Active`, `Pending` and `Decommissioned`.
 */
export function activeOrder(orders: readonly OrderSummary[], phase: OccupierPhase): { kind: OrderKind; name: string } | undefined {
  const decom = (o: OrderSummary): boolean => o.kind === 'Decommission';
  const move = (o: OrderSummary): boolean => o.kind !== 'Decommission';
  const running = (o: OrderSummary): boolean => hasStarted(o) && !isTerminal(o);
  const waiting = (o: OrderSummary): boolean => !hasStarted(o) && !isTerminal(o);
  const pick: Partial<Record<OccupierPhase, (o: OrderSummary) => boolean>> = {
    DecommissionPending: (o) => decom(o) && running(o),
    DecommissionFailed: (o) => decom(o) && o.phase === 'Failed' && o.startedAt !== undefined,
    Moving: (o) => move(o) && running(o),
    // Of waiting orders, the first created holds the occupier (as `conflictingOrders` decides),
    // whatever its kind: a move created before a decommission goes first.
    DecommissionScheduled: waiting,
    MoveScheduled: waiting,
  };
  const match = pick[phase];
  if (!match) return undefined;
  const time = (o: OrderSummary): number => (o.createdAt ? Date.parse(o.createdAt) : Number.POSITIVE_INFINITY);
  // A failed Decommission: the latest started one (a retry resumes it).
  const newestFirst = phase === 'DecommissionFailed';
  const [first] = orders.filter(match).sort((a, b) => {
    if (newestFirst) return (b.startedAt ?? '').localeCompare(a.startedAt ?? '');
    return time(a) - time(b) || `${a.kind}/${a.name}`.localeCompare(`${b.kind}/${b.name}`);
  });
  return first ? { kind: first.kind, name: first.name } : undefined;
}

/**
 * The lasting effect of a completed (Succeeded) order on the occupier. A SiteMove's
 * `destination` (its entry at `to` as the move made it) and `ended` (the `from` contract as it
 * ended) are filled by `completedEffects` in `effective.ts`, which recomputes them with
 * `planSiteMove`.
 */
export type OrderEffect =
  | {
      kind: 'SiteMove';
      name: string;
      from: string;
      to: string;
      tariff?: string | undefined;
      minuteBundle?: string | undefined;
      completedAt?: string | undefined;
      destination?: SiteEntry | undefined;
      ended?: { startDate: string; endDate: string } | undefined;
    }
  | { kind: 'CustomerMove'; name: string; toReseller: string; completedAt?: string | undefined }
  | { kind: 'Decommission'; name: string; completedAt?: string | undefined };

/** The effects of the Succeeded orders among `orders`, oldest completion first. */
export function effectsOf(orders: readonly (SiteMoveResource | CustomerMoveResource | DecommissionResource)[]): OrderEffect[] {
  const out: OrderEffect[] = [];
  for (const o of orders) {
    if (o.status?.phase !== 'Succeeded') continue;
    const name = o.metadata.name ?? '';
    const completedAt = o.status.completedAt;
    if (o.kind === 'SiteMove') {
      const s = (o as SiteMoveResource).spec;
      out.push({ kind: 'SiteMove', name, from: s.from, to: s.to, tariff: s.tariff, minuteBundle: s.minuteBundle, completedAt });
    } else if (o.kind === 'CustomerMove') {
      out.push({ kind: 'CustomerMove', name, toReseller: (o as CustomerMoveResource).spec.toReseller.name, completedAt });
    } else if (o.kind === 'Decommission') {
      out.push({ kind: 'Decommission', name, completedAt });
    }
  }
  return out.sort((a, b) => (a.completedAt ?? '').localeCompare(b.completedAt ?? ''));
}
