/**
 * Test fixture builders for the planner (kube-rs/controller-rs `fixtures.rs` style):
 *
 *   occupier('acme').withSite('london-shoreditch', { startDate: '2025-03-01' }).withUser('ana@acme.example')
 *
 * Every `with...` returns a new builder, so a base fixture can be shared by a table of cases.
 * Not part of the planner's public surface.
 */
import type {
  CustomerMoveSpec,
  DecommissionSpec,
  OccupierPhase,
  OccupierResource,
  OccupierSpec,
  OccupierStatus,
  SiteMoveSpec,
  SiteResource,
  SiteSpec,
} from '../api/index.ts';
import { API_VERSION } from '../api/index.ts';
import type { Service, SiteEntry } from './classify.ts';
import type { OrderKind, OrderSummary } from './types.ts';

type User = NonNullable<OccupierSpec['users']>[number];
type CatalogService = SiteSpec['catalog']['services'][number];

// ---------------------------------------------------------------------------------------
// Site
// ---------------------------------------------------------------------------------------

export class SiteBuilder {
  readonly #name: string;
  readonly #spec: SiteSpec;
  constructor(name: string, spec: SiteSpec) {
    this.#name = name;
    this.#spec = spec;
  }
  #with(change: (s: SiteSpec) => void): SiteBuilder {
    const spec = structuredClone(this.#spec);
    change(spec);
    return new SiteBuilder(this.#name, spec);
  }
  timezone(tz: string): SiteBuilder {
    return this.#with((s) => (s.timezone = tz));
  }
  location(location: string): SiteBuilder {
    return this.#with((s) => (s.location = location));
  }
  /** A catalog service, optionally with access levels `{ Standard: { bandwidthMbps: '100' } }`. */
  withService(name: string, accessLevels?: Record<string, Record<string, string>>): SiteBuilder {
    return this.#with((s) => {
      const svc: CatalogService = { name, capability: 'billing' };
      if (accessLevels) svc.accessLevels = Object.entries(accessLevels).map(([n, properties]) => ({ name: n, properties }));
      s.catalog.services = [...s.catalog.services.filter((x) => x.name !== name), svc];
    });
  }
  withTariff(name: string): SiteBuilder {
    return this.#with((s) => (s.catalog.tariffs = [...(s.catalog.tariffs ?? []), { name }]));
  }
  withMinuteBundle(name: string, minutes = 1000): SiteBuilder {
    return this.#with((s) => (s.catalog.minuteBundles = [...(s.catalog.minuteBundles ?? []), { name, minutes }]));
  }
  withSpace(name: string): SiteBuilder {
    return this.#with((s) => (s.spaces = [...(s.spaces ?? []), { name, type: 'Office', capacity: 4 }]));
  }
  withoutNetwork(): SiteBuilder {
    return this.#with((s) => delete s.network);
  }
  withoutTelephony(): SiteBuilder {
    return this.#with((s) => delete s.telephony);
  }
  coolingOffDays(days: number): SiteBuilder {
    return this.#with((s) => {
      if (s.telephony) s.telephony.coolingOffDays = days;
    });
  }
  build(): SiteResource {
    return { apiVersion: API_VERSION, kind: 'Site', metadata: { name: this.#name }, spec: structuredClone(this.#spec) };
  }
}

/** A site in Europe/London, location london, with network and telephony pools and an empty catalog. */
export function site(name: string): SiteBuilder {
  return new SiteBuilder(name, {
    displayName: name,
    location: 'london',
    timezone: 'Europe/London',
    network: { vlanRange: { from: 100, to: 899 }, ipv4Pool: '10.20.0.0/16', subnetPrefixLength: 26 },
    telephony: { numberBlocks: [{ start: '+442070460000', count: 1000 }], coolingOffDays: 90 },
    catalog: { services: [], tariffs: [{ name: 'standard-2026' }], minuteBundles: [{ name: 'uk-1000', minutes: 1000 }] },
    spaces: [],
  });
}

// ---------------------------------------------------------------------------------------
// Occupier
// ---------------------------------------------------------------------------------------

export interface SiteOptions {
  startDate: string;
  endDate?: string;
  tariff?: string;
  minuteBundle?: string;
  network?: boolean;
}

export class OccupierBuilder {
  readonly #name: string;
  readonly #spec: OccupierSpec;
  readonly #status: OccupierStatus | undefined;
  constructor(name: string, spec: OccupierSpec, status?: OccupierStatus) {
    this.#name = name;
    this.#spec = spec;
    this.#status = status;
  }
  #with(change: (s: OccupierSpec) => void): OccupierBuilder {
    const spec = structuredClone(this.#spec);
    change(spec);
    return new OccupierBuilder(this.#name, spec, this.#status);
  }
  #withStatus(change: (s: OccupierStatus) => void): OccupierBuilder {
    const status = structuredClone(this.#status ?? {});
    change(status);
    return new OccupierBuilder(this.#name, this.#spec, status);
  }
  #entry(spec: OccupierSpec, site: string): SiteEntry {
    const e = spec.sites.find((s) => s.site === site);
    if (!e) throw new Error(`fixture: call withSite('${site}') first`);
    return e;
  }
  /** A contract at `site` (tariff standard-2026 unless given). */
  withSite(site: string, o: SiteOptions): OccupierBuilder {
    return this.#with((s) => {
      const entry: SiteEntry = { site, contract: { startDate: o.startDate, tariff: o.tariff ?? 'standard-2026' } };
      if (o.endDate !== undefined) entry.contract.endDate = o.endDate;
      if (o.minuteBundle !== undefined) entry.contract.minuteBundle = o.minuteBundle;
      if (o.network === false) entry.network = { enabled: false };
      s.sites = [...s.sites.filter((x) => x.site !== site), entry];
    });
  }
  withOccupancy(site: string, space: string, movedIn: string, movedOut?: string): OccupierBuilder {
    return this.#with((s) => {
      const e = this.#entry(s, site);
      e.occupancies = [...(e.occupancies ?? []), movedOut === undefined ? { space, movedIn } : { space, movedIn, movedOut }];
    });
  }
  withService(site: string, name: string, o: Partial<Omit<Service, 'name'>> = {}): OccupierBuilder {
    return this.#with((s) => {
      const e = this.#entry(s, site);
      const svc: Service = { quantity: 1, ...o, name };
      const list = e.services ?? [];
      e.services = list.some((x) => x.name === name) ? list.map((x) => (x.name === name ? svc : x)) : [...list, svc];
    });
  }
  withNumber(site: string, number: string, main = false): OccupierBuilder {
    return this.#with((s) => {
      const e = this.#entry(s, site);
      e.numbers = [...(e.numbers ?? []), { number, main }];
    });
  }
  withPort(site: string, name: string, switchName?: string): OccupierBuilder {
    return this.#with((s) => {
      const e = this.#entry(s, site);
      e.ports = [...(e.ports ?? []), switchName === undefined ? { name } : { name, switch: switchName }];
    });
  }
  withWifiDevice(site: string, name: string, mac = '00:1a:2b:3c:4d:5e'): OccupierBuilder {
    return this.#with((s) => {
      const e = this.#entry(s, site);
      e.wifiDevices = [...(e.wifiDevices ?? []), { name, mac }];
    });
  }
  /** A user with access to `sites` (default: every site so far). */
  withUser(email: string, o: Partial<Omit<User, 'email'>> = {}): OccupierBuilder {
    return this.#with((s) => {
      const u: User = { name: email.split('@')[0] ?? email, sites: s.sites.map((x) => x.site), wifi: true, portal: true, ...o, email };
      s.users = [...(s.users ?? []), u];
    });
  }
  reseller(): OccupierBuilder {
    return this.#with((s) => (s.reseller = true));
  }
  customerOf(reseller: string): OccupierBuilder {
    return this.#with((s) => (s.resellerRef = { name: reseller }));
  }
  phase(phase: OccupierPhase): OccupierBuilder {
    return this.#withStatus((st) => (st.phase = phase));
  }
  activeOrder(kind: OrderKind, name: string): OccupierBuilder {
    return this.#withStatus((st) => (st.activeOrder = { kind, name }));
  }
  build(): OccupierResource {
    const o: OccupierResource = {
      apiVersion: API_VERSION,
      kind: 'Occupier',
      metadata: { name: this.#name, namespace: 'occupiers' },
      spec: structuredClone(this.#spec),
    };
    if (this.#status) o.status = structuredClone(this.#status);
    return o;
  }
}

/** An occupier with no sites yet (add them with `withSite`). */
export function occupier(name: string): OccupierBuilder {
  return new OccupierBuilder(name, { displayName: name, reseller: false, deletionPolicy: 'Decommission', sites: [] });
}

// ---------------------------------------------------------------------------------------
// Orders
// ---------------------------------------------------------------------------------------

/** An order summary (phase Pending, created at 2026-01-01 unless given). */
export function order(kind: OrderKind, name: string, occupierName: string, o: Partial<OrderSummary> = {}): OrderSummary {
  return { kind, name, occupier: occupierName, phase: 'Pending', createdAt: '2026-01-01T00:00:00Z', ...o };
}

/** A valid Decommission spec for `occupierName`. */
export function decommissionSpec(occupierName: string, o: Partial<DecommissionSpec> = {}): DecommissionSpec {
  return {
    occupierRef: { name: occupierName },
    approval: 'Automatic',
    confirm: { occupierName, irreversible: true },
    ...o,
  };
}

/** A SiteMove spec from `from` to `to` (tariff standard-2026, services copied, numbers released). */
export function siteMoveSpec(occupierName: string, from: string, to: string, o: Partial<SiteMoveSpec> = {}): SiteMoveSpec {
  return {
    occupierRef: { name: occupierName },
    approval: 'Automatic',
    from,
    to,
    tariff: 'standard-2026',
    copyServices: true,
    telephony: 'Release',
    ...o,
  };
}

/** A CustomerMove spec moving `occupierName` under `toReseller`. */
export function customerMoveSpec(occupierName: string, toReseller: string, o: Partial<CustomerMoveSpec> = {}): CustomerMoveSpec {
  return { occupierRef: { name: occupierName }, approval: 'Automatic', toReseller: { name: toReseller }, ...o };
}
