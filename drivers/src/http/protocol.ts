/**
 * The http driver protocol (published as `drivers/http-driver.openapi.yaml`), shared by the
 * client (`driver.ts`) and the reference server (`server.ts`).
 *
 * - `POST /v1/sites/{site}/{capability}/{type}/{key}:observe`  body `{ site, desired? }` → 200 Observation
 * - `POST /v1/sites/{site}/{capability}/{type}/{key}:ensure`   body `{ site, spec }`, `Idempotency-Key`
 * - `POST /v1/sites/{site}/{capability}/{type}/{key}:remove`   body `{ site }`, `Idempotency-Key`
 * - `POST /v1/sites/{site}/{capability}/{type}:list`           body `{ site, occupier? }` → 200 `{ items }`
 * - `GET  /v1/tasks/{taskRef}`                                  → 200 Done / 202 InProgress / 404
 *
 * ensure/remove answer 200 `{ state: "Done", details }` or 202 `{ state: "InProgress", taskRef,
 * retryAfterMs }` with `Location: /v1/tasks/{taskRef}` and `Retry-After` (seconds); the client
 * repeats the same call with the same `Idempotency-Key` to follow it. Errors are
 * `application/problem+json` with `reason` (PascalCase) and `retryable`. Path segments are
 * percent-encoded (`encodeURIComponent`), so keys may hold `/`, `:`, `+` and `@`.
 * Authentication: `Authorization: Bearer <token>` when the server has a token.
 */
import { z } from 'zod';
import { DriverError, REASONS } from '../contract.ts';
import type { DriverErrorCode } from '../contract.ts';

/** The `site` member of every request body. */
export const siteContextSchema = z
  .object({
    name: z.string().describe('Name of the Site (equals the {site} path segment).'),
    network: z
      .object({
        vlanRange: z.object({ from: z.int().min(1).max(4094), to: z.int().min(1).max(4094) }),
        ipv4Pool: z.cidrv4().describe('IPv4 CIDR block carved into one subnet per occupier.'),
        subnetPrefixLength: z.int().min(8).max(30).optional().describe('Default 26.'),
      })
      .optional(),
    telephony: z
      .object({
        numberBlocks: z.array(z.object({ start: z.e164(), count: z.int().min(1) })),
        coolingOffDays: z.int().min(0).optional().describe('Default 90.'),
      })
      .optional(),
    switches: z.array(z.object({ name: z.string().min(1), ports: z.int().min(1) })).optional(),
  })
  .describe('The pools of the Site, as declared in the cluster.');

export const PROTOCOL_VERSION = 'v1';
export const ITEM_OPS = ['observe', 'ensure', 'remove'] as const;
export type ItemOp = (typeof ITEM_OPS)[number];
export const PROBLEM_CONTENT_TYPE = 'application/problem+json';
export const PROBLEM_TYPE_BASE = 'https://occupier.dev/problems/';

/** RFC 9457 problem details, with the driver contract's `reason` and `retryable`. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  reason: string;
  retryable: boolean;
}

export function itemPath(site: string, capability: string, type: string, key: string, op: ItemOp): string {
  return `/v1/sites/${encodeURIComponent(site)}/${encodeURIComponent(capability)}/${encodeURIComponent(type)}/${encodeURIComponent(key)}:${op}`;
}

export function listPath(site: string, capability: string, type: string): string {
  return `/v1/sites/${encodeURIComponent(site)}/${encodeURIComponent(capability)}/${encodeURIComponent(type)}:list`;
}

export function taskPath(taskRef: string): string {
  return `/v1/tasks/${encodeURIComponent(taskRef)}`;
}

/** The HTTP status a server answers a DriverError with. */
export function statusFor(err: DriverError): number {
  if (err.code === 'Transient') {
    if (err.reason === REASONS.RateLimited) return 429;
    if (err.reason === REASONS.Timeout) return 504;
    return 503;
  }
  switch (err.reason) {
    case REASONS.Unauthorized:
      return 401;
    case REASONS.NotSupported:
      return 404;
    case REASONS.InvalidSpec:
      return 400;
    case REASONS.IdempotencyKeyReused:
    case REASONS.NumberInUse:
    case REASONS.MacInUse:
    case REASONS.EmailInUse:
    case REASONS.CardInUse:
    case REASONS.OwnedByAnotherOccupier:
      return 409;
    default:
      return 422;
  }
}

export function problemOf(err: DriverError): Problem {
  const status = statusFor(err);
  return { type: `${PROBLEM_TYPE_BASE}${err.reason}`, title: err.reason, status, detail: err.message, reason: err.reason, retryable: err.code === 'Transient' };
}

/** The DriverError a client raises for an error response (problem+json or not). */
export function errorFromResponse(status: number, body: unknown, retryAfterMs: number | undefined): DriverError {
  const rec = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
  const fallbackCode: DriverErrorCode = status === 429 || status === 408 || status >= 500 ? 'Transient' : 'Permanent';
  const code: DriverErrorCode = typeof rec['retryable'] === 'boolean' ? (rec['retryable'] ? 'Transient' : 'Permanent') : fallbackCode;
  const fallbackReason = status === 401 || status === 403 ? REASONS.Unauthorized : status === 429 ? REASONS.RateLimited : status >= 500 ? REASONS.BackendUnavailable : REASONS.BadResponse;
  const reason = typeof rec['reason'] === 'string' && /^[A-Z][A-Za-z0-9]*$/.test(rec['reason']) ? rec['reason'] : fallbackReason;
  const detail = typeof rec['detail'] === 'string' ? rec['detail'] : `HTTP ${status}`;
  return new DriverError(code, reason, detail, retryAfterMs === undefined ? {} : { retryAfterMs });
}

/** `Retry-After` (seconds or an HTTP date) in milliseconds. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
