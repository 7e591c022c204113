/**
 * The items each capability manages: one zod schema per (capability, type) for the desired
 * `spec` and one for the observed `details`. The TypeScript types, the simulated backend's input
 * checks, the http server's request validation and the OpenAPI file all derive from this table.
 *
 * Keys (`ItemRef.key`) are chosen by the caller and are unique per site and type; the
 * recommended key of each type is in its comment. `occupier` fields hold a stable occupier
 * identity (the Occupier's UID, or `namespace/name`) and are how backends tell owners apart.
 */
import { z } from 'zod';
import { CAPABILITIES, SERVICE_STATES } from '../../operator/src/api/index.ts';
import type { Capability } from '../../operator/src/api/index.ts';

const occupier = z.string().min(1).max(253).describe('Stable identity of the occupier that owns the item (UID or namespace/name).');
const email = z.string().min(3).max(254).describe('Email address of a user.');
const date = z.iso.date();
const dateStatus = z.enum(['Upcoming', 'Active', 'Completed']);
const none = z.object({}).strict().describe('Observe-only item: ensure and remove are not supported.');
const count = z.object({ total: z.int().min(0), allocated: z.int().min(0), coolingOff: z.int().min(0).optional() }).strict();

/** What an item of each type is, per capability. `observeOnly` types support observe (and list) only. */
export const ITEM_SCHEMAS = {
  network: {
    allocation: {
      doc: 'Key: the occupier identity. A VLAN, IPv4 subnet and gateway from the Site\'s pools.',
      spec: z.object({ occupier }).strict(),
      details: z.object({ vlan: z.int(), subnet: z.string(), gateway: z.string(), prefixLength: z.int() }).strict(),
    },
    pool: {
      doc: 'Key: `-`. Use of the Site\'s VLAN range and IPv4 pool.',
      spec: none,
      details: z.object({ vlans: count, subnets: count }).strict(),
      observeOnly: true,
    },
  },
  wifi: {
    account: {
      doc: 'Key: the user\'s email. A Wi-Fi Secure account. An email owned by another occupier is refused (`EmailInUse`).',
      spec: z.object({ occupier, email, name: z.string().min(1).max(256) }).strict(),
      details: z.object({ username: z.string(), occupier: z.string() }).strict(),
    },
    device: {
      doc: 'Key: the lower-case MAC. A shared device; a MAC registered to another occupier is refused (`MacInUse`).',
      spec: z
        .object({ occupier, mac: z.string().regex(/^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/), name: z.string().min(1).max(63), description: z.string().max(256).optional() })
        .strict(),
      details: z.object({ mac: z.string(), occupier: z.string() }).strict(),
    },
  },
  telephony: {
    number: {
      doc: 'Key: the E.164 number. ensure allocates the number (from the Site\'s number blocks) to the occupier, assigns or unassigns it (`assignedTo`), freezes it or deactivates it (`state`); remove deallocates it into cooling-off, after which the backend releases it by itself. A number of another occupier is refused (`NumberInUse`) unless `transferFrom` names that occupier (a transfer, no cooling-off); a number cooling off is refused to other occupiers. With `transferFromSite` the number moves from that site (a site move), keeping no cooling-off and needing no place in this site\'s blocks.',
      spec: z
        .object({
          occupier,
          state: z.enum(['Allocated', 'Frozen', 'Deactivated']).default('Allocated').describe('Frozen numbers cannot be edited; Deactivated numbers make and take no calls.'),
          assignedTo: email.optional().describe('Email of the user the number is assigned to; absent = unassigned.'),
          main: z.boolean().optional(),
          transferFrom: occupier.optional().describe('Occupier the number is transferred from.'),
          transferFromSite: z
            .string()
            .min(1)
            .optional()
            .describe('Site the number is transferred from (a site move with telephony: Transfer): it leaves that site without cooling-off.'),
        })
        .strict(),
      details: z
        .object({
          number: z.string(),
          state: z.enum(['Allocated', 'Assigned', 'Frozen', 'Deactivated', 'CoolingOff', 'Available', 'NotInPool']),
          occupier: z.string().optional(),
          assignedTo: z.string().optional(),
          main: z.boolean().optional(),
          handsetLoggedIn: z.boolean().optional(),
          coolingOffUntil: z.iso.datetime().optional(),
        })
        .strict(),
    },
    handset: {
      doc: 'Key: the E.164 number. Handset login state; remove logs the handset out remotely (digital devices).',
      spec: none,
      details: z.object({ number: z.string(), loggedIn: z.boolean() }).strict(),
      observeOnly: true,
      removable: true,
    },
    pool: {
      doc: 'Key: `-`. Use of the Site\'s number blocks.',
      spec: none,
      details: count,
      observeOnly: true,
    },
  },
  ports: {
    port: {
      doc: 'Key: `<occupier>/<port name>`. A switch port, from the given switch or any with a free port.',
      spec: z.object({ occupier, switch: z.string().min(1).max(63).optional() }).strict(),
      details: z.object({ switch: z.string(), port: z.int().min(1), occupier: z.string() }).strict(),
    },
    pool: {
      doc: 'Key: `-`. Use of the Site\'s switches.',
      spec: none,
      details: count,
      observeOnly: true,
    },
  },
  access: {
    user: {
      doc: 'Key: the user\'s email. Group membership and card ID; card IDs are unique per site (`CardInUse`) and freed on remove.',
      spec: z.object({ occupier, email, groups: z.array(z.string().min(1).max(63)).default([]), cardId: z.string().regex(/^[0-9A-Fa-f]{4,32}$/).optional() }).strict(),
      details: z.object({ occupier: z.string(), groups: z.array(z.string()), cardId: z.string().optional() }).strict(),
    },
    accessLog: {
      doc: 'List-only: door events (kept after the user is removed: email, card ID and door persist).',
      spec: none,
      details: z.object({ at: z.iso.datetime(), occupier: z.string(), email: z.string(), cardId: z.string().optional(), door: z.string() }).strict(),
      observeOnly: true,
    },
  },
  billing: {
    contract: {
      doc: 'Key: the contract reference (e.g. `<occupier>`). Decommission: Completed with endDate yesterday; upcoming: remove (discard).',
      spec: z
        .object({ occupier, status: dateStatus, startDate: date, endDate: date.optional(), tariff: z.string().min(1), minuteBundle: z.string().min(1).optional(), reference: z.string().max(128).optional() })
        .strict(),
      details: z.object({ occupier: z.string(), status: dateStatus, startDate: z.string(), endDate: z.string().optional(), tariff: z.string() }).strict(),
    },
    occupancy: {
      doc: 'Key: `<occupier>/<space>/<movedIn>`.',
      spec: z.object({ occupier, space: z.string().min(1), status: dateStatus, movedIn: date, movedOut: date.optional() }).strict(),
      details: z.object({ occupier: z.string(), space: z.string(), status: dateStatus, movedIn: z.string(), movedOut: z.string().optional() }).strict(),
    },
    service: {
      doc: 'Key: `<occupier>/<service name>`. Desired `Active` provisions or updates, `Inactive` deprovisions. Observed state is one of Provisioning/Active/Updating/Failed/Inactive.',
      spec: z
        .object({
          occupier,
          name: z.string().min(1),
          quantity: z.int().min(0),
          state: z.enum(['Active', 'Inactive']).default('Active'),
          accessLevel: z.string().min(1).optional(),
          startDate: date.optional(),
          scheduledChanges: z.array(z.object({ date, quantity: z.int().min(0) }).strict()).default([]),
        })
        .strict(),
      details: z
        .object({
          occupier: z.string(),
          state: z.enum(SERVICE_STATES),
          quantity: z.int(),
          accessLevel: z.string().optional(),
          scheduledChanges: z.array(z.object({ date: z.string(), quantity: z.int() })),
          message: z.string().optional(),
        })
        .strict(),
    },
    callCharges: {
      doc: 'Key: the occupier identity. Whether new call charges are created; `Stopped` ends them (history is kept).',
      spec: z.object({ occupier, state: z.enum(['Active', 'Stopped']) }).strict(),
      details: z.object({ occupier: z.string(), state: z.enum(['Active', 'Stopped']), count: z.int(), totalPence: z.int() }).strict(),
    },
    callCharge: {
      doc: 'List-only: call charge records.',
      spec: none,
      details: z.object({ at: z.iso.datetime(), occupier: z.string(), number: z.string(), pence: z.int() }).strict(),
      observeOnly: true,
    },
    customer: {
      doc: 'Key: the occupier identity. The occupier as a customer of a reseller in billing: the reseller that bills it. ensure with another `reseller` moves the customer under it (a customer move, seed 003; `previousReseller` and `since` record it); an occupier cannot be its own reseller (`InvalidSpec`).',
      spec: z.object({ occupier, reseller: occupier.describe('Identity of the reseller occupier (namespace/name) the customer is under.') }).strict(),
      details: z.object({ occupier: z.string(), reseller: z.string(), since: z.iso.datetime(), previousReseller: z.string().optional() }).strict(),
    },
    booking: {
      doc: 'Key: the booking ID. Decommission unassigns upcoming bookings (ensure without `occupier` and user fields) and anonymises historical ones (ensure without `userName`).',
      spec: z
        .object({
          occupier: occupier.optional(),
          userEmail: email.optional(),
          userName: z.string().max(256).optional(),
          resource: z.string().min(1),
          start: z.iso.datetime({ offset: true }),
          end: z.iso.datetime({ offset: true }),
        })
        .strict(),
      details: z
        .object({
          occupier: z.string().optional(),
          formerOccupier: z.string().optional(),
          userEmail: z.string().optional(),
          userName: z.string().optional(),
          resource: z.string(),
          start: z.string(),
          end: z.string(),
          when: z.enum(['Upcoming', 'Historical']),
        })
        .strict(),
    },
  },
  directory: {
    account: {
      doc: 'Key: the user\'s email. A user portal / mobile-app account (`EmailInUse` if another occupier has it).',
      spec: z.object({ occupier, email, name: z.string().min(1).max(256) }).strict(),
      details: z.object({ username: z.string(), occupier: z.string() }).strict(),
    },
    customer: {
      doc: 'Key: the occupier identity. The occupier\'s directory (its portal and users) as administered under a reseller; ensure with another `reseller` moves it under that reseller (a customer move, seed 003).',
      spec: z.object({ occupier, reseller: occupier.describe('Identity of the reseller occupier (namespace/name) that administers the directory.') }).strict(),
      details: z.object({ occupier: z.string(), reseller: z.string(), since: z.iso.datetime(), previousReseller: z.string().optional() }).strict(),
    },
    entitlements: {
      doc: 'Key: the user\'s email. The service properties a user inherits from the occupier\'s services at the site: per service its access level (SAL) and properties, the access level\'s own or the occupier\'s overridden ones (a customer move, seed 003). An email owned by another occupier is refused (`EmailInUse`).',
      spec: z
        .object({
          occupier,
          email,
          services: z
            .record(
              z.string().min(1).max(63),
              z
                .object({
                  accessLevel: z.string().min(1).max(63).optional().describe('Service access level (SAL) the properties come from.'),
                  properties: z.record(z.string(), z.string()).default({}).describe('Service properties the user inherits.'),
                })
                .strict(),
            )
            .describe('Per service name, what the user inherits.'),
        })
        .strict(),
      details: z
        .object({
          occupier: z.string(),
          services: z.record(z.string(), z.object({ accessLevel: z.string().optional(), properties: z.record(z.string(), z.string()) }).strict()),
        })
        .strict(),
    },
  },
  notify: {
    message: {
      doc: 'Key: a message ID (e.g. the idempotency key of the step). Sent once; remove is a no-op.',
      spec: z.object({ recipients: z.array(email).min(1), subject: z.string().min(1).max(998), body: z.string().max(100_000) }).strict(),
      details: z.object({ sentAt: z.iso.datetime(), recipients: z.array(z.string()) }).strict(),
    },
  },
  records: {
    archive: {
      doc: 'Key: the occupier identity. The archived history; observe reads it back.',
      spec: z
        .object({
          occupier,
          history: z
            .object({
              contracts: z.array(z.record(z.string(), z.unknown())).default([]),
              occupancies: z.array(z.record(z.string(), z.unknown())).default([]),
              services: z.array(z.record(z.string(), z.unknown())).default([]),
              callCharges: z.array(z.record(z.string(), z.unknown())).default([]),
              accessLogs: z.array(z.record(z.string(), z.unknown())).default([]),
              bookings: z.array(z.record(z.string(), z.unknown())).default([]),
            })
            .strict(),
        })
        .strict(),
      details: z
        .object({
          recordRef: z.string(),
          archivedAt: z.iso.datetime(),
          counts: z.record(z.string(), z.int()),
          history: z.record(z.string(), z.array(z.record(z.string(), z.unknown()))),
        })
        .strict(),
    },
  },
} as const satisfies Record<Capability, Record<string, ItemSchema>>;

