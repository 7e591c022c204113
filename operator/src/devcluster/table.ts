// meta.k8s.io/v1 Table rendering (what `kubectl get` asks for), from CRD additionalPrinterColumns.
import type { Obj } from './errors.ts';
import type { PrinterColumn, ResourceInfo } from './registry.ts';
import { humanDuration } from '../util/duration.ts';

export function wantsTable(accept: string | undefined): boolean {
  return !!accept && /as=Table/.test(accept) && /g=meta\.k8s\.io/.test(accept);
}

/** Evaluates the simple JSONPath of printer columns: `.a.b`, `[0]`, `[*]`, `[?(@.type=="Ready")]`. */
export function jsonPath(obj: unknown, path: string): unknown[] {
  let p = path.trim();
  if (p.startsWith('{') && p.endsWith('}')) p = p.slice(1, -1);
  if (p.startsWith('$')) p = p.slice(1);
  let cur: unknown[] = [obj];
  const re = /\.([A-Za-z0-9_\-/]+)|\[(\d+|\*)\]|\[\?\(@\.([A-Za-z0-9_.-]+)\s*==\s*["']([^"']*)["']\)\]|\['([^']+)'\]/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(p)) !== null) {
    const next: unknown[] = [];
    for (const c of cur) {
      if (m[1] !== undefined || m[5] !== undefined) {
        const f = m[1] ?? m[5] ?? '';
        if (c && typeof c === 'object' && !Array.isArray(c) && (c as Obj)[f] !== undefined) next.push((c as Obj)[f]);
      } else if (m[2] !== undefined) {
        if (!Array.isArray(c)) continue;
        if (m[2] === '*') next.push(...(c as unknown[])); else if (c[Number(m[2])] !== undefined) next.push(c[Number(m[2])]);
      } else if (m[3] !== undefined) {
        if (!Array.isArray(c)) continue;
        for (const el of c as unknown[]) {
          const v = jsonPath(el, `.${m[3]}`)[0];
          if (v !== undefined && String(v) === m[4]) next.push(el);
        }
      }
    }
    cur = next;
  }
  return cur;
}

const AGE: PrinterColumn = { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp', description: 'CreationTimestamp is a timestamp representing the server time when this object was created.' };

const BUILTIN_COLUMNS: Record<string, PrinterColumn[]> = {
  namespaces: [{ name: 'Status', type: 'string', jsonPath: '.status.phase' }, AGE],
  secrets: [{ name: 'Type', type: 'string', jsonPath: '.type' }, { name: 'Data', type: 'integer', jsonPath: '.data' }, AGE],
  configmaps: [{ name: 'Data', type: 'integer', jsonPath: '.data' }, AGE],
  leases: [{ name: 'Holder', type: 'string', jsonPath: '.spec.holderIdentity' }, AGE],
  events: [
    { name: 'Last Seen', type: 'string', jsonPath: '.lastTimestamp', cellOf: (o, now) => {
      const t = Date.parse(String(o['lastTimestamp'] ?? o['eventTime'] ?? (o['metadata'] as Obj | undefined)?.['creationTimestamp'] ?? ''));
      return Number.isNaN(t) ? '<unknown>' : humanDuration(now - t);
    } },
    { name: 'Type', type: 'string', jsonPath: '.type' }, { name: 'Reason', type: 'string', jsonPath: '.reason' },
    { name: 'Object', type: 'string', jsonPath: '.involvedObject', cellOf: (o) => {
      const io = (o['involvedObject'] as Obj | undefined) ?? {};
      return `${String(io['kind'] ?? '').toLowerCase()}/${String(io['name'] ?? '')}`;
    } },
    { name: 'Message', type: 'string', jsonPath: '.message' },
    { name: 'Name', type: 'string', jsonPath: '.metadata.name', priority: 1 },
  ],
  customresourcedefinitions: [{ name: 'Created At', type: 'string', jsonPath: '.metadata.creationTimestamp' }],
};

export function columnsFor(r: ResourceInfo, version: string): PrinterColumn[] {
  if (r.builtin) return BUILTIN_COLUMNS[r.plural] ?? [AGE];
  const cols = r.columns.get(version) ?? [];
  return cols.length ? cols : [AGE];
}

function cell(obj: Obj, c: PrinterColumn, now: number): unknown {
  if (c.cellOf) return c.cellOf(obj, now);
  const vals = jsonPath(obj, c.jsonPath);
  if (vals.length === 0) return c.type === 'integer' && c.jsonPath === '.data' ? 0 : null;
  const v = vals.length === 1 ? vals[0] : vals.map((x) => (typeof x === 'object' ? JSON.stringify(x) : String(x))).join(',');
  if (c.jsonPath === '.data' && c.type === 'integer' && v && typeof v === 'object') return Object.keys(v).length;
  switch (c.type) {
    case 'date': {
      const t = typeof v === 'string' ? Date.parse(v) : NaN;
      return Number.isNaN(t) ? '<unknown>' : humanDuration(now - t);
    }
    case 'integer': return typeof v === 'number' ? Math.trunc(v) : null;
    case 'number': return typeof v === 'number' ? v : null;
    case 'boolean': return typeof v === 'boolean' ? v : null;
    default: return typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v);
  }
}

/** Column sets that place Name themselves (events) get no leading Name column. */
const ownsName = (cols: PrinterColumn[]): boolean => cols.some((c) => c.name === 'Name');

export function tableColumns(cols: PrinterColumn[]): Obj[] {
  return [
    ...(ownsName(cols) ? [] : [{ name: 'Name', type: 'string', format: 'name', description: 'Name must be unique within a namespace.', priority: 0 }]),
    ...cols.map((c) => ({ name: c.name, type: c.type === 'date' ? 'date' : c.type, format: c.format ?? '', description: c.description ?? '', priority: c.priority ?? 0 })),
  ];
}

export function tableRow(obj: Obj, cols: PrinterColumn[], includeObject: string, now = Date.now()): Obj {
  const meta = (obj['metadata'] as Obj | undefined) ?? {};
  const object = includeObject === 'None' ? undefined
    : includeObject === 'Object' ? obj
      : { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: meta };
  const cells = cols.map((c) => cell(obj, c, now));
  return { cells: ownsName(cols) ? cells : [meta['name'], ...cells], ...(object ? { object } : {}) };
}

export function table(objs: Obj[], cols: PrinterColumn[], includeObject: string, listMeta: Obj, withColumns = true): Obj {
  const now = Date.now();
  return {
    kind: 'Table', apiVersion: 'meta.k8s.io/v1', metadata: listMeta,
    ...(withColumns ? { columnDefinitions: tableColumns(cols) } : { columnDefinitions: null }),
    rows: objs.map((o) => tableRow(o, cols, includeObject, now)),
  };
}
