// The CEL engine on the shared table (cel-cases.ts; the same cases run as CRD rules on both
// clusters in test/conformance/cel-table.test.ts), plus what only the engine shows.
import { describe, expect, test } from 'vitest';
import { compileRule, evaluateCel, CelCompileError, CelEvalError } from './index.ts';
import { celToString } from './cel/index.ts';
import { COMPILE_ERRORS, EVALUATION_CASES } from './cel-cases.ts';
import type { CelCase } from './cel-cases.ts';

const ev = (rule: string, vars: Record<string, unknown> = {}): unknown => evaluateCel(rule, vars);
const vars = (c: CelCase): Record<string, unknown> => (c.self === undefined ? {} : { self: c.self });
/** Groups whose errors are run-time errors (the others may be refused when compiled). */
const RUNTIME = new Set(['operators', 'quantity and url']);

const groups = [...new Set(EVALUATION_CASES.map((c) => c.group))];
describe.each(groups)('CEL %s', (group) => {
  const cases = EVALUATION_CASES.filter((c) => c.group === group);
  const values = cases.filter((c) => 'value' in c.want).map((c) => [c.expr, c] as const);
  const errors = cases.filter((c) => 'error' in c.want).map((c) => [c.expr, c] as const);
  if (values.length > 0) {
    test.each(values)('%s', (expr, c) => {
      expect(ev(expr, vars(c))).toEqual((c.want as { value: unknown }).value);
    });
  }
  const refused = cases.filter((c) => 'compileError' in c.want).map((c) => [c.expr, c] as const);
  if (refused.length > 0) {
    test.each(refused)('%s does not compile', (expr, c) => {
      expect(() => ev(expr, vars(c))).toThrow(CelCompileError);
      expect(() => ev(expr, vars(c))).toThrow((c.want as { compileError: RegExp }).compileError);
    });
  }
  if (errors.length > 0) {
    test.each(errors)('%s fails', (expr, c) => {
      const want = (c.want as { error: RegExp }).error;
      if (RUNTIME.has(group)) expect(() => ev(expr, vars(c))).toThrow(CelEvalError);
      expect(() => ev(expr, vars(c))).toThrow(want);
    });
  }
});

describe('CEL engine details', () => {
  test('lookaround is refused like RE2 does', () => {
    expect(() => ev('"ab".matches("a(?=b)")')).toThrow(/<input>:1:14: invalid matches argument/);
    expect(compileRule('"ab".find("a(?=b)") == ""')).toEqual({
      ok: false, error: 'program instantiation failed: error parsing regexp: invalid or unsupported Perl syntax: `(?=`',
    });
    expect(() => ev('"ab".matches(dyn("a(?=b)"))')).toThrow(/invalid or unsupported Perl syntax/); // a constant, even in dyn()
    expect(ev('"ab".matches(self)', { self: 'a(?=b)' })).toBe(true); // a pattern from the data runs as JavaScript RegExp
  });

  test('celToString renders lists and maps', () => {
    expect(celToString(ev('[dyn(1), dyn("a"), dyn(2.5)]'))).toBe('[1, "a", 2.500000]');
  });

  test('a compile error shows the line with a caret, as cel-go prints it', () => {
    expect(compileRule('self.a +')).toEqual({
      ok: false,
      error: "compilation failed: ERROR: <input>:1:9: Syntax error: mismatched input '<EOF>' expecting {'[', '{', '(', '.', '-', '!', 'true', 'false', 'null', NUM_FLOAT, NUM_INT, NUM_UINT, STRING, BYTES, IDENTIFIER}\n | self.a +\n | ........^",
    });
    // wide characters get wide dots; the column counts code points
    expect(compileRule('"é" + foo')).toEqual({
      ok: false, error: "compilation failed: ERROR: <input>:1:7: undeclared reference to 'foo' (in container '')\n | \"é\" + foo\n | .．....^",
    });
  });

  test('every undeclared reference is reported, in source order (cel-go reports them all)', () => {
    const r = compileRule('cel.bind(x, 1, x == 1)');
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.split('\n').filter((l) => l.startsWith('ERROR') || l.startsWith('compilation'))).toEqual([
        "compilation failed: ERROR: <input>:1:1: undeclared reference to 'cel' (in container '')",
        "ERROR: <input>:1:9: undeclared reference to 'bind' (in container '')",
        "ERROR: <input>:1:10: undeclared reference to 'x' (in container '')",
        "ERROR: <input>:1:16: undeclared reference to 'x' (in container '')",
      ]);
    }
  });
});

describe('CEL compile errors', () => {
  test.each(COMPILE_ERRORS.map((c) => [c.expr, (c.want as { compileError: RegExp }).compileError] as const))('%s', (rule, want) => {
    const r = compileRule(rule);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error).toMatch(/^compilation failed: ERROR: <input>:\d+:\d+: /);
      expect(r.error).toMatch(want);
    }
    expect(() => evaluateCel(rule, { self: {} })).toThrow(CelCompileError);
  });

  test.each([
    'self == oldSelf',
    '!has(oldSelf.status) || !has(oldSelf.status.startedAt) || self.spec == oldSelf.spec',
    'self.items.all(i, i.matches("^[a-z]+$"))',
    'self.x.y.z',
    'int(self) >= 0 ? true : false',
  ])('%s compiles', (rule) => {
    expect(compileRule(rule)).toEqual({ ok: true });
  });

  test('a rule must evaluate to a bool', () => {
    expect(compileRule('self.a + 1')).toEqual({ ok: false, error: 'cel expression must evaluate to a bool' });
    expect(compileRule('self.a')).toEqual({ ok: true }); // dyn: checked when it runs (or, in a CRD, from the schema)
  });

  test('the same rule compiled twice returns the cached verdict', () => {
    const a = compileRule('self.nope(');
    const b = compileRule('self.nope(');
    expect(a).toEqual(b);
    expect(a.ok).toBe(false);
  });
});
