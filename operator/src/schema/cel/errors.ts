/**
 * The library's errors reworded as a kube-apiserver (cel-go) reports them, checked against a
 * real one: compile errors as `ERROR: <input>:1:4: undeclared reference to 'foo' (in
 * container '')`, `found no matching overload for '_+_' applied to '(int, string)'` or
 * `Syntax error: extraneous input '*' expecting {...}`, with cel-go's positions (a call's
 * `(`, a binary operator); run-time errors as `no such key: x`, `index out of bounds: 5`,
 * `no such overload`, `no such overload: lowerAscii(int)`.
 */
import type { ASTNode } from '@marcbachmann/cel-js';
import { CelEvalError } from './convert.ts';
import { RegexError, re2 } from './regex.ts';

/**
 * A rule the apiserver refuses: a syntax or type error (`stage` compile, the message in
 * cel-go's `ERROR: <input>:1:5: ...` form) or a bad regex literal found when the program is
 * planned (`stage` program). `pos` is the 0-based character offset in the rule.
 */
export class CelCompileError extends Error {
  readonly code = 'CEL_COMPILE' as const;
  readonly pos: number;
  readonly stage: 'compile' | 'program';
  constructor(message: string, pos: number, stage: 'compile' | 'program' = 'compile') {
    super(message);
    this.name = 'CelCompileError';
    this.pos = pos;
    this.stage = stage;
  }
}

/** What the library's ParseError, TypeError and EvaluationError carry. */
export type LibError = Error & { code: string; summary: string; range?: { start: number; end: number }; node?: ASTNode };

export function isLibError(e: unknown): e is LibError {
  return e instanceof Error && ['ParseError', 'TypeError', 'EvaluationError'].includes(e.name) && typeof (e as { summary?: unknown }).summary === 'string';
}

const EXPR_START = "{'[', '{', '(', '.', '-', '!', 'true', 'false', 'null', NUM_FLOAT, NUM_INT, NUM_UINT, STRING, BYTES, IDENTIFIER}";
const TOKENS: Record<string, string> = { RPAREN: ')', RBRACKET: ']', RBRACE: '}', COLON: ':', COMMA: ',', IDENTIFIER: 'IDENTIFIER' };

/**
 * `ERROR: <input>:line:col: message` and the line with a caret under the column, as cel-go
 * prints a compile error (common/error.go ToDisplayString): 1-based line, column in code
 * points, a wide dot under wide characters.
 */
export function displayError(source: string, message: string, pos: number): string {
  const before = source.slice(0, pos).split('\n');
  const col = Array.from(before[before.length - 1] ?? '').length;
  const line = (source.split('\n')[before.length - 1] ?? '').replaceAll('\t', ' ');
  let out = `ERROR: <input>:${before.length}:${col + 1}: ${message}`;
  if (Buffer.byteLength(line) <= 16384) {
    const chars = Array.from(line);
    const wide = (c: string | undefined): boolean => c !== undefined && Buffer.byteLength(c) > 1;
    const dots = chars.slice(0, col).map((c) => (wide(c) ? '\uff0e' : '.')).join('');
    out += `\n | ${line}\n | ${dots}${wide(chars[col]) ? '\uff3e' : '^'}`;
  }
  return out;
}

/** A compile error at `pos` (0-based offset), worded as cel-go displays it. */
export function compileError(source: string, message: string, pos: number): CelCompileError {
  return new CelCompileError(displayError(source, message, pos), pos);
}

const celType = (t: string): string => t.replace(/^dyn<(.*)>$/, '$1').replaceAll('<', '(').replaceAll('>', ')');
const lowerFirst = (s: string): string => s.charAt(0).toLowerCase() + s.slice(1);

