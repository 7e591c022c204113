import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeDriverContract } from './contract-suite.ts';
import type { ContractHarness } from './contract-suite.ts';
import { SimulatedBackend, SimulatedDriver } from './simulated/index.ts';

/** The simulated driver over a backend persisted in a temp dir; restart = reopen the dir. */
async function simulatedHarness(): Promise<ContractHarness> {
  const dir = mkdtempSync(join(tmpdir(), 'sim-contract-'));
  let now = Date.parse('2026-11-01T12:00:00Z');
  const clock = { now: () => now };
  let backend = new SimulatedBackend({ stateDir: dir, clock });
  return {
    driver: async (settings) => new SimulatedDriver({ backend, ...(settings ? { settings } : {}) }),
    restart: async () => {
      backend.close();
      backend = new SimulatedBackend({ stateDir: dir, clock });
    },
    advance: (ms) => {
      now += ms;
    },
    counts: (ref) => backend.counts(ref),
    simulateHandsetLogin: (number, loggedIn) => backend.simulateHandsetLogin(number, loggedIn),
    close: async () => {
      backend.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

describeDriverContract('simulated', simulatedHarness);
