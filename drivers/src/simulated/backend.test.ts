import { appendFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DriverError } from '../contract.ts';
import type { Item, ItemRef, SiteContext } from '../contract.ts';
import { matchesStep, parseFaultSettings, SimulatedBackend, SimulatedDriver } from './index.ts';

const SITE: SiteContext = {
  name: 'lon',
  network: { vlanRange: { from: 10, to: 20 }, ipv4Pool: '10.1.2.3/24', subnetPrefixLength: 28 },
  telephony: { numberBlocks: [{ start: '+442070000000', count: 5 }], coolingOffDays: 1 },
  switches: [
    { name: 'sw-a', ports: 1 },
    { name: 'sw-b', ports: 2 },
  ],
};
const OTHER: SiteContext = { ...SITE, name: 'man' };
const NOW = Date.parse('2026-11-01T12:00:00Z');

let keySeq = 0;
const k = (): string => `key-${keySeq++}`;
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'sim-backend-'));
  dirs.push(dir);
  return dir;
}

function backend(dir?: string) {
  let now = NOW;
  const b = new SimulatedBackend({ ...(dir ? { stateDir: dir } : {}), clock: { now: () => now } });
  return { b, advance: (ms: number) => (now += ms), ensure: (item: Item, site = SITE) => b.ensure(site, item, k()), remove: (ref: ItemRef, site = SITE) => b.remove(site, ref, k()) };
}

function permanent(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(DriverError);
    expect((err as DriverError).code).toBe('Permanent');
    return (err as DriverError).reason;
  }
  throw new Error('expected a Permanent DriverError');
}

const port = (key: string, sw?: string): Item => ({ capability: 'ports', type: 'port', key, spec: { occupier: key.split('/')[0], ...(sw ? { switch: sw } : {}) } });
const accessUser = (email: string, occupier: string, cardId?: string): Item => ({ capability: 'access', type: 'user', key: email, spec: { occupier, email, groups: ['front-door', 'floor-2'], ...(cardId ? { cardId } : {}) } });

