/**
 * The validating and mutating decisions, on the webhook's own seams: a ClusterState of
 * fixtures and an AccessReview that answers from a table (the real SubjectAccessReview and API
 * server are in test/e2e/site-access.test.ts).
 */
import { describe, expect, it } from 'vitest';
import type { OccupierResource, SiteResource } from '../api/index.ts';
import { occupier, site } from '../planner/fixtures.ts';
import type { AccessReview } from './access.ts';
import type { AdmissionRequest, JsonPatchOp } from './admission.ts';
import { validateOrder } from './orders.ts';
import { requesterPatch, REQUESTED_BY_ANNOTATION } from './requester.ts';
import type { ClusterState } from './state.ts';

const NOW = new Date('2026-06-01T12:00:00Z');
const GRANTS: Record<string, string[]> = { alice: ['london-shoreditch', 'london-canary-wharf'], carol: ['*'] };
const review: AccessReview = async (user, s) => (GRANTS[user.username ?? ''] ?? []).some((g) => g === '*' || g === s);

const occupiers = new Map<string, OccupierResource>([
  ['london-only', occupier('london-only').withSite('london-shoreditch', { startDate: '2025-01-01' }).withSite('london-canary-wharf', { startDate: '2025-01-01' }).build()],
  ['southbank', occupier('southbank').withSite('london-shoreditch', { startDate: '2025-01-01' }).reseller().build()],
]);
// Had a contract in manchester: no longer in spec, still in status (a completed contract).
const moved = occupier('moved').withSite('london-shoreditch', { startDate: '2025-01-01' }).build();
moved.status = { sites: [{ site: 'manchester-spinningfields' }] } as NonNullable<OccupierResource['status']>;
occupiers.set('moved', moved);
const sites = new Map<string, SiteResource>(['london-shoreditch', 'london-canary-wharf', 'manchester-spinningfields'].map((n) => [n, site(n).build()]));
const state: ClusterState = { occupier: async (_ns, n) => occupiers.get(n), site: async (n) => sites.get(n) };
const deps = { state, review, now: () => NOW };

const RESOURCES = { Decommission: 'decommissions', SiteMove: 'sitemoves', CustomerMove: 'customermoves' } as const;

