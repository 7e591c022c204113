// Unit tests of the dev cluster's building blocks and its CLI (start, ready line, SIGTERM).
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { X509Certificate } from 'node:crypto';
import { labelMatcher, fieldMatcher } from './selectors.ts';
import { jsonPath } from './table.ts';
import { humanDuration } from '../util/duration.ts';
import { jsonPatch, mergePatch } from './patch.ts';
import { Store } from './store.ts';
import { generateCa, issueServerCert } from './tls.ts';
import { ApiError } from './errors.ts';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';

const tmp = (): string => mkdtempSync(join(tmpdir(), 'devcluster-unit-'));

describe('tls', () => {
  it('issues a server certificate for localhost and 127.0.0.1 signed by the CA', () => {
    const ca = generateCa();
    const leaf = new X509Certificate(issueServerCert(ca, ['10.1.2.3']).certPem);
    expect(leaf.verify(new X509Certificate(ca.certPem).publicKey)).toBe(true);
    expect(leaf.subjectAltName).toBe('DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1, IP Address:10.1.2.3');
    expect(leaf.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(new X509Certificate(ca.certPem).ca).toBe(true);
  });
});

describe('selectors', () => {
  const o = (labels: Record<string, string>): Record<string, unknown> => ({ metadata: { name: 'n', namespace: 'ns', labels } });
  it.each([
    ['a=1', { a: '1' }, true], ['a=1', { a: '2' }, false], ['a!=1', {}, true], ['a in (1, 2)', { a: '2' }, true],
    ['a notin (1,2)', { a: '3' }, true], ['a notin (1,2)', {}, true], ['a', {}, false], ['!a', {}, true], ['a,b=2', { a: 'x', b: '2' }, true],
  ])('%s on %j → %s', (sel, labels, want) => {
    expect(labelMatcher(sel)?.(o(labels))).toBe(want);
  });
  it('refuses unsupported field labels like the real server', () => {
    expect(() => fieldMatcher('spec.color=red', 'widgets', 'Widget')).toThrow(ApiError);
    expect(fieldMatcher('metadata.namespace=ns', 'widgets', 'Widget')?.(o({}))).toBe(true);
  });
});

describe('table helpers', () => {
  it('evaluates printer-column JSONPath', () => {
    const obj = { status: { conditions: [{ type: 'A', status: 'False' }, { type: 'Ready', status: 'True' }] }, spec: { list: [1, 2] } };
    expect(jsonPath(obj, '.status.conditions[?(@.type=="Ready")].status')).toEqual(['True']);
    expect(jsonPath(obj, '.spec.list[1]')).toEqual([2]);
    expect(jsonPath(obj, '.spec.missing')).toEqual([]);
  });
  // AGE cells as a real API server prints them (apimachinery's duration.HumanDuration): two
  // years to the day is `2y`, not `2y0d`; up to 2 s in the future (clock skew) is `0s`.
  it.each([
    [5_000, '5s'], [150_000, '2m30s'], [3_600_000 * 5 + 60_000 * 7, '5h7m'], [86_400_000 * 3, '3d'], [86_400_000 * 400, '400d'],
    [86_400_000 * 730, '2y'], [86_400_000 * 800, '2y70d'], [86_400_000 * 365 * 9, '9y'], [-1_500, '0s'], [-2_000, '<invalid>'],
  ])('humanDuration(%d) = %s', (ms, want) => {
    expect(humanDuration(ms)).toBe(want);
  });
});

describe('patches', () => {
  it('merge patch deletes with null and replaces lists', () => {
    expect(mergePatch({ a: 1, b: { c: 2, d: 3 }, l: [1] }, { a: null, b: { c: null }, l: [2] })).toEqual({ b: { d: 3 }, l: [2] });
  });
  it('JSON patch ops and a failing test', () => {
    const doc = { a: [1, 2], b: { c: 'x' } };
    expect(jsonPatch(doc, [{ op: 'move', from: '/b/c', path: '/d' }, { op: 'copy', from: '/a', path: '/e' }, { op: 'remove', path: '/a/0' }]))
      .toEqual({ a: [2], b: {}, d: 'x', e: [1, 2] });
    expect(() => jsonPatch(doc, [{ op: 'test', path: '/b/c', value: 'y' }])).toThrow('the server rejected our request due to an error in our request');
    expect(doc).toEqual({ a: [1, 2], b: { c: 'x' } });
  });
});

describe('store log', () => {
  it('recovers after a torn last line and compacts to the live objects', async () => {
    const dir = tmp();
    const a = new Store(10);
    a.open(dir, true, 'batch');
    for (let i = 0; i < 30; i++) await a.put('g/things', `ns/x${i % 3}`, { metadata: { name: `x${i % 3}`, namespace: 'ns' }, v: i }).durable;
    await a.remove('g/things', 'ns/x0')?.durable;
    await a.close();
    appendFileSync(join(dir, 'store.jsonl'), '{"k":"g/things","id":"ns/x9","rv":99,"o":{"meta'); // crash mid-write
    const b = new Store(10);
    b.open(dir, false, 'batch');
    expect(b.rev).toBe(31);
    expect(b.list('g/things').map((o) => o['v'])).toEqual([28, 29]);
    expect(readFileSync(join(dir, 'store.jsonl'), 'utf8').trim().split('\n')).toHaveLength(3); // 2 objects + revision
    expect(b.eventsSince('g/things', 5)).toBeUndefined(); // history does not survive a restart
    await b.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps a bounded event window and reconstructs older list snapshots', async () => {
    const s = new Store(5);
    s.open(tmp(), true, 'none');
    for (let i = 0; i < 4; i++) s.put('k', `n${i}`, { metadata: { name: `n${i}` } });
    const at = s.rev;
    s.put('k', 'n9', { metadata: { name: 'n9' } });
    s.remove('k', 'n0');
    expect(s.listAt('k', at)?.map((o) => (o['metadata'] as Record<string, unknown>)['name'])).toEqual(['n0', 'n1', 'n2', 'n3']);
    for (let i = 0; i < 10; i++) s.put('k', 'n1', { metadata: { name: 'n1' } });
    expect(s.listAt('k', at)).toBeUndefined();
    await s.close();
  });
});

describe('npm run devcluster', () => {
  it('prints the kubeconfig path and the ready line, and stops cleanly on SIGTERM', async () => {
    const dir = tmp();
    const main = resolve(import.meta.dirname, 'main.ts');
    const child = spawn(process.execPath, [main, '--port', '0', '--data-dir', dir, '--fresh', '--crds', join(dir, 'none')], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    const deadline = Date.now() + 20_000;
    while (!out.includes('devcluster ready') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(out).toContain(`kubeconfig: ${join(dir, 'kubeconfig')}`);
    expect(out).toMatch(/devcluster ready at https:\/\/127\.0\.0\.1:\d+/);
    expect(existsSync(join(dir, 'kubeconfig'))).toBe(true);
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(readFileSync(join(dir, 'store.jsonl'), 'utf8')).toContain('"id":"default"');
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps every acknowledged write when the process is killed (SIGKILL) under the default fsync policy', async () => {
    const dir = tmp();
    const main = resolve(import.meta.dirname, 'main.ts');
    const start = async (fresh: boolean): Promise<{ kill(): Promise<void>; api: CoreV1Api }> => {
      const child = spawn(process.execPath, [main, '--port', '0', '--data-dir', dir, ...(fresh ? ['--fresh'] : []), '--crds', join(dir, 'none')], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
      const deadline = Date.now() + 20_000;
      while (!out.includes('devcluster ready') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      const kc = new KubeConfig();
      kc.loadFromFile(join(dir, 'kubeconfig'));
      return {
        api: kc.makeApiClient(CoreV1Api),
        kill: () => new Promise<void>((r) => { child.once('exit', () => r()); child.kill('SIGKILL'); }),
      };
    };
    const a = await start(true);
    await Promise.all(Array.from({ length: 40 }, (_, i) => a.api.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: `cm${i}` }, data: { i: String(i) } } })));
    await a.kill();
    const b = await start(false);
    const names = (await b.api.listNamespacedConfigMap({ namespace: 'default' })).items.map((c) => c.metadata?.name);
    expect(names).toHaveLength(40);
    await b.kill();
    rmSync(dir, { recursive: true, force: true });
  });

  it('prints help', async () => {
    const child = spawn(process.execPath, [resolve(import.meta.dirname, 'main.ts'), '--help'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    expect(await new Promise((r) => child.once('exit', r))).toBe(0);
    expect(out).toContain('--data-dir');
    expect(out).toContain('--fresh');
  });
});
