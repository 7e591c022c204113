/**
 * The approval gate of `approval: Manual` orders: `occupier.dev/approve=true` holds for the plan
 * that was on display when the engine saw it. A scheduled order shows its plan while it waits
 * (reviewed and approved ahead, as the manuals' wizards review before Finish); when the plan
 * has changed by the time it runs — or while it waits — the approval is withdrawn, with a
 * Warning Event saying what changed, and the new plan waits for one.
 */
import type { OccupierResource, OrderStatus } from '../../api/index.ts';
import { rfc3339 } from '../../runtime/index.ts';
import { REASON } from './conditions.ts';
import { APPROVE_ANNOTATION, executeOpts, freezePlan, kubectlHint } from './engine.ts';
import type { Step } from './engine.ts';
import type { AnyOrder, OrderPlan } from './plugin.ts';

/**
 * Whether `plan` is approved: `occupier.dev/approve=true` holds for the plan that was on display
 * when it was seen (`status.approvedPlan`, recorded while a scheduled order waits, else the
 * `status.plan` under review). When the plan has changed since, the approval is withdrawn (the
 * annotation removed, a Warning Event saying what changed) and the new plan waits for one.
 */
export async function approvedFor<R extends AnyOrder, G>(s: Step<R, G>, plan: NonNullable<OrderStatus['plan']>): Promise<boolean> {
  const { order } = s;
  if (order.metadata.annotations?.[APPROVE_ANNOTATION] !== 'true') return false;
  const approved = order.status?.approvedPlan ?? order.status?.plan?.digest;
  if (approved === undefined || plan.digest === undefined || approved === plan.digest) return true;
  await withdrawApproval(s, order.status?.plan?.summary, plan.summary);
  return false;
}

/** The plan approved is not the plan now: remove the annotation, forget the approval, say what changed. */
async function withdrawApproval<R extends AnyOrder, G>(s: Step<R, G>, before: string | undefined, after: string | undefined): Promise<void> {
  const { order, deps } = s;
  await deps.client.mergePatch(order.metadata.namespace, order.metadata.name ?? '', { metadata: { annotations: { [APPROVE_ANNOTATION]: null } } });
  await s.write((st) => void delete st.approvedPlan);
  const hint = kubectlHint(deps.plugin, order, `annotate {} ${APPROVE_ANNOTATION}=true`);
  void deps.events.warning(order, REASON.PlanChanged, `the plan changed since it was approved (was: ${before ?? 'the plan approved'}; now: ${after ?? ''}): approval withdrawn; review status.plan, then: ${hint}`);
}

/**
 * A scheduled order with `approval: Manual` shows its plan while it waits (reviewed and approved
 * ahead, as the manuals' wizards review before Finish); an approval seen meanwhile is recorded
 * against that plan. Prerequisites are not checked yet: they are when the run is due.
 */
export async function previewPlan<R extends AnyOrder, G>(s: Step<R, G>, occupier: OccupierResource): Promise<void> {
  const { deps, order } = s;
  const at = s.now();
  let plan: OrderPlan;
  try {
    const gathered = await deps.plugin.gather(order, occupier, { sites: deps.sites, ordersFor: deps.ordersFor, execute: executeOpts(deps), ctx: s.ctx, now: at });
    plan = deps.plugin.plan(order, occupier, gathered, at);
  } catch (err) {
    s.ctx.log.warn({ err: (err as Error).message }, 'plan preview failed; it is computed again when the order is due');
    return;
  }
  const planStatus = plan.steps.length > 0 || plan.unmatched?.length ? await freezePlan(s, plan, at) : undefined;
  let approvedNow = order.metadata.annotations?.[APPROVE_ANNOTATION] === 'true';
  const recorded = order.status?.approvedPlan;
  if (approvedNow && recorded !== undefined && planStatus?.digest !== undefined && planStatus.digest !== recorded) {
    // Changed since it was approved (e.g. the occupier gained a user): say so now, not at its time.
    await withdrawApproval(s, order.status?.plan?.summary, planStatus.summary);
    approvedNow = false;
  }
  const same = planStatus?.digest !== undefined && planStatus.digest === s.order.status?.plan?.digest;
  if (same && (!approvedNow || s.order.status?.approvedPlan !== undefined)) return;
  await s.write((st) => {
    if (planStatus && !same) st.plan = { ...planStatus, computedAt: planStatus.computedAt ?? rfc3339(at) };
    // Approved while waiting: the approval holds for the plan on display (shown before, else this one).
    if (approvedNow && st.approvedPlan === undefined) {
      const shown = order.status?.plan?.digest ?? planStatus?.digest;
      if (shown !== undefined) st.approvedPlan = shown;
    }
  });
  if (approvedNow && order.status?.approvedPlan === undefined) void deps.events.normal(order, REASON.Approved, `approved ahead of its time with ${APPROVE_ANNOTATION}=true: it runs then if the plan is still ${order.status?.plan?.summary ?? planStatus?.summary ?? 'the same'}`);
}
