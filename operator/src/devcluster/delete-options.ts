// DeleteOptions as the API server reads them: propagation policy and orphanDependents (validated
// with the real 422s), preconditions and dry run; the garbage collector's finalizers a delete adds;
// the Status an immediate delete answers with. resources.ts applies them.
import { invalid, invalidValue } from './errors.ts';
import type { Obj, StatusCause } from './errors.ts';
import { isObj } from './patch.ts';
import type { ResourceInfo } from './registry.ts';
import type { Ctx } from './resources.ts';

const meta = (o: Obj | undefined): Obj => (isObj(o?.['metadata']) ? (o['metadata'] as Obj) : {});

export interface DeleteOpts {
  policy: string | undefined;
  orphanDependents: boolean | undefined;
  preconditions: { uid?: string; resourceVersion?: string };
  dryRun: boolean;
}

export const NO_DELETE_OPTIONS: DeleteOpts = { policy: undefined, orphanDependents: undefined, preconditions: {}, dryRun: false };

/** DeleteOptions from the body and the query, validated as the real server does (422 DeleteOptions.meta.k8s.io). */
export function deleteOptions(ctx: Ctx, body: unknown): DeleteOpts {
  const b = isObj(body) ? body : {};
  const qp = ctx.q.get('propagationPolicy');
  const rawPolicy = qp ?? b['propagationPolicy'];
  const policy = rawPolicy === undefined || rawPolicy === null ? undefined : String(rawPolicy);
  const qo = ctx.q.get('orphanDependents');
  const orphanDependents = qo !== null ? qo === 'true' : typeof b['orphanDependents'] === 'boolean' ? b['orphanDependents'] : undefined;
  const causes: StatusCause[] = [];
  if (orphanDependents !== undefined && policy !== undefined) {
    causes.push({ reason: 'FieldValueInvalid', field: 'propagationPolicy', message: invalidValue(policy, 'orphanDependents and deletionPropagation cannot be both set') });
  }
  if (policy !== undefined && !['Foreground', 'Background', 'Orphan'].includes(policy)) {
    causes.push({ reason: 'FieldValueNotSupported', field: 'propagationPolicy', message: `Unsupported value: ${JSON.stringify(policy)}: supported values: "Foreground", "Background", "Orphan", "nil"` });
  }
  if (causes.length) throw invalid('DeleteOptions', 'meta.k8s.io', '', causes);
  const pre = isObj(b['preconditions']) ? b['preconditions'] : {};
  const dry = b['dryRun'];
  return {
    policy, orphanDependents,
    preconditions: {
      ...(typeof pre['uid'] === 'string' ? { uid: pre['uid'] } : {}),
      ...(typeof pre['resourceVersion'] === 'string' ? { resourceVersion: pre['resourceVersion'] } : {}),
    },
    dryRun: ctx.q.getAll('dryRun').includes('All') || (Array.isArray(dry) && dry.includes('All')),
  };
}

/**
 * The garbage collector's finalizers after a delete (deletionFinalizersForGarbageCollection): the
 * options decide `orphan` / `foregroundDeletion`, else the ones already there stay. Nothing in the
 * dev cluster removes them (no garbage collector, as on a control plane without kube-controller-manager).
 */
export function gcFinalizers(current: string[], o: DeleteOpts): string[] {
  let orphan: boolean;
  let foreground: boolean;
  if (o.orphanDependents !== undefined) { orphan = o.orphanDependents; foreground = false; } else if (o.policy !== undefined) {
    orphan = o.policy === 'Orphan';
    foreground = o.policy === 'Foreground';
  } else {
    const first = current.find((f) => f === 'orphan' || f === 'foregroundDeletion');
    orphan = first === 'orphan';
    foreground = first === 'foregroundDeletion';
  }
  const out = current.filter((f) => f !== 'orphan' && f !== 'foregroundDeletion');
  if (orphan) out.push('orphan');
  if (foreground) out.push('foregroundDeletion');
  const same = out.length === current.length && out.every((f) => current.includes(f));
  return same ? current : out;
}

/** The Status the real server answers an immediate delete with (stores that do not return the deleted object). */
export function deletedStatus(r: ResourceInfo, o: Obj): Obj {
  const m = meta(o);
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details: { name: m['name'], ...(r.group ? { group: r.group } : {}), kind: r.plural, uid: m['uid'] } };
}
