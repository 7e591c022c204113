/**
 * The checks a kube-apiserver makes of one schema node's `x-kubernetes-validations` when a CRD
 * is written (apiextensions validation.go), worded as it words them: first the rules' own fields
 * (SchemaErrors: an empty rule, a message with line breaks, an unknown reason, a fieldPath that
 * names nothing), then, when the schema is otherwise valid, their CEL (CELErrors: compile
 * errors, non-bool rules, messageExpressions, oldSelf where the old value cannot be found, and
 * the estimated cost against its limits).
 */
import { CelCompileError, compile } from './cel/index.ts';
import type { Program } from './cel/index.ts';
import { costErrorMessage, estimateCost, resultType, ruleCost, schemaTypeErrors, STATIC_ESTIMATED_COST_LIMIT } from './estimate/index.ts';
import type { DeclType } from './estimate/index.ts';
import { goValue } from './messages.ts';
import type { FieldCause, JSONSchemaProps, ValidationRule } from './types.ts';

const REASONS = new Set(['FieldValueInvalid', 'FieldValueForbidden', 'FieldValueRequired', 'FieldValueDuplicate']);
const NEWLINES = /[\n\r]/;

/** Go's JSON of a value: `<`, `>`, `&`, U+2028 and U+2029 escaped. */
const goJson = (v: unknown): string =>
  JSON.stringify(v).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

/** A rule as field.Invalid prints the internal ValidationRule struct (Go field names). */
export function goRule(r: ValidationRule): string {
  return `{"Rule":${goJson(r.rule)},"Message":${goJson(r.message ?? '')},"MessageExpression":${goJson(r.messageExpression ?? '')},`
    + `"Reason":${r.reason === undefined ? 'null' : goJson(r.reason)},"FieldPath":${goJson(r.fieldPath ?? '')},`
    + `"OptionalOldSelf":${r.optionalOldSelf === undefined ? 'null' : String(r.optionalOldSelf)}}`;
}

const cause = (reason: FieldCause['reason'], field: string, message: string): FieldCause => ({ reason, field, message });

/** Errors of the rules' own fields (the apiserver's SchemaErrors); `path` is the node's field path. */
export function ruleSchemaCauses(s: JSONSchemaProps, path: string): FieldCause[] {
  const out: FieldCause[] = [];
  (s['x-kubernetes-validations'] ?? []).forEach((r, i) => {
    const p = `${path}.x-kubernetes-validations[${i}]`;
    const rule = typeof r.rule === 'string' ? r.rule.trim() : '';
    const message = r.message ?? '';
    if (rule === '') out.push(cause('FieldValueRequired', `${p}.rule`, 'Required value: rule is not specified'));
    else if (message !== '' && message.trim() === '') out.push(cause('FieldValueInvalid', `${p}.message`, `Invalid value: ${goValue(message)}: must be non-empty if specified`));
    else if (NEWLINES.test(message.trim())) out.push(cause('FieldValueInvalid', `${p}.message`, `Invalid value: ${goValue(message)}: must not contain line breaks`));
    else if (NEWLINES.test(rule) && message.trim() === '') out.push(cause('FieldValueRequired', `${p}.message`, 'Required value: message must be specified if rule contains line breaks'));
    if (r.messageExpression !== undefined && r.messageExpression !== '' && r.messageExpression.trim() === '') {
      out.push(cause('FieldValueRequired', `${p}.messageExpression`, 'Required value: messageExpression must be non-empty if specified'));
    }
    if (r.reason !== undefined && !REASONS.has(r.reason)) {
      out.push(cause('FieldValueNotSupported', `${p}.reason`,
        `Unsupported value: ${goValue(r.reason)}: supported values: "FieldValueDuplicate", "FieldValueForbidden", "FieldValueInvalid", "FieldValueRequired"`));
    }
    const fp = r.fieldPath ?? '';
    if (fp !== '' && fp.trim() === '') out.push(cause('FieldValueInvalid', `${p}.fieldPath`, `Invalid value: ${goValue(fp)}: must be non-empty if specified`));
    if (NEWLINES.test(fp)) out.push(cause('FieldValueInvalid', `${p}.fieldPath`, `Invalid value: ${goValue(fp)}: must not contain line breaks`));
    if (fp !== '' && !fieldPathExists(s, fp)) out.push(cause('FieldValueInvalid', `${p}.fieldPath`, `Invalid value: ${goValue(fp)}: must be a valid path`));
  });
  return out;
}

/** A rule's accumulated cost, for the CRD's total (validation.go TotalCost). */
export interface TotalCost {
  total: bigint;
  /** The most expensive rules (at least 1% of the CRD limit), most expensive first, at most 4. */
  mostExpensive: { path: string; cost: bigint }[];
}

export function observeCost(t: TotalCost, path: string, cost: bigint): void {
  const max = (1n << 64n) - 1n;
  t.total = t.total + cost > max ? max : t.total + cost;
  if (cost < 1_000_000n) return;
  t.mostExpensive.push({ path, cost });
  t.mostExpensive.sort((a, b) => (a.cost === b.cost ? 0 : a.cost > b.cost ? -1 : 1));
  t.mostExpensive.length = Math.min(t.mostExpensive.length, 4);
}

