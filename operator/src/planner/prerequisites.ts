/**
 * The decommission prerequisite chain (seed 001 "When is decommissioning allowed?"), in the
 * shape of cert-manager's certificate policy chain: a list of checks, each returning a
 * failure `{ reason, message }` or `null`. They are checked when the run begins (not when it
 * is scheduled); every failed check becomes one reason of the `Blocked` condition, and the
 * order is re-checked with backoff — it never runs half-way.
 */
import type { DecommissionSpec, OccupierResource } from '../api/index.ts';
import { conflictingOrders } from './conflicts.ts';
import { localDate } from './dates.ts';
import type { Failure, Observed, OrderSummary, SiteIndex } from './types.ts';
import { occupierName } from './types.ts';

/** The reasons, once: each name is its value; `PrerequisiteReason` derives from them. */
export const PREREQUISITE_REASONS = {
  /** The occupier has a contract whose start date is today in that site's time zone. */
  ContractStartsToday: 'ContractStartsToday',
  /** A telephony handset is logged in with one of the occupier's numbers (log it out first). */
  HandsetLoggedIn: 'HandsetLoggedIn',
  /** A service is in a failed state ("The service could not be updated": raise a case to clear it). */
  ServiceFailed: 'ServiceFailed',
  /** A service is being updated ("Update in progress": wait for it to finish). */
  ServiceUpdating: 'ServiceUpdating',
  /** The occupier has already been decommissioned. */
  AlreadyDecommissioned: 'AlreadyDecommissioned',
  /** Another decommission of the occupier is running (occupier phase DecommissionPending). */
  DecommissionPending: 'DecommissionPending',
  /** A previous decommission of the occupier failed (occupier phase DecommissionFailed): raise a case. */
  DecommissionFailed: 'DecommissionFailed',
  /** Another order for the same occupier is scheduled or running. */
  ConflictingOrder: 'ConflictingOrder',
  /** A site the occupier has a contract at has no Site object, so its dates cannot be evaluated. */
  SiteNotFound: 'SiteNotFound',
  /** `spec.confirm` does not name the occupier or does not acknowledge it is irreversible. */
  ConfirmationMismatch: 'ConfirmationMismatch',
} as const;
export const { ContractStartsToday, HandsetLoggedIn, ServiceFailed, ServiceUpdating, AlreadyDecommissioned, DecommissionPending, DecommissionFailed, ConflictingOrder, SiteNotFound, ConfirmationMismatch } = PREREQUISITE_REASONS;
export type PrerequisiteReason = Exclude<(typeof PREREQUISITE_REASONS)[keyof typeof PREREQUISITE_REASONS], typeof ConfirmationMismatch>;

/** What the checks look at. */
export interface PrerequisiteInput {
  occupier: OccupierResource;
  sites: SiteIndex;
  /** When the run begins. */
  now: Date;
  /** Handsets and service states observed by the drivers (or `observedFromStatus`). */
  observed?: Observed | undefined;
  /** The order being checked. */
  self: OrderSummary;
  /** All orders in the occupier's namespace (any kind, may include `self`). */
  orders: readonly OrderSummary[];
}

/** One check of the chain: a failure, or `null` when it passes. */
export type PrerequisiteCheck = (input: PrerequisiteInput) => Failure<PrerequisiteReason> | null;

function list(items: readonly string[]): string {
  return items.join(', ');
}

/** No contract at any site starts today (in that site's time zone). */
export const contractStartsToday: PrerequisiteCheck = ({ occupier, sites, now }) => {
  const hits: string[] = [];
  for (const entry of occupier.spec.sites) {
    const site = sites.get(entry.site);
    if (!site) continue;
    const today = localDate(now, site.spec.timezone);
    if (entry.contract.startDate === today) hits.push(`${entry.site} (${today})`);
  }
  if (!hits.length) return null;
  return {
    reason: ContractStartsToday,
    message: `contract starts today at ${list(hits)}; decommission from tomorrow (site time)`,
    items: hits,
  };
};

/** No handset is logged in with any of the occupier's numbers. */
export const handsetLoggedIn: PrerequisiteCheck = ({ observed }) => {
  const hits = (observed?.handsets ?? []).filter((h) => h.loggedIn).map((h) => `${h.number} at ${h.site}`);
  if (!hits.length) return null;
  return {
    reason: HandsetLoggedIn,
    message: `handsets logged in with ${list(hits)}; log them out (remotely or at the handset)`,
    items: hits,
  };
};

/** No service is in a failed state. */
export const serviceFailed: PrerequisiteCheck = ({ observed }) => {
  const hits = (observed?.services ?? []).filter((s) => s.state === 'Failed');
  if (!hits.length) return null;
  const names = hits.map((s) => `${s.name} at ${s.site}${s.message ? ` (${s.message})` : ''}`);
  return {
    reason: ServiceFailed,
    message: `services could not be updated: ${list(names)}; raise a case to clear the error`,
    items: hits.map((s) => `${s.site}/${s.name}`),
  };
};

