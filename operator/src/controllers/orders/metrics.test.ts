import { describe, expect, it } from 'vitest';
import type { Task } from '../../api/index.ts';
import { activeSince } from './metrics.ts';

const now = Date.parse('2027-01-12T15:00:00Z');
const startedAt = '2027-01-12T10:00:00Z';
const t = (state: Task['state'], notBefore?: string): Task => ({ site: 's', step: 'x', state, attempts: state === 'Pending' ? 0 : 1, ...(notBefore ? { notBefore } : {}) });

describe('activeSince: when a running order last had work due (OrderStuck)', () => {
  it.each<[string, Task[], string | undefined]>([
    ['a step running: since the start', [t('Succeeded'), t('Running'), t('Pending')], startedAt],
    ['only waiting for the end of the move date (no step running): absent', [t('Succeeded'), t('Pending', '2027-01-13T00:00:00Z'), t('Pending')], undefined],
    ['a step retrying while another waits: since the start (stuck is never hidden)', [t('Running'), t('Pending', '2027-01-13T00:00:00Z')], startedAt],
    ['the wait is over: since its notBefore', [t('Succeeded'), t('Running', '2027-01-12T14:00:00Z'), t('Pending')], '2027-01-12T14:00:00Z'],
    ['a notBefore before the start counts from the start', [t('Running', '2027-01-12T09:00:00Z')], startedAt],
  ])('%s', (_name, tasks, want) => {
    const got = activeSince({ phase: 'Running', startedAt, tasks }, now);
    expect(got).toBe(want === undefined ? undefined : Date.parse(want));
  });

  it('only running orders', () => {
    expect(activeSince({ phase: 'Succeeded', startedAt, tasks: [] }, now)).toBeUndefined();
    expect(activeSince({ phase: 'Scheduled', tasks: [] }, now)).toBeUndefined();
  });
});
