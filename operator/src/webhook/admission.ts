/**
 * The AdmissionReview wire format (admission.k8s.io/v1) the API server sends to a webhook and
 * expects back: only the fields this operator reads or writes. A response always echoes the
 * request's `uid`; a refusal carries an HTTP-like `code` and a message the user sees after
 * `admission webhook "..." denied the request:`; a mutation is a base64 JSON Patch.
 */

export interface UserInfo {
  username?: string;
  uid?: string;
  groups?: string[];
  extra?: Record<string, string[]>;
}

export type Operation = 'CREATE' | 'UPDATE' | 'DELETE' | 'CONNECT';

export interface AdmissionRequest {
  uid: string;
  kind: { group: string; version: string; kind: string };
  resource: { group: string; version: string; resource: string };
  subResource?: string;
  name?: string;
  namespace?: string;
  operation: Operation;
  userInfo: UserInfo;
  object?: unknown;
  oldObject?: unknown;
  dryRun?: boolean;
}

export interface AdmissionResponse {
  uid: string;
  allowed: boolean;
  status?: { code: number; reason?: string; message: string };
  patchType?: 'JSONPatch';
  patch?: string;
  warnings?: string[];
}

export interface AdmissionReview {
  apiVersion: 'admission.k8s.io/v1';
  kind: 'AdmissionReview';
  request?: AdmissionRequest;
  response?: AdmissionResponse;
}

export interface JsonPatchOp {
  op: 'add' | 'replace' | 'remove' | 'test';
  path: string;
  value?: unknown;
}

export const allow = (uid: string, warnings: string[] = []): AdmissionResponse => ({ uid, allowed: true, ...(warnings.length ? { warnings } : {}) });

/** A refusal: 403 for access, 422 for an invalid order (what kubectl prints as the reason). */
export function deny(uid: string, code: 403 | 422 | 400, message: string): AdmissionResponse {
  const reason = code === 403 ? 'Forbidden' : code === 422 ? 'Invalid' : 'BadRequest';
  return { uid, allowed: false, status: { code, reason, message } };
}

export function patched(uid: string, ops: JsonPatchOp[]): AdmissionResponse {
  if (ops.length === 0) return allow(uid);
  return { uid, allowed: true, patchType: 'JSONPatch', patch: Buffer.from(JSON.stringify(ops)).toString('base64') };
}

/** `a/b` in a JSON Pointer segment. */
export const pointer = (segment: string): string => segment.replaceAll('~', '~0').replaceAll('/', '~1');
