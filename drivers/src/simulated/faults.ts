/**
 * Latency and fault injection for the simulated driver, from `driverRef.settings` (all strings):
 *
 * | setting | effect |
 * | --- | --- |
 * | `latencyMs` | every call waits this long (wall clock, abortable) |
 * | `failRate` | 0..1: share of calls that fail Transient `InjectedFault`, drawn from a PRNG seeded by `seed` (default 1) |
 * | `failOnStep` | steps that fail Permanent `InjectedFailure` |
 * | `transientOnStep` | `<step>:<n>`: the first n matching calls of each item fail Transient `InjectedFault`, then succeed |
 * | `stuckStep` | steps whose ensure/remove stay `InProgress` forever |
 * | `slowStep` + `slowMs` | matching calls wait `slowMs` more (to exercise time-outs) |
 * | `asyncMs` | ensure/remove that change something return `InProgress` until this much backend-clock time has passed |
 *
 * A step is a pattern of `/`-separated parts, each a capability, an item type or an operation,
 * all of which must match the call: `ensure`, `number`, `telephony/remove`, `billing/service/ensure`,
 * or `*`. Lists are comma-separated: `failOnStep=wifi/device,access/user/remove`.
 */
import { DriverError, REASONS } from '../contract.ts';

export interface FaultSettings {
  latencyMs: number;
  failRate: number;
  seed: number;
  failOnStep: string[];
  transientOnStep: { step: string; times: number }[];
  stuckStep: string[];
  slowStep: string[];
  slowMs: number;
  asyncMs: number;
}

export const SETTING_NAMES = ['latencyMs', 'failRate', 'seed', 'failOnStep', 'transientOnStep', 'stuckStep', 'slowStep', 'slowMs', 'asyncMs'] as const;

function number(settings: Record<string, string>, name: string, min: number, max: number, fallback: number): number {
  const raw = settings[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < min || n > max) throw DriverError.permanent(REASONS.InvalidSettings, `simulated driver setting ${name}=${raw} must be a number in ${min}..${max}`);
  return n;
}

const list = (raw: string | undefined): string[] => (raw ?? '').split(',').map((s) => s.trim()).filter((s) => s.length > 0);

/** Parses `driverRef.settings`; a bad value is a Permanent `InvalidSettings` error. */
export function parseFaultSettings(settings: Record<string, string> = {}): FaultSettings {
  for (const name of Object.keys(settings)) {
    if (!(SETTING_NAMES as readonly string[]).includes(name)) throw DriverError.permanent(REASONS.InvalidSettings, `unknown simulated driver setting ${name} (known: ${SETTING_NAMES.join(', ')})`);
  }
  const transientOnStep = list(settings['transientOnStep']).map((entry) => {
    const at = entry.lastIndexOf(':');
    const times = Number(entry.slice(at + 1));
    if (at <= 0 || !Number.isInteger(times) || times < 0) throw DriverError.permanent(REASONS.InvalidSettings, `transientOnStep entry ${entry} must be <step>:<n>`);
    return { step: entry.slice(0, at), times };
  });
  return {
    latencyMs: number(settings, 'latencyMs', 0, 600_000, 0),
    failRate: number(settings, 'failRate', 0, 1, 0),
    seed: number(settings, 'seed', 0, 2 ** 32 - 1, 1),
    failOnStep: list(settings['failOnStep']),
    transientOnStep,
    stuckStep: list(settings['stuckStep']),
    slowStep: list(settings['slowStep']),
    slowMs: number(settings, 'slowMs', 0, 3_600_000, 0),
    asyncMs: number(settings, 'asyncMs', 0, 86_400_000, 0),
  };
}

export interface StepCall {
  capability: string;
  type: string;
  op: string;
}

/** Whether a step pattern matches a call. */
export function matchesStep(pattern: string, call: StepCall): boolean {
  if (pattern === '*') return true;
  return pattern.split('/').every((part) => part === call.capability || part === call.type || part === call.op);
}

/** mulberry32: a small seeded PRNG, so fault runs are repeatable. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** Resolves after `ms` (wall clock) or rejects with the signal's reason. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason as Error);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal.reason as Error);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** The fault state of one driver instance (PRNG position, transient counters). */
export class FaultInjector {
  readonly settings: FaultSettings;
  private readonly random: () => number;
  private readonly transientSeen = new Map<string, number>();

  constructor(settings: FaultSettings) {
    this.settings = settings;
    this.random = seededRandom(settings.seed);
  }

  /** Waits the configured latency, then throws an injected error if one is due. `item` identifies the item for transientOnStep. */
  async before(call: StepCall, item: string, signal: AbortSignal): Promise<void> {
    const s = this.settings;
    const slow = s.slowStep.some((p) => matchesStep(p, call)) ? s.slowMs : 0;
    await sleep(s.latencyMs + slow, signal);
    const what = `${call.capability}/${call.type} ${call.op}`;
    if (s.failOnStep.some((p) => matchesStep(p, call))) throw DriverError.permanent(REASONS.InjectedFailure, `injected permanent failure on ${what}`);
    for (const { step, times } of s.transientOnStep) {
      if (!matchesStep(step, call)) continue;
      const counter = `${step}|${item}|${call.op}`;
      const seen = this.transientSeen.get(counter) ?? 0;
      if (seen < times) {
        this.transientSeen.set(counter, seen + 1);
        throw DriverError.transient(REASONS.InjectedFault, `injected transient failure ${seen + 1}/${times} on ${what}`);
      }
    }
    if (s.failRate > 0 && this.random() < s.failRate) throw DriverError.transient(REASONS.InjectedFault, `injected transient failure (failRate ${s.failRate}) on ${what}`);
  }

  /** Whether a mutating call should stay InProgress forever. */
  stuck(call: StepCall): boolean {
    return (call.op === 'ensure' || call.op === 'remove') && this.settings.stuckStep.some((p) => matchesStep(p, call));
  }
}
