/** What the CRD schema cannot check about a Site (pure). */
import type { SiteSpec } from '../../api/index.ts';
import { isValidTimeZone } from '../../planner/dates.ts';

export interface SiteProblem {
  field: string;
  reason: 'InvalidTimeZone' | 'InvalidPool' | 'OverlappingNumberBlocks' | 'InvalidDriver' | 'DuplicateCatalogItem';
  message: string;
}

function digits(e164: string): bigint {
  return BigInt(e164.slice(1));
}

export function validateSite(spec: SiteSpec): SiteProblem[] {
  const problems: SiteProblem[] = [];
  if (!isValidTimeZone(spec.timezone)) {
    problems.push({ field: 'spec.timezone', reason: 'InvalidTimeZone', message: `${spec.timezone} is not a known IANA time zone` });
  }
  if (spec.network) {
    const prefix = Number(spec.network.ipv4Pool.split('/')[1]);
    if (spec.network.subnetPrefixLength < prefix) {
      problems.push({
        field: 'spec.network.subnetPrefixLength',
        reason: 'InvalidPool',
        message: `subnets of /${spec.network.subnetPrefixLength} do not fit in the /${prefix} pool ${spec.network.ipv4Pool}`,
      });
    }
  }
  const blocks = [...(spec.telephony?.numberBlocks ?? [])]
    .map((b, i) => ({ i, from: digits(b.start), to: digits(b.start) + BigInt(b.count) - 1n, start: b.start }))
    .sort((a, b) => (a.from < b.from ? -1 : 1));
  for (let k = 1; k < blocks.length; k++) {
    const a = blocks[k - 1];
    const b = blocks[k];
    if (a && b && b.from <= a.to) {
      problems.push({ field: `spec.telephony.numberBlocks[${b.i}]`, reason: 'OverlappingNumberBlocks', message: `block ${b.start} overlaps block ${a.start}` });
    }
  }
  for (const [capability, ref] of Object.entries(spec.drivers ?? {})) {
    if (ref && ref.driver === 'http' && !ref.endpoint) {
      problems.push({ field: `spec.drivers.${capability}.endpoint`, reason: 'InvalidDriver', message: 'the http driver needs an endpoint' });
    }
  }
  return problems;
}
