/** Types shared by the planners: plan items, failures, observed external state, order summaries. */
import type { OrderPhase, OrderStatus, OccupierResource, OccupierStatus, ServiceState, SiteResource, PLAN_ACTIONS } from '../api/index.ts';

/** One item of `status.plan.items` (the shape in `api/orders.ts`). */
export type PlanItem = NonNullable<NonNullable<OrderStatus['plan']>['items']>[number];
/** What an order does with an item. */
export type PlanAction = (typeof PLAN_ACTIONS)[number];
/** What a plan item is. */
export type PlanItemKind = PlanItem['kind'];

/**
 * Why an order cannot run (a `Blocked` condition reason) or why a prerequisite failed,
 * with a human-readable message and, where there are several, the offending items.
 */
export interface Failure<Reason extends string = string> {
  reason: Reason;
  message: string;
  /** The items at fault, e.g. unmatched services or `service/level` pairs. */
  items?: string[];
}

/** The three kinds of order. */
export type OrderKind = 'SiteMove' | 'CustomerMove' | 'Decommission';

/** What the planner needs to know about an order (any kind). */
export interface OrderSummary {
  kind: OrderKind;
  name: string;
  /** `spec.occupierRef.name`. */
  occupier: string;
  /** `status.phase`; absent for an order no controller has seen yet (counts as Pending). */
  phase?: OrderPhase | undefined;
  /** `status.startedAt` (RFC 3339): set once the run began. */
  startedAt?: string | undefined;
  /** `metadata.creationTimestamp` (RFC 3339): decides which of two orders came first. */
  createdAt?: string | undefined;
}

/** External state observed by drivers (telephony handsets, service states, bookings). */
export interface Observed {
  /** Numbers and whether a handset is logged in with them. */
  handsets?: readonly { site: string; number: string; loggedIn: boolean }[];
  /** Observed state of services per site. */
  services?: readonly { site: string; name: string; state: ServiceState; message?: string | undefined }[];
  /** Bookings of the occupier's users, from the booking system. */
  bookings?: readonly { id: string; site: string; start: string; user?: string | undefined }[];
}

/** The observed state recorded in `Occupier.status.sites` (handsets and services), as `Observed`. */
export function observedFromStatus(status: OccupierStatus | undefined): Observed {
  const handsets: { site: string; number: string; loggedIn: boolean }[] = [];
  const services: { site: string; name: string; state: ServiceState; message?: string | undefined }[] = [];
  for (const s of status?.sites ?? []) {
    for (const n of s.numbers ?? []) handsets.push({ site: s.site, number: n.number, loggedIn: n.handsetLoggedIn === true });
    for (const sv of s.services ?? []) services.push({ site: s.site, name: sv.name, state: sv.state, message: sv.message });
  }
  return { handsets, services };
}

/** Sites by name. */
export type SiteIndex = ReadonlyMap<string, SiteResource>;

/** Index a list of Sites by `metadata.name`. */
export function indexSites(sites: readonly SiteResource[] | SiteIndex): SiteIndex {
  if (sites instanceof Map) return sites;
  const m = new Map<string, SiteResource>();
  for (const s of sites as readonly SiteResource[]) if (s.metadata.name) m.set(s.metadata.name, s);
  return m;
}

/** The occupier's name (`metadata.name`, or "" when unset). */
export function occupierName(o: OccupierResource): string {
  return o.metadata.name ?? '';
}

/** "3 x Delete, 1 x Complete" style one-line count of plan actions, in PLAN_ACTIONS order. */
export function summarize(items: readonly PlanItem[], order: readonly PlanAction[]): string {
  const counts = new Map<PlanAction, number>();
  for (const i of items) counts.set(i.action, (counts.get(i.action) ?? 0) + 1);
  const parts = order.filter((a) => counts.has(a)).map((a) => `${a} ${counts.get(a) ?? 0}`);
  return parts.length ? parts.join(', ') : 'nothing to do';
}