describe('simulated backend: pools', () => {
  it('carves subnets from a misaligned pool base and refuses a prefix shorter than the pool', () => {
    const { ensure } = backend();
    expect(ensure({ capability: 'network', type: 'allocation', key: 'a', spec: { occupier: 'a' } })).toEqual({ state: 'Done', details: { vlan: 10, subnet: '10.1.2.0/28', gateway: '10.1.2.1', prefixLength: 28 } });
    expect(ensure({ capability: 'network', type: 'allocation', key: 'b', spec: { occupier: 'b' } })).toMatchObject({ details: { vlan: 11, subnet: '10.1.2.16/28', gateway: '10.1.2.17' } });
    const wide: SiteContext = { ...SITE, name: 'wide', network: { vlanRange: { from: 1, to: 2 }, ipv4Pool: '10.0.0.0/24', subnetPrefixLength: 16 } };
    expect(permanent(() => ensure({ capability: 'network', type: 'allocation', key: 'a', spec: { occupier: 'a' } }, wide))).toBe('NoPool');
    expect(permanent(() => ensure({ capability: 'network', type: 'allocation', key: 'a', spec: { occupier: 'a' } }, { name: 'bare' }))).toBe('NoPool');
  });

  it('allocates ports on a given switch or the first with a free port, and moves between switches', () => {
    const { b, ensure, remove } = backend();
    expect(ensure(port('o1/desk-1'))).toMatchObject({ details: { switch: 'sw-a', port: 1 } });
    expect(ensure(port('o1/desk-2'))).toMatchObject({ details: { switch: 'sw-b', port: 1 } });
    expect(ensure(port('o2/desk-1', 'sw-b'))).toMatchObject({ details: { switch: 'sw-b', port: 2 } });
    expect(permanent(() => ensure(port('o2/desk-2')))).toBe('PoolExhausted');
    expect(permanent(() => ensure(port('o2/desk-2', 'sw-z')))).toBe('UnknownSwitch');
    remove(port('o1/desk-1'));
    expect(ensure(port('o1/desk-2', 'sw-a'))).toMatchObject({ details: { switch: 'sw-a', port: 1 } });
    expect(ensure(port('o2/desk-2'))).toMatchObject({ details: { switch: 'sw-b', port: 1 } });
    expect(b.observe(SITE, { capability: 'ports', type: 'pool', key: '-' }).details).toEqual({ total: 3, allocated: 3 });
    expect(b.counts({ site: 'lon', ...port('o1/desk-2') })).toEqual({ creates: 1, updates: 1, removes: 0 });
  });

  it('counts numbers allocated and cooling off, and releases them after coolingOffDays', () => {
    const { b, ensure, remove, advance } = backend();
    ensure({ capability: 'telephony', type: 'number', key: '+442070000001', spec: { occupier: 'a' } });
    ensure({ capability: 'telephony', type: 'number', key: '+442070000002', spec: { occupier: 'a' } });
    remove({ capability: 'telephony', type: 'number', key: '+442070000002' });
    expect(b.observe(SITE, { capability: 'telephony', type: 'pool', key: '-' }).details).toEqual({ total: 5, allocated: 1, coolingOff: 1 });
    expect(permanent(() => ensure({ capability: 'telephony', type: 'number', key: '+442070000002', spec: { occupier: 'b' } }))).toBe('NumberCoolingOff');
    advance(86_400_000);
    expect(b.observe(SITE, { capability: 'telephony', type: 'pool', key: '-' }).details).toEqual({ total: 5, allocated: 1, coolingOff: 0 });
    expect(ensure({ capability: 'telephony', type: 'number', key: '+442070000002', spec: { occupier: 'b' } })).toMatchObject({ details: { occupier: 'b' } });
    expect(permanent(() => ensure({ capability: 'telephony', type: 'number', key: '+44207', spec: { occupier: 'b' } }))).toBe('InvalidSpec');
  });

  it('moves a number to another site with the occupier (site move), without cooling-off', () => {
    const { b, ensure } = backend();
    const elsewhere: SiteContext = { name: 'man', telephony: { numberBlocks: [{ start: '+441610000000', count: 5 }], coolingOffDays: 90 } };
    ensure({ capability: 'telephony', type: 'number', key: '+442070000004', spec: { occupier: 'a', assignedTo: 'ann@a.com' } });
    expect(permanent(() => ensure({ capability: 'telephony', type: 'number', key: '+442070000004', spec: { occupier: 'a' } }, elsewhere))).toBe('NotInPool');
    expect(permanent(() => ensure({ capability: 'telephony', type: 'number', key: '+442070000004', spec: { occupier: 'b', transferFromSite: 'lon' } }, elsewhere))).toBe('NotFound');
    const moved = ensure({ capability: 'telephony', type: 'number', key: '+442070000004', spec: { occupier: 'a', assignedTo: 'ann@a.com', transferFromSite: 'lon' } }, elsewhere);
    expect(moved).toMatchObject({ state: 'Done', details: { occupier: 'a', state: 'Assigned' } });
    expect(b.observe(SITE, { capability: 'telephony', type: 'number', key: '+442070000004' }).details).toMatchObject({ state: 'NotInPool' });
    expect(permanent(() => ensure({ capability: 'telephony', type: 'number', key: '+442070000004', spec: { occupier: 'c' } }))).toBe('NumberInUse');
    expect(b.observe(elsewhere, { capability: 'telephony', type: 'number', key: '+442070000004' }, { occupier: 'a', assignedTo: 'ann@a.com' }).upToDate).toBe(true);
    expect(ensure({ capability: 'telephony', type: 'number', key: '+442070000004', spec: { occupier: 'a', transferFromSite: 'lon' } }, elsewhere)).toMatchObject({ details: { state: 'Allocated' } });
    expect(b.counts({ site: 'lon', capability: 'telephony', type: 'number', key: '+442070000004' })).toEqual({ creates: 1, updates: 0, removes: 1 });
    expect(b.counts({ site: 'man', capability: 'telephony', type: 'number', key: '+442070000004' })).toEqual({ creates: 1, updates: 1, removes: 0 });
  });

  it('logs handsets out remotely', () => {
    const { b, ensure, remove } = backend();
    ensure({ capability: 'telephony', type: 'number', key: '+442070000003', spec: { occupier: 'a' } });
    b.simulateHandsetLogin('+442070000003', true);
    expect(b.observe(SITE, { capability: 'telephony', type: 'number', key: '+442070000003' }).details).toMatchObject({ handsetLoggedIn: true });
    expect(remove({ capability: 'telephony', type: 'handset', key: '+442070000003' })).toEqual({ state: 'Done', details: { number: '+442070000003', loggedIn: false } });
    expect(b.observe(SITE, { capability: 'telephony', type: 'handset', key: '+442070000003' }).details).toEqual({ number: '+442070000003', loggedIn: false });
  });
});

