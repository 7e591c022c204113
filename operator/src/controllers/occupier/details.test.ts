import { describe, expect, it } from 'vitest';
import { siteItemCounts, summarizeSite } from './details.ts';

const site = {
  site: 'london-bridge',
  contract: { status: 'Active' as const, startDate: '2025-01-01' },
  inventory: ['billing/contract/a', 'billing/service/a/internet', 'directory/account/x@example.com', 'wifi/account/x@example.com'],
  numbers: [{ number: '+442000000001', state: 'Assigned' as const, main: true }],
  ports: [{ name: 'p1', switch: 'sw1', port: 1, state: 'Ready' as const }],
  wifiDevices: [],
  desiredHash: 'abc',
};

describe('a site of a large occupier kept as counts', () => {
  it('drops the per-item lists, keeps the rest, and counts them (billing items as history)', () => {
    expect(summarizeSite(site)).toEqual({
      site: 'london-bridge',
      contract: { status: 'Active', startDate: '2025-01-01' },
      desiredHash: 'abc',
      counts: { inventory: 4, history: 2, numbers: 1, ports: 1, wifiDevices: 0 },
    });
  });

  it('counts the same from the lists or from the counts', () => {
    expect(siteItemCounts(site)).toEqual({ inventory: 4, history: 2 });
    expect(siteItemCounts(summarizeSite(site))).toEqual({ inventory: 4, history: 2 });
    expect(siteItemCounts({ site: 'empty' })).toEqual({ inventory: 0, history: 0 });
  });

  it('summarizing twice changes nothing', () => {
    const once = summarizeSite(site);
    expect(summarizeSite({ ...once, ...{ inventory: site.inventory, numbers: site.numbers, ports: site.ports, wifiDevices: [] } })).toEqual(once);
  });
});
