import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Store } from './store.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tornCopy(dir: string, cut: number): string {
  const copy = mkdtempSync(join(tmpdir(), 'store-torn-'));
  dirs.push(copy);
  const journal = readFileSync(join(dir, 'simulated-journal.jsonl'), 'utf8');
  writeFileSync(join(copy, 'simulated-journal.jsonl'), journal.slice(0, journal.length - cut));
  writeFileSync(join(copy, 'simulated-state.json'), readFileSync(join(dir, 'simulated-state.json')));
  return copy;
}

describe('simulated store journal', () => {
  it('keeps every change of an atomic call, or none when the write was torn by a crash', () => {
    const dir = mkdtempSync(join(tmpdir(), 'store-'));
    dirs.push(dir);
    const store = new Store(dir);
    store.put('items', 'a', 1);
    store.atomically(() => {
      store.delete('items', 'a');
      store.put('counts', 'a', { removes: 1 });
      store.put('idem', 'k1', { done: true });
    });
    // Whole journal: all three changes.
    const whole = tornCopy(dir, 0);
    const reopened = new Store(whole);
    expect([reopened.get('items', 'a'), reopened.get('counts', 'a'), reopened.get('idem', 'k1')]).toEqual([undefined, { removes: 1 }, { done: true }]);
    // The last line torn: none of the three, the earlier put intact.
    const torn = new Store(tornCopy(dir, 10));
    expect([torn.get('items', 'a'), torn.get('counts', 'a'), torn.get('idem', 'k1')]).toEqual([1, undefined, undefined]);
  });
});