describe('simulated backend: uniqueness', () => {
  it('keeps card IDs unique per site (any case) and frees them on remove', () => {
    const { b, ensure, remove } = backend();
    ensure(accessUser('ann@a.com', 'a', 'beef01'));
    expect(permanent(() => ensure(accessUser('bob@b.com', 'b', 'BEEF01')))).toBe('CardInUse');
    expect(ensure(accessUser('bob@b.com', 'b', 'BEEF01'), OTHER)).toMatchObject({ state: 'Done' });
    expect(b.observe(SITE, { capability: 'access', type: 'user', key: 'ann@a.com' }).details).toEqual({ occupier: 'a', groups: ['floor-2', 'front-door'], cardId: 'BEEF01' });
    remove({ capability: 'access', type: 'user', key: 'ann@a.com' });
    expect(ensure(accessUser('bob@b.com', 'b', 'beef01'))).toMatchObject({ details: { cardId: 'BEEF01' } });
  });

  it('refuses an email of another occupier at any site, for Wi-Fi and portal accounts', () => {
    const { ensure } = backend();
    const account = (capability: 'wifi' | 'directory', occupier: string): Item => ({ capability, type: 'account', key: 'ann@a.com', spec: { occupier, email: 'ann@a.com', name: 'Ann' } });
    ensure(account('wifi', 'a'));
    ensure(account('directory', 'a'));
    expect(permanent(() => ensure(account('wifi', 'b')))).toBe('EmailInUse');
    expect(permanent(() => ensure(account('wifi', 'b'), OTHER))).toBe('EmailInUse');
    expect(permanent(() => ensure(account('directory', 'b'), OTHER))).toBe('EmailInUse');
    expect(ensure(account('wifi', 'a'), OTHER)).toMatchObject({ details: { username: 'ann@a.com' } });
  });

  it('refuses a MAC registered to another occupier at another site', () => {
    const { ensure } = backend();
    ensure({ capability: 'wifi', type: 'device', key: 'aa:bb:cc:dd:ee:ff', spec: { occupier: 'a', mac: 'AA:BB:CC:DD:EE:FF', name: 'printer' } });
    expect(permanent(() => ensure({ capability: 'wifi', type: 'device', key: 'aa:bb:cc:dd:ee:ff', spec: { occupier: 'b', mac: 'aa:bb:cc:dd:ee:ff', name: 'tv' } }, OTHER))).toBe('MacInUse');
    expect(permanent(() => ensure({ capability: 'wifi', type: 'device', key: 'AA:BB:CC:DD:EE:FF', spec: { occupier: 'a', mac: 'aa:bb:cc:dd:ee:ff', name: 'tv' } }))).toBe('InvalidSpec');
  });
});

