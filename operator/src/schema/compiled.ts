import { compile, CelCompileError } from './cel/program.ts';
import type { Program } from './cel/program.ts';
import { CelTimestamp, parseDuration } from './cel/values.ts';
import { re2 } from './cel/functions.ts';
import { isObject } from './types.ts';
import type { JSONSchemaProps, ValidationRule } from './types.ts';

/** Per-schema-node data computed once (WeakMap-cached): compiled rules, regex, CEL conversion hints. */
export type Compiled = {
  required: string[];
  enumSet: unknown[] | undefined;
  pattern: RegExp | undefined;
  rules: { rule: ValidationRule; program: Program | CelCompileError }[];
  special: boolean; // has formats that change the CEL type of a value (date, date-time, duration, byte)
  specialProps: [string, JSONSchemaProps][]; // the properties that are special
};
const compiled = new WeakMap<JSONSchemaProps, Compiled>();

export function info(s: JSONSchemaProps): Compiled {
  let c = compiled.get(s);
  if (c === undefined) {
    let pattern: RegExp | undefined;
    if (s.pattern !== undefined) {
      try {
        pattern = re2(s.pattern);
      } catch {
        pattern = undefined;
      }
    }
    c = {
      required: s.required ?? [],
      enumSet: s.enum,
      pattern,
      rules: (s['x-kubernetes-validations'] ?? []).map((rule) => {
        try {
          return { rule, program: compile(rule.rule) };
        } catch (err) {
          if (err instanceof CelCompileError) return { rule, program: err };
          throw err;
        }
      }),
      special: hasSpecialFormat(s, new Set()),
      specialProps: Object.entries(s.properties ?? {}).filter(([, ps]) => hasSpecialFormat(ps, new Set())),
    };
    compiled.set(s, c);
  }
  return c;
}

const CEL_FORMATS = new Set(['date', 'date-time', 'datetime', 'duration', 'byte']);
function hasSpecialFormat(s: JSONSchemaProps, seen: Set<JSONSchemaProps>): boolean {
  if (seen.has(s)) return false;
  seen.add(s);
  if (s.type === 'string' && s.format !== undefined && CEL_FORMATS.has(s.format)) return true;
  if (s.properties !== undefined && Object.values(s.properties).some((p) => hasSpecialFormat(p, seen))) return true;
  if (s.items !== undefined && hasSpecialFormat(s.items, seen)) return true;
  if (typeof s.additionalProperties === 'object' && hasSpecialFormat(s.additionalProperties, seen)) return true;
  return false;
}

/**
 * The value as CEL sees it: date/date-time strings become timestamps (parsed on first use),
 * duration strings durations, byte strings bytes. Only the fields a rule can select
 * (`names`; undefined = any) are converted, and objects are copied only when one of their
 * fields changes, so a rule pays for the fields it reads.
 */
export function toCel(s: JSONSchemaProps, v: unknown, names: ReadonlySet<string> | undefined): unknown {
  if (v === null || v === undefined || !info(s).special) return v;
  if (typeof v === 'string') {
    switch (s.format) {
      case 'date':
        return CelTimestamp.lazy(`${v}T00:00:00Z`);
      case 'date-time':
      case 'datetime':
        return CelTimestamp.lazy(v);
      case 'duration':
        return parseDuration(v) ?? v;
      case 'byte':
        return BASE64.test(v) ? Uint8Array.from(Buffer.from(v, 'base64')) : v;
    }
    return v;
  }
  if (Array.isArray(v)) {
    const items = s.items;
    if (items === undefined) return v;
    let out: unknown[] | undefined;
    for (let i = 0; i < v.length; i++) {
      const x = toCel(items, v[i], names);
      if (x !== v[i]) (out ??= v.slice())[i] = x;
    }
    return out ?? v;
  }
  if (isObject(v)) {
    let out: Record<string, unknown> | undefined;
    const addl = typeof s.additionalProperties === 'object' ? s.additionalProperties : undefined;
    if (addl !== undefined && info(addl).special) {
      for (const k in v) {
        if (s.properties?.[k] !== undefined) continue;
        const x = toCel(addl, v[k], names);
        if (x !== v[k]) (out ??= { ...v })[k] = x;
      }
    }
    for (const [k, ps] of info(s).specialProps) {
      if (!(k in v) || (names !== undefined && !names.has(k))) continue;
      const x = toCel(ps, v[k], names);
      if (x !== v[k]) (out ??= { ...v })[k] = x;
    }
    return out ?? v;
  }
  return v;
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
