import type { FieldCause } from './types.ts';

/** Go's `%v` / `%q` rendering of a bad value, as field.Error prints it. */
export function goValue(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  return JSON.stringify(v);
}

/** The JSON type name of a value, as go-openapi reports it in type errors. */
export function jsonType(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  if (typeof v === 'object') return 'object';
  return typeof v; // string, boolean
}

export function join(path: string, name: string): string {
  return path === '' ? name : `${path}.${name}`;
}

/** field.Invalid(path, value, detail). */
export function invalidCause(field: string, value: unknown, detail: string): FieldCause {
  return { reason: 'FieldValueInvalid', field, message: `Invalid value: ${goValue(value)}${detail === '' ? '' : `: ${detail}`}` };
}
