/**
 * Builders of test Sites and Occupiers with unique numbers, emails and MACs, so many can live
 * in one cluster, and small polling helpers for end-to-end tests.
 */
import { CustomObjectsApi } from '@kubernetes/client-node';
import { dump } from 'js-yaml';
import type { KubeConfig } from '@kubernetes/client-node';
import type { Clock } from '../../operator/src/runtime/index.ts';
import { realClock } from '../../operator/src/runtime/index.ts';

export type Obj = Record<string, unknown>;
export const NS = 'occupiers';

/** A Site with generous pools and a small catalog; `settings` go to the simulated driver. */
export function site(name: string, index: number, settings: Record<string, string> = {}, location = 'london'): Obj {
  return {
    apiVersion: 'occupier.dev/v1alpha1',
    kind: 'Site',
    metadata: { name },
    spec: {
      displayName: `Test site ${name}`,
      location,
      timezone: 'Europe/London',
      network: { vlanRange: { from: 100, to: 3999 }, ipv4Pool: `10.${100 + index}.0.0/16`, subnetPrefixLength: 28 },
      telephony: { numberBlocks: [{ start: `+4420${index}0000000`, count: 100000 }], coolingOffDays: 90 },
      catalog: {
        services: [
          { name: 'internet-100', capability: 'network', accessLevels: [{ name: 'Standard' }] },
          { name: 'wifi-secure', capability: 'wifi' },
          { name: 'hosted-voice', capability: 'telephony' },
        ],
        tariffs: [{ name: 'standard-2026' }],
        minuteBundles: [{ name: 'uk-1000', minutes: 1000 }],
      },
      spaces: Array.from({ length: 20 }, (_, i) => ({ name: `office-${i}`, type: 'Office', capacity: 4 })),
      switches: [{ name: 'sw-a', ports: 1024 }],
      drivers: { default: { driver: 'simulated', settings } },
    },
  };
}

export interface OccupierShape {
  /** Sites with their index (numbers are allocated from `+4420<siteIndex>...`). */
  sites: { name: string; index: number }[];
  users?: number;
  numbers?: number;
  devices?: number;
  ports?: number;
  startDate?: string;
}

/** An occupier `o<n>` spread over the given sites, with unique numbers, emails and MACs. */
export function occupier(name: string, n: number, shape: OccupierShape): Obj {
  const users = shape.users ?? 2;
  const numbers = shape.numbers ?? 2;
  const devices = shape.devices ?? 1;
  const ports = shape.ports ?? 1;
  const siteCount = shape.sites.length;
  const per = (total: number, s: number): number => Math.floor(total / siteCount) + (s < total % siteCount ? 1 : 0);
  // Within the site's block (+4420<i>0000000, 100,000 numbers): n < 100 occupiers, j < 1000 numbers.
  const numberOf = (siteIndex: number, j: number): string => `+4420${siteIndex}00${String(n).padStart(2, '0')}${String(j).padStart(3, '0')}`;
  const sites = shape.sites.map((s, si) => ({
    site: s.name,
    contract: { startDate: shape.startDate ?? '2025-01-01', tariff: 'standard-2026', minuteBundle: 'uk-1000' },
    occupancies: [{ space: `office-${n % 20}`, movedIn: shape.startDate ?? '2025-01-01' }],
    services: [
      { name: 'internet-100', quantity: 1, accessLevel: 'Standard' },
      { name: 'wifi-secure', quantity: Math.max(1, per(users, si)) },
    ],
    numbers: Array.from({ length: per(numbers, si) }, (_, j) => ({ number: numberOf(s.index, j), main: j === 0 })),
    wifiDevices: Array.from({ length: per(devices, si) }, (_, j) => ({
      name: `dev-${j}`,
      mac: `02:${hex(n >> 8)}:${hex(n)}:${hex(s.index)}:${hex(j >> 8)}:${hex(j)}`,
    })),
    ports: Array.from({ length: per(ports, si) }, (_, j) => ({ name: `port-${j}` })),
  }));
  const userList = Array.from({ length: users }, (_, u) => {
    const si = u % siteCount;
    const home = shape.sites[si];
    const entry = sites[si];
    const numberIdx = Math.floor(u / siteCount) + 1; // number 0 is the main number
    const phone = entry && numberIdx < entry.numbers.length ? entry.numbers[numberIdx]?.number : undefined;
    return {
      email: `user${u}@${name}.example`,
      name: `User ${u} of ${name}`,
      sites: [home?.name ?? ''],
      ...(phone ? { phoneNumber: phone } : {}),
      accessGroups: ['floor-1'],
      cardId: `${hex(n >> 8)}${hex(n)}${hex(u >> 8)}${hex(u)}`,
    };
  });
  return {
    apiVersion: 'occupier.dev/v1alpha1',
    kind: 'Occupier',
    metadata: { name, namespace: NS },
    spec: { displayName: `Occupier ${name}`, sites, users: userList },
  };
}

