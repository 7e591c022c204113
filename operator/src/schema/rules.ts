import { compile, CelCompileError, CelEvalError, CelOptional } from './cel/index.ts';
import { toCel } from './compiled.ts';
import type { Compiled } from './compiled.ts';
import { goValue, invalidCause, join } from './messages.ts';
import type { FieldCause, JSONSchemaProps, ValidationRule } from './types.ts';

/**
 * Evaluates the `x-kubernetes-validations` of one schema node against its value, appending
 * the apiserver's causes. Transition rules run only with an old value (or optionalOldSelf).
 * Returns false when a rule exceeded the cost limit: no further rule may run.
 */
export function evaluateRules(s: JSONSchemaProps, c: Compiled, v: unknown, path: string, old: { v: unknown } | undefined, causes: FieldCause[]): boolean {
  for (const { rule, program } of c.rules) {
    const typeName = s.type ?? '';
    if (program instanceof CelCompileError) {
      causes.push(invalidCause(path, typeName, `rule compile error: ${program.message}`));
      continue;
    }
    if (program.usesOldSelf && old === undefined && rule.optionalOldSelf !== true) continue;
    const self = toCel(s, v, program.fieldNames);
    const oldSelf = old === undefined || !program.usesOldSelf ? undefined : toCel(s, old.v, program.fieldNames);
    const vars: Record<string, unknown> = { self };
    if (program.usesOldSelf) vars['oldSelf'] = rule.optionalOldSelf !== true ? oldSelf : old === undefined ? CelOptional.none() : CelOptional.of(oldSelf);
    let result: unknown;
    try {
      result = program.eval(vars);
    } catch (err) {
      if (!(err instanceof CelEvalError)) throw err;
      causes.push(invalidCause(path, typeName, evalErrorDetail(err.message, rule)));
      if (err.message.startsWith(COST_EXCEEDED)) return false;
      continue;
    }
    if (result === true) continue;
    if (typeof result !== 'boolean') {
      causes.push(invalidCause(path, typeName, `rule did not evaluate to a bool evaluating rule: ${rule.rule}`));
      continue;
    }
    const detail = ruleMessage(rule, s, v, old);
    const field = rule.fieldPath === undefined ? path : joinFieldPath(path, rule.fieldPath);
    switch (rule.reason) {
      case 'FieldValueForbidden':
        causes.push({ reason: 'FieldValueForbidden', field, message: `Forbidden: ${detail}` });
        break;
      case 'FieldValueRequired':
        causes.push({ reason: 'FieldValueRequired', field, message: `Required value: ${detail}` });
        break;
      case 'FieldValueDuplicate':
        causes.push({ reason: 'FieldValueDuplicate', field, message: `Duplicate value: ${goValue(typeName)}` });
        break;
      default:
        causes.push(invalidCause(field, typeName, detail));
    }
  }
  return true;
}

const COST_EXCEEDED = 'operation cancelled: actual cost limit exceeded';

/** The apiserver's wording of a rule that failed to run (apiextensions-apiserver schema/cel/validation.go). */
function evalErrorDetail(message: string, rule: ValidationRule): string {
  const name = rule.message !== undefined && rule.message.trim() !== '' ? rule.message.trim() : rule.rule.trim();
  if (message.startsWith('no such overload')) return `'${message}': call arguments did not match a supported operator, function or macro signature for rule: ${name}`;
  if (message.startsWith(COST_EXCEEDED)) return `'${message}': no further validation rules will be run due to call cost exceeds limit for rule: ${name}`;
  return `${message} evaluating rule: ${name}`;
}

function ruleMessage(rule: ValidationRule, s: JSONSchemaProps, v: unknown, old: { v: unknown } | undefined): string {
  if (rule.messageExpression !== undefined) {
    try {
      const p = compile(rule.messageExpression);
      const vars: Record<string, unknown> = { self: toCel(s, v, p.fieldNames) };
      if (p.usesOldSelf && old !== undefined) vars['oldSelf'] = toCel(s, old.v, p.fieldNames);
      const m = p.eval(vars);
      if (typeof m === 'string' && m.trim() !== '' && !/[\r\n]/.test(m)) return m;
    } catch (err) {
      if (!(err instanceof CelEvalError) && !(err instanceof CelCompileError)) throw err;
    }
  }
  if (rule.message !== undefined && rule.message !== '') return rule.message;
  return `failed rule: ${rule.rule}`;
}

/** Appends a rule's `fieldPath` (`.spec.a`, `.m['key']`, `.l[0]`) to the error path. */
export function joinFieldPath(base: string, fieldPath: string): string {
  let out = base;
  const re = /\.([A-Za-z_$][A-Za-z0-9_$-]*)|\['((?:[^'\\]|\\.)*)'\]|\[(\d+)\]/gy;
  let m: RegExpExecArray | null;
  while ((m = re.exec(fieldPath)) !== null) {
    if (m[1] !== undefined) out = join(out, m[1]);
    else if (m[2] !== undefined) out = join(out, m[2]);
    else out = `${out}[${m[3]}]`;
  }
  return out;
}
