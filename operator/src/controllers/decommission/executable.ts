/**
 * From the planner's decommission plan to what the engine runs (pure).
 *
 * `executableSteps` fixes, when the run begins, every value a step needs (dates, tariff, MAC,
 * booking times) into typed driver operations on each plan item (`PlanItem.ops`, persisted in
 * `status.plan.items`), so a run resumed after a crash, or days later, does exactly what was
 * planned even if the occupier spec changed.
 */
import type { OccupierSpec, Operation } from '../../api/index.ts';
import type { DecommissionPlan, DecommissionStep } from '../../planner/decommission.ts';
import type { PlanItem } from '../../planner/types.ts';
import type { PlannedStep } from '../orders/plugin.ts';

/** A plan item with what `opsFor` needs (never persisted: only its `ops` are). */
type Enriched = PlanItem & { ref?: string; values?: Values };
type Values = { [k: string]: string | number | boolean | undefined };

export interface Booking {
  id: string;
  site: string;
  start: string;
  end: string;
  resource: string;
  userEmail?: string | undefined;
}

function compact(o: Values): Values {
  return Object.fromEntries(Object.entries(o).filter((e) => e[1] !== undefined));
}

/** Per site and step (every step, in order), the plan items with their driver operations fixed. */
export function executableSteps(plan: DecommissionPlan, spec: OccupierSpec, identity: string, bookings: readonly Booking[] = []): PlannedStep[] {
  const out: PlannedStep[] = [];
  const users = spec.users ?? [];
  for (const site of plan.sites) {
    const entry = spec.sites.find((e) => e.site === site.site);
    if (!entry) continue;
    const numbers = new Map((entry.numbers ?? []).map((n) => [n.number, n]));
    const deprovisioned = new Set(site.steps.find((s) => s.step === 'services')?.items.filter((i) => i.action === 'Deprovision').map((i) => i.name));
    for (const { step, items } of site.steps) {
      const planned: PlanItem[] = [];
      for (const item of items) {
        const e = enrich(step, item, { entry, users, numbers, deprovisioned, identity, yesterday: site.yesterday, bookings });
        if (!e) continue;
        const { ref: _r, values: _v, ...rest } = e;
        planned.push({ ...rest, step, ops: opsFor({ ...e, step }, identity) });
      }
      if (step === 'users' && spec.resellerRef) planned.push(customerRecord(site.site, identity, spec.resellerRef.name));
      out.push({ site: site.site, step, items: planned });
    }
  }
  return out;
}

/**
 * A customer's directory record (`directory/customer`, made by a CustomerMove) is directory
 * data of the occupier: removed with its users, once per site. Its `billing/customer` stays,
 * the billing history of which reseller it was with (like contracts).
 */
function customerRecord(site: string, identity: string, reseller: string): PlanItem {
  return {
    kind: 'Access',
    name: identity.slice(identity.indexOf('/') + 1),
    site,
    step: 'users',
    action: 'Delete',
    detail: `customer directory record (reseller ${reseller}) removed; billing keeps the reseller history`,
    ops: [{ op: 'remove', capability: 'directory', type: 'customer', key: identity }],
  };
}

interface EnrichContext {
  entry: OccupierSpec['sites'][number];
  users: NonNullable<OccupierSpec['users']>;
  numbers: Map<string, { number: string; main: boolean }>;
  deprovisioned: Set<string>;
  identity: string;
  yesterday: string;
  bookings: readonly Booking[];
}

