import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeDriverContract } from './contract-suite.ts';
import type { ContractHarness } from './contract-suite.ts';
import { HttpDriver } from './http/driver.ts';
import { startReferenceServer } from './http/server.ts';
import type { ReferenceServer } from './http/server.ts';
import { SimulatedBackend, SimulatedDriver } from './simulated/index.ts';

/**
 * The http driver against the reference server on a loopback port, the simulated backend
 * behind it (fault settings apply server-side, so the client sees real 202/4xx/5xx answers).
 * Restart = close every server, reopen the backend from its directory.
 */
async function httpHarness(): Promise<ContractHarness> {
  const dir = mkdtempSync(join(tmpdir(), 'http-contract-'));
  const token = 'contract-token';
  let now = Date.parse('2026-11-01T12:00:00Z');
  const clock = { now: () => now };
  let backend = new SimulatedBackend({ stateDir: dir, clock });
  let servers: ReferenceServer[] = [];
  const closeServers = async (): Promise<void> => {
    await Promise.all(servers.map((s) => s.close()));
    servers = [];
  };
  return {
    driver: async (settings) => {
      const server = await startReferenceServer({ driver: new SimulatedDriver({ backend, ...(settings ? { settings } : {}) }), token });
      servers.push(server);
      return new HttpDriver({ endpoint: server.url, token: async () => token });
    },
    restart: async () => {
      await closeServers();
      backend.close();
      backend = new SimulatedBackend({ stateDir: dir, clock });
    },
    advance: (ms) => {
      now += ms;
    },
    counts: (ref) => backend.counts(ref),
    simulateHandsetLogin: (number, loggedIn) => backend.simulateHandsetLogin(number, loggedIn),
    close: async () => {
      await closeServers();
      backend.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

describeDriverContract('http + reference server', httpHarness);