function hex(v: number): string {
  return (v & 0xff).toString(16).padStart(2, '0');
}

/** A Decommission order (now, or at `scheduledAt`). */
export function decommission(name: string, occupierName: string, extra: Obj = {}): Obj {
  return {
    apiVersion: 'occupier.dev/v1alpha1',
    kind: 'Decommission',
    metadata: { name, namespace: NS },
    spec: { occupierRef: { name: occupierName }, confirm: { occupierName, irreversible: true }, ...extra },
  };
}

/** A SiteMove order of `occupierName` from `from` to `to` (now, or at `scheduledAt` in `extra`). */
export function siteMove(name: string, occupierName: string, from: string, to: string, extra: Obj = {}): Obj {
  return {
    apiVersion: 'occupier.dev/v1alpha1',
    kind: 'SiteMove',
    metadata: { name, namespace: NS },
    spec: { occupierRef: { name: occupierName }, from, to, tariff: 'standard-2026', ...extra },
  };
}

/** Objects as kubectl input: a multi-document YAML stream. */
export function manifest(...objs: Obj[]): string {
  return objs.map((o) => dump(o, { noRefs: true })).join('---\n');
}

/** A clock whose "now" can be moved (timers stay real): for schedules at a chosen instant. */
export class OffsetClock implements Clock {
  offsetMs = 0;
  now(): number {
    return Date.now() + this.offsetMs;
  }
  setTimer(fn: () => void, ms: number): () => void {
    return realClock.setTimer(fn, ms);
  }
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return realClock.sleep(ms, signal);
  }
  /** Make "now" this instant. */
  set(at: Date): void {
    this.offsetMs = at.getTime() - Date.now();
  }
}

/** Reads our custom objects through the real client. */
export class Objects {
  private readonly api: CustomObjectsApi;
  constructor(kc: KubeConfig) {
    this.api = kc.makeApiClient(CustomObjectsApi);
  }
  async get(plural: string, name: string, namespace: string | undefined = NS): Promise<Obj | undefined> {
    try {
      const base = { group: 'occupier.dev', version: 'v1alpha1', plural, name };
      return (namespace ? await this.api.getNamespacedCustomObject({ ...base, namespace }) : await this.api.getClusterCustomObject(base)) as Obj;
    } catch (err) {
      if ((err as { code?: number }).code === 404) return undefined;
      throw err;
    }
  }
}

/** Polls `fn` until it returns a value that is not undefined/false, or throws with `what` after `timeoutMs`. */
export async function until<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 30_000, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export const phaseOf = (o: Obj | undefined): string | undefined => (o?.status as { phase?: string } | undefined)?.phase;
export const conditionOf = (o: Obj | undefined, type: string): { status: string; reason: string; message: string } | undefined =>
  ((o?.status as { conditions?: { type: string; status: string; reason: string; message: string }[] } | undefined)?.conditions ?? []).find((c) => c.type === type);
