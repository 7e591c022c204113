import { CelCompileError } from './ast.ts';

export type Token =
  | { t: 'int'; v: bigint; pos: number }
  | { t: 'uint'; v: bigint; pos: number }
  | { t: 'double'; v: number; pos: number }
  | { t: 'str'; v: string; pos: number }
  | { t: 'bytes'; v: Uint8Array; pos: number }
  | { t: 'id'; v: string; pos: number }
  | { t: 'op'; v: string; pos: number }
  | { t: 'eof'; v: ''; pos: number };

const OPS3 = new Set(['.?[']);
const OPS2 = new Set(['<=', '>=', '==', '!=', '&&', '||', '.?', '[?']);
const OPS1 = new Set(['+', '-', '*', '/', '%', '<', '>', '!', '?', ':', '.', ',', '(', ')', '[', ']', '{', '}']);

const isDigit = (c: string): boolean => c >= '0' && c <= '9';
const isIdStart = (c: string): boolean => (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c === '_';
const isHex = (c: string): boolean => isDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');

/** Splits a CEL expression into tokens; throws CelCompileError on a malformed token. */
export function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  const n = src.length;
  while (i < n) {
    const c = src[i] as string;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f') {
      i++;
      continue;
    }
    if (c === '/' && src[i + 1] === '/') {
      while (i < n && src[i] !== '\n') i++;
      continue;
    }
    const start = i;
    // string / bytes literals with optional r/R and b/B prefixes
    const lc = c.toLowerCase();
    if (c === '"' || c === "'" || ((lc === 'r' || lc === 'b') && isQuoteAhead(src, i))) {
      let raw = false;
      let bytes = false;
      while (src[i] !== '"' && src[i] !== "'") {
        const p = (src[i] as string).toLowerCase();
        if (p === 'r') raw = true;
        else bytes = true;
        i++;
      }
      const q = src[i] as string;
      const triple = src.startsWith(q + q + q, i);
      const delim = triple ? q + q + q : q;
      i += delim.length;
      let s = '';
      const byteVals: number[] = [];
      for (;;) {
        if (i >= n) throw new CelCompileError(`Syntax error: unterminated string literal`, start);
        if (src.startsWith(delim, i)) {
          i += delim.length;
          break;
        }
        const ch = src[i] as string;
        if (!triple && (ch === '\n' || ch === '\r')) throw new CelCompileError('Syntax error: newline in string literal', i);
        if (ch === '\\' && !raw) {
          const [text, codes, len] = readEscape(src, i, bytes);
          s += text;
          byteVals.push(...codes);
          i += len;
          continue;
        }
        const cp = src.codePointAt(i) as number;
        const chs = String.fromCodePoint(cp);
        s += chs;
        if (bytes) byteVals.push(...new TextEncoder().encode(chs));
        i += chs.length;
      }
      if (bytes) out.push({ t: 'bytes', v: Uint8Array.from(byteVals), pos: start });
      else out.push({ t: 'str', v: s, pos: start });
      continue;
    }
    if (isDigit(c) || (c === '.' && isDigit(src[i + 1] ?? ''))) {
      if (c === '0' && (src[i + 1] === 'x' || src[i + 1] === 'X')) {
        i += 2;
        while (i < n && isHex(src[i] as string)) i++;
        const text = src.slice(start, i);
        if (text.length === 2) throw new CelCompileError('Syntax error: malformed hex literal', start);
        if (src[i] === 'u' || src[i] === 'U') {
          i++;
          out.push({ t: 'uint', v: checkUint(BigInt(text), start), pos: start });
        } else out.push({ t: 'int', v: checkInt(BigInt(text), start), pos: start });
        continue;
      }
      while (i < n && isDigit(src[i] as string)) i++;
      let isDouble = false;
      if (src[i] === '.' && isDigit(src[i + 1] ?? '')) {
        isDouble = true;
        i++;
        while (i < n && isDigit(src[i] as string)) i++;
      }
      if (src[i] === 'e' || src[i] === 'E') {
        let j = i + 1;
        if (src[j] === '+' || src[j] === '-') j++;
        if (isDigit(src[j] ?? '')) {
          isDouble = true;
          i = j;
          while (i < n && isDigit(src[i] as string)) i++;
        }
      }
      const text = src.slice(start, i);
      if (isDouble) out.push({ t: 'double', v: Number(text), pos: start });
      else if (src[i] === 'u' || src[i] === 'U') {
        i++;
        out.push({ t: 'uint', v: checkUint(BigInt(text), start), pos: start });
      } else out.push({ t: 'int', v: checkInt(BigInt(text), start), pos: start });
      if (isIdStart(src[i] ?? '')) throw new CelCompileError(`Syntax error: unexpected character '${src[i]}' after number`, i);
      continue;
    }
    if (isIdStart(c)) {
      while (i < n && (isIdStart(src[i] as string) || isDigit(src[i] as string))) i++;
      out.push({ t: 'id', v: src.slice(start, i), pos: start });
      continue;
    }
    const three = src.slice(i, i + 3);
    const two = src.slice(i, i + 2);
    if (OPS3.has(three)) {
      out.push({ t: 'op', v: three, pos: start });
      i += 3;
    } else if (OPS2.has(two)) {
      out.push({ t: 'op', v: two, pos: start });
      i += 2;
    } else if (OPS1.has(c)) {
      out.push({ t: 'op', v: c, pos: start });
      i++;
    } else {
      throw new CelCompileError(`Syntax error: token recognition error at: '${c}'`, start);
    }
  }
  out.push({ t: 'eof', v: '', pos: n });
  return out;
}

