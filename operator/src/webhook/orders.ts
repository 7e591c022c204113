/**
 * The validating webhook of orders (SiteMove, CustomerMove, Decommission; create and update,
 * never status): site access by SubjectAccessReview first, then the checks that need the
 * cluster's state. An update that leaves the spec alone (finalizers, approve or retry
 * annotations, deletion) is not judged again.
 */
import type { AdmissionRequest, AdmissionResponse } from './admission.ts';
import { allow, deny } from './admission.ts';
import { accessDeniedMessage, sitesDenied, sitesNeeded } from './access.ts';
import type { AccessReview } from './access.ts';
import { problemsMessage, stateProblems } from './checks.ts';
import type { OrderSpec } from './checks.ts';
import { ORDER_RESOURCES } from './state.ts';
import type { ClusterState } from './state.ts';

export interface ValidateDeps {
  state: ClusterState;
  review: AccessReview;
  now(): Date;
}

interface OrderObject {
  metadata?: { deletionTimestamp?: string };
  spec?: OrderSpec;
}

export async function validateOrder(req: AdmissionRequest, deps: ValidateDeps): Promise<AdmissionResponse> {
  const kind = ORDER_RESOURCES[req.resource.resource];
  if (!kind || req.subResource || (req.operation !== 'CREATE' && req.operation !== 'UPDATE')) return allow(req.uid);
  const obj = req.object as OrderObject | undefined;
  const old = req.oldObject as OrderObject | undefined;
  if (req.operation === 'UPDATE' && (obj?.metadata?.deletionTimestamp || JSON.stringify(obj?.spec) === JSON.stringify(old?.spec))) return allow(req.uid);
  const spec = obj?.spec ?? {};
  const namespace = req.namespace ?? '';
  const occupier = spec.occupierRef?.name ? await deps.state.occupier(namespace, spec.occupierRef.name) : undefined;

  const needed = sitesNeeded(kind, spec, occupier);
  const denied = await sitesDenied(deps.review, req.userInfo, needed.sites, namespace);
  if (denied.length > 0) return deny(req.uid, 403, accessDeniedMessage(kind, req.userInfo, needed, denied, namespace));

  const checkSchedule = req.operation === 'CREATE' || spec.scheduledAt !== old?.spec?.scheduledAt;
  const problems = await stateProblems(kind, namespace, spec, occupier, deps.state, checkSchedule, deps.now());
  if (problems.length > 0) return deny(req.uid, 422, `${kind} ${namespace}/${req.name ?? ''} refused: ${problemsMessage(problems)}`);
  return allow(req.uid);
}
