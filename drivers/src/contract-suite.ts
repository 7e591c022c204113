/**
 * The contract test suite every driver must pass. `describeDriverContract(name, factory)`
 * registers vitest tests against a harness: a way to get drivers (with the simulated
 * fault-injection settings applied wherever the backend is), to restart (new driver instances
 * over the same persisted state), and to move the backend clock.
 *
 * Assertions use only the contract (observe, ensure, remove, list); where the harness can count
 * external writes (`counts`), "allocated exactly once" and "removed exactly once" are checked too.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { callDriver } from './call.ts';
import { DriverError, idempotencyKey } from './contract.ts';
import type { Driver, Item, ItemRef, Outcome, SiteContext } from './contract.ts';
import type { ItemCounts, SiteItemRef } from './simulated/backend.ts';

export interface ContractHarness {
  /** A driver over the current backend state, with simulated fault settings (`driverRef.settings`). */
  driver(settings?: Record<string, string>): Promise<Driver>;
  /** An operator restart: drop every driver, reopen the persisted state, new drivers from now on. */
  restart(): Promise<void>;
  /** Move the backend clock forward. */
  advance(ms: number): void;
  /** External writes to one item, when the harness can see them. */
  counts?(ref: SiteItemRef): ItemCounts;
  /** Test hooks of the backend behind the driver. */
  simulateHandsetLogin?(number: string, loggedIn: boolean): void;
  close(): Promise<void>;
}

export type HarnessFactory = () => Promise<ContractHarness>;

/** A small site, so exhaustion is reachable: 4 VLANs, 4 /26 subnets, 10 numbers, 2 ports. */
export const CONTRACT_SITE: SiteContext = {
  name: 'contract-site',
  network: { vlanRange: { from: 100, to: 103 }, ipv4Pool: '10.20.0.0/24', subnetPrefixLength: 26 },
  telephony: { numberBlocks: [{ start: '+442070460000', count: 10 }], coolingOffDays: 90 },
  switches: [{ name: 'sw-1', ports: 2 }],
};

const DAY = 86_400_000;
const UID = 'occ-uid-1';

function signal(): AbortSignal {
  return AbortSignal.timeout(10_000);
}

async function ensure(driver: Driver, item: Item, key = idempotencyKey(UID, item.capability, item.type, item.key, item.spec)): Promise<Outcome> {
  return driver.ensure({ site: CONTRACT_SITE, signal: signal(), item, idempotencyKey: key });
}

async function remove(driver: Driver, ref: ItemRef, key = idempotencyKey(UID, 'remove', ref.capability, ref.type, ref.key)): Promise<Outcome> {
  return driver.remove({ site: CONTRACT_SITE, signal: signal(), ref, idempotencyKey: key });
}

async function observe(driver: Driver, ref: ItemRef, desired?: unknown) {
  return driver.observe({ site: CONTRACT_SITE, signal: signal(), ref, ...(desired === undefined ? {} : { desired }) });
}

async function rejection(p: Promise<unknown>): Promise<DriverError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(DriverError);
    return err as DriverError;
  }
  throw new Error('expected the call to fail');
}

const network = (occupier: string): Item => ({ capability: 'network', type: 'allocation', key: occupier, spec: { occupier } });
const numberItem = (number: string, occupier: string, extra: Record<string, unknown> = {}): Item => ({ capability: 'telephony', type: 'number', key: number, spec: { occupier, ...extra } });
const device = (mac: string, occupier: string): Item => ({ capability: 'wifi', type: 'device', key: mac, spec: { occupier, mac, name: 'printer-1' } });
const service = (occupier: string, quantity: number): Item => ({ capability: 'billing', type: 'service', key: `${occupier}/internet-100`, spec: { occupier, name: 'internet-100', quantity } });
const at = (ref: ItemRef): SiteItemRef => ({ site: CONTRACT_SITE.name, capability: ref.capability, type: ref.type, key: ref.key });

