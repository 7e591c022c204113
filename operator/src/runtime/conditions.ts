/**
 * KEP-1623 `metav1.Condition` helpers. Pure functions: they return new arrays and never
 * mutate their input.
 */

export type ConditionStatus = 'True' | 'False' | 'Unknown';

/** metav1.Condition. `type` and `reason` are PascalCase. */
export interface Condition<Type extends string = string, Reason extends string = string> {
  type: Type;
  status: ConditionStatus;
  reason: Reason;
  message: string;
  /** RFC 3339 time of the last status change. */
  lastTransitionTime: string;
  observedGeneration?: number | undefined;
}

/** A condition as a caller builds it: times and generation are stamped by `setCondition`. */
export type ConditionInput<Type extends string = string, Reason extends string = string> = Omit<
  Condition<Type, Reason>,
  'lastTransitionTime' | 'observedGeneration'
>;

/** RFC 3339 with second precision, as the API server serialises metav1.Time. */
export function rfc3339(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * Set `cond` in `conditions` (replacing one of the same type). `lastTransitionTime` is kept
 * unless the status changes; `observedGeneration` is always stamped with `generation`.
 */
export function setCondition<C extends Condition>(
  conditions: readonly C[] | undefined,
  cond: ConditionInput<C['type'], C['reason']>,
  generation: number | undefined,
  now: Date = new Date(),
): C[] {
  const list = conditions ?? [];
  const existing = list.find((c) => c.type === cond.type);
  const lastTransitionTime = existing && existing.status === cond.status ? existing.lastTransitionTime : rfc3339(now);
  const next = {
    type: cond.type,
    status: cond.status,
    reason: cond.reason,
    message: cond.message,
    lastTransitionTime,
    ...(generation !== undefined ? { observedGeneration: generation } : {}),
  } as C;
  if (!existing) return [...list, next];
  return list.map((c) => (c.type === cond.type ? next : c));
}

/** Remove the condition of type `type`. */
export function removeCondition<C extends Condition>(conditions: readonly C[] | undefined, type: C['type']): C[] {
  return (conditions ?? []).filter((c) => c.type !== type);
}

export function getCondition<C extends Condition>(conditions: readonly C[] | undefined, type: C['type']): C | undefined {
  return conditions?.find((c) => c.type === type);
}

export function isTrue(conditions: readonly Condition[] | undefined, type: string): boolean {
  return getCondition(conditions, type)?.status === 'True';
}

export function isFalse(conditions: readonly Condition[] | undefined, type: string): boolean {
  return getCondition(conditions, type)?.status === 'False';
}

/** True when the condition exists, was computed for `generation`, and has this status. */
export function isCurrent(conditions: readonly Condition[] | undefined, type: string, generation: number | undefined, status: ConditionStatus = 'True'): boolean {
  const c = getCondition(conditions, type);
  return c !== undefined && c.status === status && c.observedGeneration === generation;
}