/** Where cel-go puts a node's error: the operator of a binary expression, the `(` of a call. */
export function anchor(source: string, n: ASTNode | undefined, fallback: number): number {
  if (n === undefined) return fallback;
  if (n.op === 'call') return Math.max(n.start, source.indexOf('(', n.start + n.args[0].length));
  if (n.op === 'rcall') return Math.max(n.start, source.indexOf('(', source.indexOf(n.args[0], n.args[1].end)));
  if (n.op === '?:') return Math.max(n.start, source.indexOf('?', n.args[0].end));
  if (Array.isArray(n.args) && n.args.length === 2 && !['[]', '[?]', '.', '.?', 'map', 'list'].includes(n.op)) {
    const [l] = n.args as [ASTNode, ASTNode];
    const i = source.indexOf(n.op, l.end);
    if (i >= 0) return i;
  }
  return n.start;
}

/** A library parse or check error as the apiserver words it. */
export function fromLibCompileError(source: string, e: LibError, isFunction: (name: string) => boolean): CelCompileError {
  const start = e.range?.start ?? e.node?.start ?? 0;
  const text = source.slice(start, e.range?.end ?? start);
  const s = e.summary;
  const at = (msg: string, pos = start): CelCompileError => compileError(source, msg, pos);
  switch (e.code) {
    case 'unexpected_token': {
      if (/EOF$/.test(s)) return at(`Syntax error: mismatched input '<EOF>' expecting ${EXPR_START}`);
      // ANTLR drops a stray token when what follows it parses ("extraneous"), else it is "mismatched"
      const stray = source.slice(e.range?.end ?? start).trim() === '' ? 'mismatched' : 'extraneous';
      return at(`Syntax error: ${stray} input '${text}' expecting ${EXPR_START}`);
    }
    case 'expected_token': {
      const [, want = '', got = ''] = /Expected (\w+), got (\w+)/.exec(s) ?? [];
      const g = got === 'EOF' ? '<EOF>' : text;
      if (want === 'IDENTIFIER') {
        const dot = source.lastIndexOf('.', start - 1);
        return at(`Syntax error: no viable alternative at input '${source.slice(dot, Math.max(dot + 1, e.range?.end ?? start))}'`);
      }
      if (want === 'RBRACKET' || want === 'RBRACE') return at(`Syntax error: mismatched input '${g}' expecting {'${TOKENS[want] ?? ''}', ','}`);
      const w = TOKENS[want] ?? want;
      return at(w === ')' ? `Syntax error: missing ')' at '${g}'` : `Syntax error: mismatched input '${g}' expecting ${w.length === 1 ? `'${w}'` : w}`);
    }
    case 'unexpected_character': {
      const ident = /([A-Za-z_][\w.]*)\s*$/.exec(source.slice(0, start));
      if (text === '{' && ident !== null) return at(`undeclared reference to '${ident[1]}' (in container '')`);
      if (/^[#$@`\\~^;]/.test(text) || !/^[\x20-\x7e]/.test(text)) return at(`Syntax error: token recognition error at: '${source[start] ?? ''}'`);
      return at(`Syntax error: extraneous input '${text}' expecting <EOF>`);
    }
    case 'unterminated_string':
    case 'unterminated_triple_quoted_string':
    case 'newline_in_string':
    case 'invalid_escape_sequence': {
      const open = Math.max(source.lastIndexOf('"', start), source.lastIndexOf("'", start));
      const from = open < 0 ? start : Math.min(open, start);
      return at(`Syntax error: token recognition error at: '${source.slice(from, e.range?.end ?? source.length)}'`, from);
    }
    case 'reserved_identifier':
      return at(`reserved identifier: ${text}`);
    case 'invalid_hex_integer':
    case 'invalid_integer':
    case 'invalid_number':
    case 'invalid_exponent':
      if (text === '0x') return at("Syntax error: extraneous input 'x' expecting <EOF>", start + 1);
      return at(/u$/i.test(text) ? 'invalid uint literal' : /^[^x]*[.eE]/.test(text) ? 'invalid double literal' : 'invalid int literal');
    case 'invalid_macro_argument':
      return at(/^has\(/.test(s) ? 'invalid argument to has() macro' : 'argument must be a simple name');
    case 'unknown_variable':
      return at(`undeclared reference to '${s.replace(/^Unknown variable: /, '')}' (in container '')`);
    case 'no_matching_overload': {
      const [, recv, name = '', args = ''] = /for '(?:(.+)\.)?(\w+)\((.*)\)'$/.exec(s) ?? [];
      const pos = anchor(source, e.node, start);
      if (!isFunction(name)) return at(`undeclared reference to '${name}' (in container '')`, pos);
      const sig = `${recv === undefined ? '' : `${celType(recv)}.`}(${args.split(', ').filter((a) => a !== '').map(celType).join(', ')})`;
      return at(`found no matching overload for '${name}' applied to '${sig}'`, pos);
    }
    case 'no_such_overload': {
      const bin = /^no such overload: (\S+) (\S+) (\S+)$/.exec(s);
      const un = /^no such overload: ([!-])(\S+)$/.exec(s);
      const pos = anchor(source, e.node, start);
      if (bin !== null) return at(`found no matching overload for '${bin[2] === 'in' ? '@in' : `_${bin[2]}_`}' applied to '(${celType(bin[1] ?? '')}, ${celType(bin[3] ?? '')})'`, pos);
      if (un !== null) return at(`found no matching overload for '${un[1]}_' applied to '(${celType(un[2] ?? '')})'`, pos);
      return at(s, pos);
    }
    case 'incompatible_ternary_branches': {
      const [, t = 'dyn', f = 'dyn'] = /got '(.+)' and '(.+)'$/.exec(s) ?? [];
      return at(`found no matching overload for '_?_:_' applied to '(bool, ${celType(t)}, ${celType(f)})'`, anchor(source, e.node, start));
    }
    case 'invalid_condition_type': {
      const [, t = 'dyn'] = /got '(.+)'$/.exec(s) ?? [];
      return at(`found no matching overload for '_?_:_' applied to '(${celType(t)}, ...)'`, Math.max(start, source.indexOf('?', e.node?.end ?? start)));
    }
    default:
      return at(lowerFirst(s));
  }
}

/** A library evaluation error as the apiserver words it. */
export function fromLibEvalError(e: LibError): CelEvalError {
  const s = e.summary;
  const list = /index out of bounds, index (-?\d+) >= size (\d+)/.exec(s);
  if (list !== null) return new CelEvalError(`index out of bounds: ${list[1]}`);
  switch (e.code) {
    case 'no_such_key':
      return new CelEvalError(lowerFirst(s));
    case 'no_such_overload': // an operator: cel-go names neither it nor the types at run time
      return new CelEvalError('no such overload');
    case 'no_matching_overload': {
      const [, recv, name = '', args = ''] = /for '(?:(.+)\.)?(\w+)\((.*)\)'$/.exec(s) ?? [];
      const types = [...(recv === undefined ? [] : [recv]), ...args.split(', ').filter((a) => a !== '')].map(celType);
      return new CelEvalError(`no such overload: ${name}(${types.join(', ')})`);
    }
    case 'modulo_by_zero':
      return new CelEvalError('modulus by zero');
    case 'numeric_overflow':
      return new CelEvalError(/unsigned/i.test(s) ? 'unsigned integer overflow' : 'integer overflow');
    case 'optional_value_missing':
      return new CelEvalError('optional.none() dereference');
    case 'invalid_regular_expression': {
      try {
        re2(s.replace(/^Invalid regular expression: /, ''));
      } catch (err) {
        if (err instanceof RegexError) return new CelEvalError(err.message);
      }
      return new CelEvalError(lowerFirst(s));
    }
    case 'invalid_timestamp':
      return new CelEvalError("type conversion error from 'string' to 'google.protobuf.Timestamp'");
    case 'invalid_duration':
      return new CelEvalError("type conversion error from 'string' to 'google.protobuf.Duration'");
    default:
      return new CelEvalError(lowerFirst(s));
  }
}
