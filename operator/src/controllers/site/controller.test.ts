import { describe, expect, it } from 'vitest';
import type { OccupierResource } from '../../api/index.ts';
import { occupierChangedForSites } from './controller.ts';

const base = (): OccupierResource => ({
  apiVersion: 'occupier.dev/v1alpha1',
  kind: 'Occupier',
  metadata: { name: 'acme', namespace: 'occupiers' },
  spec: {
    displayName: 'Acme',
    sites: [{ site: 'london', contract: { startDate: '2025-01-01', tariff: 'standard-2026' } }],
    users: [{ email: 'ana@acme.example', name: 'Ana', sites: ['london'] }],
  },
  status: { phase: 'Active', sites: [{ site: 'london', occupancies: [{ space: 'office-1', status: 'Active', movedIn: '2025-01-01' }], inventory: ['directory/account/ana@acme.example'] }] },
}) as OccupierResource;

describe('which occupier updates re-queue its Sites', () => {
  const cases: [string, (o: OccupierResource) => void, boolean][] = [
    ['a user renamed', (o) => void (o.spec.users = (o.spec.users ?? []).map((u) => ({ ...u, name: 'Ana Ortiz' }))), false],
    ['a status rewrite with the same spaces (conditions, inventory)', (o) => void (o.status = { ...o.status, conditions: [], sites: [{ ...(o.status?.sites?.[0] ?? { site: 'london' }), inventory: [] }] }), false],
    ['a site added to spec', (o) => void o.spec.sites.push({ site: 'leeds', contract: { startDate: '2025-01-01', tariff: 'standard-2026' } } as OccupierResource['spec']['sites'][number]), true],
    ['an occupancy that became Active', (o) => void o.status?.sites?.[0]?.occupancies?.push({ space: 'office-2', status: 'Active', movedIn: '2025-02-01' }), true],
    ['an occupancy completed', (o) => void ((o.status?.sites?.[0]?.occupancies ?? [])[0] = { space: 'office-1', status: 'Completed', movedIn: '2025-01-01', movedOut: '2025-06-01' }), true],
    ['decommissioned with only billing history left', (o) => void (o.status = { phase: 'Decommissioned', sites: [{ site: 'london', inventory: ['billing/contract/x'] }] }), true],
  ];
  it.each(cases)('%s: %s', (_what, change, want) => {
    const next = structuredClone(base());
    change(next);
    expect(occupierChangedForSites(base(), next)).toBe(want);
  });
});
