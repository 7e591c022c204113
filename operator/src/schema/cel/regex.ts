/**
 * RE2 patterns (Kubernetes' CEL regex functions and the OpenAPI `pattern` keyword) run on
 * JavaScript RegExp. A leading `(?i)`/`(?s)`/`(?m)` becomes flags, `\A` and `\z`
 * anchors become lookarounds, `(?P<name>` a named group; what RE2 refuses (lookaround,
 * backreferences) is refused here too, with Go's regexp wording.
 */

/** A pattern RE2 would not compile; the message is Go's (`error parsing regexp: ...`). */
export class RegexError extends Error {
  constructor(detail: string) {
    super(`error parsing regexp: ${detail}`);
    this.name = 'RegexError';
  }
}

/** The JavaScript source and flags for an RE2 pattern; throws RegexError. */
export function translateRe2(pattern: string): { source: string; flags: string } {
  let src = pattern;
  let flags = '';
  const lead = /^\(\?([ims]+)\)/.exec(src);
  if (lead !== null) {
    flags = lead[1] as string;
    src = src.slice(lead[0].length);
  }
  let out = '';
  let inClass = false;
  for (let i = 0; i < src.length; i++) {
    const c = src[i] as string;
    if (c === '\\') {
      const n = src[i + 1] ?? '';
      i++;
      if (!inClass && n === 'z') out += '(?![\\s\\S])';
      else if (!inClass && n === 'A') out += '(?<![\\s\\S])';
      else if (/[1-9]/.test(n)) throw new RegexError(`invalid escape sequence: \`\\${n}\``);
      else out += `\\${n}`;
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      out += c;
      continue;
    }
    if (c === '[') {
      inClass = true;
      if (src[i + 1] === ']' || (src[i + 1] === '^' && src[i + 2] === ']')) {
        const skip = src[i + 1] === '^' ? 2 : 1;
        out += src.slice(i, i + skip + 1).replace(/\]$/, '\\]');
        i += skip;
        continue;
      }
    } else if (c === '(' && src[i + 1] === '?') {
      const look = /^\(\?<?[=!]/.exec(src.slice(i));
      if (look !== null) throw new RegexError(`invalid or unsupported Perl syntax: \`${look[0]}\``);
      if (src.startsWith('(?P<', i)) {
        out += '(?<';
        i += 3;
        continue;
      }
    }
    out += c;
  }
  return { source: out, flags };
}

/** The JavaScript source for an RE2 pattern usable without flags (inline flags as a modifier group). */
export function inlineRe2(pattern: string): string {
  const { source, flags } = translateRe2(pattern);
  return flags === '' ? source : `(?${flags}:${source})`;
}

/** V8's syntax errors in Go's regexp wording. */
const GO_ERRORS: Record<string, string> = {
  'Unterminated group': 'missing closing )', "Unmatched ')'": 'unexpected )', 'Unterminated character class': 'missing closing ]',
  'Nothing to repeat': 'missing argument to repetition operator', '\\ at end of pattern': 'trailing backslash at end of expression',
  'Invalid group': 'invalid or unsupported Perl syntax', 'Incomplete quantifier': 'invalid repeat count',
  'numbers out of order in {} quantifier': 'invalid repeat count', 'Invalid escape': 'invalid escape sequence',
};

const cache = new Map<string, RegExp>();

/** Compiles an RE2 pattern to a RegExp (Unicode mode when JavaScript accepts it); throws RegexError. */
export function re2(pattern: string): RegExp {
  let re = cache.get(pattern);
  if (re === undefined) {
    const { source, flags } = translateRe2(pattern);
    try {
      re = new RegExp(source, `u${flags}`);
    } catch {
      // RE2 accepts identity escapes such as \- that JavaScript's Unicode mode refuses
      try {
        re = new RegExp(source, flags);
      } catch (err) {
        const detail = (err as Error).message.replace(/^Invalid regular expression: \/.*\/\w*: /, '');
        throw new RegexError(`${GO_ERRORS[detail] ?? detail.charAt(0).toLowerCase() + detail.slice(1)}: \`${pattern}\``);
      }
    }
    if (cache.size > 1000) cache.clear();
    cache.set(pattern, re);
  }
  return re;
}
