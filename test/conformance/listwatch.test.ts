// List (selectors, pagination over a consistent snapshot) and watch (resourceVersion semantics,
// bookmarks, 410 Gone, selector transitions, all namespaces, timeouts).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, EMBEDDED_WATCH_WINDOW, items, meta, names, widget, WIDGETS } from './harness.ts';
import type { Conn, Json } from './harness.ts';

let c: Conn;
let base: string;
beforeAll(async () => {
  c = await connect();
  base = `${WIDGETS}/namespaces/${c.ns}/widgets`;
  const fixtures: [string, Json][] = [
    ['l-red-1', { env: 'prod', tier: 'web' }], ['l-red-2', { env: 'dev', tier: 'web' }], ['l-red-3', { env: 'qa' }], ['l-red-4', {}],
  ];
  for (const [n, labels] of fixtures) {
    const r = await c.request('POST', base, { body: widget(n, { color: 'red' }, { labels }) });
    expect(r.status).toBe(201);
  }
});
afterAll(async () => { await c.stop(); });

const sel = async (s: string): Promise<string[]> => {
  const r = await c.request('GET', `${base}?labelSelector=${encodeURIComponent(s)}`);
  expect(r.status, r.text).toBe(200);
  return names(r.body).filter((n) => n.startsWith('l-'));
};

describe('label selectors', () => {
  it.each([
    ['env=prod', ['l-red-1']],
    ['env==prod', ['l-red-1']],
    ['env!=prod', ['l-red-2', 'l-red-3', 'l-red-4']],
    ['env in (dev,qa)', ['l-red-2', 'l-red-3']],
    ['env notin (dev,qa)', ['l-red-1', 'l-red-4']],
    ['tier', ['l-red-1', 'l-red-2']],
    ['!tier', ['l-red-3', 'l-red-4']],
    ['tier=web,env=dev', ['l-red-2']],
  ])('%s', async (s, want) => {
    expect(await sel(s)).toEqual(want);
  });
});

describe('field selectors', () => {
  it('selects by metadata.name and metadata.namespace', async () => {
    const r = await c.request('GET', `${base}?fieldSelector=metadata.name%3Dl-red-3`);
    expect(names(r.body)).toEqual(['l-red-3']);
    const all = await c.request('GET', `${WIDGETS}/widgets?fieldSelector=metadata.namespace%3D${c.ns}`);
    expect(names(all.body)).toEqual(expect.arrayContaining(['l-red-1', 'l-red-4']));
    const not = await c.request('GET', `${base}?fieldSelector=metadata.name!%3Dl-red-3`);
    expect(names(not.body)).not.toContain('l-red-3');
  });
});

describe('pagination', () => {
  it('pages with limit/continue and keeps a consistent snapshot', async () => {
    const p1 = await c.request('GET', `${base}?limit=2`);
    expect(items(p1.body)).toHaveLength(2);
    const m1 = meta(p1.body);
    expect(m1['continue']).toBeTruthy();
    // Changes after the first page must not show in later pages.
    await c.request('POST', base, { body: widget('l-zz-late') });
    await c.request('DELETE', `${base}/l-red-4`);
    const seen = names(p1.body);
    let token = String(m1['continue']);
    while (token) {
      const p = await c.request('GET', `${base}?limit=2&continue=${encodeURIComponent(token)}`);
      expect(p.status, p.text).toBe(200);
      expect(meta(p.body)['resourceVersion']).toBe(m1['resourceVersion']);
      seen.push(...names(p.body));
      token = String(meta(p.body)['continue'] ?? '');
    }
    expect(seen).toContain('l-red-4');
    expect(seen).not.toContain('l-zz-late');
    await c.request('POST', base, { body: widget('l-red-4', { color: 'red' }) });
  });
});