function request(kind: keyof typeof RESOURCES, user: string, spec: Record<string, unknown>, o: Partial<AdmissionRequest> = {}): AdmissionRequest {
  return {
    uid: 'u1',
    kind: { group: 'occupier.dev', version: 'v1alpha1', kind },
    resource: { group: 'occupier.dev', version: 'v1alpha1', resource: RESOURCES[kind] },
    namespace: 'occupiers',
    name: 'o1',
    operation: 'CREATE',
    userInfo: { username: user, groups: ['system:authenticated'] },
    object: { metadata: { name: 'o1' }, spec },
    ...o,
  };
}
const decom = (occ: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({ occupierRef: { name: occ }, confirm: { occupierName: occ, irreversible: true }, ...extra });

describe('validating webhook', () => {
  it('refuses a Decommission by someone who manages none of its sites, naming each, with 403', async () => {
    const r = await validateOrder(request('Decommission', 'bob', decom('london-only')), deps);
    expect(r.allowed).toBe(false);
    expect(r.status?.code).toBe(403);
    expect(r.status?.message).toMatch(/^bob may not manage sites london-canary-wharf, london-shoreditch, which this Decommission needs/);
  });

  it('counts a site the occupier only had (status) for a Decommission', async () => {
    const r = await validateOrder(request('Decommission', 'alice', decom('moved')), deps);
    expect(r.status?.message).toMatch(/^alice may not manage site manchester-spinningfields,/);
    expect((await validateOrder(request('Decommission', 'carol', decom('moved')), deps)).allowed).toBe(true);
  });

  it('asks for from and to of a SiteMove', async () => {
    const r = await validateOrder(request('SiteMove', 'alice', { occupierRef: { name: 'london-only' }, from: 'london-shoreditch', to: 'manchester-spinningfields' }), deps);
    expect(r.status?.message).toContain('alice may not manage site manchester-spinningfields, which this SiteMove needs (the sites it moves london-only from and to: london-shoreditch, manchester-spinningfields)');
  });

  it('lists every state problem with its field (422), after access', async () => {
    const r = await validateOrder(request('SiteMove', 'carol', { occupierRef: { name: 'ghost' }, from: 'nowhere', to: 'london-shoreditch', scheduledAt: '2026-01-01' }), deps);
    expect(r.status?.code).toBe(422);
    expect(r.status?.message).toContain('spec.occupierRef.name: occupier "ghost" does not exist in namespace occupiers');
    expect(r.status?.message).toContain('spec.from: site "nowhere" does not exist');
    expect(r.status?.message).toContain('spec.scheduledAt: "2026-01-01" (2026-01-01T23:00:00Z) was already past');
  });

  it('refuses moving a reseller and a missing destination reseller', async () => {
    const r = await validateOrder(request('CustomerMove', 'carol', { occupierRef: { name: 'southbank' }, toReseller: { name: 'gone' } }), deps);
    expect(r.status?.message).toContain('spec.occupierRef.name: "southbank" is a reseller; a reseller cannot be moved');
    expect(r.status?.message).toContain('spec.toReseller.name: reseller "gone" does not exist');
  });

  it('does not judge an update that leaves the spec alone, a /status write, or a deletion', async () => {
    const same = decom('london-only', { scheduledAt: '2026-01-01' });
    const old = { metadata: { name: 'o1' }, spec: same };
    expect((await validateOrder(request('Decommission', 'bob', same, { operation: 'UPDATE', oldObject: old }), deps)).allowed).toBe(true);
    expect((await validateOrder(request('Decommission', 'bob', same, { subResource: 'status' }), deps)).allowed).toBe(true);
    const deleting = { metadata: { name: 'o1', deletionTimestamp: '2026-06-01T00:00:00Z' }, spec: decom('moved') };
    expect((await validateOrder(request('Decommission', 'bob', decom('moved'), { operation: 'UPDATE', object: deleting, oldObject: old }), deps)).allowed).toBe(true);
  });

  it('judges an update that changes the spec, but an old past scheduledAt only when it changes', async () => {
    const old = { metadata: { name: 'o1' }, spec: decom('london-only', { scheduledAt: '2026-01-01' }) };
    const approveEdit = await validateOrder(request('Decommission', 'alice', decom('london-only', { scheduledAt: '2026-01-01', approval: 'Manual' }), { operation: 'UPDATE', oldObject: old }), deps);
    expect(approveEdit.allowed).toBe(true);
    const retarget = await validateOrder(request('Decommission', 'alice', decom('moved', { scheduledAt: '2026-01-01' }), { operation: 'UPDATE', oldObject: old }), deps);
    expect(retarget.status?.code).toBe(403);
  });
});

describe('mutating webhook: the requester', () => {
  const apply = (obj: Record<string, unknown>, ops: JsonPatchOp[]): Record<string, string> | undefined => {
    const out = structuredClone(obj) as { metadata: { annotations?: Record<string, string> } };
    for (const op of ops) {
      if (op.path === '/metadata/annotations') out.metadata.annotations = op.value as Record<string, string>;
      else if (op.op === 'remove') delete out.metadata.annotations?.[REQUESTED_BY_ANNOTATION];
      else out.metadata.annotations = { ...out.metadata.annotations, [REQUESTED_BY_ANNOTATION]: op.value as string };
    }
    return out.metadata.annotations;
  };

  it('is recorded on create (user and sorted groups), overwriting a forged one', () => {
    const obj = { metadata: { name: 'o1', annotations: { [REQUESTED_BY_ANNOTATION]: '{"username":"mallory"}', other: 'x' } } };
    const req = request('Decommission', 'alice', {}, { object: obj, userInfo: { username: 'alice', groups: ['z', 'a'] } });
    expect(apply(obj, requesterPatch(req))).toEqual({ other: 'x', [REQUESTED_BY_ANNOTATION]: '{"username":"alice","groups":["a","z"]}' });
    const bare = { metadata: { name: 'o1' } };
    expect(apply(bare, requesterPatch({ ...req, object: bare }))).toEqual({ [REQUESTED_BY_ANNOTATION]: '{"username":"alice","groups":["a","z"]}' });
  });

  it('is put back on update, or removed when the order never had one', () => {
    const old = { metadata: { name: 'o1', annotations: { [REQUESTED_BY_ANNOTATION]: '{"username":"alice"}' } } };
    const edited = { metadata: { name: 'o1', annotations: { [REQUESTED_BY_ANNOTATION]: '{"username":"bob"}' } } };
    expect(apply(edited, requesterPatch(request('Decommission', 'bob', {}, { operation: 'UPDATE', object: edited, oldObject: old })))).toEqual(old.metadata.annotations);
    expect(requesterPatch(request('Decommission', 'bob', {}, { operation: 'UPDATE', object: old, oldObject: old }))).toEqual([]);
    const none = { metadata: { name: 'o1' } };
    expect(apply(edited, requesterPatch(request('Decommission', 'bob', {}, { operation: 'UPDATE', object: edited, oldObject: none })))).toEqual({});
  });
});
