/** The `simulated` driver: fault injection and latency (see `faults.ts`) in front of a `SimulatedBackend`. */
import { fingerprint, toDriverError } from '../contract.ts';
import type { Driver, DriverError, EnsureCall, ListCall, ListedItem, ObserveCall, Observation, Outcome, RemoveCall } from '../contract.ts';
import type { SimulatedBackend } from './backend.ts';
import { FaultInjector, parseFaultSettings } from './faults.ts';
import type { StepCall } from './faults.ts';

export interface SimulatedDriverOptions {
  backend: SimulatedBackend;
  /** `driverRef.settings`; invalid settings make every call fail Permanent `InvalidSettings`. */
  settings?: Record<string, string>;
}

const STUCK_RETRY_MS = 5_000;

export class SimulatedDriver implements Driver {
  readonly name = 'simulated';
  readonly backend: SimulatedBackend;
  private readonly faults: FaultInjector | undefined;
  private readonly settingsError: DriverError | undefined;

  constructor(options: SimulatedDriverOptions) {
    this.backend = options.backend;
    try {
      this.faults = new FaultInjector(parseFaultSettings(options.settings));
    } catch (err) {
      this.settingsError = toDriverError(err);
    }
  }

  private async guard<R>(call: StepCall, item: string, signal: AbortSignal, fn: () => R): Promise<R> {
    if (this.settingsError) throw this.settingsError;
    await this.faults?.before(call, item, signal);
    if (signal.aborted) throw toDriverError(signal.reason);
    return fn();
  }

  private get asyncMs(): number {
    return this.faults?.settings.asyncMs ?? 0;
  }

  observe(call: ObserveCall): Promise<Observation> {
    const { ref } = call;
    return this.guard({ ...ref, op: 'observe' }, `${call.site.name}|${ref.key}`, call.signal, () => this.backend.observe(call.site, ref, call.desired));
  }

  ensure(call: EnsureCall): Promise<Outcome> {
    const { item } = call;
    const step = { capability: item.capability, type: item.type, op: 'ensure' };
    return this.guard(step, `${call.site.name}|${item.key}`, call.signal, (): Outcome => {
      if (this.faults?.stuck(step)) return { state: 'InProgress', taskRef: `stuck-${fingerprint(call.idempotencyKey)}`, retryAfterMs: STUCK_RETRY_MS };
      return this.backend.ensure(call.site, item, call.idempotencyKey, this.asyncMs);
    });
  }

  remove(call: RemoveCall): Promise<Outcome> {
    const { ref } = call;
    const step = { ...ref, op: 'remove' };
    return this.guard(step, `${call.site.name}|${ref.key}`, call.signal, (): Outcome => {
      if (this.faults?.stuck(step)) return { state: 'InProgress', taskRef: `stuck-${fingerprint(call.idempotencyKey)}`, retryAfterMs: STUCK_RETRY_MS };
      return this.backend.remove(call.site, ref, call.idempotencyKey, this.asyncMs);
    });
  }

  list(call: ListCall): Promise<ListedItem[]> {
    return this.guard({ capability: call.capability, type: call.type, op: 'list' }, call.site.name, call.signal, () =>
      this.backend.list(call.site, call.capability, call.type, call.occupier),
    );
  }

  /** State of a task this driver returned; stuck tasks stay InProgress. */
  task(taskRef: string): Outcome | undefined {
    if (taskRef.startsWith('stuck-')) return { state: 'InProgress', taskRef, retryAfterMs: STUCK_RETRY_MS };
    return this.backend.task(taskRef);
  }

  async close(): Promise<void> {
    // The backend is shared; its owner closes it.
  }
}
