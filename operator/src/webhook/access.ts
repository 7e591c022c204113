/**
 * Site access (SPEC §2, seed 001 "you cannot decommission any occupier that has contracts,
 * either live or completed, at sites where you do not have site access"; Connect "only a T2
 * Super Admin is able to perform the Client Site Move"): the requester of an order must be
 * allowed the RBAC verb `manage` on `sites.occupier.dev` for every site the order needs,
 * asked of the API server by one SubjectAccessReview per site.
 *
 * The review names the order's namespace, so site access can be granted two ways: by a
 * ClusterRoleBinding (orders in every namespace) or by a RoleBinding in the order's namespace
 * (orders there only: a team may manage london for its own occupiers). RBAC checks a
 * namespaced request against both; a RoleBinding elsewhere grants nothing.
 */
import type { AuthorizationV1Api } from '@kubernetes/client-node';
import type { OccupierResource } from '../api/index.ts';
import { GROUP } from '../api/index.ts';
import { sitesRequiringAccess } from '../planner/prerequisites.ts';
import type { UserInfo } from './admission.ts';
import type { OrderKind } from './state.ts';

export const MANAGE_VERB = 'manage';
export const SITES_RESOURCE = 'sites';

/** Sites an order needs, and why (said in the refusal). */
export interface NeededSites {
  sites: string[];
  why: string;
}

/**
 * Decommission: every site where the occupier has or had a contract; SiteMove: `from` and
 * `to`; CustomerMove: every site of the customer.
 */
export function sitesNeeded(kind: OrderKind, spec: { from?: string; to?: string }, occupier: OccupierResource | undefined): NeededSites {
  const name = occupier?.metadata.name ?? '';
  switch (kind) {
    case 'SiteMove':
      return { sites: [...new Set([spec.from ?? '', spec.to ?? ''].filter(Boolean))].sort(), why: `the sites it moves ${name} from and to` };
    case 'Decommission':
      return { sites: occupier ? sitesRequiringAccess(occupier) : [], why: `every site where occupier ${name} has or had a contract` };
    case 'CustomerMove':
      return { sites: occupier ? sitesRequiringAccess(occupier) : [], why: `every site of customer ${name}` };
  }
}

/** Whether `user` may `manage` the site `name` for an order in `namespace`. */
export type AccessReview = (user: UserInfo, site: string, namespace: string) => Promise<boolean>;

/** One SubjectAccessReview per question, for the user and groups the API server authenticated. */
export function subjectAccessReview(api: AuthorizationV1Api): AccessReview {
  return async (user, site, namespace) => {
    const review = await api.createSubjectAccessReview({
      body: {
        apiVersion: 'authorization.k8s.io/v1',
        kind: 'SubjectAccessReview',
        spec: {
          ...(user.username !== undefined ? { user: user.username } : {}),
          ...(user.uid !== undefined ? { uid: user.uid } : {}),
          ...(user.groups ? { groups: user.groups } : {}),
          ...(user.extra ? { extra: user.extra } : {}),
          resourceAttributes: { group: GROUP, resource: SITES_RESOURCE, verb: MANAGE_VERB, name: site, ...(namespace ? { namespace } : {}) },
        },
      },
    });
    return review.status?.allowed === true;
  };
}

/** The sites (of `sites`) the user may not manage, in order. */
export async function sitesDenied(review: AccessReview, user: UserInfo, sites: string[], namespace: string): Promise<string[]> {
  const allowed = await Promise.all(sites.map((s) => review(user, s, namespace)));
  return sites.filter((_, i) => !allowed[i]);
}

/** The refusal: who, which sites are missing, why they are needed, and the RBAC rule that grants them. */
export function accessDeniedMessage(kind: OrderKind, user: UserInfo, needed: NeededSites, denied: string[], namespace: string): string {
  const who = user.username ?? '(unknown user)';
  const list = denied.join(', ');
  return (
    `${who} may not manage site${denied.length > 1 ? 's' : ''} ${list}, which this ${kind} needs (${needed.why}: ${needed.sites.join(', ')}). ` +
    `Site access is granted by the RBAC rule {apiGroups: ["${GROUP}"], resources: ["${SITES_RESOURCE}"], verbs: ["${MANAGE_VERB}"], resourceNames: [${denied.map((s) => `"${s}"`).join(', ')}]} ` +
    `in a ClusterRole bound to ${who} by a ClusterRoleBinding (orders in every namespace) or by a RoleBinding in namespace ${namespace} (orders there only), ` +
    'or by the ClusterRole occupier-super-admin for every site; see the chart README, "Site access"'
  );
}
