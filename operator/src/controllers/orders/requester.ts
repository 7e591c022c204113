/**
 * `status.requestedBy`: who created the order, as the mutating admission webhook recorded it
 * in the annotation `occupier.dev/requested-by` (absent when the webhook is off: then status
 * says nothing rather than a guess). Written once; the annotation cannot change afterwards.
 */
import type { OrderStatus } from '../../api/index.ts';
import { parseRequester, REQUESTED_BY_ANNOTATION } from '../../webhook/requester.ts';
import type { AnyOrder } from './plugin.ts';

/** The status change that records the requester, or undefined when there is nothing to record. */
export function requesterChange(order: AnyOrder): ((s: OrderStatus) => void) | undefined {
  const who = parseRequester(order.metadata.annotations?.[REQUESTED_BY_ANNOTATION]);
  if (!who || JSON.stringify(order.status?.requestedBy) === JSON.stringify(who)) return undefined;
  return (s) => void (s.requestedBy = who);
}
