import { describe, expect, it } from 'vitest';
import { exampleManifests } from '../../../test/support/examples.ts';
import { crdRefusals } from '../../../test/support/crd-schema.ts';
import { parseManifest } from './index.ts';

const ours = exampleManifests().filter((m) => String(m.doc.apiVersion).startsWith('occupier.dev/'));

describe('examples/', () => {
  it('is a realistic estate: three sites in two locations, a reseller with two customers, one order of each kind', () => {
    const byKind = (k: string) => ours.filter((m) => m.doc.kind === k).map((m) => m.doc);
    const locations = byKind('Site').map((s) => (s.spec as { location: string }).location);
    expect(locations.filter((l) => l === 'london')).toHaveLength(2);
    expect(locations).toContain('manchester');
    const occupiers = byKind('Occupier').map((o) => o.spec as { reseller?: boolean; resellerRef?: { name: string } });
    const resellers = occupiers.filter((o) => o.reseller === true).length;
    expect(resellers).toBeGreaterThanOrEqual(1);
    const customersOfNorthwind = occupiers.filter((o) => o.resellerRef?.name === 'northwind-hosting');
    expect(customersOfNorthwind).toHaveLength(2);
    expect(byKind('SiteMove')).toHaveLength(1);
    expect(byKind('CustomerMove')).toHaveLength(1);
    const decommissions = byKind('Decommission');
    expect(decommissions).toHaveLength(1);
    expect((decommissions[0]?.spec as { scheduledAt?: string }).scheduledAt).toBeDefined();
  });

  it.each(ours.map((m) => [`${m.file} (${String(m.doc.kind)})`, m.doc] as const))(
    '%s validates against the zod types',
    (_name, doc) => {
      expect(() => parseManifest(doc)).not.toThrow();
    },
  );

  it.each(ours.map((m) => [`${m.file} (${String(m.doc.kind)})`, m.doc] as const))(
    '%s validates against the generated CRD schema',
    (_name, doc) => {
      expect(crdRefusals(doc)).toEqual([]);
    },
  );
});
