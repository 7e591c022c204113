/**
 * Decommission (seed 001) as a plug-in of the order engine: what it observes (handsets,
 * services, bookings), its prerequisite chain, its plan (the manual's per-site steps with
 * their driver operations) and the archive of the history once every site is done.
 */
import type { DecommissionResource, OccupierResource, SiteResource } from '../../api/index.ts';
import { planDecommission } from '../../planner/decommission.ts';
import { checkPrerequisites, confirmation, conflictingOrder, DECOMMISSION_PREREQUISITES } from '../../planner/prerequisites.ts';
import type { Observed } from '../../planner/types.ts';
import { listItems, mapLimit, observeItem } from '../execute.ts';
import { archiveHistory } from '../records.ts';
import type { OrderPlugin } from '../orders/plugin.ts';
import { executableSteps } from './executable.ts';
import type { Booking } from './executable.ts';

export const CONTROLLER_NAME = 'decommission';

export interface DecommissionGathered {
  observed: Observed;
  bookings: Booking[];
  sites: Map<string, SiteResource>;
}

const identityOf = (o: DecommissionResource): string => `${o.metadata.namespace}/${o.spec.occupierRef.name}`;
/** The engine checks ConflictingOrder for every kind. */
const CHECKS = DECOMMISSION_PREREQUISITES.filter((c) => c !== conflictingOrder);

export const decommissionPlugin: OrderPlugin<DecommissionResource, DecommissionGathered> = {
  kind: 'Decommission',
  kubectlName: 'decommission',

  refuse: (order, occupier) => confirmation(order.spec, occupier.metadata.name ?? ''),

  /**
   * What the prerequisites and the plan read from the sites: every site at once, and at each
   * its handsets, services and bookings at once (each read is a driver round trip; one after
   * the other they took 1.2 s of the decommission bench's 5 s). Results keep the spec's order.
   */
  async gather(order, occupier, env) {
    const identity = identityOf(order);
    const opts = { ...env.execute, signal: env.ctx.signal };
    const perSite = await Promise.all(
      occupier.spec.sites.map(async (entry) => {
        const site = env.sites.get(entry.site);
        if (!site) return { handsets: [], services: [], bookings: [] };
        const [handsets, services, listed] = await Promise.all([
          mapLimit(entry.numbers ?? [], 16, async (n) => {
            const o = await observeItem(site, { capability: 'telephony', type: 'handset', key: n.number }, opts);
            return { site: entry.site, number: n.number, loggedIn: (o.details as { loggedIn?: boolean } | undefined)?.loggedIn === true };
          }),
          mapLimit(entry.services ?? [], 16, async (svc) => {
            const o = await observeItem(site, { capability: 'billing', type: 'service', key: `${identity}/${svc.name}` }, opts);
            const d = (o.details ?? {}) as { state?: string; message?: string };
            return o.exists && d.state ? [{ site: entry.site, name: svc.name, state: d.state as 'Active', message: d.message }] : [];
          }),
          listItems(site, 'billing', 'booking', identity, opts),
        ]);
        const bookings = listed.flatMap((b): Booking[] => {
          const d = b.details as { start?: string; end?: string; resource?: string; userEmail?: string };
          return d.start && d.end && d.resource ? [{ id: b.key, site: entry.site, start: d.start, end: d.end, resource: d.resource, userEmail: d.userEmail }] : [];
        });
        return { handsets, services: services.flat(), bookings };
      }),
    );
    const bookings = perSite.flatMap((p) => p.bookings);
    const observed: Observed = {
      handsets: perSite.flatMap((p) => p.handsets),
      services: perSite.flatMap((p): NonNullable<Observed['services']> => p.services),
      bookings: bookings.map((b) => ({ id: b.id, site: b.site, start: b.start, user: b.userEmail })),
    };
    return { observed, bookings, sites: new Map(env.sites.list().map((s) => [s.metadata.name ?? '', s])) };
  },

  prerequisites(order, occupier, g, now) {
    const self = { kind: 'Decommission' as const, name: order.metadata.name ?? '', occupier: order.spec.occupierRef.name };
    return checkPrerequisites({ occupier, sites: g.sites, now, observed: g.observed, self, orders: [] }, CHECKS);
  },

  plan(order, occupier: OccupierResource, g, now) {
    const plan = planDecommission({ occupier, sites: g.sites, now, observed: g.observed });
    return { summary: plan.summary, steps: executableSteps(plan, occupier.spec, identityOf(order), g.bookings) };
  },

  finalSteps: [
    {
      step: 'archive',
      // The history of every site the order touched, through the records driver of the first.
      async run(order, env) {
        const identity = identityOf(order);
        const sites = [...new Set((order.status?.tasks ?? []).map((t) => t.site))].flatMap((name) => env.sites.get(name) ?? []);
        return [await archiveHistory(sites, identity, { ...env.execute, uid: order.metadata.uid ?? identity, signal: env.ctx.signal })];
      },
    },
  ],

  text: {
    what: (o) => `decommission of ${o.spec.occupierRef.name}`,
    succeeded: (o) => `${o.spec.occupierRef.name} decommissioned across all of its sites; history archived`,
  },

  effects: (o) => (o.status?.phase === 'Succeeded' ? { kind: 'Decommission', name: o.metadata.name ?? '', completedAt: o.status.completedAt } : undefined),
};
