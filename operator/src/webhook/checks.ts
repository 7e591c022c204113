/**
 * The checks an order gets at apply time that need the cluster's state (so CRD validation and
 * CEL cannot make them): the occupier exists, the sites exist, a reseller is not moved, and
 * `scheduledAt` is not already past. Each problem names its field and value. The order
 * engine makes the same checks again when the order runs (the webhook can be off).
 */
import type { OccupierResource } from '../api/index.ts';
import { scheduleGate } from '../controllers/orders/schedule.ts';
import type { ClusterState, OrderKind } from './state.ts';

export interface OrderSpec {
  occupierRef?: { name?: string };
  scheduledAt?: string;
  from?: string;
  to?: string;
  toReseller?: { name?: string };
}

export interface Problem {
  field: string;
  message: string;
}

const q = (v: unknown): string => JSON.stringify(v);

/** `spec.scheduledAt` already past (refused as the engine's ScheduleInPast would be), or undefined. */
export function scheduleProblem(scheduledAt: string | undefined, now: Date): Problem | undefined {
  if (scheduledAt === undefined) return undefined;
  const gate = scheduleGate({ scheduledAt, createdAt: now, now });
  if (gate.action !== 'Refused') return undefined;
  return { field: 'spec.scheduledAt', message: gate.message.replace(/^spec\.scheduledAt: /, '') };
}

/** Every problem of the order against the cluster's state (all of them, not the first). */
export async function stateProblems(
  kind: OrderKind,
  namespace: string,
  spec: OrderSpec,
  occupier: OccupierResource | undefined,
  state: ClusterState,
  checkSchedule: boolean,
  now: Date,
): Promise<Problem[]> {
  const problems: Problem[] = [];
  const occName = spec.occupierRef?.name ?? '';
  if (!occupier) problems.push({ field: 'spec.occupierRef.name', message: `occupier ${q(occName)} does not exist in namespace ${namespace} (kubectl -n ${namespace} get occupiers)` });
  if (kind === 'SiteMove') {
    const names = [
      ['spec.from', spec.from],
      ['spec.to', spec.to],
    ] as const;
    const sites = await Promise.all(names.map(([, n]) => (n ? state.site(n) : Promise.resolve(undefined))));
    names.forEach(([field, n], i) => {
      if (n && !sites[i]) problems.push({ field, message: `site ${q(n)} does not exist (kubectl get sites)` });
    });
  }
  if (kind === 'CustomerMove') {
    if (occupier?.spec.reseller === true) problems.push({ field: 'spec.occupierRef.name', message: `${q(occName)} is a reseller; a reseller cannot be moved (only its customers can)` });
    const to = spec.toReseller?.name;
    if (to && !(await state.occupier(namespace, to))) problems.push({ field: 'spec.toReseller.name', message: `reseller ${q(to)} does not exist in namespace ${namespace} (kubectl -n ${namespace} get occupiers)` });
  }
  if (checkSchedule) {
    const p = scheduleProblem(spec.scheduledAt, now);
    if (p) problems.push(p);
  }
  return problems;
}

export const problemsMessage = (problems: Problem[]): string => problems.map((p) => `${p.field}: ${p.message}`).join('; ');
