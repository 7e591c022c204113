/**
 * Who ordered it: the mutating webhook records the requester of a new order (user and groups,
 * as the API server authenticated them) in the annotation `occupier.dev/requested-by`; the
 * order engine copies it to `status.requestedBy`, so the history says who ordered it.
 *
 * Nobody can forge or change it afterwards through the webhook: on an update the annotation
 * is put back to what it was (or removed, when the order was created with the webhook off).
 */
import type { AdmissionRequest, JsonPatchOp, UserInfo } from './admission.ts';
import { pointer } from './admission.ts';

export const REQUESTED_BY_ANNOTATION = 'occupier.dev/requested-by';

export interface Requester {
  username: string;
  groups?: string[];
}

/** The annotation value: compact JSON, groups sorted (system:authenticated included as sent). */
export function requesterValue(user: UserInfo): string {
  const groups = [...new Set(user.groups ?? [])].sort();
  return JSON.stringify({ username: user.username ?? '', ...(groups.length ? { groups } : {}) });
}

/** The requester an annotation names, or undefined when absent or not ours. */
export function parseRequester(value: string | undefined): Requester | undefined {
  if (!value) return undefined;
  try {
    const v = JSON.parse(value) as unknown;
    if (!v || typeof v !== 'object') return undefined;
    const { username, groups } = v as { username?: unknown; groups?: unknown };
    if (typeof username !== 'string' || !username) return undefined;
    const gs = Array.isArray(groups) ? groups.filter((g): g is string => typeof g === 'string') : [];
    return { username, ...(gs.length ? { groups: gs } : {}) };
  } catch {
    return undefined;
  }
}

interface Meta { metadata?: { annotations?: Record<string, string> } }

const annotationsOf = (o: unknown): Record<string, string> | undefined => (o as Meta | undefined)?.metadata?.annotations;

/** The JSON Patch that makes the order's annotation say who created it (and nothing else). */
export function requesterPatch(req: AdmissionRequest): JsonPatchOp[] {
  const annotations = annotationsOf(req.object);
  const have = annotations?.[REQUESTED_BY_ANNOTATION];
  const want = req.operation === 'CREATE' ? requesterValue(req.userInfo) : annotationsOf(req.oldObject)?.[REQUESTED_BY_ANNOTATION];
  if (have === want) return [];
  const path = `/metadata/annotations/${pointer(REQUESTED_BY_ANNOTATION)}`;
  if (want === undefined) return [{ op: 'remove', path }];
  if (!annotations) return [{ op: 'add', path: '/metadata/annotations', value: { [REQUESTED_BY_ANNOTATION]: want } }];
  return [{ op: have === undefined ? 'add' : 'replace', path, value: want }];
}
