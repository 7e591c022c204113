import { describe, expect, it } from 'vitest';
import { PLAN_ACTIONS } from '../api/index.ts';
import { orderKindOf, parseCommandLine, UsageError } from './args.ts';
import { CHANGES, changeOf, screensOf } from './plan.ts';
import { table } from './render.ts';
import { humanDuration } from '../util/duration.ts';

describe('kubectl occupier command line', () => {
  it('names an order as <kind>/<name> or <kind> <name>, by any of its kubectl names', () => {
    for (const typed of ['sitemove', 'sitemoves', 'smv', 'SiteMove', 'sitemove.occupier.dev']) expect(orderKindOf(typed), typed).toBe('SiteMove');
    expect(orderKindOf('decom')).toBe('Decommission');
    expect(orderKindOf('cmv')).toBe('CustomerMove');
    expect(orderKindOf('occupier')).toBeUndefined();
    expect(parseCommandLine(['plan', 'smv/acme', '-n', 'occupiers'])).toMatchObject({ command: 'plan', kind: 'SiteMove', name: 'acme', namespace: 'occupiers', output: 'table' });
    expect(parseCommandLine(['tasks', 'decommission', 'initech', '--namespace=x', '-o', 'json'])).toMatchObject({ command: 'tasks', kind: 'Decommission', name: 'initech', namespace: 'x', output: 'json' });
    expect(parseCommandLine(['history', 'occupier/acme'])).toMatchObject({ command: 'history', name: 'acme' });
    expect(parseCommandLine([])).toMatchObject({ help: true });
  });

  it('task filters: repeated or comma-separated, states in any case', () => {
    expect(parseCommandLine(['tasks', 'smv/a', '--state', 'failed,Running', '--site', 'x', '--site', 'y,z', '--step', 'users'])).toMatchObject({
      states: ['Failed', 'Running'],
      sites: ['x', 'y', 'z'],
      steps: ['users'],
    });
  });

  it.each([
    [['plan', 'foo/bar'], '"foo" is not an order kind: use sitemove (smv), customermove (cmv) or decommission (decom), e.g. kubectl occupier plan sitemove/<name>'],
    [['plan', 'smv'], 'plan needs the order\'s name: kubectl occupier plan smv/<name>'],
    [['plan'], 'plan needs an order: kubectl occupier plan <kind>/<name>, <kind> is sitemove (smv), customermove (cmv) or decommission (decom)'],
    [['plan', 'smv/a', 'smv/b'], 'plan takes one order, got also: smv/b'],
    [['tasks', 'smv/a', '--state', 'Done'], '--state "Done" is not a task state: use Pending, Running, Succeeded, Failed'],
    [['plan', 'smv/a', '--state', 'Failed'], '--state, --site and --step filter tasks only, not plan'],
    [['plan', 'smv/a', '-o', 'table'], '--output "table" is not supported: use json, yaml or wide'],
    [['history', 'acme', '-o', 'wide'], '--output "wide" is for tasks only; history takes json or yaml'],
    [['delete', 'smv/a'], 'unknown command "delete": use plan, approve, retry, tasks, history (kubectl occupier --help)'],
    [['history'], 'history needs an occupier: kubectl occupier history <occupier>'],
  ])('refuses %j naming the value', (argv, message) => {
    expect(() => parseCommandLine(argv)).toThrow(new UsageError(message));
  });
});

describe('the review screens', () => {
  it('every plan action is one of the wizard words', () => {
    for (const a of PLAN_ACTIONS) expect(CHANGES).toContain(changeOf(a));
  });

  it('users, numbers, services, spaces and IPs always; other kinds when the plan has them; counts per screen', () => {
    const screens = screensOf([
      { kind: 'User', name: 'a@x.example', action: 'Move' },
      { kind: 'User', name: 'a@x.example', action: 'Delete' },
      { kind: 'Service', name: 'wifi-secure', action: 'Unmatched' },
      { kind: 'Port', name: 'p1', action: 'Release' },
    ]);
    expect(screens.map((s) => s.screen)).toEqual(['Users', 'Phone numbers', 'Services', 'Spaces', 'IPs and VLANs', 'Ports']);
    expect(screens[0]?.counts).toEqual({ moved: 1, new: 0, released: 1, unmatched: 0 });
    expect(screens[2]?.counts).toEqual({ moved: 0, new: 0, released: 0, unmatched: 1 });
  });
});

describe('kubectl layout', () => {
  it('tables as kubectl tabwriter: upper-case headers, 3 spaces between columns, min width 6, <none> for empty', () => {
    expect(table(['name', 'a'], [['x', ''], ['longer-name', 'b']])).toBe('NAME          A\nx             <none>\nlonger-name   b\n');
  });

  it('ages as kubectl HumanDuration', () => {
    const s = 1000;
    expect([59 * s, 119 * s, 125 * s, 600 * s, 3 * 3600 * s + 5 * 60 * s, 30 * 3600 * s, 50 * 3600 * s, 400 * 86400 * s, 800 * 86400 * s, 730 * 86400 * s, -1.5 * s].map(humanDuration)).toEqual([
      '59s',
      '119s',
      '2m5s',
      '10m',
      '3h5m',
      '30h',
      '2d2h',
      '400d',
      '2y70d',
      '2y',
      '0s',
    ]);
  });
});
