// core/v1 Events and events.k8s.io/v1 Events are one stored resource (as in the real server):
// objects are stored in the core shape and converted for the events.k8s.io view.
import type { Obj } from './errors.ts';

/** [core field, events.k8s.io field] */
const FIELDS: [string, string][] = [
  ['involvedObject', 'regarding'], ['related', 'related'], ['message', 'note'], ['reason', 'reason'], ['type', 'type'],
  ['action', 'action'], ['eventTime', 'eventTime'], ['series', 'series'], ['reportingComponent', 'reportingController'],
  ['reportingInstance', 'reportingInstance'], ['source', 'deprecatedSource'], ['firstTimestamp', 'deprecatedFirstTimestamp'],
  ['lastTimestamp', 'deprecatedLastTimestamp'], ['count', 'deprecatedCount'],
];

function convert(o: Obj, apiVersion: string, from: 0 | 1): Obj {
  const out: Obj = { apiVersion, kind: 'Event', metadata: o['metadata'] };
  for (const pair of FIELDS) {
    const v = o[pair[from]];
    if (v !== undefined) out[pair[from === 0 ? 1 : 0]] = v;
  }
  return out;
}

export const toEventsV1 = (core: Obj): Obj => convert(core, 'events.k8s.io/v1', 0);
export const toCoreEvent = (ev: Obj): Obj => convert(ev, 'v1', 1);

/** events.k8s.io field selector names → stored (core) field names. */
export function coreEventField(field: string): string {
  if (field.startsWith('regarding.')) return `involvedObject.${field.slice('regarding.'.length)}`;
  if (field === 'reportingController') return 'reportingComponent';
  return field;
}