export function describeDriverContract(name: string, factory: HarnessFactory): void {
  describe(`driver contract: ${name}`, () => {
    let h: ContractHarness;
    beforeEach(async () => {
      h = await factory();
    });
    afterEach(async () => {
      await h.close();
    });

    it('ensure creates the item and observe reports it, up to date only against the same spec', async () => {
      const d = await h.driver();
      const out = await ensure(d, network('occ-a'));
      expect(out).toEqual({ state: 'Done', details: { vlan: 100, subnet: '10.20.0.0/26', gateway: '10.20.0.1', prefixLength: 26 } });
      const seen = await observe(d, network('occ-a'), { occupier: 'occ-a' });
      expect(seen).toEqual({ exists: true, upToDate: true, details: out.state === 'Done' ? out.details : undefined });
      expect((await observe(d, service('occ-a', 1))).exists).toBe(false);
      await ensure(d, service('occ-a', 1));
      expect((await observe(d, service('occ-a', 1), { occupier: 'occ-a', name: 'internet-100', quantity: 2 })).upToDate).toBe(false);
    });

    it('allocates without overlap: each occupier its own VLAN and subnet, gateway the first host', async () => {
      const d = await h.driver();
      const details = [];
      for (const occ of ['occ-a', 'occ-b', 'occ-c']) {
        const out = await ensure(d, network(occ));
        details.push(out.state === 'Done' ? (out.details as { vlan: number; subnet: string; gateway: string }) : undefined);
      }
      expect(details.map((x) => x?.vlan)).toEqual([100, 101, 102]);
      expect(details.map((x) => x?.subnet)).toEqual(['10.20.0.0/26', '10.20.0.64/26', '10.20.0.128/26']);
      expect(details.map((x) => x?.gateway)).toEqual(['10.20.0.1', '10.20.0.65', '10.20.0.129']);
    });

    it('is idempotent under retries: the same key twice, or a new key for the same item, allocates once', async () => {
      const d = await h.driver();
      const key = idempotencyKey(UID, 'contract-site', 'network');
      const first = await ensure(d, network('occ-a'), key);
      const again = await ensure(d, network('occ-a'), key);
      const newKey = await ensure(d, network('occ-a'), idempotencyKey(UID, 'contract-site', 'network', 'retry'));
      expect(again).toEqual(first);
      expect(newKey).toEqual(first);
      const other = await ensure(d, network('occ-b'));
      expect(other.state === 'Done' && (other.details as { vlan: number }).vlan).toBe(101);
      if (h.counts) expect(h.counts(at(network('occ-a')))).toEqual({ creates: 1, updates: 0, removes: 0 });
    });

    it('allocates once under concurrent retries, and distinct items concurrently without overlap', async () => {
      const d = await h.driver({ latencyMs: '20' });
      const key = idempotencyKey(UID, 'net-concurrent');
      const same = await Promise.all(Array.from({ length: 8 }, () => ensure(d, network('occ-a'), key)));
      expect(new Set(same.map((o) => JSON.stringify(o))).size).toBe(1);
      const others = await Promise.all(['occ-b', 'occ-c', 'occ-d'].map((o) => ensure(d, network(o))));
      const vlans = [same[0], ...others].map((o) => (o?.state === 'Done' ? (o.details as { vlan: number }).vlan : -1));
      expect(vlans.slice().sort()).toEqual([100, 101, 102, 103]);
      if (h.counts) expect(h.counts(at(network('occ-a'))).creates).toBe(1);
    });

    it('gives a freed VLAN and subnet to the next occupier (lowest free first)', async () => {
      const d = await h.driver();
      for (const occ of ['occ-a', 'occ-b', 'occ-c']) await ensure(d, network(occ));
      await remove(d, network('occ-b'));
      expect(await ensure(d, network('occ-d'))).toMatchObject({ details: { vlan: 101, subnet: '10.20.0.64/26' } });
      expect(await ensure(d, network('occ-e'))).toMatchObject({ details: { vlan: 103, subnet: '10.20.0.192/26' } });
    });

    it('refuses an idempotency key reused for a different request (Permanent IdempotencyKeyReused)', async () => {
      const d = await h.driver();
      await ensure(d, network('occ-a'), 'same-key');
      const err = await rejection(ensure(d, network('occ-b'), 'same-key'));
      expect([err.code, err.reason]).toEqual(['Permanent', 'IdempotencyKeyReused']);
    });

    it('goes from InProgress (task reference, retry-after) to Done when the same call is repeated', async () => {
      const d = await h.driver({ asyncMs: '5000' });
      const item = service('occ-a', 3);
      const first = await ensure(d, item);
      expect(first.state).toBe('InProgress');
      if (first.state !== 'InProgress') return;
      expect(first.taskRef).not.toBe('');
      expect(first.retryAfterMs).toBeGreaterThan(0);
      expect((await observe(d, item)).details).toMatchObject({ state: 'Provisioning', quantity: 3 });
      const second = await ensure(d, item);
      expect(second).toMatchObject({ state: 'InProgress', taskRef: first.taskRef });
      h.advance(5_000);
      const done = await ensure(d, item);
      expect(done).toMatchObject({ state: 'Done', details: { state: 'Active', quantity: 3 } });
      if (h.counts) expect(h.counts(at(item)).creates).toBe(1);
    });

    it('follows an InProgress task across a restart and finishes it once', async () => {
      const d = await h.driver({ asyncMs: '60000' });
      const item = numberItem('+442070460009', 'occ-a');
      const key = idempotencyKey(UID, 'number-across-restart');
      const first = await ensure(d, item, key);
      expect(first.state).toBe('InProgress');
      await h.restart();
      const d2 = await h.driver({ asyncMs: '60000' });
      expect(await ensure(d2, item, key)).toMatchObject({ state: 'InProgress', taskRef: first.state === 'InProgress' ? first.taskRef : '' });
      h.advance(60_000);
      expect(await ensure(d2, item, key)).toMatchObject({ state: 'Done', details: { occupier: 'occ-a', state: 'Allocated' } });
      if (h.counts) expect(h.counts(at(item))).toEqual({ creates: 1, updates: 0, removes: 0 });
    });

    it('fails transient faults as Transient and succeeds on retry without allocating twice', async () => {
      const d = await h.driver({ transientOnStep: 'network/ensure:2' });
      const key = idempotencyKey(UID, 'net');
      for (let i = 0; i < 2; i++) {
        const err = await rejection(ensure(d, network('occ-a'), key));
        expect([err.code, err.reason]).toEqual(['Transient', 'InjectedFault']);
      }
      expect(await ensure(d, network('occ-a'), key)).toMatchObject({ state: 'Done', details: { vlan: 100 } });
      if (h.counts) expect(h.counts(at(network('occ-a'))).creates).toBe(1);
    });

    it('fails permanent faults and broken rules as Permanent with a reason', async () => {
      const injected = await rejection(ensure(await h.driver({ failOnStep: 'telephony' }), numberItem('+442070460001', 'occ-a')));
      expect([injected.code, injected.reason]).toEqual(['Permanent', 'InjectedFailure']);
      const d = await h.driver();
      const notInPool = await rejection(ensure(d, numberItem('+442070469999', 'occ-a')));
      expect([notInPool.code, notInPool.reason]).toEqual(['Permanent', 'NotInPool']);
      await ensure(d, device('00:1a:2b:3c:4d:5e', 'occ-a'));
      const macInUse = await rejection(ensure(d, device('00:1a:2b:3c:4d:5e', 'occ-b')));
      expect([macInUse.code, macInUse.reason]).toEqual(['Permanent', 'MacInUse']);
      const bad = await rejection(ensure(d, { capability: 'network', type: 'allocation', key: 'x', spec: { occupier: 5 } }));
      expect([bad.code, bad.reason]).toEqual(['Permanent', 'InvalidSpec']);
    });

    it('reports exhaustion as Permanent PoolExhausted', async () => {
      const d = await h.driver();
      for (const occ of ['a', 'b', 'c', 'd']) await ensure(d, network(occ));
      const err = await rejection(ensure(d, network('e')));
      expect([err.code, err.reason]).toEqual(['Permanent', 'PoolExhausted']);
    });

    it('observes the same items after a restart, and a replayed call does not allocate again', async () => {
      const d = await h.driver();
      const key = idempotencyKey(UID, 'net-after-restart');
      const before = await ensure(d, network('occ-a'), key);
      await ensure(d, numberItem('+442070460002', 'occ-a', { assignedTo: 'ann@example.com' }));
      await h.restart();
      const d2 = await h.driver();
      expect(await observe(d2, network('occ-a'))).toMatchObject({ exists: true, details: before.state === 'Done' ? before.details : {} });
      expect((await observe(d2, numberItem('+442070460002', 'occ-a'))).details).toMatchObject({ state: 'Assigned', assignedTo: 'ann@example.com' });
      expect(await ensure(d2, network('occ-a'), key)).toEqual(before);
      expect(await ensure(d2, network('occ-b'))).toMatchObject({ details: { vlan: 101 } });
      if (h.counts) expect(h.counts(at(network('occ-a'))).creates).toBe(1);
    });

    it('removes once: remove twice (same or new key) is Done and observe shows it gone', async () => {
      const d = await h.driver();
      await ensure(d, network('occ-a'));
      expect((await remove(d, network('occ-a'))).state).toBe('Done');
      expect((await remove(d, network('occ-a'))).state).toBe('Done');
      expect((await remove(d, network('occ-a'), 'another-key')).state).toBe('Done');
      expect((await observe(d, network('occ-a'))).exists).toBe(false);
      if (h.counts) expect(h.counts(at(network('occ-a')))).toEqual({ creates: 1, updates: 0, removes: 1 });
      expect(await ensure(d, network('occ-b'))).toMatchObject({ details: { vlan: 100 } });
    });

    it('puts a deallocated number into cooling-off, then releases it', async () => {
      const d = await h.driver();
      await ensure(d, numberItem('+442070460005', 'occ-a'));
      expect(await remove(d, numberItem('+442070460005', 'occ-a'))).toMatchObject({ state: 'Done', details: { state: 'CoolingOff' } });
      expect((await observe(d, numberItem('+442070460005', 'x'))).details).toMatchObject({ state: 'CoolingOff' });
      const err = await rejection(ensure(d, numberItem('+442070460005', 'occ-b')));
      expect([err.code, err.reason]).toEqual(['Permanent', 'NumberCoolingOff']);
      h.advance(90 * DAY);
      expect((await observe(d, numberItem('+442070460005', 'x'))).details).toMatchObject({ state: 'Available' });
      expect(await ensure(d, numberItem('+442070460005', 'occ-b'))).toMatchObject({ state: 'Done', details: { occupier: 'occ-b', state: 'Allocated' } });
    });

    it('transfers a number between occupiers only when asked', async () => {
      const d = await h.driver();
      await ensure(d, numberItem('+442070460007', 'occ-a'));
      const inUse = await rejection(ensure(d, numberItem('+442070460007', 'occ-b')));
      expect(inUse.reason).toBe('NumberInUse');
      expect(await ensure(d, numberItem('+442070460007', 'occ-b', { transferFrom: 'occ-a' }))).toMatchObject({ details: { occupier: 'occ-b' } });
    });

    it('freezes, deactivates and observes handset login state', async () => {
      const d = await h.driver();
      await ensure(d, numberItem('+442070460008', 'occ-a', { assignedTo: 'ann@example.com' }));
      h.simulateHandsetLogin?.('+442070460008', true);
      if (h.simulateHandsetLogin) expect((await observe(d, { capability: 'telephony', type: 'handset', key: '+442070460008' })).details).toEqual({ number: '+442070460008', loggedIn: true });
      await ensure(d, numberItem('+442070460008', 'occ-a', { assignedTo: 'ann@example.com', state: 'Frozen' }));
      const frozen = await rejection(ensure(d, numberItem('+442070460008', 'occ-a', { assignedTo: 'bob@example.com', state: 'Frozen' })));
      expect(frozen.reason).toBe('NumberFrozen');
      expect(await ensure(d, numberItem('+442070460008', 'occ-a', { state: 'Frozen' }))).toMatchObject({ details: { state: 'Frozen' } });
      expect(await ensure(d, numberItem('+442070460008', 'occ-a', { state: 'Deactivated' }))).toMatchObject({ details: { state: 'Deactivated' } });
    });

    it('lists the items of one occupier', async () => {
      const d = await h.driver();
      await ensure(d, service('occ-a', 1));
      await ensure(d, service('occ-b', 1));
      const listed = await d.list({ site: CONTRACT_SITE, signal: signal(), capability: 'billing', type: 'service', occupier: 'occ-a' });
      expect(listed.map((i) => i.key)).toEqual(['occ-a/internet-100']);
    });

    it('stays InProgress forever on a stuck step', async () => {
      const d = await h.driver({ stuckStep: 'ports/port' });
      const item: Item = { capability: 'ports', type: 'port', key: 'occ-a/desk-1', spec: { occupier: 'occ-a' } };
      expect((await ensure(d, item)).state).toBe('InProgress');
      h.advance(30 * DAY);
      expect((await ensure(d, item)).state).toBe('InProgress');
    });

    it('times out a hung call as Transient Timeout, and the retry allocates once', async () => {
      const slow = await h.driver({ slowStep: 'network/ensure', slowMs: '20000' });
      const key = idempotencyKey(UID, 'net-timeout');
      const started = Date.now();
      const err = await rejection(
        callDriver({ driver: slow, capability: 'network', op: 'ensure', timeoutMs: 200 }, (s) => slow.ensure({ site: CONTRACT_SITE, signal: s, item: network('occ-a'), idempotencyKey: key })),
      );
      expect([err.code, err.reason]).toEqual(['Transient', 'Timeout']);
      expect(Date.now() - started).toBeLessThan(5_000);
      const d = await h.driver();
      expect(await ensure(d, network('occ-a'), key)).toMatchObject({ state: 'Done', details: { vlan: 100 } });
      if (h.counts) expect(h.counts(at(network('occ-a'))).creates).toBe(1);
    });
  });
}
