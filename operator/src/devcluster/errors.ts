// The API server's error shape: a meta/v1 Status with a reason, code and details.

export type Obj = Record<string, unknown>;

export interface StatusCause { reason?: string; field?: string; message: string }

export class ApiError extends Error {
  override readonly name = 'ApiError';
  readonly code: number;
  readonly reason: string;
  readonly details: Obj | undefined;
  constructor(code: number, reason: string, message: string, details?: Obj) {
    super(message);
    this.code = code;
    this.reason = reason;
    this.details = details;
  }
  toStatus(): Obj {
    return {
      kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: this.message,
      ...(this.reason ? { reason: this.reason } : {}), ...(this.details ? { details: omitEmpty(this.details) } : {}), code: this.code,
    };
  }
}

/** metav1.StatusDetails and StatusCause fields are `omitempty`: no `"group":""`, no `"name":""`. */
function omitEmpty(details: Obj): Obj {
  const out: Obj = {};
  for (const [k, v] of Object.entries(details)) {
    if (v === undefined || v === '' || (k === 'causes' && Array.isArray(v) && v.length === 0)) continue;
    out[k] = k === 'causes' && Array.isArray(v)
      ? v.map((c: unknown) => (c && typeof c === 'object' ? Object.fromEntries(Object.entries(c as Obj).filter(([, x]) => x !== undefined && x !== '')) : c))
      : v;
  }
  return out;
}

/** The generic 404 of a path the server does not serve under a known resource (`details: {}`). */
export const noSuchResource = (): ApiError => new ApiError(404, 'NotFound', 'the server could not find the requested resource', {});

export const methodNotAllowed = (): ApiError => new ApiError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource', {});

/** `widgets.example.com` or `configmaps` for the core group. */
export function qualified(plural: string, group: string): string {
  return group ? `${plural}.${group}` : plural;
}

export const notFound = (plural: string, group: string, name: string): ApiError =>
  new ApiError(404, 'NotFound', `${qualified(plural, group)} "${name}" not found`, { name, group, kind: plural });

export const alreadyExists = (plural: string, group: string, name: string): ApiError =>
  new ApiError(409, 'AlreadyExists', `${qualified(plural, group)} "${name}" already exists`, { name, group, kind: plural });

export const conflict = (plural: string, group: string, name: string, why: string): ApiError =>
  new ApiError(409, 'Conflict', `Operation cannot be fulfilled on ${qualified(plural, group)} "${name}": ${why}`,
    { name, group, kind: plural });

export const STALE = 'the object has been modified; please apply your changes to the latest version and try again';

export const badRequest = (message: string): ApiError => new ApiError(400, 'BadRequest', message);

export const gone = (message: string): ApiError => new ApiError(410, 'Expired', message);

/**
 * 422 Invalid, message `<Kind>.<group> "name" is invalid: <field>: <message>` like the real server
 * (`kind` is the Kind for validation errors, the plural resource for storage-layer ones).
 */
export function invalid(kind: string, group: string, name: string, causes: StatusCause[]): ApiError {
  const parts = causes.map((c) => (c.field ? `${c.field}: ${c.message}` : c.message));
  const summary = parts.length === 1 ? parts[0] : `[${parts.join(', ')}]`;
  return new ApiError(422, 'Invalid', `${group ? `${kind}.${group}` : kind} "${name}" is invalid: ${summary}`, {
    name, group, kind, causes: causes.map((c) => ({ reason: c.reason ?? 'FieldValueInvalid', message: c.message, field: c.field ?? '' })),
  });
}

/** field.Invalid's message: `Invalid value: <value>: <detail>` (strings quoted, as Go's %q/%v). */
export function invalidValue(value: unknown, detail: string): string {
  const v = typeof value === 'string' ? JSON.stringify(value) : value === null || value === undefined ? 'null' : typeof value === 'object' ? JSON.stringify(value) : String(value);
  return `Invalid value: ${v}${detail ? `: ${detail}` : ''}`;
}

/** `the object provided is unrecognized (must be of type Widget): <why> (<the body, abbreviated>)` */
export function unrecognized(kind: string, why: string, body: string): ApiError {
  return badRequest(`the object provided is unrecognized (must be of type ${kind}): ${why} (${excerpt(body)})`);
}

/** The body excerpt of the apiserver's decoding errors (summarizeData): 30 bytes, as text after `{`, else hex. */
export function excerpt(body: string): string {
  const b = Buffer.from(body, 'utf8');
  if (b.length === 0) return '<empty>';
  const head = b.subarray(0, 30);
  const text = body.startsWith('{') ? head.toString('utf8') : head.toString('hex');
  return b.length > 30 ? `${text} ...` : text;
}

export function statusSuccess(details?: Obj): Obj {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', ...(details ? { details } : {}) };
}