describe('simulated backend: billing, records, notify', () => {
  const svc = (spec: Record<string, unknown> = {}): Item => ({ capability: 'billing', type: 'service', key: 'a/internet', spec: { occupier: 'a', name: 'internet', quantity: 2, ...spec } });

  it('reports services Failed or Updating when a test says so, and deprovisions to Inactive', () => {
    const { b, ensure } = backend();
    ensure(svc({ scheduledChanges: [{ date: '2027-01-01', quantity: 5 }] }));
    b.simulateServiceState('lon', 'a/internet', 'Failed', 'line fault');
    expect(b.observe(SITE, svc()).details).toMatchObject({ state: 'Failed', message: 'line fault' });
    expect(permanent(() => ensure(svc({ state: 'Inactive' })))).toBe('ServiceFailed');
    b.simulateServiceState('lon', 'a/internet', 'Updating');
    expect(ensure(svc({ state: 'Inactive' }))).toMatchObject({ state: 'InProgress' });
    b.simulateServiceState('lon', 'a/internet', undefined);
    expect(ensure(svc({ state: 'Inactive', scheduledChanges: [] }))).toEqual({ state: 'Done', details: { occupier: 'a', state: 'Inactive', quantity: 2, scheduledChanges: [] } });
  });

  it('creates call charges only while active and keeps them after stopping', () => {
    const { b, ensure } = backend();
    const charges = (state: string): Item => ({ capability: 'billing', type: 'callCharges', key: 'a', spec: { occupier: 'a', state } });
    expect(b.simulateCallCharge('lon', 'a', '+442070000001', 12)).toBe(false);
    ensure(charges('Active'));
    expect(b.simulateCallCharge('lon', 'a', '+442070000001', 12)).toBe(true);
    expect(b.simulateCallCharge('lon', 'a', '+442070000001', 30)).toBe(true);
    expect(ensure(charges('Stopped'))).toMatchObject({ details: { state: 'Stopped', count: 2, totalPence: 42 } });
    expect(b.simulateCallCharge('lon', 'a', '+442070000001', 5)).toBe(false);
    expect(b.list(SITE, 'billing', 'callCharge', 'a').map((c) => (c.details as { pence: number }).pence)).toEqual([12, 30]);
  });

  it('unassigns upcoming bookings and anonymises historical ones, still findable by the former occupier', () => {
    const { b, ensure } = backend();
    const booking = (key: string, start: string, spec: Record<string, unknown>): Item => ({ capability: 'billing', type: 'booking', key, spec: { resource: 'room-1', start, end: start.replace('T10', 'T11'), ...spec } });
    ensure(booking('b1', '2026-12-01T10:00:00Z', { occupier: 'a', userEmail: 'ann@a.com', userName: 'Ann' }));
    ensure(booking('b2', '2026-10-01T10:00:00Z', { occupier: 'a', userEmail: 'ann@a.com', userName: 'Ann' }));
    expect(ensure(booking('b1', '2026-12-01T10:00:00Z', {}))).toMatchObject({ details: { formerOccupier: 'a', when: 'Upcoming' } });
    const anonymised = ensure(booking('b2', '2026-10-01T10:00:00Z', { occupier: 'a' }));
    expect(anonymised).toMatchObject({ details: { occupier: 'a', when: 'Historical' } });
    expect(anonymised.state === 'Done' && anonymised.details).not.toHaveProperty('userName');
    expect(b.list(SITE, 'billing', 'booking', 'a').map((x) => x.key).sort()).toEqual(['b1', 'b2']);
  });

  it('keeps access logs after the user is removed', () => {
    const { b, ensure, remove } = backend();
    ensure(accessUser('ann@a.com', 'a', 'cafe'));
    expect(b.simulateAccessEvent('lon', 'ann@a.com', 'front-door')).toBe(true);
    remove({ capability: 'access', type: 'user', key: 'ann@a.com' });
    expect(b.simulateAccessEvent('lon', 'ann@a.com', 'front-door')).toBe(false);
    expect(b.list(SITE, 'access', 'accessLog', 'a').map((l) => l.details)).toEqual([{ at: '2026-11-01T12:00:00.000Z', occupier: 'a', email: 'ann@a.com', door: 'front-door', cardId: 'CAFE' }]);
  });

  it('archives history and reads it back', () => {
    const { b, ensure } = backend();
    const history = { contracts: [{ status: 'Completed', endDate: '2026-10-31' }], callCharges: [{ pence: 12 }, { pence: 30 }] };
    ensure({ capability: 'records', type: 'archive', key: 'a', spec: { occupier: 'a', history } });
    const seen = b.observe(SITE, { capability: 'records', type: 'archive', key: 'a' });
    expect(seen.details).toMatchObject({ counts: { contracts: 1, occupancies: 0, services: 0, callCharges: 2, accessLogs: 0, bookings: 0 }, history: { contracts: history.contracts, callCharges: history.callCharges } });
    expect((seen.details as { recordRef: string }).recordRef).toMatch(/^record-/);
  });

  it('sends a message once; remove does not unsend it', () => {
    const { b, ensure, remove } = backend();
    const msg: Item = { capability: 'notify', type: 'message', key: 'move-done', spec: { recipients: ['ops@example.com'], subject: 'Moved', body: 'Done' } };
    ensure(msg);
    ensure(msg);
    remove(msg);
    expect(b.counts({ site: 'lon', ...msg })).toEqual({ creates: 1, updates: 0, removes: 0 });
    expect(b.observe(SITE, msg).exists).toBe(true);
  });

  it('refuses observe-only types and unknown types', () => {
    const { ensure, remove } = backend();
    expect(permanent(() => ensure({ capability: 'network', type: 'pool', key: '-', spec: {} }))).toBe('NotSupported');
    expect(permanent(() => remove({ capability: 'access', type: 'accessLog', key: 'x' }))).toBe('NotSupported');
    expect(permanent(() => ensure({ capability: 'network', type: 'router', key: '-', spec: {} }))).toBe('NotSupported');
  });
});

