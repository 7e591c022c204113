/**
 * Kubernetes' IP, CIDR and URL CEL libraries (k8s.io/apiserver/pkg/cel/library ip.go,
 * cidr.go, urls.go): `ip()`, `cidr()`, `url()`, their `is*` checks and accessors.
 */
import type { Environment } from '@marcbachmann/cel-js';
import { CelEvalError } from './convert.ts';
import { cidrContains, formatIP, maskIP, parseCIDR, parseIP } from '../net.ts';
import type { CIDR, IPAddr } from '../net.ts';

export class CelIP {
  readonly celType = 'net.IP';
  readonly addr: IPAddr;
  constructor(addr: IPAddr) {
    this.addr = addr;
  }
  toString(): string {
    return formatIP(this.addr);
  }
  equals(o: unknown): boolean {
    return o instanceof CelIP && String(o) === String(this);
  }
}

export class CelCIDR {
  readonly celType = 'net.CIDR';
  readonly cidr: CIDR;
  constructor(cidr: CIDR) {
    this.cidr = cidr;
  }
  toString(): string {
    return `${formatIP(this.cidr.ip)}/${this.cidr.prefix}`;
  }
  equals(o: unknown): boolean {
    return o instanceof CelCIDR && String(o) === String(this);
  }
}

/** A parsed URL (Go's url.ParseRequestURI: an absolute URI or an absolute path). */
export class CelURL {
  readonly celType = 'kubernetes.URL';
  readonly scheme: string;
  readonly host: string;
  readonly path: string;
  readonly query: string;
  private readonly text: string;
  constructor(text: string, parts: { scheme: string; host: string; path: string; query: string }) {
    this.text = text;
    ({ scheme: this.scheme, host: this.host, path: this.path, query: this.query } = parts);
  }
  toString(): string {
    return this.text;
  }
  equals(o: unknown): boolean {
    return o instanceof CelURL && o.text === this.text;
  }
}

class IPNamespace {}

/** IPv4-mapped IPv6 addresses (`::ffff:1.2.3.4`), which Kubernetes refuses. */
const isMapped = (a: IPAddr): boolean => a.family === 6 && a.bytes.slice(0, 10).every((b) => b === 0) && a.bytes[10] === 0xff && a.bytes[11] === 0xff;

function ipOf(s: string): IPAddr | undefined {
  const a = parseIP(s);
  return a === undefined || isMapped(a) ? undefined : a;
}

function cidrOf(s: string): CIDR | undefined {
  const c = parseCIDR(s);
  return c === undefined || isMapped(c.ip) ? undefined : c;
}

function toIP(s: string): CelIP {
  const a = parseIP(s);
  if (a !== undefined && isMapped(a)) throw new CelEvalError(`IPv4-mapped IPv6 address ${JSON.stringify(s)} is not allowed`);
  if (a === undefined) {
    // Go's netip.ParseAddr wording, as the apiserver quotes it
    const detail = /^\d+\.\d+\.\d+\.\d+$/.test(s) && s.split('.').some((p) => Number(p) > 255) ? 'IPv4 field has value >255' : 'unable to parse IP';
    throw new CelEvalError(`IP Address ${JSON.stringify(s)} parse error during conversion from string: ParseAddr(${JSON.stringify(s)}): ${detail}`);
  }
  return new CelIP(a);
}

function toCIDR(s: string): CelCIDR {
  const c = parseCIDR(s);
  if (c !== undefined && isMapped(c.ip)) throw new CelEvalError(`network address parse error during conversion from string: IPv4-mapped IPv6 address ${JSON.stringify(s)} is not allowed`);
  if (c === undefined) throw new CelEvalError(`network address parse error during conversion from string: ${s}`);
  return new CelCIDR(c);
}

