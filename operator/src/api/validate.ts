/**
 * Runtime validation of manifests against the zod types, with errors that name the field
 * path the way the API server does (`spec.users[2].email: must be an email address`).
 *
 * CEL rules attached with `rules()` are evaluated here too (by the same interpreter the
 * embedded API server uses), so a manifest refused by the CRD is refused here as well.
 */
import type { z } from 'zod';
import { evaluateCel } from '../schema/index.ts';
import { API_VERSION, rulesOf } from './common.ts';
import { KINDS, kindInfo, resourceSchema } from './kinds.ts';
import type { KindInfo, Resource } from './kinds.ts';
import { Recent } from '../util/recent.ts';

/** An object of kind K after validation (defaults applied). */
export type Parsed<K extends KindInfo> = Resource<z.output<K['spec']>, z.output<K['status']>>;

export interface FieldError {
  /** Field path, e.g. `spec.sites[0].numbers[1].number`. */
  field: string;
  message: string;
}

export class ValidationError extends Error {
  override readonly name = 'ValidationError';
  readonly code = 'Invalid' as const;
  readonly errors: FieldError[];
  constructor(what: string, errors: FieldError[]) {
    super(`${what} is invalid: ${errors.map((e) => `${e.field}: ${e.message}`).join('; ')}`);
    this.errors = errors;
  }
}

/** `['spec', 'users', 2, 'email']` → `spec.users[2].email`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out === '' ? '<root>' : out;
}

/** `.confirm.irreversible` relative to `spec` → `['confirm', 'irreversible']`. */
function fieldPathParts(fieldPath: string | undefined): string[] {
  if (!fieldPath) return [];
  return fieldPath.split('.').filter((p) => p !== '');
}

/** Walks a zod schema and a parsed value together, evaluating every CEL rule it meets. */
function celErrors(schema: z.ZodType, value: unknown, path: PropertyKey[], out: FieldError[]): void {
  if (value === undefined || value === null) return;
  for (const r of rulesOf(schema)) {
    if (r.rule.includes('oldSelf')) continue; // transition rules need the old object: the API server checks them
    let ok: unknown;
    try {
      ok = evaluateCel(r.rule, { self: value });
    } catch (err) {
      out.push({ field: formatPath(path), message: `rule ${r.rule} could not be evaluated: ${(err as Error).message}` });
      continue;
    }
    if (ok === true) continue;
    let message = r.message;
    if (r.messageExpression !== undefined) {
      try {
        const m = evaluateCel(r.messageExpression, { self: value });
        if (typeof m === 'string' && m.trim() !== '') message = m;
      } catch {
        // The API server falls back to `message` when the expression fails.
      }
    }
    out.push({ field: formatPath([...path, ...fieldPathParts(r.fieldPath)]), message });
  }
  const def = schema._zod.def;
  switch (def.type) {
    case 'object': {
      const shape = (schema as z.ZodObject).shape as Record<string, z.ZodType>;
      const obj = value as Record<string, unknown>;
      for (const [k, child] of Object.entries(shape)) celErrors(child, obj[k], [...path, k], out);
      break;
    }
    case 'array': {
      const item = (schema as z.ZodArray<z.ZodType>).element;
      (value as unknown[]).forEach((v, i) => celErrors(item, v, [...path, i], out));
      break;
    }
    case 'optional':
    case 'default':
    case 'nullable':
      celErrors((schema as z.ZodOptional<z.ZodType>).unwrap(), value, path, out);
      break;
    default:
      break;
  }
}

/** Validates one object of a known kind; returns it with defaults applied, or throws ValidationError. */
export function parseResource<K extends KindInfo>(info: K, obj: unknown): Parsed<K> {
  const schema = resourceSchema(info);
  const result = schema.safeParse(obj);
  const name = describe(obj, info.kind);
  if (!result.success) {
    throw new ValidationError(
      name,
      result.error.issues.map((i) => ({ field: formatPath(issuePath(i)), message: issueMessage(i) })),
    );
  }
  const parsed = result.data as Parsed<K>;
  const errors: FieldError[] = [];
  celErrors(info.spec, parsed.spec, ['spec'], errors);
  if (errors.length > 0) throw new ValidationError(name, errors);
  return parsed;
}

