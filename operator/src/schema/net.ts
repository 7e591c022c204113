/** IP address and CIDR parsing shared by the format checker and the CEL ip/cidr library. */

/** Parses a dotted-quad IPv4 address (no leading zeros) into 4 bytes. */
export function parseIPv4(s: string): number[] | undefined {
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  const out: number[] = [];
  for (const p of parts) {
    if (!/^(0|[1-9][0-9]{0,2})$/.test(p)) return undefined;
    const n = Number(p);
    if (n > 255) return undefined;
    out.push(n);
  }
  return out;
}

/** Parses an IPv6 address (with optional embedded IPv4 tail, no zone) into 16 bytes. */
export function parseIPv6(s: string): number[] | undefined {
  if (s.length < 2 || s.includes('%')) return undefined;
  let str = s;
  const lastColon = s.lastIndexOf(':');
  if (s.slice(lastColon + 1).includes('.')) {
    const v4 = parseIPv4(s.slice(lastColon + 1));
    if (v4 === undefined) return undefined;
    const [a, b, c, d] = v4 as [number, number, number, number];
    str = `${s.slice(0, lastColon + 1)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const dbl = str.split('::');
  if (dbl.length > 2) return undefined;
  const groups = (x: string): number[] | undefined => {
    if (x === '') return [];
    const out: number[] = [];
    for (const g of x.split(':')) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
      out.push(parseInt(g, 16));
    }
    return out;
  };
  const head = groups(dbl[0] as string);
  const rest = dbl.length === 2 ? groups(dbl[1] as string) : [];
  if (head === undefined || rest === undefined) return undefined;
  const total = 8;
  let all: number[];
  if (dbl.length === 2) {
    const fill = total - head.length - rest.length;
    if (fill < 1) return undefined;
    all = [...head, ...new Array<number>(fill).fill(0), ...rest];
  } else {
    if (head.length !== total) return undefined;
    all = head;
  }
  const bytes: number[] = [];
  for (const g of all) bytes.push(g >> 8, g & 0xff);
  return bytes;
}

export type IPAddr = { family: 4 | 6; bytes: number[] };

export function parseIP(s: string): IPAddr | undefined {
  if (s.includes(':')) {
    const b = parseIPv6(s);
    return b === undefined ? undefined : { family: 6, bytes: b };
  }
  const b = parseIPv4(s);
  return b === undefined ? undefined : { family: 4, bytes: b };
}

export type CIDR = { ip: IPAddr; prefix: number };

export function parseCIDR(s: string): CIDR | undefined {
  const slash = s.indexOf('/');
  if (slash < 0) return undefined;
  const ip = parseIP(s.slice(0, slash));
  const pfx = s.slice(slash + 1);
  if (ip === undefined || !/^(0|[1-9][0-9]{0,2})$/.test(pfx)) return undefined;
  const prefix = Number(pfx);
  if (prefix > ip.bytes.length * 8) return undefined;
  return { ip, prefix };
}

export function formatIP(ip: IPAddr): string {
  if (ip.family === 4) return ip.bytes.join('.');
  const g: number[] = [];
  for (let i = 0; i < 16; i += 2) g.push(((ip.bytes[i] as number) << 8) | (ip.bytes[i + 1] as number));
  // longest run of zero groups (length >= 2) becomes '::'
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = g.map((x) => x.toString(16));
  if (bestLen < 2) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

export function maskIP(ip: IPAddr, prefix: number): IPAddr {
  const bytes = ip.bytes.map((b, i) => {
    const bits = Math.max(0, Math.min(8, prefix - i * 8));
    return b & ((0xff << (8 - bits)) & 0xff);
  });
  return { family: ip.family, bytes };
}

export function cidrContains(c: CIDR, ip: IPAddr): boolean {
  if (c.ip.family !== ip.family) return false;
  const a = maskIP(c.ip, c.prefix).bytes;
  const b = maskIP(ip, c.prefix).bytes;
  return a.every((x, i) => x === b[i]);
}
