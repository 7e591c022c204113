/**
 * The occupier's lifecycle phase from its orders (SPEC §1 "Occupier lifecycle phases"), and
 * the fields of its spec that disagree with completed orders (`SpecDrift`): the operator
 * never writes the user's spec, so it names what to change in Git instead.
 */
import type {
  CustomerMoveResource,
  DecommissionResource,
  OccupierPhase,
  OccupierSpec,
  SiteMoveResource,
} from '../api/index.ts';
import { hasStarted, isTerminal } from './conflicts.ts';
import type { OrderSummary } from './types.ts';

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

/** The lasting effect of a completed (Succeeded) order on the occupier. */
export type OrderEffect =
  | { kind: 'SiteMove'; name: string; from: string; to: string; tariff?: string | undefined; minuteBundle?: string | undefined; completedAt?: string | undefined }
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

/**
 * Field paths of `spec` that disagree with the completed orders' effects (applied in the
 * given order, so a move there and back again cancels out), sorted:
 * - a SiteMove: the `from` entry still declared → `spec.sites[site=<from>]`; the `to`
 *   entry missing → `spec.sites[site=<to>]`; its tariff / minute bundle different →
 *   `spec.sites[site=<to>].contract.tariff` / `.minuteBundle`; a user still given access to
 *   `from` → `spec.users[email=<email>].sites`.
 * - a CustomerMove: `spec.resellerRef.name` unless it names the last destination.
 * - a Decommission changes nothing here: the spec is ignored afterwards (`Immutable`).
 */
export function specDrift(spec: OccupierSpec, effects: readonly OrderEffect[]): string[] {
  const left = new Set<string>();
  const joined = new Map<string, Extract<OrderEffect, { kind: 'SiteMove' }>>();
  let reseller: string | undefined;
  for (const e of effects) {
    if (e.kind === 'SiteMove') {
      left.add(e.from);
      joined.delete(e.from);
      left.delete(e.to);
      joined.set(e.to, e);
    } else if (e.kind === 'CustomerMove') {
      reseller = e.toReseller;
    }
  }

  const drift = new Set<string>();
  const declared = new Map(spec.sites.map((s) => [s.site, s]));
  for (const site of left) if (declared.has(site)) drift.add(`spec.sites[site=${site}]`);
  for (const [site, move] of joined) {
    const entry = declared.get(site);
    if (!entry) {
      drift.add(`spec.sites[site=${site}]`);
      continue;
    }
    if (move.tariff !== undefined && entry.contract.tariff !== move.tariff) drift.add(`spec.sites[site=${site}].contract.tariff`);
    if (move.minuteBundle !== undefined && entry.contract.minuteBundle !== move.minuteBundle) {
      drift.add(`spec.sites[site=${site}].contract.minuteBundle`);
    }
  }
  for (const u of spec.users ?? []) {
    if (u.sites.some((s) => left.has(s))) drift.add(`spec.users[email=${u.email}].sites`);
  }
  if (reseller !== undefined && spec.resellerRef?.name !== reseller) drift.add('spec.resellerRef.name');
  return [...drift].sort();
}