type ParsedEntry = { spec: unknown } | { error: ValidationError };

/**
 * Parsed specs (or the refusal) by kind and `uid@generation`, the last PARSED_KEEP per kind,
 * each with the JSON of the spec it was parsed from; and by the spec object itself.
 */
const PARSED_KEEP = 512;
const parsedSpecs = new Map<string, Recent<{ json: string; entry: ParsedEntry }>>();
const parsedBySpecObject = new WeakMap<object, ParsedEntry>();

function deepFreeze<T>(v: T): T {
  if (typeof v === 'object' && v !== null && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const x of Object.values(v)) deepFreeze(x);
  }
  return v;
}

/**
 * The parsed spec of a stored object, as `parseResource(info, obj).spec`, parsed once per
 * spec: controllers read the same Site (or order, or occupier) on many passes — zod and CEL
 * over it was a sixth of onboarding's CPU. A spec changes only with the object's generation,
 * so a status write (a new resourceVersion) does not cost another parse: keyed by
 * resourceVersion, every Site status write had every occupier at that Site parse the Site again
 * (zod was 7 % of onboarding's CPU). The spec's JSON must match too: an object derived from a
 * stored one (an occupier with its completed orders applied) keeps its uid and generation but
 * not its spec. The result is shared, so it is frozen (a caller that mutates it throws).
 * Objects without uid and generation (not from the API server) are parsed every time.
 */
export function parsedSpec<K extends KindInfo>(info: K, obj: { metadata?: { uid?: string; generation?: number }; spec?: unknown }): z.output<K['spec']> {
  const { uid, generation } = obj.metadata ?? {};
  const raw = obj.spec;
  if (!uid || generation === undefined || typeof raw !== 'object' || raw === null) return parseResource(info, obj).spec;
  let entry = parsedBySpecObject.get(raw);
  if (!entry) {
    let byKind = parsedSpecs.get(info.kind);
    if (!byKind) parsedSpecs.set(info.kind, (byKind = new Recent(PARSED_KEEP)));
    const key = `${uid}@${generation}`;
    const json = JSON.stringify(raw);
    const known = byKind.get(key);
    if (known && known.json === json) entry = known.entry;
    else {
      try {
        entry = { spec: deepFreeze(parseResource(info, obj).spec) };
      } catch (err) {
        if (!(err instanceof ValidationError)) throw err;
        entry = { error: err };
      }
      byKind.remember(key, { json, entry });
    }
    parsedBySpecObject.set(raw, entry);
  }
  if ('error' in entry) throw entry.error;
  return entry.spec as z.output<K['spec']>;
}

/** Validates a manifest of any of our kinds, choosing the kind from `kind`. */
export function parseManifest(obj: unknown): { info: KindInfo; value: unknown } {
  const kind = (obj as { kind?: unknown } | null)?.kind;
  const apiVersion = (obj as { apiVersion?: unknown } | null)?.apiVersion;
  if (apiVersion !== API_VERSION) {
    throw new ValidationError(describe(obj, 'object'), [{ field: 'apiVersion', message: `must be ${API_VERSION}` }]);
  }
  const info = typeof kind === 'string' ? kindInfo(kind) : undefined;
  if (!info) {
    throw new ValidationError(describe(obj, 'object'), [
      { field: 'kind', message: `must be one of ${KINDS.map((k) => k.kind).join(', ')}` },
    ]);
  }
  return { info, value: parseResource(info, obj) };
}

function describe(obj: unknown, kind: string): string {
  const name = (obj as { metadata?: { name?: unknown } } | null)?.metadata?.name;
  return `${kind} "${typeof name === 'string' ? name : '?'}"`;
}

/** Unknown keys are reported on the key itself, as the API server's strict decoding does. */
function issuePath(issue: z.core.$ZodIssue): PropertyKey[] {
  if (issue.code === 'unrecognized_keys' && issue.keys.length > 0) return [...issue.path, issue.keys[0] as string];
  return issue.path;
}

function issueMessage(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys') return `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
  if (issue.code === 'invalid_type' && issue.input === undefined) return 'Required value';
  return issue.message;
}
