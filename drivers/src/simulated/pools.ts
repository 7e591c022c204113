/** Pool arithmetic: IPv4 subnets carved from a CIDR block, numbers from E.164 blocks. */
import { DriverError, REASONS } from '../contract.ts';
import type { SiteContext } from '../contract.ts';

export function ipToInt(ip: string): number {
  const parts = ip.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) throw new Error(`not an IPv4 address: ${ip}`);
  return (((parts[0] ?? 0) << 24) | ((parts[1] ?? 0) << 16) | ((parts[2] ?? 0) << 8) | (parts[3] ?? 0)) >>> 0;
}

export function intToIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

export interface SubnetPool {
  /** Network address of the pool (masked). */
  base: number;
  poolPrefix: number;
  prefixLength: number;
  /** How many subnets of `prefixLength` the pool holds. */
  count: number;
}

/** The subnet pool of a site, or a Permanent `NoPool` error saying what is wrong. */
export function subnetPool(site: SiteContext): SubnetPool {
  const network = site.network;
  if (!network) throw DriverError.permanent(REASONS.NoPool, `site ${site.name} has no network pools`);
  const [addr, len] = network.ipv4Pool.split('/');
  const poolPrefix = Number(len);
  const prefixLength = network.subnetPrefixLength ?? 26;
  if (addr === undefined || !Number.isInteger(poolPrefix) || poolPrefix < 0 || poolPrefix > 32) {
    throw DriverError.permanent(REASONS.NoPool, `site ${site.name}: ipv4Pool ${network.ipv4Pool} is not a CIDR block`);
  }
  if (prefixLength < poolPrefix) {
    throw DriverError.permanent(REASONS.NoPool, `site ${site.name}: subnetPrefixLength /${prefixLength} is shorter than the pool ${network.ipv4Pool}`);
  }
  const mask = poolPrefix === 0 ? 0 : (~0 << (32 - poolPrefix)) >>> 0;
  return { base: (ipToInt(addr) & mask) >>> 0, poolPrefix, prefixLength, count: 2 ** (prefixLength - poolPrefix) };
}

/** Subnet number `index` of the pool: CIDR and gateway (the first host). */
export function subnetAt(pool: SubnetPool, index: number): { subnet: string; gateway: string } {
  const network = (pool.base + index * 2 ** (32 - pool.prefixLength)) >>> 0;
  return { subnet: `${intToIp(network)}/${pool.prefixLength}`, gateway: intToIp((network + 1) >>> 0) };
}

/** Index of a subnet CIDR in the pool (to rebuild the used set from stored allocations). */
export function subnetIndex(pool: SubnetPool, subnet: string): number {
  const [addr] = subnet.split('/');
  return (ipToInt(addr ?? '0.0.0.0') - pool.base) / 2 ** (32 - pool.prefixLength);
}

export function vlanRange(site: SiteContext): { from: number; to: number } {
  if (!site.network) throw DriverError.permanent(REASONS.NoPool, `site ${site.name} has no network pools`);
  return site.network.vlanRange;
}

const E164 = /^\+[1-9][0-9]{6,14}$/;

/** Whether `number` is in one of the site's number blocks (Permanent errors for no pool / bad number). */
export function checkInPool(site: SiteContext, number: string): boolean {
  const blocks = site.telephony?.numberBlocks;
  if (!blocks || blocks.length === 0) throw DriverError.permanent(REASONS.NoPool, `site ${site.name} has no telephony number blocks`);
  if (!E164.test(number)) throw DriverError.permanent(REASONS.InvalidSpec, `${number} is not an E.164 number`);
  const n = BigInt(number.slice(1));
  return blocks.some((b) => {
    const start = BigInt(b.start.slice(1));
    return b.start.length === number.length && n >= start && n < start + BigInt(b.count);
  });
}

export function numberPoolSize(site: SiteContext): number {
  return (site.telephony?.numberBlocks ?? []).reduce((sum, b) => sum + b.count, 0);
}

export function coolingOffMs(site: SiteContext): number {
  return (site.telephony?.coolingOffDays ?? 90) * 86_400_000;
}
