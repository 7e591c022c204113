// Go's encoding/json syntax errors ("invalid character 'n' looking for beginning of object key
// string", "unexpected end of JSON input"), which the real API server puts in its 400s for bodies
// and patches that are not JSON. Only called once JSON.parse has failed: a byte-level replay of
// Go's scanner (encoding/json/scanner.go) that stops at the first error. At the end of the input Go
// steps one space (scanner.eof), hence "invalid character ' ' in literal true" for `tru`.

const WS = new Set([0x20, 0x09, 0x0d, 0x0a]);
const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;
const isHex = (c: number): boolean => isDigit(c) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46);

/** Go's quoteChar: the offending byte as Go prints it. */
function quoteChar(c: number): string {
  if (c === 0x27) return '\'\\\'\'';
  if (c === 0x22) return '\'"\'';
  const named: Record<number, string> = { 0x07: '\\a', 0x08: '\\b', 0x0c: '\\f', 0x0a: '\\n', 0x0d: '\\r', 0x09: '\\t', 0x0b: '\\v', 0x5c: '\\\\' };
  const n = named[c];
  if (n !== undefined) return `'${n}'`;
  if (c < 0x20 || c === 0x7f) return `'\\x${c.toString(16).padStart(2, '0')}'`;
  if (c >= 0x80 && c < 0xa0) return `'\\u${c.toString(16).padStart(4, '0')}'`;
  return `'${String.fromCharCode(c)}'`;
}

/** The message Go's json.Unmarshal would give for `text`, or undefined when it is valid JSON. */
export function goJsonError(text: string): string | undefined {
  const b = Buffer.from(text, 'utf8');
  let i = 0;
  const err = (c: number, context: string): string => `invalid character ${quoteChar(c)} ${context}`;
  const EOF = 'unexpected end of JSON input';
  const skipWs = (): void => { while (i < b.length && WS.has(b[i] as number)) i++; };
  // Returns an error message, or undefined once one value was scanned.
  const value = (): string | undefined => {
    skipWs();
    if (i >= b.length) return EOF;
    const c = b[i] as number;
    if (c === 0x7b) { // {
      i++;
      skipWs();
      if (i >= b.length) return EOF;
      if (b[i] === 0x7d) { i++; return undefined; }
      for (;;) {
        skipWs();
        if (i >= b.length) return EOF;
        if (b[i] !== 0x22) return err(b[i] as number, 'looking for beginning of object key string');
        const s = string();
        if (s) return s;
        skipWs();
        if (i >= b.length) return EOF;
        if (b[i] !== 0x3a) return err(b[i] as number, 'after object key');
        i++;
        const v = value();
        if (v) return v;
        skipWs();
        if (i >= b.length) return EOF;
        if (b[i] === 0x2c) { i++; continue; }
        if (b[i] === 0x7d) { i++; return undefined; }
        return err(b[i] as number, 'after object key:value pair');
      }
    }
    if (c === 0x5b) { // [
      i++;
      skipWs();
      if (i >= b.length) return EOF;
      if (b[i] === 0x5d) { i++; return undefined; }
      for (;;) {
        const v = value();
        if (v) return v;
        skipWs();
        if (i >= b.length) return EOF;
        if (b[i] === 0x2c) { i++; continue; }
        if (b[i] === 0x5d) { i++; return undefined; }
        return err(b[i] as number, 'after array element');
      }
    }
    if (c === 0x22) return string();
    if (c === 0x2d || isDigit(c)) return number();
    const literals: Record<number, string> = { 0x74: 'true', 0x66: 'false', 0x6e: 'null' };
    const lit = literals[c];
    if (lit !== undefined) {
      for (let k = 1; k < lit.length; k++) {
        i++;
        if (i >= b.length) return err(0x20, `in literal ${lit} (expecting '${lit[k] ?? ''}')`);
        if (b[i] !== lit.charCodeAt(k)) return err(b[i] as number, `in literal ${lit} (expecting '${lit[k] ?? ''}')`);
      }
      i++;
      return undefined;
    }
    return err(c, 'looking for beginning of value');
  };
  const string = (): string | undefined => {
    i++; // opening quote
    for (;;) {
      if (i >= b.length) return EOF;
      const c = b[i] as number;
      if (c === 0x22) { i++; return undefined; }
      if (c === 0x5c) {
        i++;
        if (i >= b.length) return err(0x20, 'in string escape code');
        const e = b[i] as number;
        if (e === 0x75) {
          for (let k = 0; k < 4; k++) {
            i++;
            if (i >= b.length) return err(0x20, 'in \\u hexadecimal character escape');
            if (!isHex(b[i] as number)) return err(b[i] as number, 'in \\u hexadecimal character escape');
          }
        } else if (!'bfnrt\\/"'.includes(String.fromCharCode(e))) return err(e, 'in string escape code');
        i++;
        continue;
      }
      if (c < 0x20) return err(c, 'in string literal');
      i++;
    }
  };
  const number = (): string | undefined => {
    if (b[i] === 0x2d) {
      i++;
      if (i >= b.length) return err(0x20, 'in numeric literal');
      if (!isDigit(b[i] as number)) return err(b[i] as number, 'in numeric literal');
    }
    if (b[i] === 0x30) i++;
    else while (i < b.length && isDigit(b[i] as number)) i++;
    if (i < b.length && b[i] === 0x2e) {
      i++;
      if (i >= b.length) return err(0x20, 'after decimal point in numeric literal');
      if (!isDigit(b[i] as number)) return err(b[i] as number, 'after decimal point in numeric literal');
      while (i < b.length && isDigit(b[i] as number)) i++;
    }
    if (i < b.length && (b[i] === 0x65 || b[i] === 0x45)) {
      i++;
      if (i < b.length && (b[i] === 0x2b || b[i] === 0x2d)) i++;
      if (i >= b.length) return err(0x20, 'in exponent of numeric literal');
      if (!isDigit(b[i] as number)) return err(b[i] as number, 'in exponent of numeric literal');
      while (i < b.length && isDigit(b[i] as number)) i++;
    }
    return undefined;
  };
  const first = value();
  if (first) return first;
  skipWs();
  if (i < b.length) return err(b[i] as number, 'after top-level value');
  return undefined;
}

