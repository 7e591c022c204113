/**
 * Running the chart's Argo CD health checks (Lua) as Argo CD does: lua5.1 with only `obj`
 * and the safe standard library (no io, no os). Used by the packaging tests on fixtures and
 * by the end-to-end tests on objects the operator really wrote.
 */
import { run } from './tools.ts';

/** A Lua string literal (byte escapes for anything outside printable ASCII). */
export function luaString(s: string): string {
  let out = '"';
  for (const byte of Buffer.from(s, 'utf8')) {
    const c = String.fromCharCode(byte);
    if (c === '"' || c === '\\') out += `\\${c}`;
    else if (byte >= 0x20 && byte < 0x7f) out += c;
    else out += `\\${byte}`;
  }
  return `${out}"`;
}

/** A JSON-like value as a Lua table constructor (arrays 1-based, null → nil), as Argo CD converts it. */
export function luaValue(v: unknown): string {
  if (v === null || v === undefined) return 'nil';
  if (typeof v === 'string') return luaString(v);
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new Error(`cannot convert ${v} to Lua`);
    return String(v);
  }
  if (typeof v === 'boolean') return String(v);
  if (v instanceof Date) return luaString(v.toISOString());
  if (Array.isArray(v)) return `{${v.map(luaValue).join(', ')}}`;
  if (typeof v === 'object') {
    const fields = Object.entries(v as Record<string, unknown>)
      .filter(([, x]) => x !== null && x !== undefined)
      .map(([k, x]) => `[${luaString(k)}] = ${luaValue(x)}`);
    return `{${fields.join(', ')}}`;
  }
  throw new Error(`cannot convert ${typeof v} to Lua`);
}

/**
 * Runs a health script on an object with lua5.1. The script runs as a chunk with only
 * `obj` and the safe standard library in its environment (Argo CD gives no io or os).
 */
export function runHealth(scriptPath: string, obj: unknown): { status: string; message: string } {
  const program = `
local chunk = assert(loadfile(${luaString(scriptPath)}))
setfenv(chunk, {
  obj = ${luaValue(obj)},
  ipairs = ipairs, pairs = pairs, next = next, select = select, type = type,
  tostring = tostring, tonumber = tonumber, error = error, pcall = pcall, unpack = unpack,
  string = string, table = table, math = math,
})
local hs = chunk()
assert(type(hs) == "table", "health script must return a table")
io.write(tostring(hs.status), "\\n", tostring(hs.message))
`;
  const result = run('lua5.1', ['-'], { input: program });
  if (result.status !== 0) throw new Error(`lua5.1 failed on ${scriptPath}:\n${result.stderr}`);
  const [status = '', ...rest] = result.stdout.split('\n');
  return { status, message: rest.join('\n') };
}

