/**
 * Static cost estimation of CEL rules as a kube-apiserver does it when a CRD is written
 * (apiextensions-apiserver: validation.go `getExpressionCost`, schema/cel/compilation.go; cel-go
 * checker/cost.go): the worst-case cost of one evaluation of a rule from the schema's size
 * bounds, times how many times the rule can run in one object.
 */
import { environment } from '../cel/env.ts';
import { displayError } from '../cel/errors.ts';
import { Coster, MAX_U64 } from './coster.ts';
import type { Range } from './coster.ts';
import { declType, maxCardinality } from './decl.ts';
import type { DeclType } from './decl.ts';
import { toIR } from './ir.ts';
import type { Expr } from './ir.ts';
import { fromDecl, typeCheck } from './types.ts';
import type { CelType } from './types.ts';
import type { JSONSchemaProps } from '../types.ts';

export type { DeclType, Range };
export { declType, maxCardinality, MAX_U64 };

/** Per-expression limit (apiextensions validation.go StaticEstimatedCostLimit). */
export const STATIC_ESTIMATED_COST_LIMIT = 10_000_000n;
/** Per-CRD limit on the sum of all rules (StaticEstimatedCRDCostLimit). */
export const STATIC_ESTIMATED_CRD_COST_LIMIT = 100_000_000n;

const VARS = ['self', 'oldSelf'];

/**
 * The estimated cost range of one evaluation of `rule` (which must compile) on data declared by
 * `self`; `optionalOldSelf` declares oldSelf as an optional.
 */
export function estimateCost(rule: string, self: DeclType, optionalOldSelf = false): Range {
  const { ir, types, overloads } = checked(rule, self, optionalOldSelf);
  return new Coster(self, types, overloads).cost(ir);
}

function checked(rule: string, self: DeclType, optionalOldSelf: boolean): ReturnType<typeof typeCheck> & { ir: Expr } {
  const ir = toIR(environment(VARS).parse(rule).ast, VARS);
  const t = fromDecl(self);
  const oldSelf: CelType = optionalOldSelf ? { kind: 'opaque', name: 'optional_type', params: [t] } : t;
  return { ir, ...typeCheck(ir, new Map([['self', t], ['oldSelf', oldSelf]])) };
}

/**
 * The compile errors the schema's types show in an expression that compiles on the library
 * (where `self` is dyn): `undefined field 'x'`, `type 'string' does not support field
 * selection`; as cel-go displays them, sorted; undefined when there are none.
 */
export function schemaTypeErrors(source: string, self: DeclType, optionalOldSelf = false): string | undefined {
  const { errors } = checked(source, self, optionalOldSelf);
  return errors.length === 0 ? undefined : errors.map((e) => displayError(source, e.message, e.pos)).join('\n');
}

/**
 * The result type of an expression (which compiles) over typed `self`: `bool`, `string`, `int`...,
 * `dyn` when not known. The library sees `self` as dyn; this finds what the apiserver's checker
 * finds from the schema (`self.name` is a string: not a bool rule).
 */
export function resultType(source: string, self: DeclType, optionalOldSelf = false): string {
  const { ir, types } = checked(source, self, optionalOldSelf);
  const t = types.get(ir.id);
  return t === undefined ? 'dyn' : t.kind === 'struct' || t.kind === 'opaque' ? (t.name ?? t.kind) : t.kind;
}

/** a × b, saturating at 2^64-1 (multiplyWithOverflowGuard). */
export function multiplySaturating(a: bigint, b: bigint): bigint {
  if (a === 0n) return 0n;
  return a * b > MAX_U64 ? MAX_U64 : a * b;
}

/**
 * The cost the apiserver holds against the limits for a rule on a schema node: one
 * evaluation's maximum times the node's cardinality (the product of the maxItems/maxProperties
 * of the lists and maps above it), or, below an unbounded one, times the most elements of the
 * node's smallest size one request can hold.
 */
export function ruleCost(maxCost: bigint, cardinality: bigint | undefined, self: DeclType): bigint {
  return multiplySaturating(maxCost, cardinality ?? BigInt(maxCardinality(self.minSerializedSize)));
}

/** The declaration `self` has in a rule on this node (a resource root or embedded resource also has apiVersion, kind and metadata). */
export function selfDecl(node: JSONSchemaProps, isResourceRoot: boolean): DeclType | undefined {
  return declType(node, isResourceRoot || node['x-kubernetes-embedded-resource'] === true);
}

/** `estimated rule cost exceeds budget by factor of 2.5x (try simplifying...)` (validation.go getCostErrorMessage). */
export function costErrorMessage(costName: string, cost: bigint, limit: bigint): string {
  const f = Number(cost) / Number(limit);
  const factor = f > 100 ? 'more than 100x' : f < 1.5 ? `${f.toFixed(6)}x` : `${f.toFixed(1)}x`;
  return `${costName} exceeds budget by factor of ${factor} (try simplifying the rule, or adding maxItems, maxProperties, and maxLength where arrays, maps, and strings are declared)`;
}
