/**
 * One place that turns whatever the API client threw into a small, stable category.
 * client-node 2.x gives an `ApiException` carrying only a numeric `code`; watches give an
 * `Error` with `statusCode`; network failures give undici/Node errors with a string `code`.
 */
import { ApiException } from '@kubernetes/client-node';

export const API_ERROR_KINDS = ['not-found', 'conflict', 'gone', 'retryable', 'other'] as const;
export type ApiErrorKind = (typeof API_ERROR_KINDS)[number];

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_CLOSED',
]);

/** HTTP status of an API error, if it has one. */
export function httpStatus(err: unknown): number | undefined {
  if (err instanceof ApiException) return err.code;
  // A DOMException's numeric `code` is its legacy error code (23 for a TimeoutError), not a status.
  if (err instanceof DOMException) return undefined;
  if (typeof err === 'object' && err !== null) {
    const rec = err as Record<string, unknown>;
    if (typeof rec['statusCode'] === 'number') return rec['statusCode'];
    if (typeof rec['code'] === 'number') return rec['code'];
  }
  return undefined;
}

/** Classify an error thrown by the Kubernetes client (or a watch). */
export function classifyApiError(err: unknown): ApiErrorKind {
  const status = httpStatus(err);
  if (status !== undefined) {
    if (status === 404) return 'not-found';
    if (status === 409) return 'conflict';
    if (status === 410) return 'gone';
    if (status === 429 || status >= 500) return 'retryable';
    return 'other';
  }
  if (typeof err === 'object' && err !== null) {
    const rec = err as Record<string, unknown>;
    const code = rec['code'];
    if (typeof code === 'string' && NETWORK_CODES.has(code)) return 'retryable';
    const name = rec['name'];
    if (name === 'TimeoutError' || name === 'AbortError') return 'retryable';
    const cause = rec['cause'];
    if (cause !== undefined && cause !== err && classifyApiError(cause) === 'retryable') return 'retryable';
    // undici's fetch wraps every network failure (refused, reset, DNS, TLS) in this TypeError
    if (rec['message'] === 'fetch failed') return 'retryable';
  }
  return 'other';
}

export const isNotFound = (err: unknown): boolean => classifyApiError(err) === 'not-found';
export const isConflict = (err: unknown): boolean => classifyApiError(err) === 'conflict';
export const isGone = (err: unknown): boolean => classifyApiError(err) === 'gone';

/**
 * The API server refused a write for its size: 413 (a request body over 3 MiB) or etcd's
 * "request is too large" (an object over 1.5 MiB, a 500). Retrying the same write cannot help.
 */
export function isTooLarge(err: unknown): boolean {
  const status = httpStatus(err);
  if (status === 413) return true;
  return status !== undefined && status >= 500 && /request is too large/i.test(errorMessage(err));
}

/**
 * An error that retrying cannot fix. A reconciler throws it to stop retries; the controller
 * records it (log, `result="terminal_error"` metric, `onTerminalError` hook) and forgets the key.
 */
export class TerminalError extends Error {
  override readonly name = 'TerminalError';
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/** The message of anything thrown, for logs and status fields. */
export function errorMessage(err: unknown): string {
  if (err instanceof ApiException) {
    const body = err.body as unknown;
    if (typeof body === 'object' && body !== null && typeof (body as Record<string, unknown>)['message'] === 'string') {
      return `HTTP ${err.code}: ${String((body as Record<string, unknown>)['message'])}`;
    }
    if (typeof body === 'string' && body.length > 0) {
      try {
        const parsed = JSON.parse(body) as unknown;
        if (typeof parsed === 'object' && parsed !== null && typeof (parsed as Record<string, unknown>)['message'] === 'string') {
          return `HTTP ${err.code}: ${String((parsed as Record<string, unknown>)['message'])}`;
        }
      } catch {
        /* not JSON */
      }
    }
    return `HTTP ${err.code}`;
  }
  if (err instanceof Error) return err.message;
  return String(err);
}