function isQuoteAhead(src: string, i: number): boolean {
  // r"..", b"..", rb"..", br".."
  const a = src[i + 1];
  if (a === '"' || a === "'") return true;
  const b = src[i + 2];
  const a2 = (a ?? '').toLowerCase();
  return (a2 === 'r' || a2 === 'b') && a2 !== (src[i] as string).toLowerCase() && (b === '"' || b === "'");
}

const INT64_MAX = (1n << 63n) - 1n;
const UINT64_MAX = (1n << 64n) - 1n;
function checkInt(v: bigint, pos: number): bigint {
  // -9223372036854775808 is handled by the parser negating the literal
  if (v > INT64_MAX + 1n) throw new CelCompileError('Syntax error: integer literal out of range', pos);
  return v;
}
function checkUint(v: bigint, pos: number): bigint {
  if (v > UINT64_MAX) throw new CelCompileError('Syntax error: unsigned literal out of range', pos);
  return v;
}

const SIMPLE_ESC: Record<string, string> = {
  a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\\': '\\', "'": "'", '"': '"', '`': '`', '?': '?',
};

/** Returns [text, bytes, consumed length] for the escape sequence at src[i] === '\\'. */
function readEscape(src: string, i: number, bytes: boolean): [string, number[], number] {
  const e = src[i + 1] ?? '';
  const simple = SIMPLE_ESC[e];
  if (simple !== undefined) return [simple, [simple.charCodeAt(0)], 2];
  const hexRun = (from: number, len: number): number => {
    const h = src.slice(from, from + len);
    if (h.length !== len || ![...h].every(isHex)) throw new CelCompileError(`Syntax error: invalid escape sequence`, i);
    return parseInt(h, 16);
  };
  if (e === 'x' || e === 'X') {
    const v = hexRun(i + 2, 2);
    return bytes ? ['', [v], 4] : [String.fromCodePoint(v), [v], 4];
  }
  if (e === 'u' || e === 'U') {
    if (bytes) throw new CelCompileError('Syntax error: \\u escape not allowed in bytes literal', i);
    const len = e === 'u' ? 4 : 8;
    const v = hexRun(i + 2, len);
    if (v > 0x10ffff || (v >= 0xd800 && v < 0xe000)) throw new CelCompileError('Syntax error: invalid unicode code point', i);
    return [String.fromCodePoint(v), [], 2 + len];
  }
  if (e >= '0' && e <= '3') {
    const o = src.slice(i + 1, i + 4);
    if (!/^[0-7]{3}$/.test(o)) throw new CelCompileError('Syntax error: invalid octal escape', i);
    const v = parseInt(o, 8);
    return bytes ? ['', [v], 4] : [String.fromCodePoint(v), [v], 4];
  }
  throw new CelCompileError(`Syntax error: invalid escape sequence '\\${e}'`, i);
}
