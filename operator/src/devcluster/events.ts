// core/v1 Events and events.k8s.io/v1 Events are one stored resource (as in the real server):
// objects are stored in the core shape and converted for the events.k8s.io view.
import type { Obj, StatusCause } from './errors.ts';

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

// ---- validation (Kubernetes pkg/apis/core/validation/events.go) ----

const LABEL_KEY = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_KEY_MSG = 'must consist of alphanumeric characters, \'-\', \'_\' or \'.\', and must start and end with an alphanumeric character (e.g. \'MyName\',  or \'my.name\',  or \'123-abc\', regex used for validation is \'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]\')';
const DNS_SUBDOMAIN_MSG = 'a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, \'-\' or \'.\', and must start and end with an alphanumeric character (e.g. \'example.com\', regex used for validation is \'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\')';

const bytes = (s: string): number => Buffer.byteLength(s, 'utf8');

function dns1123Subdomain(v: string): string[] {
  const errs: string[] = [];
  if (bytes(v) > 253) errs.push('must be no more than 253 characters');
  if (!DNS_SUBDOMAIN.test(v)) errs.push(DNS_SUBDOMAIN_MSG);
  return errs;
}

/** apimachinery's IsQualifiedName (label key rules): the messages, [] when valid. */
export function qualifiedNameErrors(v: string): string[] {
  const parts = v.split('/');
  const errs: string[] = [];
  let name: string;
  if (parts.length === 1) name = parts[0] ?? '';
  else if (parts.length === 2) {
    const prefix = parts[0] ?? '';
    name = parts[1] ?? '';
    if (prefix === '') errs.push('prefix part must be non-empty');
    else errs.push(...dns1123Subdomain(prefix).map((m) => `prefix part ${m}`));
  } else {
    return [`a valid label key ${LABEL_KEY_MSG} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`];
  }
  if (name === '') errs.push('name part must be non-empty');
  else if (bytes(name) > 63) errs.push('name part must be no more than 63 characters');
  if (!LABEL_KEY.test(name)) errs.push(`name part ${LABEL_KEY_MSG}`);
  return errs;
}

const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const obj = (v: unknown): Obj => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {});
/** A metav1.Time / MicroTime is zero when absent, null or empty. */
const zeroTime = (v: unknown): boolean => v === undefined || v === null || v === '';
const goValue = (v: unknown): string => (typeof v === 'string' ? JSON.stringify(v) : v === undefined || v === null ? 'null' : typeof v === 'object' ? JSON.stringify(v) : String(v));
const invalidCause = (field: string, value: unknown, detail: string): StatusCause => ({ reason: 'FieldValueInvalid', field, message: `Invalid value: ${goValue(value)}: ${detail}` });
const required = (field: string): StatusCause => ({ reason: 'FieldValueRequired', field, message: 'Required value' });

/**
 * The real server's Event validation (`legacyValidateEvent`, plus `ValidateEventCreate` /
 * `ValidateEventUpdate`'s strict rules for events.k8s.io/v1). `ev` is in the stored core/v1 shape;
 * the causes name core/v1 fields on both APIs, as the real server does.
 */
export function validateEvent(ev: Obj, namespace: string, eventsApi: boolean, old?: Obj): StatusCause[] {
  const errs: StatusCause[] = [];
  const involved = obj(ev['involvedObject']);
  const involvedNs = str(involved['namespace']);
  const controllerField = eventsApi ? 'reportingController' : 'reportingComponent';
  if (zeroTime(ev['eventTime'])) {
    // "Old" events: the event's namespace and the involved object's must agree; an event about a
    // cluster-scoped object (no namespace) goes to "default" (or nowhere).
    if (involvedNs === '') {
      if (namespace !== '' && namespace !== 'default') errs.push(invalidCause('involvedObject.namespace', involvedNs, 'does not match event.namespace'));
    } else if (namespace !== involvedNs) {
      errs.push(invalidCause('involvedObject.namespace', involvedNs, 'does not match event.namespace'));
    }
  } else {
    if (involvedNs === '' && namespace !== 'default' && namespace !== 'kube-system') {
      errs.push(invalidCause('involvedObject.namespace', involvedNs, 'does not match event.namespace'));
    }
    const controller = str(ev['reportingComponent']);
    if (controller === '') errs.push(required(controllerField));
    for (const m of qualifiedNameErrors(controller)) errs.push(invalidCause(controllerField, controller, m));
    const limited: [string, string, number][] = [['reportingInstance', 'reportingInstance', 128], ['action', 'action', 128], ['reason', 'reason', 128]];
    for (const [key, field, max] of limited) {
      const v = str(ev[key]);
      if (v === '') errs.push(required(field));
      if (bytes(v) > max) errs.push(invalidCause(field, '', `can have at most ${max} characters`));
    }
    if (bytes(str(ev['message'])) > 1024) errs.push(invalidCause('message', '', 'can have at most 1024 characters'));
  }
  for (const m of dns1123Subdomain(namespace)) errs.push(invalidCause('namespace', namespace, m));
  if (!eventsApi) return errs;
  if (old === undefined) {
    errs.push(...seriesErrors(ev));
    if (zeroTime(ev['eventTime'])) errs.push(required('eventTime'));
    const type = str(ev['type']);
    if (type !== 'Normal' && type !== 'Warning') errs.push(invalidCause('type', '', `has invalid value: ${type}`));
    if (!zeroTime(ev['firstTimestamp'])) errs.push(invalidCause('firstTimestamp', '', 'needs to be unset'));
    if (!zeroTime(ev['lastTimestamp'])) errs.push(invalidCause('lastTimestamp', '', 'needs to be unset'));
    if (typeof ev['count'] === 'number' && ev['count'] !== 0) errs.push(invalidCause('count', '', 'needs to be unset'));
    const source = obj(ev['source']);
    if (str(source['component']) !== '' || str(source['host']) !== '') errs.push(invalidCause('source', '', 'needs to be unset'));
    return errs;
  }
  if (JSON.stringify(ev['series'] ?? null) !== JSON.stringify(old['series'] ?? null)) errs.push(...seriesErrors(ev));
  const immutable: [string, string][] = [
    ['involvedObject', 'involvedObject'], ['reason', 'reason'], ['message', 'message'], ['source', 'source'],
    ['firstTimestamp', 'firstTimestamp'], ['lastTimestamp', 'lastTimestamp'], ['count', 'count'], ['reason', 'reason'], ['type', 'type'],
    ['eventTime', 'eventTime'], ['action', 'action'], ['related', 'related'], ['reportingComponent', 'reportingController'], ['reportingInstance', 'reportingInstance'],
  ];
  for (const [key, field] of immutable) {
    if (JSON.stringify(ev[key] ?? null) !== JSON.stringify(old[key] ?? null)) errs.push(invalidCause(field, ev[key], 'field is immutable'));
  }
  return errs;
}

function seriesErrors(ev: Obj): StatusCause[] {
  if (ev['series'] === undefined || ev['series'] === null) return [];
  const s = obj(ev['series']);
  const errs: StatusCause[] = [];
  if (typeof s['count'] !== 'number' || s['count'] < 2) errs.push(invalidCause('series.count', '', 'should be at least 2'));
  if (zeroTime(s['lastObservedTime'])) errs.push(required('series.lastObservedTime'));
  return errs;
}