/**
 * The duplicate object keys of a JSON text (valid JSON: call after JSON.parse succeeded), as the
 * real server's strict decoding names them: `spec.a[0].x`, in the order their second occurrence
 * appears. The last occurrence wins in the decoded value, as with JSON.parse.
 */
export function duplicateFields(text: string): string[] {
  const out: string[] = [];
  let i = 0;
  const ws = (): void => { while (i < text.length && (text[i] === ' ' || text[i] === '\t' || text[i] === '\n' || text[i] === '\r')) i++; };
  const str = (): string => {
    const start = i;
    i++;
    while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
    i++;
    return JSON.parse(text.slice(start, i)) as string;
  };
  const value = (path: string): void => {
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      const seen = new Set<string>();
      ws();
      if (text[i] === '}') { i++; return; }
      for (;;) {
        ws();
        const key = str();
        const p = path === '' ? key : `${path}.${key}`;
        ws();
        i++; // ':'
        value(p);
        if (seen.has(key)) out.push(p); else seen.add(key);
        ws();
        if (text[i] === ',') { i++; continue; }
        i++; // '}'
        return;
      }
    }
    if (c === '[') {
      i++;
      ws();
      if (text[i] === ']') { i++; return; }
      for (let n = 0; ; n++) {
        value(`${path}[${n}]`);
        ws();
        if (text[i] === ',') { i++; continue; }
        i++; // ']'
        return;
      }
    }
    if (c === '"') { str(); return; }
    while (i < text.length && !',}] \t\n\r'.includes(text[i] as string)) i++; // number or literal
  };
  value('');
  return out;
}
