/**
 * What the Occupier controller derives from the occupier's orders (pure): the lifecycle phase
 * and active order, whether an order owns the occupier (no provisioning then), the effective
 * spec and drift after completed orders, and the Events that say what changed. Orders write
 * only their own status; this controller is the one writer of `Occupier.status`.
 */
import type { CustomerMoveResource, DecommissionResource, OccupierPhase, OccupierSpec, OccupierStatus, SiteMoveResource, SiteResource } from '../../api/index.ts';
import { accessLevelsOf, completedEffects, describeDrift, effectiveSpec, movesOf, resellerOf } from '../../planner/effective.ts';
import { activeOrder, occupierPhase } from '../../planner/phase.ts';
import type { OrderKind, OrderSummary } from '../../planner/types.ts';

/** An order of any kind, as the caches hold it (`kind` says which). */
export type AnyOrder = SiteMoveResource | CustomerMoveResource | DecommissionResource;

/** Phases in which an order owns the occupier: this controller does not provision then. */
export const ORDER_OWNED: ReadonlySet<OccupierPhase> = new Set(['Moving', 'DecommissionPending', 'DecommissionFailed']);

/** Timestamps from the custom-objects API are RFC 3339 strings (typed Date by client-node). */
function isoOf(v: unknown): string | undefined {
  if (v instanceof Date) return v.toISOString();
  return typeof v === 'string' ? v : undefined;
}

export function summaryOf(o: AnyOrder): OrderSummary {
  return {
    kind: o.kind as OrderKind,
    name: o.metadata.name ?? '',
    occupier: o.spec.occupierRef.name,
    phase: o.status?.phase,
    startedAt: o.status?.startedAt,
    createdAt: isoOf(o.metadata.creationTimestamp),
  };
}

export interface OrderView {
  summaries: OrderSummary[];
  /** The Succeeded Decommission (the latest), if its order still exists. */
  decommission: DecommissionResource | undefined;
  /** Decommissioned: a Decommission succeeded, now or before (`status.phase` stays). */
  decommissioned: boolean;
  /** The phase; `provisioned` (some site has an active contract) decides Pending vs Active. */
  phase(provisioned: boolean): OccupierPhase;
}

export function viewOrders(orders: readonly AnyOrder[], status: OccupierStatus | undefined): OrderView {
  const summaries = orders.map(summaryOf);
  const decommission = orders
    .filter((o): o is DecommissionResource => o.kind === 'Decommission' && o.status?.phase === 'Succeeded')
    .sort((a, b) => (b.status?.completedAt ?? '').localeCompare(a.status?.completedAt ?? ''))[0];
  const decommissioned = status?.phase === 'Decommissioned' || decommission !== undefined;
  return { summaries, decommission, decommissioned, phase: (provisioned) => occupierPhase({ orders: summaries, decommissioned, provisioned }) };
}

/** `status.activeOrder` for a phase (absent when none). */
export function activeOrderFor(view: OrderView, phase: OccupierPhase): OccupierStatus['activeOrder'] {
  return activeOrder(view.summaries, phase);
}

// ---------------------------------------------------------------------------------------
// Effective spec
// ---------------------------------------------------------------------------------------

/** A site a completed move left: its status keeps only the billing history and the ended contract. */
export interface LeftSite {
  site: string;
  /** The contract as the move ended it (absent: the spec no longer said where it started). */
  contract?: { startDate: string; endDate: string } | undefined;
}

export interface Effective {
  /** The spec with completed orders applied: what to provision. */
  spec: OccupierSpec;
  left: LeftSite[];
  /** Fields to change in Git (`status.specDrift`); empty when Git has caught up. */
  drift: string[];
  /** The reseller after the last completed CustomerMove. */
  reseller: string | undefined;
}

/** The effective spec, the sites moves left, the drift and the reseller, from the completed orders. */
export function effectiveOf(spec: OccupierSpec, orders: readonly AnyOrder[], siteOf: (name: string) => SiteResource | undefined): Effective {
  const effects = completedEffects(spec, orders, siteOf);
  const reseller = resellerOf(effects);
  const eff = effectiveSpec(spec, movesOf(effects), reseller, accessLevelsOf(effects));
  const ended = new Map<string, LeftSite['contract']>();
  for (const e of effects) if (e.kind === 'SiteMove') ended.set(e.from, e.ended);
  return { spec: eff.spec, left: eff.left.map((site) => ({ site, contract: ended.get(site) })), drift: describeDrift(spec, effects), reseller };
}

// ---------------------------------------------------------------------------------------
// Events
// ---------------------------------------------------------------------------------------

export interface OccupierEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

/**
 * The Event of a phase change (none when the phase is unchanged): reason = the new phase,
 * Warning for `DecommissionFailed`; the message names the order the phase is about or, back
 * to Active/Pending/Decommissioned, the order that just ended.
 */
export function phaseEvent(prev: OccupierPhase | undefined, next: OccupierPhase, active: OccupierStatus['activeOrder'], orders: readonly AnyOrder[]): OccupierEvent | undefined {
  if (prev === next) return undefined;
  const byName = (kind: string, name: string): AnyOrder | undefined => orders.find((o) => o.kind === kind && o.metadata.name === name);
  // Leaving a phase an order gave, or decommissioned: the order that just ended.
  const fromOrder = next === 'Decommissioned' || (prev !== undefined && prev !== 'Active' && prev !== 'Pending');
  const ended = fromOrder ? [...orders].filter((o) => o.status?.completedAt !== undefined).sort((a, b) => (b.status?.completedAt ?? '').localeCompare(a.status?.completedAt ?? ''))[0] : undefined;
  const about = active ? byName(active.kind, active.name) : ended;
  const label = active ?? (about ? { kind: about.kind, name: about.metadata.name ?? '' } : undefined);
  const what = label ? `: ${label.kind} ${label.name} ${about?.status?.phase ?? 'Pending'}` : '';
  return { type: next === 'DecommissionFailed' ? 'Warning' : 'Normal', reason: next, message: `phase ${prev ?? '(none)'} → ${next}${what}` };
}

/** The Event of a drift change: Warning when fields disagree (new or different), Normal when Git caught up. */
export function driftEvent(prev: readonly string[] | undefined, next: readonly string[]): OccupierEvent | undefined {
  const before = prev ?? [];
  if (before.join('\n') === next.join('\n')) return undefined;
  if (next.length === 0) return { type: 'Normal', reason: 'SpecInSync', message: 'spec agrees with every completed order again' };
  return { type: 'Warning', reason: 'SpecDrift', message: driftMessage(next) };
}

/** The SpecDrift condition / Event message: the fields to change in Git (first 10). */
export function driftMessage(drift: readonly string[]): string {
  const shown = drift.slice(0, 10).join('; ');
  return `completed orders changed the occupier; change in Git: ${shown}${drift.length > 10 ? `; and ${drift.length - 10} more (status.specDrift)` : ''}`;
}
