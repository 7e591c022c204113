/**
 * Chooses the driver per Site and capability (`Site.spec.drivers`: the capability's entry, else
 * `default`, else `simulated`) and hands out `CapabilityClient`s bound to that site. Every
 * simulated driver shares one `SimulatedBackend` (one outside world per operator); http
 * drivers read their bearer token through the `credentials` seam on every call, so a rotated
 * Secret takes effect without a restart.
 */
import type { Registry } from 'prom-client';
import type { DriverRef, SiteSpec } from '../../operator/src/api/index.ts';
import { CapabilityClient, DriverMetrics } from './call.ts';
import { DriverError, fingerprint, REASONS, siteContext } from './contract.ts';
import type { Capability, Driver, Outcome } from './contract.ts';
import { HttpDriver } from './http/driver.ts';
import { SimulatedBackend } from './simulated/backend.ts';
import type { BackendClock } from './simulated/backend.ts';
import { SimulatedDriver } from './simulated/driver.ts';

/** A Secret reference as a Site holds it (`namespace` absent = the operator's namespace). */
export interface SecretRef {
  name: string;
  namespace?: string | undefined;
}

/**
 * Resolves a Secret to its data, decoded to strings (the caller reads Secrets through the
 * Kubernetes API). The http driver uses the key `token` (or `bearerToken`).
 */
export type CredentialsResolver = (ref: SecretRef) => Promise<Record<string, string>>;

export interface DriverRegistryOptions {
  /** State directory of the simulated backend (absent: memory only). */
  stateDir?: string;
  /** Clock of the simulated backend (cooling-off, bookings, async tasks). */
  clock?: BackendClock;
  /** Use this backend instead of creating one (tests, the reference server). */
  backend?: SimulatedBackend;
  credentials?: CredentialsResolver;
  /**
   * Settings for every simulated driver (e.g. from a ConfigMap or a chaos-run flag), overlaid by
   * the Site's own `settings`.
   */
  simulatedSettings?: Record<string, string>;
  /** Where driver call metrics go (never the global registry). */
  metricsRegistry?: Registry;
  fetch?: typeof fetch;
}

/** The driverRef used when a Site names none. */
export const DEFAULT_DRIVER_REF: DriverRef = { driver: 'simulated', timeoutSeconds: 30 };

/** The driver reference for one capability of a Site: its own entry, else `default`, else simulated. */
export function driverRefFor(spec: Pick<SiteSpec, 'drivers'> | undefined, capability: Capability): DriverRef {
  const drivers = spec?.drivers;
  return drivers?.[capability] ?? drivers?.default ?? DEFAULT_DRIVER_REF;
}

/** A driver whose every call fails (a driverRef that cannot work, e.g. http without endpoint). */
class BrokenDriver implements Driver {
  readonly name: string;
  private readonly error: DriverError;
  constructor(name: string, error: DriverError) {
    this.name = name;
    this.error = error;
  }
  private fail(): Promise<never> {
    return Promise.reject(this.error);
  }
  observe = (): Promise<never> => this.fail();
  ensure = (): Promise<Outcome> => this.fail();
  remove = (): Promise<Outcome> => this.fail();
  list = (): Promise<never> => this.fail();
  close = async (): Promise<void> => undefined;
}

export class DriverRegistry {
  /** The simulated backend every simulated driver shares (tests inspect it). */
  readonly backend: SimulatedBackend;
  readonly metrics: DriverMetrics | undefined;
  private readonly ownsBackend: boolean;
  private readonly drivers = new Map<string, Driver>();
  /** The same drivers by the ref object asked with (refs are read-only: cached Sites). */
  private byRef = new WeakMap<DriverRef, Driver>();
  private readonly options: DriverRegistryOptions;

  constructor(options: DriverRegistryOptions = {}) {
    this.options = options;
    this.ownsBackend = options.backend === undefined;
    this.backend =
      options.backend ?? new SimulatedBackend({ ...(options.stateDir === undefined ? {} : { stateDir: options.stateDir }), ...(options.clock === undefined ? {} : { clock: options.clock }) });
    this.metrics = options.metricsRegistry ? new DriverMetrics(options.metricsRegistry) : undefined;
    this.metrics?.registerDriver('simulated');
    this.metrics?.registerDriver('http');
  }

  /** The driver for a driverRef (one instance per distinct driverRef). */
  driverFor(ref: DriverRef): Driver {
    // Every call of a step asks with the same (cached Site's) ref object: no hashing then.
    const known = this.byRef.get(ref);
    if (known) return known;
    const id = fingerprint(ref);
    let driver = this.drivers.get(id);
    if (!driver) {
      driver = this.create(ref);
      this.drivers.set(id, driver);
    }
    this.byRef.set(ref, driver);
    return driver;
  }

  private create(ref: DriverRef): Driver {
    if (ref.driver === 'simulated') return new SimulatedDriver({ backend: this.backend, settings: { ...this.options.simulatedSettings, ...ref.settings } });
    if (ref.endpoint === undefined) return new BrokenDriver('http', DriverError.permanent(REASONS.InvalidSettings, 'the http driver needs an endpoint'));
    const secret = ref.credentialsSecretRef;
    const resolve = this.options.credentials;
    let token: (() => Promise<string | undefined>) | undefined;
    if (secret) {
      token = async () => {
        if (!resolve) throw new Error(`no credentials resolver to read Secret ${secret.name}`);
        const data = await resolve(secret);
        const value = data['token'] ?? data['bearerToken'];
        if (value === undefined) throw new Error(`Secret ${secret.name} has no "token" key`);
        return value.trim();
      };
    }
    return new HttpDriver({ endpoint: ref.endpoint, ...(token ? { token } : {}), ...(this.options.fetch ? { fetch: this.options.fetch } : {}) });
  }

  /** The typed client of one capability at one Site. */
  client<C extends Capability>(siteName: string, spec: SiteSpec, capability: C): CapabilityClient<C> {
    const ref = driverRefFor(spec, capability);
    const timeoutMs = (ref.timeoutSeconds ?? DEFAULT_DRIVER_REF.timeoutSeconds) * 1000;
    return new CapabilityClient(this.driverFor(ref), siteContext(siteName, spec), capability, timeoutMs, this.metrics);
  }

  /** Closes the drivers and, if this registry created it, the simulated backend (persisting its state). */
  async close(): Promise<void> {
    await Promise.all([...this.drivers.values()].map((d) => d.close()));
    this.drivers.clear();
    this.byRef = new WeakMap();
    if (this.ownsBackend) this.backend.close();
  }
}
