/**
 * Kubernetes' quantity CEL library (k8s.io/apiserver/pkg/cel/library/quantity.go):
 * `quantity("1.5Gi")`, `isQuantity()`, comparisons, arithmetic and conversions. Values are
 * kept exactly, as a fraction of bigints.
 */
import type { Environment } from '@marcbachmann/cel-js';
import { CelEvalError, INT_MAX, INT_MIN } from './convert.ts';

const QUANTITY_RE = /^([+-]?)(\d+\.?\d*|\.\d+)(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]|[eE][+-]?\d+)?$/;
const DECIMAL: Record<string, number> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const BINARY: Record<string, bigint> = { Ki: 10n, Mi: 20n, Gi: 30n, Ti: 40n, Pi: 50n, Ei: 60n };

export class CelQuantity {
  readonly celType = 'kubernetes.Quantity';
  /** The value is num / den, den > 0. */
  readonly num: bigint;
  readonly den: bigint;
  private readonly text: string;
  constructor(num: bigint, den: bigint, text?: string) {
    this.num = num;
    this.den = den;
    this.text = text ?? (den === 1n ? num.toString() : `${Number(num) / Number(den)}`);
  }
  compare(o: CelQuantity): number {
    const d = this.num * o.den - o.num * this.den;
    return d < 0n ? -1 : d > 0n ? 1 : 0;
  }
  equals(o: unknown): boolean {
    return o instanceof CelQuantity && this.compare(o) === 0;
  }
  toString(): string {
    return this.text;
  }
}

export function parseQuantity(s: string): CelQuantity | undefined {
  const m = QUANTITY_RE.exec(s);
  if (m === null) return undefined;
  const [, sign, number, suffix = ''] = m as unknown as [string, string, string, string | undefined];
  const [whole = '', frac = ''] = number.split('.');
  let num = BigInt(`${whole}${frac}` || '0') * (sign === '-' ? -1n : 1n);
  let exp = -frac.length;
  if (BINARY[suffix] !== undefined) num <<= BINARY[suffix];
  else if (DECIMAL[suffix] !== undefined) exp += DECIMAL[suffix];
  else exp += Number(suffix.slice(1));
  if (Math.abs(exp) > 1000) return undefined;
  return exp >= 0 ? new CelQuantity(num * 10n ** BigInt(exp), 1n, s) : new CelQuantity(num, 10n ** BigInt(-exp), s);
}

function toQuantity(s: string): CelQuantity {
  const q = parseQuantity(s);
  if (q === undefined) throw new CelEvalError(`quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'`);
  return q;
}

function asInteger(q: CelQuantity): bigint | undefined {
  if (q.num % q.den !== 0n) return undefined;
  const v = q.num / q.den;
  return v < INT_MIN || v > INT_MAX ? undefined : v;
}

const plus = (a: CelQuantity, b: CelQuantity, sign: bigint): CelQuantity =>
  new CelQuantity(a.num * b.den + sign * b.num * a.den, a.den * b.den);

export function registerQuantity(env: Environment): void {
  const Q = 'kubernetes.Quantity';
  env
    .registerType(Q, CelQuantity)
    .registerOperator(`${Q} == ${Q}`, (a: CelQuantity, b: CelQuantity) => a.equals(b))
    .registerFunction(`quantity(string): ${Q}`, toQuantity)
    .registerFunction('isQuantity(string): bool', (s: string) => parseQuantity(s) !== undefined)
    .registerFunction(`${Q}.isInteger(): bool`, (q: CelQuantity) => asInteger(q) !== undefined)
    .registerFunction(`${Q}.asInteger(): int`, (q: CelQuantity) => {
      const v = asInteger(q);
      if (v === undefined) throw new CelEvalError('cannot convert value to integer');
      return v;
    })
    .registerFunction(`${Q}.asApproximateFloat(): double`, (q: CelQuantity) => Number(q.num) / Number(q.den))
    .registerFunction(`${Q}.add(${Q}): ${Q}`, (a: CelQuantity, b: CelQuantity) => plus(a, b, 1n))
    .registerFunction(`${Q}.add(int): ${Q}`, (a: CelQuantity, b: bigint) => plus(a, new CelQuantity(b, 1n), 1n))
    .registerFunction(`${Q}.sub(${Q}): ${Q}`, (a: CelQuantity, b: CelQuantity) => plus(a, b, -1n))
    .registerFunction(`${Q}.sub(int): ${Q}`, (a: CelQuantity, b: bigint) => plus(a, new CelQuantity(b, 1n), -1n))
    .registerFunction(`${Q}.isGreaterThan(${Q}): bool`, (a: CelQuantity, b: CelQuantity) => a.compare(b) > 0)
    .registerFunction(`${Q}.isLessThan(${Q}): bool`, (a: CelQuantity, b: CelQuantity) => a.compare(b) < 0)
    .registerFunction(`${Q}.compareTo(${Q}): int`, (a: CelQuantity, b: CelQuantity) => BigInt(a.compare(b)));
}