interface ItemSchema {
  /** What the item is, its key and its rules (also the OpenAPI description). */
  doc: string;
  spec: z.ZodType;
  details: z.ZodType;
  observeOnly?: boolean;
  removable?: boolean;
}

type Schemas = typeof ITEM_SCHEMAS;

/** Item types of a capability, e.g. `ItemType<'telephony'>` = `'number' | 'handset' | 'pool'`. */
export type ItemType<C extends Capability> = keyof Schemas[C] & string;
/** The desired state of an item as callers write it (defaults optional). */
export type SpecOf<C extends Capability, T extends ItemType<C>> = Schemas[C][T] extends { spec: infer S extends z.ZodType } ? z.input<S> : never;
/** The desired state after defaults, as backends see it. */
export type ParsedSpecOf<C extends Capability, T extends ItemType<C>> = Schemas[C][T] extends { spec: infer S extends z.ZodType } ? z.output<S> : never;
/** What a backend reports about an item. */
export type DetailsOf<C extends Capability, T extends ItemType<C>> = Schemas[C][T] extends { details: infer D extends z.ZodType } ? z.output<D> : never;

/** The schema entry of a (capability, type), or undefined for an unknown type. */
export function itemSchema(capability: string, type: string): ItemSchema | undefined {
  if (!(CAPABILITIES as readonly string[]).includes(capability)) return undefined;
  const byType = ITEM_SCHEMAS[capability as Capability] as Record<string, ItemSchema>;
  return Object.hasOwn(byType, type) ? byType[type] : undefined;
}