describe('simulated backend: persistence', () => {
  it('recovers every reported change after a kill (no close), ignoring a torn last journal line', () => {
    const dir = tempDir();
    const first = backend(dir);
    first.ensure({ capability: 'network', type: 'allocation', key: 'a', spec: { occupier: 'a' } });
    first.ensure(port('a/desk-1'));
    appendFileSync(join(dir, 'simulated-journal.jsonl'), '{"c":"item|lon|ne');
    const second = backend(dir);
    expect(second.b.observe(SITE, { capability: 'network', type: 'allocation', key: 'a' }).details).toMatchObject({ vlan: 10 });
    expect(second.ensure({ capability: 'network', type: 'allocation', key: 'b', spec: { occupier: 'b' } })).toMatchObject({ details: { vlan: 11 } });
    expect(second.ensure(port('b/desk-1'))).toMatchObject({ details: { switch: 'sw-b', port: 1 } });
    second.b.close();
    expect(readdirSync(dir).sort()).toEqual(['simulated-journal.jsonl', 'simulated-state.json']);
    expect(backend(dir).b.counts({ site: 'lon', capability: 'network', type: 'allocation', key: 'b' })).toEqual({ creates: 1, updates: 0, removes: 0 });
  });
});

describe('simulated backend: state directory lock', () => {
  it('refuses a directory a live process owns, and takes over the lock of a dead one', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'simulated.lock'), String(process.ppid));
    const { b } = backend(dir);
    const err = (() => {
      try {
        b.observe(SITE, { capability: 'network', type: 'pool', key: '-' });
      } catch (e) {
        return e as DriverError;
      }
      return undefined;
    })();
    expect([err?.code, err?.reason]).toEqual(['Transient', 'BackendLocked']);
    writeFileSync(join(dir, 'simulated.lock'), '4194000');
    expect(b.observe(SITE, { capability: 'network', type: 'pool', key: '-' }).exists).toBe(true);
    expect(readFileSync(join(dir, 'simulated.lock'), 'utf8')).toBe(String(process.pid));
    b.close();
    expect(existsSync(join(dir, 'simulated.lock'))).toBe(false);
  });
});

