/**
 * The driver contract, shaped like Crossplane's external clients: per item, `observe` reports
 * `{ exists, upToDate, details }` and the caller decides whether to `ensure` (create or update
 * to the desired spec) or `remove`; `list` reads the items of a type (bookings, access logs,
 * history). Every call is idempotent; mutating calls carry an idempotency key.
 *
 * Guarantees a driver gives (checked by `contract-suite.ts`):
 * - `ensure` with the same item twice (same or different key) creates it once; a retry after a
 *   transient error, a time-out or a restart never allocates twice.
 * - Reusing an idempotency key for a different request is refused (`IdempotencyKeyReused`).
 * - `remove` of an absent item is `Done`; remove twice removes once.
 * - A call returns `Done` or `InProgress` (with `taskRef` and `retryAfterMs`): repeat the same
 *   call with the same key until it is `Done`. Failures throw `DriverError` (`Transient` → retry
 *   with backoff, `Permanent` → the step fails with `reason`).
 * - `observe` needs no idempotency key and reads what the backend holds now (after a restore or
 *   an operator restart too).
 */
import { createHash } from 'node:crypto';
import type { Capability, SiteSpec } from '../../operator/src/api/index.ts';
import type { DetailsOf, ItemType, SpecOf } from './items.ts';

export type { Capability };
export { CAPABILITIES } from '../../operator/src/api/index.ts';

// ---------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------

export const DRIVER_ERROR_CODES = ['Transient', 'Permanent'] as const;
/** `Transient`: retry with backoff. `Permanent`: retrying cannot help; fail the step. */
export type DriverErrorCode = (typeof DRIVER_ERROR_CODES)[number];

/** Reasons a built-in driver gives (PascalCase; other drivers may add their own). */
export const REASONS = {
  /** The call did not finish within the driver's time-out. */
  Timeout: 'Timeout',
  /** The call was cancelled by the caller (shutdown). */
  Cancelled: 'Cancelled',
  /** The backend could not be reached (connection refused, reset, DNS). */
  Unreachable: 'Unreachable',
  /** The backend asked us to slow down (HTTP 429). */
  RateLimited: 'RateLimited',
  /** The backend failed in a way a retry may fix (HTTP 5xx). */
  BackendUnavailable: 'BackendUnavailable',
  /** Fault injected by the simulated driver's `failRate` or `transientOnStep`. */
  InjectedFault: 'InjectedFault',
  /** Fault injected by the simulated driver's `failOnStep`. */
  InjectedFailure: 'InjectedFailure',
  /** Credentials were refused or could not be read. */
  Unauthorized: 'Unauthorized',
  /** The request does not match the item's schema. */
  InvalidSpec: 'InvalidSpec',
  /** Unknown capability or type, or an operation the type does not support. */
  NotSupported: 'NotSupported',
  /** The driver reference or its settings are invalid. */
  InvalidSettings: 'InvalidSettings',
  /** The site has no pool for this capability (no network pools, number blocks or switches). */
  NoPool: 'NoPool',
  /** Every VLAN, subnet, number or port of the pool is in use. */
  PoolExhausted: 'PoolExhausted',
  /** The number is not in the site's number blocks. */
  NotInPool: 'NotInPool',
  /** The item to act on (e.g. a number to transfer from another site) does not exist there. */
  NotFound: 'NotFound',
  /** The number is allocated to another occupier. */
  NumberInUse: 'NumberInUse',
  /** The number is cooling off after deallocation and cannot go to another occupier yet. */
  NumberCoolingOff: 'NumberCoolingOff',
  /** The number is frozen: only deactivation or deallocation is allowed. */
  NumberFrozen: 'NumberFrozen',
  /** The MAC address is registered to another occupier. */
  MacInUse: 'MacInUse',
  /** The email has an account that belongs to another occupier. */
  EmailInUse: 'EmailInUse',
  /** The card ID belongs to another user at this site. */
  CardInUse: 'CardInUse',
  /** The switch is not one of the site's switches. */
  UnknownSwitch: 'UnknownSwitch',
  /** The item belongs to another occupier. */
  OwnedByAnotherOccupier: 'OwnedByAnotherOccupier',
  /** The service is in the Failed state; it needs a support case. */
  ServiceFailed: 'ServiceFailed',
  /** The idempotency key was already used for a different request. */
  IdempotencyKeyReused: 'IdempotencyKeyReused',
  /** The simulated backend's state directory is owned by another live process. */
  BackendLocked: 'BackendLocked',
  /** The backend answered something the protocol does not allow. */
  BadResponse: 'BadResponse',
  /** An unexpected error inside the driver. */
  Internal: 'Internal',
} as const;
export type KnownReason = keyof typeof REASONS;

export interface DriverErrorOptions {
  cause?: unknown;
  /** A hint from the backend for transient errors. */
  retryAfterMs?: number;
}

/** The one error type drivers throw, with a stable literal `code` (as undici errors have). */
export class DriverError extends Error {
  override readonly name = 'DriverError';
  readonly code: DriverErrorCode;
  /** PascalCase reason, shown in conditions and Events. */
  readonly reason: string;
  readonly retryAfterMs: number | undefined;

  constructor(code: DriverErrorCode, reason: string, message: string, options: DriverErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.reason = reason;
    this.retryAfterMs = options.retryAfterMs;
  }

  static transient(reason: string, message: string, options?: DriverErrorOptions): DriverError {
    return new DriverError('Transient', reason, message, options);
  }

  static permanent(reason: string, message: string, options?: DriverErrorOptions): DriverError {
    return new DriverError('Permanent', reason, message, options);
  }
}