export interface CelContext {
  /** Set list items: where correlation with the old object was lost (oldSelf cannot be used below). */
  uncorrelatable: string | undefined;
  /** For cost estimation: `self`'s declaration, the node's cardinality (undefined: unbounded) and the CRD's running total. */
  cost?: { self: DeclType; cardinality: bigint | undefined; total: TotalCost } | undefined;
}

type Compiled = { program: Program } | { error: string };

/**
 * The estimator's answer, or `fallback` should it fail on an expression the library compiled
 * (a CRD is then checked as without it: never refused for the estimator's sake).
 */
function safely<T>(f: () => T, fallback: T): T {
  try {
    return f();
  } catch (err) {
    console.warn(`CEL estimate: ${(err as Error).message}`);
    return fallback;
  }
}

function compileExpr(source: string, want: 'bool' | 'string', self: DeclType | undefined, optionalOldSelf: boolean): Compiled {
  try {
    const program = compile(source);
    const typeErrors = self === undefined ? undefined : safely(() => schemaTypeErrors(source, self, optionalOldSelf), undefined);
    if (typeErrors !== undefined) return { error: `${want === 'bool' ? '' : 'messageExpression '}compilation failed: ${typeErrors}` };
    const typed = self === undefined ? 'dyn' : safely(() => resultType(source, self, optionalOldSelf), 'dyn');
    const known = typed === 'dyn' ? program.resultType : typed;
    if (known !== want && known !== 'dyn') return { error: want === 'bool' ? 'cel expression must evaluate to a bool' : 'messageExpression must evaluate to a string' };
    return { program };
  } catch (err) {
    if (!(err instanceof CelCompileError)) throw err;
    const what = want === 'bool' ? '' : 'messageExpression ';
    return { error: err.stage === 'program' ? `${what}${what ? 'instantiation' : 'program instantiation'} failed: ${err.message}` : `${what}compilation failed: ${err.message}` };
  }
}

/** The CEL errors of a node's rules (the apiserver's CELErrors), and their costs added to the total. */
export function ruleCelCauses(s: JSONSchemaProps, path: string, ctx: CelContext): FieldCause[] {
  const out: FieldCause[] = [];
  const cost = ctx.cost;
  const limitCheck = (field: string, name: string, c: bigint): void => {
    if (c > STATIC_ESTIMATED_COST_LIMIT) out.push(cause('FieldValueForbidden', field, `Forbidden: ${costErrorMessage(name, c, STATIC_ESTIMATED_COST_LIMIT)}`));
    if (cost !== undefined) observeCost(cost.total, field, c);
  };
  (s['x-kubernetes-validations'] ?? []).forEach((r, i) => {
    const p = `${path}.x-kubernetes-validations[${i}]`;
    if (typeof r.rule !== 'string' || r.rule.trim() === '') return;
    const optionalOld = r.optionalOldSelf === true;
    const c = compileExpr(r.rule, 'bool', cost?.self, optionalOld);
    const program = 'program' in c ? c.program : undefined;
    limitCheck(`${p}.rule`, 'estimated rule cost', program !== undefined && cost !== undefined
      ? safely(() => ruleCost(estimateCost(r.rule, cost.self, optionalOld).max, cost.cardinality, cost.self), 0n) : 0n);
    if ('error' in c) out.push(cause('FieldValueInvalid', `${p}.rule`, `Invalid value: ${goRule(r)}: ${c.error}`));
    if (program !== undefined && r.messageExpression !== undefined && r.messageExpression !== '') {
      const m = compileExpr(r.messageExpression, 'string', cost?.self, optionalOld);
      if ('error' in m) out.push(cause('FieldValueInvalid', `${p}.messageExpression`, `Invalid value: ${goRule(r)}: ${m.error}`));
      else limitCheck(`${p}.messageExpression`, 'estimated messageExpression cost', cost === undefined ? 0n : safely(() => estimateCost(r.messageExpression ?? '', cost.self, optionalOld).max, 0n));
    }
    if (program?.usesOldSelf === true) {
      if (ctx.uncorrelatable !== undefined) {
        out.push(cause('FieldValueInvalid', `${p}.rule`, `Invalid value: ${goValue(r.rule)}: oldSelf cannot be used on the uncorrelatable portion of the schema within ${ctx.uncorrelatable}`));
      }
    } else if (r.optionalOldSelf !== undefined) {
      out.push(cause('FieldValueInvalid', `${p}.optionalOldSelf`, `Invalid value: ${String(r.optionalOldSelf)}: may not be set if oldSelf is not used in rule`));
    }
  });
  return out;
}

/** Whether a rule's fieldPath (`.a.b`, `['k']`, `[0]`) names a field of the schema. */
export function fieldPathExists(s: JSONSchemaProps, fieldPath: string): boolean {
  let cur: JSONSchemaProps | undefined = s;
  const re = /\.([A-Za-z_$][A-Za-z0-9_$-]*)|\['((?:[^'\\]|\\.)*)'\]|\[(\d+)\]/gy;
  let m: RegExpExecArray | null;
  let consumed = 0;
  while ((m = re.exec(fieldPath)) !== null) {
    consumed = re.lastIndex;
    if (cur === undefined) return false;
    if (m[3] !== undefined) cur = cur.items;
    else {
      const name: string = m[1] ?? m[2] ?? '';
      cur = cur.properties?.[name] ?? (typeof cur.additionalProperties === 'object' ? cur.additionalProperties : undefined);
    }
  }
  return cur !== undefined && consumed === fieldPath.length && fieldPath.length > 0;
}
