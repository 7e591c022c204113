/**
 * `kubectl occupier plan <kind>/<name>`: an order's review as the manuals' wizard screens
 * ("Review Users / Review Phone Numbers / Review Services, then Finish"): one table per kind of
 * item — users, numbers, services, spaces, IPs, then whatever else the plan touches — each with
 * its counts of moved / new / released / unmatched. The items come from `status.plan.items`,
 * or from the order's plan ConfigMaps (`planItemsOf`, SHA-256 checked) when the plan is large.
 */
import type { PlanItem, PlanItemKind, PlanAction } from '../planner/types.ts';
import { getCondition } from '../runtime/index.ts';
import { configMapPlanStore, planItemsOf } from '../controllers/orders/planstore.ts';
import type { AnyOrder } from '../controllers/orders/plugin.ts';
import type { Out } from './render.ts';
import { colourState, hint, table } from './render.ts';
import type { OrderKind } from './args.ts';
import type { Session } from './session.ts';

/** The wizard's word for what happens to an item. */
export const CHANGES = ['moved', 'new', 'released', 'unmatched'] as const;
export type Change = (typeof CHANGES)[number];

const CHANGE_OF: Record<PlanAction, Change> = {
  Move: 'moved',
  Transfer: 'moved',
  Remap: 'moved',
  Create: 'new',
  Allocate: 'new',
  Copy: 'new',
  Release: 'released',
  Delete: 'released',
  Complete: 'released',
  Discard: 'released',
  Deprovision: 'released',
  Unassign: 'released',
  Unmatched: 'unmatched',
};
export const changeOf = (action: PlanAction): Change => CHANGE_OF[action];

/** The screens, in the wizard's order; the first five are always shown. */
const SCREENS: readonly { kind: PlanItemKind; title: string }[] = [
  { kind: 'User', title: 'Users' },
  { kind: 'Number', title: 'Phone numbers' },
  { kind: 'Service', title: 'Services' },
  { kind: 'Occupancy', title: 'Spaces' },
  { kind: 'Network', title: 'IPs and VLANs' },
  { kind: 'Contract', title: 'Contracts' },
  { kind: 'WifiDevice', title: 'Wi-Fi devices' },
  { kind: 'Port', title: 'Ports' },
  { kind: 'Access', title: 'Access control and directory' },
  { kind: 'Booking', title: 'Bookings' },
];
const ALWAYS = 5;

export interface Screen {
  screen: string;
  kind: PlanItemKind;
  counts: Record<Change, number>;
  items: PlanItem[];
}

export interface PlanView {
  order: { kind: OrderKind; namespace: string; name: string; occupier: string; phase: string | undefined; approval: string | undefined };
  computedAt?: string | undefined;
  summary?: string | undefined;
  itemCount: number;
  /** Where the items were read: status, or the plan ConfigMaps. */
  source: 'status' | 'configmaps' | 'none';
  configMaps?: string[] | undefined;
  unmatched: string[];
  blocked?: string | undefined;
  screens: Screen[];
}

/** Groups plan items into the wizard's screens with their counts (pure). */
export function screensOf(items: readonly PlanItem[]): Screen[] {
  return SCREENS.map((s, i) => {
    const mine = items.filter((x) => x.kind === s.kind);
    const counts = Object.fromEntries(CHANGES.map((c) => [c, 0])) as Record<Change, number>;
    for (const x of mine) counts[changeOf(x.action)] += 1;
    return { screen: s.title, kind: s.kind, counts, items: mine, always: i < ALWAYS };
  })
    .filter((s) => s.always || s.items.length > 0)
    .map(({ always: _always, ...s }) => s);
}