describe('watch', () => {
  it('starts with ADDED events for current objects when resourceVersion is unset or 0', async () => {
    for (const rv of ['', '&resourceVersion=0']) {
      const w = await c.watch(`${base}?watch=true&labelSelector=env%3Dprod${rv}`);
      const ev = await w.next();
      expect(ev?.['type']).toBe('ADDED');
      expect(meta(ev?.['object'] as Json)['name']).toBe('l-red-1');
      w.close();
    }
  });

  it('replays events after a resourceVersion, in order, then streams', async () => {
    const created = await c.request('POST', base, { body: widget('w-1') });
    const rv = String(meta(created.body)['resourceVersion']);
    await c.request('PATCH', `${base}/w-1`, { raw: '{"spec":{"size":7}}', contentType: 'application/merge-patch+json' });
    const w = await c.watch(`${base}?watch=true&resourceVersion=${rv}`);
    const e1 = await w.next();
    expect(e1?.['type']).toBe('MODIFIED');
    expect((e1?.['object'] as Json)['spec']).toMatchObject({ size: 7 });
    await c.request('DELETE', `${base}/w-1`);
    const e2 = await w.next();
    expect(e2?.['type']).toBe('DELETED');
    expect(Number(meta(e2?.['object'] as Json)['resourceVersion'])).toBeGreaterThan(Number(meta(e1?.['object'] as Json)['resourceVersion']));
    w.close();
  });

  it('turns selector transitions into ADDED/DELETED', async () => {
    const created = await c.request('POST', base, { body: widget('w-sel', { color: 'red' }, { labels: { watch: 'yes' } }) });
    const w = await c.watch(`${base}?watch=true&labelSelector=watch%3Dyes&resourceVersion=${String(meta(created.body)['resourceVersion'])}`);
    await c.request('PATCH', `${base}/w-sel`, { raw: '{"metadata":{"labels":{"watch":"no"}}}', contentType: 'application/merge-patch+json' });
    expect((await w.next())?.['type']).toBe('DELETED');
    await c.request('PATCH', `${base}/w-sel`, { raw: '{"metadata":{"labels":{"watch":"yes"}}}', contentType: 'application/merge-patch+json' });
    expect((await w.next())?.['type']).toBe('ADDED');
    w.close();
  });

  it('watches across namespaces', async () => {
    const list = await c.request('GET', `${WIDGETS}/widgets`);
    const w = await c.watch(`${WIDGETS}/widgets?watch=true&resourceVersion=${String(meta(list.body)['resourceVersion'])}`);
    await c.request('POST', `${WIDGETS}/namespaces/default/widgets`, { body: widget(`x-${c.ns}`) });
    await c.request('POST', base, { body: widget('x-local') });
    const a = await w.next();
    const b = await w.next();
    expect([meta(a?.['object'] as Json)['namespace'], meta(b?.['object'] as Json)['namespace']]).toEqual(['default', c.ns]);
    w.close();
    await c.request('DELETE', `${WIDGETS}/namespaces/default/widgets/x-${c.ns}`);
  });

  it('sends a bookmark 2 s before a watch\'s deadline when allowed (once it has seen progress), then ends the stream', async () => {
    const list = await c.request('GET', base);
    const rv = String(meta(list.body)['resourceVersion']);
    const t0 = Date.now();
    // Both servers bookmark about once a minute, and 2 s before the deadline of a watch that has
    // one; never at a revision the watch started from (so a write is needed first).
    const w = await c.watch(`${base}?watch=true&allowWatchBookmarks=true&timeoutSeconds=10&resourceVersion=${rv}`);
    const created = await c.request('POST', base, { body: widget('bm-1') });
    const seen: { type: unknown; at: number; rv: unknown }[] = [];
    for (;;) {
      const ev = await w.next(15_000);
      if (!ev) break;
      seen.push({ type: ev['type'], at: Date.now() - t0, rv: meta(ev['object'] as Json)['resourceVersion'] });
    }
    const ended = Date.now() - t0;
    expect(seen[0]).toMatchObject({ type: 'ADDED', rv: meta(created.body)['resourceVersion'] });
    const bookmarks = seen.filter((e) => e.type === 'BOOKMARK');
    // The real server's bookmark timer ticks every second (with jitter): one or two bookmarks in the last seconds.
    expect(bookmarks.length, JSON.stringify(seen)).toBeGreaterThanOrEqual(1);
    for (const b of bookmarks) {
      expect(b.at, JSON.stringify(seen)).toBeGreaterThanOrEqual(7_000);
      expect(b.at, JSON.stringify(seen)).toBeLessThan(10_000);
      expect(Number(b.rv)).toBeGreaterThanOrEqual(Number(meta(created.body)['resourceVersion']));
    }
    expect(ended).toBeGreaterThanOrEqual(9_500);
    expect(ended).toBeLessThan(13_000);
    w.close();
  }, 30_000);

  it('sends no bookmark without progress since the watch started, nor without allowWatchBookmarks', async () => {
    const list = await c.request('GET', base);
    const rv = String(meta(list.body)['resourceVersion']);
    const idle = await c.watch(`${base}?watch=true&allowWatchBookmarks=true&timeoutSeconds=4&resourceVersion=${rv}`);
    const plain = await c.watch(`${base}?watch=true&timeoutSeconds=4&resourceVersion=${rv}`);
    expect(await idle.next(8_000)).toBeUndefined();
    expect(await plain.next(8_000)).toBeUndefined();
    idle.close();
    plain.close();
  }, 30_000);

  it('ends the stream after timeoutSeconds', async () => {
    const list = await c.request('GET', base);
    const w = await c.watch(`${base}?watch=true&timeoutSeconds=1&resourceVersion=${String(meta(list.body)['resourceVersion'])}`);
    const t0 = Date.now();
    expect(await w.next(5000)).toBeUndefined();
    expect(Date.now() - t0).toBeLessThan(4000);
  });
});

describe('410 Gone', () => {
  it('expires watches and continue tokens older than the retained window, and a relist recovers', async () => {
    const p1 = await c.request('GET', `${base}?limit=1`);
    const token = String(meta(p1.body)['continue']);
    const first = await c.request('POST', base, { body: widget('gone-0') });
    const oldRv = Number(meta(first.body)['resourceVersion']) - 1;
    // Push the old revision out of the window (embedded: EMBEDDED_WATCH_WINDOW events).
    const n = c.external ? 0 : EMBEDDED_WATCH_WINDOW + 10;
    for (let i = 0; i < n; i++) {
      await c.request('PATCH', `${base}/gone-0`, { raw: JSON.stringify({ spec: { size: i + 1 } }), contentType: 'application/merge-patch+json' });
    }
    const watchRv = c.external ? 1 : oldRv;
    const w = await c.watch(`${base}?watch=true&resourceVersion=${watchRv}`);
    const ev = await w.next();
    expect(ev?.['type']).toBe('ERROR');
    expect(ev?.['object']).toMatchObject({ kind: 'Status', code: 410, reason: 'Expired' });
    w.close();
    if (!c.external) {
      const p2 = await c.request('GET', `${base}?limit=1&continue=${encodeURIComponent(token)}`);
      expect(p2.status).toBe(410);
      expect(p2.body).toMatchObject({ kind: 'Status', code: 410, reason: 'Expired' });
    }
    // Relist, then watch from the list's resourceVersion.
    const relist = await c.request('GET', base);
    expect(relist.status).toBe(200);
    const w2 = await c.watch(`${base}?watch=true&resourceVersion=${String(meta(relist.body)['resourceVersion'])}`);
    await c.request('DELETE', `${base}/gone-0`);
    expect((await w2.next())?.['type']).toBe('DELETED');
    w2.close();
  });
});
