// Label selectors (equality and set-based) and field selectors, as the API server parses them.
import { badRequest } from './errors.ts';
import type { Obj } from './errors.ts';
import { coreEventField } from './events.ts';

type Requirement =
  | { op: 'eq' | 'neq'; key: string; value: string }
  | { op: 'in' | 'notin'; key: string; values: string[] }
  | { op: 'exists' | 'notexists'; key: string };

export type Matcher = (obj: Obj) => boolean;

function splitTop(s: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of s) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) { parts.push(cur); cur = ''; } else cur += ch;
  }
  parts.push(cur);
  return parts.map((p) => p.trim()).filter((p) => p !== '');
}

function parseLabel(expr: string): Requirement {
  let m = /^!\s*([A-Za-z0-9./_-]+)$/.exec(expr);
  if (m?.[1]) return { op: 'notexists', key: m[1] };
  m = /^([A-Za-z0-9./_-]+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(expr);
  if (m?.[1] && m[2] && m[3] !== undefined) {
    return { op: m[2] === 'in' ? 'in' : 'notin', key: m[1], values: m[3].split(',').map((v) => v.trim()) };
  }
  m = /^([A-Za-z0-9./_-]+)\s*(==|=|!=)\s*([A-Za-z0-9._-]*)$/.exec(expr);
  if (m?.[1] && m[2]) return { op: m[2] === '!=' ? 'neq' : 'eq', key: m[1], value: m[3] ?? '' };
  m = /^([A-Za-z0-9./_-]+)$/.exec(expr);
  if (m?.[1]) return { op: 'exists', key: m[1] };
  throw badRequest(`unable to parse requirement: invalid label selector "${expr}"`);
}

function test(r: Requirement, get: (k: string) => string | undefined): boolean {
  const v = get(r.key);
  switch (r.op) {
    case 'eq': return v === r.value;
    case 'neq': return v !== r.value;
    case 'in': return v !== undefined && r.values.includes(v);
    case 'notin': return v === undefined || !r.values.includes(v);
    case 'exists': return v !== undefined;
    case 'notexists': return v === undefined;
  }
}

const meta = (o: Obj): Obj => (o['metadata'] as Obj | undefined) ?? {};

export function labelMatcher(selector: string | null | undefined): Matcher | undefined {
  if (!selector) return undefined;
  const reqs = splitTop(selector).map(parseLabel);
  return (o) => {
    const labels = (meta(o)['labels'] as Record<string, string> | undefined) ?? {};
    return reqs.every((r) => test(r, (k) => (Object.hasOwn(labels, k) ? labels[k] : undefined)));
  };
}

function fieldValue(o: Obj, path: string): string | undefined {
  let cur: unknown = o;
  for (const p of path.split('.')) {
    if (!cur || typeof cur !== 'object') return undefined;
    cur = (cur as Obj)[p];
  }
  if (cur === undefined || cur === null) return '';
  return typeof cur === 'object' ? JSON.stringify(cur) : String(cur);
}

const FIELDS_COMMON = ['metadata.name', 'metadata.namespace'];
const FIELDS_EXTRA: Record<string, string[]> = {
  events: ['involvedObject.kind', 'involvedObject.namespace', 'involvedObject.name', 'involvedObject.uid',
    'involvedObject.apiVersion', 'involvedObject.resourceVersion', 'involvedObject.fieldPath', 'reason', 'reportingComponent',
    'source', 'type', 'regarding.kind', 'regarding.name', 'regarding.namespace', 'regarding.uid', 'reportingController'],
  namespaces: ['status.phase'],
  secrets: ['type'],
};

/** Field selectors: `metadata.name`, `metadata.namespace` (+ a few per-resource fields like the real server). */
export function fieldMatcher(selector: string | null | undefined, plural: string, kind: string): Matcher | undefined {
  if (!selector) return undefined;
  const allowed = new Set([...FIELDS_COMMON, ...(FIELDS_EXTRA[plural] ?? [])]);
  const reqs = splitTop(selector).map((expr) => {
    const m = /^([A-Za-z0-9._-]+)\s*(==|=|!=)\s*(.*)$/.exec(expr);
    if (!m?.[1] || !m[2]) throw badRequest(`invalid selector: '${selector}'; can't understand '${expr}'`);
    if (!allowed.has(m[1])) throw badRequest(`field label not supported: ${m[1]}`);
    return { key: plural === 'events' ? coreEventField(m[1]) : m[1], neq: m[2] === '!=', value: m[3] ?? '' };
  });
  void kind;
  return (o) => reqs.every((r) => (fieldValue(o, r.key) ?? '') === r.value !== r.neq);
}

export function both(a: Matcher | undefined, b: Matcher | undefined): Matcher | undefined {
  if (a && b) return (o) => a(o) && b(o);
  return a ?? b;
}
