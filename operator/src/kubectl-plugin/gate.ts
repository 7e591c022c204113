/**
 * `approve` and `retry`: the annotations the order engine waits for (`occupier.dev/approve=true`
 * with `spec.approval: Manual`, `occupier.dev/retry=true` on a Failed order that had started),
 * refused with the reason when the engine would ignore them. A Decommission asks for the
 * occupier's name typed again, like the manual's confirmation box (`--yes` for scripts).
 */
import { createInterface } from 'node:readline/promises';
import { getCondition } from '../runtime/index.ts';
import { APPROVE_ANNOTATION, RETRY_ANNOTATION } from '../controllers/orders/engine.ts';
import type { AnyOrder } from '../controllers/orders/plugin.ts';
import type { OrderKind } from './args.ts';
import type { Session } from './session.ts';

export class Refused extends Error {
  override readonly name = 'Refused';
  readonly code = 'Refused' as const;
}

export interface GateResult {
  order: AnyOrder;
  /** What happened, one line (`... approved`, `... already approved`). */
  message: string;
}

export interface GateOptions {
  yes: boolean;
  /** Asks a question and returns the line typed (undefined when stdin ends first). */
  ask(prompt: string): Promise<string | undefined>;
}

/** Reads one line of stdin after writing `prompt` to stderr (stdout stays for -o json|yaml). */
export async function askStdin(prompt: string): Promise<string | undefined> {
  process.stderr.write(prompt);
  const rl = createInterface({ input: process.stdin, terminal: false });
  try {
    for await (const line of rl) return line.trim();
    return undefined;
  } finally {
    rl.close();
  }
}

const ref = (kind: OrderKind, o: AnyOrder): string => `${kind.toLowerCase()} ${o.metadata.namespace}/${o.metadata.name}`;
const resourceName = (kind: OrderKind, o: AnyOrder): string => `${kind.toLowerCase()}.occupier.dev/${o.metadata.name}`;

/** The typed-name confirmation of a Decommission (nothing to confirm for other kinds). */
async function confirm(kind: OrderKind, order: AnyOrder, verb: string, opts: GateOptions): Promise<void> {
  if (kind !== 'Decommission' || opts.yes) return;
  const occupier = order.spec.occupierRef.name;
  const summary = order.status?.plan?.summary;
  const answer = await opts.ask(
    `You are about to ${verb} ${ref(kind, order)}: occupier ${occupier} is decommissioned at every one of its sites${summary ? ` (${summary})` : ''}. This is irreversible.\n` +
      `Type the occupier's name (${occupier}) to confirm: `,
  );
  if (answer === undefined) throw new Refused(`no confirmation given (stdin ended): type the occupier's name "${occupier}", or pass --yes; nothing changed`);
  if (answer !== occupier) throw new Refused(`confirmation "${answer}" does not match the occupier's name "${occupier}": nothing changed`);
}

async function annotate(session: Session, kind: OrderKind, order: AnyOrder, key: string): Promise<AnyOrder> {
  return session.orders(kind).mergePatch(order.metadata.namespace, order.metadata.name ?? '', { metadata: { annotations: { [key]: 'true' } } });
}

export async function approve(session: Session, kind: OrderKind, name: string, opts: GateOptions): Promise<GateResult> {
  const order = await session.orders(kind).get(session.namespace, name);
  const phase = order.status?.phase;
  if (order.spec.approval !== 'Manual') {
    throw new Refused(`${ref(kind, order)} has spec.approval: ${order.spec.approval ?? 'Automatic'}: it runs without approval, there is nothing to approve`);
  }
  if (order.status?.startedAt || phase === 'Succeeded' || phase === 'Failed') {
    throw new Refused(`${ref(kind, order)} is ${phase ?? 'started'}${order.status?.startedAt ? ` (started ${order.status.startedAt})` : ''}: there is nothing left to approve`);
  }
  if (order.metadata.annotations?.[APPROVE_ANNOTATION] === 'true') return { order, message: `${resourceName(kind, order)} already approved (${APPROVE_ANNOTATION}=true)` };
  await confirm(kind, order, 'approve', opts);
  const updated = await annotate(session, kind, order, APPROVE_ANNOTATION);
  const when =
    phase === 'AwaitingApproval'
      ? 'it starts now'
      : `approved in advance: it is ${phase ?? 'not yet seen by the operator'} and runs without waiting once it is due and its prerequisites are met, if its plan is then the one on display (else the approval is withdrawn and the new plan waits for one)`;
  return { order: updated, message: `${resourceName(kind, order)} approved (${APPROVE_ANNOTATION}=true): ${when}` };
}

export async function retry(session: Session, kind: OrderKind, name: string, opts: GateOptions): Promise<GateResult> {
  const order = await session.orders(kind).get(session.namespace, name);
  const phase = order.status?.phase;
  if (phase !== 'Failed') throw new Refused(`${ref(kind, order)} is ${phase ?? 'not yet seen by the operator'}: only a Failed order can be retried`);
  if (!order.status?.startedAt) {
    const reason = getCondition(order.status?.conditions ?? [], 'Failed')?.reason ?? 'unknown';
    throw new Refused(`${ref(kind, order)} failed before it started (reason ${reason}): a retry cannot help; fix the cause and create a new order`);
  }
  const failedSteps = (order.status.tasks ?? []).filter((t) => t.state === 'Failed').map((t) => `${t.site}/${t.step}`);
  if (order.metadata.annotations?.[RETRY_ANNOTATION] === 'true') return { order, message: `${resourceName(kind, order)} retry already requested (${RETRY_ANNOTATION}=true)` };
  await confirm(kind, order, 'retry', opts);
  const updated = await annotate(session, kind, order, RETRY_ANNOTATION);
  return { order: updated, message: `${resourceName(kind, order)} retry requested (${RETRY_ANNOTATION}=true): resumes from ${failedSteps.join(', ') || 'the failed step'}` };
}