const URL_RE = /^(?:([a-zA-Z][a-zA-Z0-9+.-]*):)?(?:\/\/([^/?#]*))?([^?#]*)(?:\?([^#]*))?(?:#.*)?$/;

function parseURL(s: string): CelURL | undefined {
  const m = URL_RE.exec(s);
  if (m === null || [...s].some((c) => c <= ' ' || c === '\u007f')) return undefined; // Go refuses control characters and spaces
  const [, scheme = '', host = '', path = '', query = ''] = m;
  if (scheme === '' && !path.startsWith('/')) return undefined;
  if (/%(?![0-9a-fA-F]{2})/.test(host + path)) return undefined;
  return new CelURL(s, { scheme, host, path, query });
}

function toURL(s: string): CelURL {
  const u = parseURL(s);
  if (u === undefined) throw new CelEvalError(`URL parse error during conversion from string: parse ${JSON.stringify(s)}: invalid URI for request`);
  return u;
}

const isLoopback = (a: IPAddr): boolean =>
  a.family === 4 ? a.bytes[0] === 127 : a.bytes.slice(0, 15).every((b) => b === 0) && a.bytes[15] === 1;

function isGlobalUnicast(a: IPAddr): boolean {
  const [b0, b1] = a.bytes as [number, number];
  if (a.bytes.every((b) => b === 0) || isLoopback(a)) return false;
  if (a.family === 4) return !((b0 >= 224 && b0 <= 239) || (b0 === 169 && b1 === 254) || a.bytes.every((b) => b === 255));
  return !(b0 === 0xff || (b0 === 0xfe && (b1 & 0xc0) === 0x80));
}

export function registerNetwork(env: Environment): void {
  env
    .registerType('net.IP', CelIP)
    .registerType('net.CIDR', CelCIDR)
    .registerType('kubernetes.URL', CelURL)
    .registerType('IPNamespace', IPNamespace)
    .registerConstant('ip', 'IPNamespace', new IPNamespace())
    .registerOperator('net.IP == net.IP', (a: CelIP, b: CelIP) => a.equals(b))
    .registerOperator('net.CIDR == net.CIDR', (a: CelCIDR, b: CelCIDR) => a.equals(b))
    .registerOperator('kubernetes.URL == kubernetes.URL', (a: CelURL, b: CelURL) => a.equals(b))
    // ip
    .registerFunction('ip(string): net.IP', toIP)
    .registerFunction('isIP(string): bool', (s: string) => ipOf(s) !== undefined)
    .registerFunction('IPNamespace.isCanonical(string): bool', (_ns: IPNamespace, s: string) => String(toIP(s)) === s)
    .registerFunction('string(net.IP): string', (a: CelIP) => String(a))
    .registerFunction('net.IP.family(): int', (a: CelIP) => BigInt(a.addr.family))
    .registerFunction('net.IP.isUnspecified(): bool', (a: CelIP) => a.addr.bytes.every((b) => b === 0))
    .registerFunction('net.IP.isLoopback(): bool', (a: CelIP) => isLoopback(a.addr))
    .registerFunction('net.IP.isLinkLocalMulticast(): bool', (a: CelIP) =>
      a.addr.family === 4 ? a.addr.bytes[0] === 224 && a.addr.bytes[1] === 0 && a.addr.bytes[2] === 0 : a.addr.bytes[0] === 0xff && ((a.addr.bytes[1] as number) & 0x0f) === 0x02)
    .registerFunction('net.IP.isLinkLocalUnicast(): bool', (a: CelIP) =>
      a.addr.family === 4 ? a.addr.bytes[0] === 169 && a.addr.bytes[1] === 254 : a.addr.bytes[0] === 0xfe && ((a.addr.bytes[1] as number) & 0xc0) === 0x80)
    .registerFunction('net.IP.isGlobalUnicast(): bool', (a: CelIP) => isGlobalUnicast(a.addr))
    // cidr
    .registerFunction('cidr(string): net.CIDR', toCIDR)
    .registerFunction('isCIDR(string): bool', (s: string) => cidrOf(s) !== undefined)
    .registerFunction('string(net.CIDR): string', (c: CelCIDR) => String(c))
    .registerFunction('net.CIDR.containsIP(string): bool', (c: CelCIDR, s: string) => cidrContains(c.cidr, toIP(s).addr))
    .registerFunction('net.CIDR.containsIP(net.IP): bool', (c: CelCIDR, a: CelIP) => cidrContains(c.cidr, a.addr))
    .registerFunction('net.CIDR.containsCIDR(string): bool', (c: CelCIDR, s: string) => containsCIDR(c, toCIDR(s)))
    .registerFunction('net.CIDR.containsCIDR(net.CIDR): bool', containsCIDR)
    .registerFunction('net.CIDR.ip(): net.IP', (c: CelCIDR) => new CelIP(c.cidr.ip))
    .registerFunction('net.CIDR.masked(): net.CIDR', (c: CelCIDR) => new CelCIDR({ ip: maskIP(c.cidr.ip, c.cidr.prefix), prefix: c.cidr.prefix }))
    .registerFunction('net.CIDR.prefixLength(): int', (c: CelCIDR) => BigInt(c.cidr.prefix))
    // url
    .registerFunction('url(string): kubernetes.URL', toURL)
    .registerFunction('isURL(string): bool', (s: string) => parseURL(s) !== undefined)
    .registerFunction('kubernetes.URL.getScheme(): string', (u: CelURL) => u.scheme)
    .registerFunction('kubernetes.URL.getHost(): string', (u: CelURL) => u.host.replace(/^[^@]*@/, ''))
    .registerFunction('kubernetes.URL.getHostname(): string', (u: CelURL) =>
      u.host.replace(/^[^@]*@/, '').replace(/^\[([^\]]*)\].*$|:\d*$/, '$1'))
    .registerFunction('kubernetes.URL.getPort(): string', (u: CelURL) => /(?:\]|^[^:[\]]*):(\d*)$/.exec(u.host.replace(/^[^@]*@/, ''))?.[1] ?? '')
    .registerFunction('kubernetes.URL.getEscapedPath(): string', (u: CelURL) => u.path)
    .registerFunction('kubernetes.URL.getQuery(): map<string, list<string>>', (u: CelURL) => {
      const out: Record<string, string[]> = {};
      for (const [k, v] of new URLSearchParams(u.query)) (out[k] ??= []).push(v);
      return out;
    });
}

function containsCIDR(a: CelCIDR, b: CelCIDR): boolean {
  return b.cidr.prefix >= a.cidr.prefix && cidrContains(a.cidr, b.cidr.ip);
}