function enrich(step: DecommissionStep, item: PlanItem, c: EnrichContext): Enriched | undefined {
  const id = c.identity;
  switch (step) {
    case 'telephony-freeze':
      return { ...item, ref: `telephony/number/${item.name}`, values: { main: c.numbers.get(item.name)?.main ?? false } };
    case 'telephony-deactivate':
      return { ...item, ref: `telephony/number/${item.name}`, values: { main: c.numbers.get(item.name)?.main ?? false } };
    case 'telephony-deallocate':
      return { ...item, ref: `telephony/number/${item.name}` };
    case 'access':
      return { ...item, ref: `access/user/${item.name}` };
    case 'users':
      if (item.kind === 'Number') return { ...item, ref: `telephony/number/${item.name}`, values: { main: c.numbers.get(item.name)?.main ?? false } };
      return { ...item, ref: `directory/account/${item.name}` };
    case 'wifi-devices': {
      const device = (c.entry.wifiDevices ?? []).find((d) => d.name === item.name);
      if (!device) return undefined;
      return { ...item, ref: `wifi/device/${device.mac.toLowerCase()}`, values: { mac: device.mac.toLowerCase() } };
    }
    case 'ports':
      return { ...item, ref: `ports/port/${id}/${item.name}` };
    case 'services': {
      const ref = `billing/service/${id}/${item.name}`;
      if (item.action === 'Deprovision') {
        const svc = (c.entry.services ?? []).find((s) => s.name === item.name);
        return { ...item, ref, values: compact({ quantity: svc?.quantity ?? 0, accessLevel: svc?.accessLevel }) };
      }
      // A Delete next to a Deprovision of the same service is one of its scheduled changes:
      // the deprovision clears them. Otherwise the whole service was scheduled to start later.
      return { ...item, ref, values: { covered: c.deprovisioned.has(item.name) } };
    }
    case 'call-charges':
      return { ...item, ref: `billing/callCharges/${id}` };
    case 'bookings': {
      const b = c.bookings.find((x) => x.id === item.name);
      if (!b) return undefined; // nothing observed: nothing to change
      const upcoming = (item.detail ?? '').startsWith('upcoming');
      return { ...item, ref: `billing/booking/${b.id}`, values: compact({ when: upcoming ? 'Upcoming' : 'Historical', resource: b.resource, start: b.start, end: b.end, userEmail: b.userEmail }) };
    }
    case 'occupancies': {
      const want = item.action === 'Complete';
      const occ = (c.entry.occupancies ?? []).find((o) => o.space === item.name && (want ? o.movedIn <= c.yesterday : o.movedIn > c.yesterday));
      if (!occ) return undefined;
      return { ...item, ref: `billing/occupancy/${id}/${occ.space}/${occ.movedIn}`, values: compact({ movedIn: occ.movedIn, movedOut: want ? c.yesterday : undefined }) };
    }
    case 'contracts': {
      const k = c.entry.contract;
      return {
        ...item,
        ref: `billing/contract/${id}`,
        values: compact({ startDate: k.startDate, endDate: c.yesterday < k.startDate ? k.startDate : c.yesterday, tariff: k.tariff, minuteBundle: k.minuteBundle, reference: k.reference }),
      };
    }
    case 'network':
      return { ...item, ref: `network/allocation/${id}` };
  }
  return undefined;
}

function refParts(ref: string): { capability: Operation['capability']; type: string; key: string } {
  const [capability = '', type = '', ...rest] = ref.split('/');
  return { capability: capability as Operation['capability'], type, key: rest.join('/') };
}

/** The driver operations of one plan item. */
function opsFor(item: Enriched, identity: string): Operation[] {
  if (!item.ref || !item.step) return [];
  const r = refParts(item.ref);
  const v = item.values ?? {};
  const occupier = identity;
  const step = item.step;
  const ensure = (spec: Record<string, unknown>): Operation => ({ op: 'ensure', ...r, spec: compact(spec as Values) });
  const remove = (ref = r): Operation => ({ op: 'remove', ...ref });
  const main = v.main === true;
  switch (step) {
    case 'telephony-freeze':
      // A frozen number cannot be edited, so it is frozen unassigned: the users step's
      // "unassigned from <user>" items are done here and need no call of their own.
      return [ensure({ occupier, state: 'Frozen', main })];
    case 'users':
      if (item.kind === 'Number') return [];
      // The user's accounts, and what it inherits from the occupier's services (a CustomerMove's
      // entitlements; a remove of an absent item is a no-op), so the email is free for reuse.
      return [
        remove({ capability: 'wifi', type: 'account', key: r.key }),
        remove({ capability: 'directory', type: 'account', key: r.key }),
        remove({ capability: 'directory', type: 'entitlements', key: r.key }),
      ];
    case 'telephony-deactivate':
      return [ensure({ occupier, state: 'Deactivated', main })];
    case 'telephony-deallocate':
    case 'access':
    case 'wifi-devices':
    case 'ports':
    case 'network':
      return [remove()];
    case 'services':
      if (item.action === 'Deprovision') {
        const name = r.key.slice(r.key.lastIndexOf('/') + 1);
        return [ensure({ occupier, name, quantity: v.quantity ?? 0, state: 'Inactive', scheduledChanges: [], ...(v.accessLevel ? { accessLevel: v.accessLevel } : {}) })];
      }
      return v.covered === true ? [] : [remove()];
    case 'call-charges':
      return [ensure({ occupier, state: 'Stopped' })];
    case 'bookings': {
      const base = { resource: v.resource, start: v.start, end: v.end };
      return [ensure(v.when === 'Upcoming' ? base : { occupier, ...base, ...(v.userEmail ? { userEmail: v.userEmail } : {}) })];
    }
    case 'occupancies':
      if (item.action === 'Complete') return [ensure({ occupier, space: item.name, status: 'Completed', movedIn: v.movedIn, movedOut: v.movedOut })];
      return [remove()];
    case 'contracts':
      if (item.action === 'Discard') return [remove()];
      return [
        ensure({
          occupier,
          status: 'Completed',
          startDate: v.startDate,
          endDate: v.endDate,
          tariff: v.tariff,
          ...(v.minuteBundle ? { minuteBundle: v.minuteBundle } : {}),
          ...(v.reference ? { reference: v.reference } : {}),
        }),
      ];
    default:
      return [];
  }
}