/** Every (capability, type) pair, for tables and documentation. */
export function itemTypes(): { capability: Capability; type: string; observeOnly: boolean }[] {
  return CAPABILITIES.flatMap((capability) =>
    Object.entries(ITEM_SCHEMAS[capability] as Record<string, ItemSchema>).map(([type, s]) => ({ capability, type, observeOnly: s.observeOnly === true })),
  );
}

/**
 * The recommended key of each item type, so every controller (Occupier, orders, finalizers)
 * addresses the same external item the same way. `occupier` is the stable occupier identity.
 */
export const itemKeys = {
  /** `network/allocation`, `billing/contract`, `billing/callCharges`, `records/archive`. */
  occupier: (occupier: string): string => occupier,
  /** `wifi/account`, `directory/account`, `access/user`: emails compare case-insensitively. */
  email: (email: string): string => email.toLowerCase(),
  /** `wifi/device`. */
  mac: (mac: string): string => mac.toLowerCase(),
  /** `telephony/number`, `telephony/handset`. */
  number: (number: string): string => number,
  /** `ports/port`. */
  port: (occupier: string, name: string): string => `${occupier}/${name}`,
  /** `billing/service`. */
  service: (occupier: string, name: string): string => `${occupier}/${name}`,
  /** `billing/occupancy`. */
  occupancy: (occupier: string, space: string, movedIn: string): string => `${occupier}/${space}/${movedIn}`,
  /** The `pool` types of network, telephony and ports. */
  pool: '-',
} as const;