/** No service is being updated. */
export const serviceUpdating: PrerequisiteCheck = ({ observed }) => {
  const hits = (observed?.services ?? []).filter((s) => s.state === 'Updating');
  if (!hits.length) return null;
  const names = hits.map((s) => `${s.site}/${s.name}`);
  return {
    reason: ServiceUpdating,
    message: `update in progress for ${list(names)}; wait for it to complete`,
    items: names,
  };
};

/**
 * The occupier is not already decommissioned, pending or failed. A Pending or Failed phase
 * caused by `self` (it is the occupier's `status.activeOrder`) does not count: that is this
 * order resuming.
 */
export const occupierPhaseAllows: PrerequisiteCheck = ({ occupier, self }) => {
  const phase = occupier.status?.phase;
  const active = occupier.status?.activeOrder;
  const mine = active !== undefined && active.kind === self.kind && active.name === self.name;
  if (phase === 'Decommissioned') {
    return { reason: AlreadyDecommissioned, message: `occupier ${occupierName(occupier)} is already decommissioned` };
  }
  if (phase === 'DecommissionPending' && !mine) {
    return { reason: DecommissionPending, message: `occupier ${occupierName(occupier)} is already being decommissioned` };
  }
  if (phase === 'DecommissionFailed' && !mine) {
    return {
      reason: DecommissionFailed,
      message: `a previous decommission of ${occupierName(occupier)} failed; raise a case (or retry that order)`,
    };
  }
  return null;
};

/** No other order for the occupier is scheduled or running. */
export const conflictingOrder: PrerequisiteCheck = ({ occupier, self, orders }) => {
  const others = conflictingOrders(self, orders, occupier.status?.activeOrder);
  if (!others.length) return null;
  const names = others.map((o) => `${o.kind}/${o.name}`);
  return {
    reason: ConflictingOrder,
    message: `another order for ${self.occupier} is scheduled or running: ${list(names)}; cancel or reschedule it, or wait until it ends`,
    items: names,
  };
};

/** Every site the occupier has a contract at exists (its time zone is needed for "today"). */
export const siteExists: PrerequisiteCheck = ({ occupier, sites }) => {
  const missing = occupier.spec.sites.map((s) => s.site).filter((s) => !sites.has(s));
  if (!missing.length) return null;
  return { reason: SiteNotFound, message: `Site not found: ${list(missing)}`, items: missing };
};

/** The chain, in the manual's order (plus the Site lookup it takes for granted). */
export const DECOMMISSION_PREREQUISITES: readonly PrerequisiteCheck[] = [
  contractStartsToday,
  handsetLoggedIn,
  serviceFailed,
  serviceUpdating,
  occupierPhaseAllows,
  conflictingOrder,
  siteExists,
];

/** Run every check and return ALL failures (empty = the decommission may run). */
export function checkPrerequisites(
  input: PrerequisiteInput,
  checks: readonly PrerequisiteCheck[] = DECOMMISSION_PREREQUISITES,
): Failure<PrerequisiteReason>[] {
  const out: Failure<PrerequisiteReason>[] = [];
  for (const check of checks) {
    const f = check(input);
    if (f) out.push(f);
  }
  return out;
}

/**
 * The manual's typed name + "I understand that decommissioning is irreversible" check box.
 * Independent of the prerequisites and of time: a mismatch fails the order
 * (`ConfirmationMismatch`) before anything is touched.
 */
export function confirmation(
  spec: Pick<DecommissionSpec, 'confirm' | 'occupierRef'>,
  name: string,
): Failure<typeof ConfirmationMismatch> | null {
  const problems: string[] = [];
  if (spec.confirm.occupierName !== name) {
    problems.push(`spec.confirm.occupierName is ${JSON.stringify(spec.confirm.occupierName)}, not the occupier name ${JSON.stringify(name)}`);
  }
  if (spec.occupierRef.name !== name) {
    problems.push(`spec.occupierRef.name is ${JSON.stringify(spec.occupierRef.name)}, not ${JSON.stringify(name)}`);
  }
  if (spec.confirm.irreversible !== true) problems.push('spec.confirm.irreversible must be true');
  if (!problems.length) return null;
  return { reason: ConfirmationMismatch, message: problems.join('; ') };
}

/**
 * Every site where the occupier has or had a contract (spec and observed status): the
 * requester of a decommission must be allowed to manage all of them (seed 001 "You also
 * cannot decommission any occupier that has contracts (either live or completed) at sites
 * where you do not have site access"). The admission webhook checks them by
 * SubjectAccessReview; this only lists them.
 */
export function sitesRequiringAccess(occupier: OccupierResource): string[] {
  const names = new Set<string>(occupier.spec.sites.map((s) => s.site));
  for (const s of occupier.status?.sites ?? []) names.add(s.site);
  for (const s of occupier.status?.currentSites ?? []) names.add(s);
  return [...names].sort();
}