export const isDriverError = (err: unknown): err is DriverError => err instanceof DriverError;
export const isTransient = (err: unknown): boolean => isDriverError(err) && err.code === 'Transient';
export const isPermanent = (err: unknown): boolean => isDriverError(err) && err.code === 'Permanent';

/** Anything thrown, as a DriverError: unknown errors are Transient `Internal` (a retry is cheap; a bug shows in metrics). */
export function toDriverError(err: unknown): DriverError {
  if (err instanceof DriverError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return DriverError.transient(REASONS.Internal, message, { cause: err });
}

// ---------------------------------------------------------------------------------------
// Calls and outcomes
// ---------------------------------------------------------------------------------------

export const DRIVER_OPS = ['observe', 'ensure', 'remove', 'list'] as const;
export type DriverOp = (typeof DRIVER_OPS)[number];

/** Identifies one external item at a site. */
export interface ItemRef {
  capability: Capability;
  type: string;
  key: string;
}

/** An item with its desired spec (validated by the backend against `ITEM_SCHEMAS`). */
export interface Item extends ItemRef {
  spec: unknown;
}

export interface Observation<D = unknown> {
  exists: boolean;
  /** The item matches the desired spec given to observe (without one: equals `exists`). */
  upToDate: boolean;
  /** What the backend holds (for absent numbers: their pool state). */
  details: D | undefined;
}

export interface Done<D = unknown> {
  state: 'Done';
  details: D | undefined;
}

export interface InProgress {
  state: 'InProgress';
  /** The backend's task; repeat the same call (same idempotency key) to follow it. */
  taskRef: string;
  /** When to look again. */
  retryAfterMs: number;
}

export type Outcome<D = unknown> = Done<D> | InProgress;

export interface ListedItem<S = unknown, D = unknown> {
  key: string;
  spec: S | undefined;
  details: D;
}

/** The pools of a Site, as drivers need them (the Site spec is the source of truth). */
export interface SiteContext {
  name: string;
  network?: SiteSpec['network'];
  telephony?: SiteSpec['telephony'];
  switches?: SiteSpec['switches'];
}

/** The Site fields drivers read, from a Site object. */
export function siteContext(name: string, spec: Pick<SiteSpec, 'network' | 'telephony' | 'switches'>): SiteContext {
  const ctx: SiteContext = { name };
  if (spec.network) ctx.network = spec.network;
  if (spec.telephony) ctx.telephony = spec.telephony;
  if (spec.switches) ctx.switches = spec.switches;
  return ctx;
}

export interface CallBase {
  site: SiteContext;
  /** Aborted on time-out or shutdown; a driver stops waiting when it fires. */
  signal: AbortSignal;
}

export interface ObserveCall extends CallBase {
  ref: ItemRef;
  /** The desired spec, so the backend can say whether the item is up to date. */
  desired?: unknown;
}

export interface EnsureCall extends CallBase {
  item: Item;
  idempotencyKey: string;
}

export interface RemoveCall extends CallBase {
  ref: ItemRef;
  idempotencyKey: string;
}

export interface ListCall extends CallBase {
  capability: Capability;
  type: string;
  /** Only items of this occupier. */
  occupier?: string;
}

/** What every driver implements. All methods may throw `DriverError` only. */
export interface Driver {
  /** Implementation name (metrics label): `simulated`, `http`, ... */
  readonly name: string;
  observe(call: ObserveCall): Promise<Observation>;
  ensure(call: EnsureCall): Promise<Outcome>;
  remove(call: RemoveCall): Promise<Outcome>;
  list(call: ListCall): Promise<ListedItem[]>;
  /** Release connections and timers. */
  close(): Promise<void>;
}

// ---------------------------------------------------------------------------------------
// Idempotency keys
// ---------------------------------------------------------------------------------------

/** JSON with sorted keys and without undefined members: equal values give equal strings. */
export function stableJson(value: unknown): string {
  if (value === undefined) return 'null';
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  // One string built in place (no filter/map/join arrays): every driver call hashes its spec.
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) out += (i > 0 ? ',' : '') + stableJson(value[i]);
    return `${out}]`;
  }
  const rec = value as Record<string, unknown>;
  let out = '{';
  for (const k of Object.keys(rec).sort()) {
    const v = rec[k];
    if (v === undefined) continue;
    out += `${out.length > 1 ? ',' : ''}${JSON.stringify(k)}:${stableJson(v)}`;
  }
  return `${out}}`;
}

/**
 * A stable idempotency key from an object's UID and the step (site, capability, item, and —
 * when the desired spec can change between attempts — the spec itself, hashed):
 * `idempotencyKey(uid, 'london', 'network/allocation')`. Same inputs → same key, in any process.
 */
export function idempotencyKey(uid: string, ...parts: unknown[]): string {
  const digest = createHash('sha256').update(stableJson([uid, ...parts])).digest('base64url').slice(0, 32);
  return `${uid}.${digest}`;
}

/** Stable fingerprint of a value (key order does not matter). */
export function fingerprint(value: unknown): string {
  return createHash('sha256').update(stableJson(value)).digest('base64url').slice(0, 22);
}

// ---------------------------------------------------------------------------------------
// Typed views for callers
// ---------------------------------------------------------------------------------------

/** A typed item, e.g. `TypedItem<'telephony', 'number'>`. */
export interface TypedItem<C extends Capability, T extends ItemType<C>> {
  capability: C;
  type: T;
  key: string;
  spec: SpecOf<C, T>;
}

export type TypedObservation<C extends Capability, T extends ItemType<C>> = Observation<DetailsOf<C, T>>;
export type TypedOutcome<C extends Capability, T extends ItemType<C>> = Outcome<DetailsOf<C, T>>;