describe('fault settings', () => {
  it('parses settings and refuses unknown or out-of-range ones', () => {
    expect(parseFaultSettings({ latencyMs: '20', transientOnStep: 'ensure:2, telephony/number:1', failOnStep: 'wifi/device' })).toMatchObject({
      latencyMs: 20,
      transientOnStep: [{ step: 'ensure', times: 2 }, { step: 'telephony/number', times: 1 }],
      failOnStep: ['wifi/device'],
    });
    expect(() => parseFaultSettings({ failRate: '1.5' })).toThrow(/failRate/);
    expect(() => parseFaultSettings({ latency: '5' })).toThrow(/unknown simulated driver setting latency/);
    expect(() => parseFaultSettings({ transientOnStep: 'ensure' })).toThrow(/<step>:<n>/);
  });

  it('matches steps by capability, type and operation', () => {
    const call = { capability: 'telephony', type: 'number', op: 'remove' };
    for (const p of ['remove', 'number', 'telephony', 'telephony/number', 'telephony/remove', 'telephony/number/remove', '*']) expect(matchesStep(p, call)).toBe(true);
    for (const p of ['ensure', 'wifi', 'telephony/number/ensure', 'handset']) expect(matchesStep(p, call)).toBe(false);
  });

  it('draws failRate faults from a seeded PRNG: the same seed fails the same calls', async () => {
    const pattern = async (seed: string): Promise<string> => {
      const d = new SimulatedDriver({ backend: new SimulatedBackend(), settings: { failRate: '0.5', seed } });
      let out = '';
      for (let i = 0; i < 32; i++) {
        out += await d.observe({ site: SITE, signal: AbortSignal.timeout(1000), ref: { capability: 'network', type: 'pool', key: '-' } }).then(
          () => '.',
          (e: unknown) => ((e as DriverError).reason === 'InjectedFault' ? 'x' : '?'),
        );
      }
      return out;
    };
    const a = await pattern('7');
    expect(await pattern('7')).toBe(a);
    expect(await pattern('8')).not.toBe(a);
    expect(a).toMatch(/x/);
    expect(a).toMatch(/\./);
  });

  it('waits latencyMs per call', async () => {
    const d = new SimulatedDriver({ backend: new SimulatedBackend(), settings: { latencyMs: '40' } });
    const started = performance.now();
    await d.observe({ site: SITE, signal: AbortSignal.timeout(1000), ref: { capability: 'network', type: 'pool', key: '-' } });
    expect(performance.now() - started).toBeGreaterThanOrEqual(35);
  });
});

describe('simulated backend: what it keeps', () => {
  it('keeps at most maxIdempotencyRecords (the oldest go), checked every 10,000 calls; a recent key still answers as before', () => {
    const b = new SimulatedBackend({ clock: { now: () => NOW }, maxIdempotencyRecords: 1_000 });
    const user = (i: number): Item => accessUser(`u${i}@bound.example`, 'bound');
    for (let i = 0; i < 20_000; i++) b.ensure(SITE, user(i % 100), `bound-key-${i}`);
    expect(b.stats().idempotencyRecords).toBe(1_000);
    // A recent key still guards its request: the same key for another request is refused.
    expect(() => b.ensure(SITE, user(5), 'bound-key-19999')).toThrow(/was used for a different request/);
    expect(b.counts({ site: SITE.name, ...user(99) }).creates).toBe(1);
  });
});