export async function planView(session: Session, kind: OrderKind, name: string): Promise<PlanView> {
  const order = await session.orders(kind).get(session.namespace, name);
  const plan = order.status?.plan;
  const items = await planItemsOf(order, configMapPlanStore(session.core));
  const blocked = getCondition(order.status?.conditions ?? [], 'Blocked');
  return {
    order: orderFacts(kind, order),
    computedAt: plan?.computedAt,
    summary: plan?.summary,
    itemCount: plan?.itemCount ?? items.length,
    source: plan?.items ? 'status' : plan?.stored ? 'configmaps' : 'none',
    configMaps: plan?.stored?.configMaps,
    unmatched: plan?.unmatched ?? [],
    ...(blocked?.status === 'True' ? { blocked: blocked.message } : {}),
    screens: screensOf(items),
  };
}

export function orderFacts(kind: OrderKind, order: AnyOrder): PlanView['order'] {
  return {
    kind,
    namespace: order.metadata.namespace ?? '',
    name: order.metadata.name ?? '',
    occupier: order.spec.occupierRef.name,
    phase: order.status?.phase,
    approval: order.spec.approval,
  };
}

const countLine = (out: Out, c: Record<Change, number>): string =>
  CHANGES.map((k) => {
    const text = `${c[k]} ${k}`;
    return k === 'unmatched' && c[k] > 0 ? out.paint('red', text) : text;
  }).join(', ');

/** The review as a person reads it. */
export function renderPlan(out: Out, v: PlanView): void {
  const o = v.order;
  out.write(`${out.paint('bold', `${o.kind} ${o.namespace}/${o.name}`)}   occupier ${o.occupier}   phase ${colourState(out, o.phase)}\n`);
  if (v.source === 'none') {
    // Blocked orders keep only the summary and what is unmatched; the items come once it can run.
    if (v.summary) out.write(`Plan: ${v.summary} (its items are listed once the prerequisites are met)\n`);
    else out.write(`\nNo plan yet: the plan is computed when the order is due (it is ${o.phase ?? 'not yet seen by the operator'}). An order with spec.approval: Manual shows it while it waits, to review and approve ahead.\n`);
    renderBlocked(out, v);
    return;
  }
  out.write(`Plan: ${v.summary ?? ''} (${v.itemCount} items${v.computedAt ? `, computed ${v.computedAt}` : ''})\n`);  if (o.phase === 'Scheduled') out.write('Preview: the plan as it stands now. It is computed again when the order is due; an approval given now holds only if it is the same then.\n');

  if (v.source === 'configmaps') out.write(`Items read from ConfigMap ${v.configMaps?.join(', ')} (SHA-256 checked against status.plan.stored)\n`);
  for (const s of v.screens) {
    out.write(`\n${out.paint('bold', `Review ${s.screen}`)}: ${countLine(out, s.counts)}\n`);
    if (s.items.length === 0) {
      out.write('  none\n');
      continue;
    }
    const rows = s.items.map((i) => {
      const change = changeOf(i.action);
      const shown = change === 'unmatched' ? out.paint('red', change) : change;
      return [i.name, i.site ?? '', { text: change, shown }, i.action, i.step ?? '', i.detail ?? ''];
    });
    out.write(table(['name', 'site', 'change', 'action', 'step', 'detail'], rows));
  }
  renderBlocked(out, v);
  const next = nextStep(v);
  if (next) out.write(`\n${next}\n`);
}

function renderBlocked(out: Out, v: PlanView): void {
  if (v.unmatched.length > 0) out.write(`\n${out.paint('red', 'Unmatched')} (the order is blocked until they are mapped or fixed): ${v.unmatched.join(', ')}\n`);
  if (v.blocked) out.write(`${out.paint('red', 'Blocked')}: ${v.blocked}\n`);
}

function nextStep(v: PlanView): string | undefined {
  const o = v.order;
  if (o.phase === 'AwaitingApproval') return `Approve to run it: ${hint(o.namespace, `approve ${o.kind.toLowerCase()}/${o.name}`)}`;
  if (o.phase === 'Failed') return `See the failed step: ${hint(o.namespace, `tasks ${o.kind.toLowerCase()}/${o.name} --state Failed`)}`;
  if (o.phase === 'Running') return `Follow it: ${hint(o.namespace, `tasks ${o.kind.toLowerCase()}/${o.name}`)}`;
  return undefined;
}
