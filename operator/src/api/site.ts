/** `Site`: a building or location, its pools, catalog, spaces and drivers (cluster-scoped). */
import { z } from 'zod';
import { cidr, conditions, e164, identifier, listMap, rules, secretRef, statusBase } from './common.ts';

export const driverRef = z
  .object({
    driver: z
      .enum(['simulated', 'http'])
      .describe('Driver implementation: simulated (in-process, for development and tests) or http (the documented REST protocol).'),
    endpoint: z.url().optional().describe('Base URL of the backend, for the http driver.'),
    credentialsSecretRef: secretRef.optional(),
    timeoutSeconds: z.int().min(1).max(600).default(30).describe('Time-out of one driver call.'),
    settings: z
      .record(z.string(), z.string())
      .optional()
      .describe(
        'Driver settings. The simulated driver reads latencyMs, failRate (0..1), seed, failOnStep, transientOnStep (<step>:<n>), stuckStep, slowStep, slowMs and asyncMs (see drivers/README.md).',
      ),
  })
  .strict()
  .describe('Which driver serves a capability at this site, and how to reach it.');

export type DriverRef = z.infer<typeof driverRef>;

const drivers = z
  .object({
    default: driverRef.optional().describe('Driver for every capability not listed below (default: simulated).'),
    network: driverRef.optional().describe('Driver for VLANs and IPv4 subnets.'),
    wifi: driverRef.optional().describe('Driver for Wi-Fi user accounts and shared device registrations.'),
    telephony: driverRef.optional().describe('Driver for telephone numbers and handsets.'),
    ports: driverRef.optional().describe('Driver for switch and floor ports.'),
    access: driverRef.optional().describe('Driver for access-control groups and card IDs.'),
    billing: driverRef.optional().describe('Driver for contracts, services, tariffs, minute bundles and call charges.'),
    directory: driverRef.optional().describe('Driver for user portal accounts.'),
    notify: driverRef.optional().describe('Driver for completion notifications.'),
    records: driverRef.optional().describe('Driver that archives history.'),
  })
  .strict()
  .describe('Which driver serves each capability at this site.');

const network = z
    .object({
      vlanRange: rules(
        z
          .object({
            from: z.int().min(1).max(4094).describe('First VLAN ID of the pool.'),
            to: z.int().min(1).max(4094).describe('Last VLAN ID of the pool.'),
          })
          .strict()
          .describe('VLAN IDs this site allocates to occupiers, inclusive.'),
        [{ rule: 'self.from <= self.to', message: 'from must not be greater than to', fieldPath: '.from' }],
      ),
      ipv4Pool: cidr.describe('IPv4 block carved into one subnet per occupier, e.g. 10.20.0.0/16.'),
      subnetPrefixLength: z
        .int()
        .min(8)
        .max(30)
        .default(26)
        .describe('Prefix length of each occupier subnet, e.g. 26 for 64 addresses.'),
    })
    .strict()
  .describe(
    'Network pools of the site. Without them no occupier can be set up or moved here. A subnetPrefixLength shorter than the pool prefix is reported by the Site Ready condition.',
  );

const numberBlock = z
  .object({
    start: e164.describe('First number of the block.'),
    count: z.int().min(1).max(100000).describe('How many consecutive numbers the block holds.'),
  })
  .strict()
  .describe('A block of consecutive telephone numbers.');

const telephony = z
  .object({
    numberBlocks: listMap(numberBlock, ['start'], 'Blocks of numbers this site can allocate.'),
    coolingOffDays: z
      .int()
      .min(0)
      .max(3650)
      .default(90)
      .describe('Days a released number cools off before it can be allocated to another occupier.'),
  })
  .strict()
  .describe('Telephony number pool of the site.');

const accessLevel = z
  .object({
    name: z.string().min(1).max(63).describe('Name of the service access level (SAL), e.g. Standard, Premium.'),
    properties: z
      .record(z.string(), z.string())
      .optional()
      .describe('Service properties users of this access level inherit.'),
  })
  .strict()
  .describe('A service access level (SAL) of a catalog service.');

const catalogService = z
  .object({
    name: identifier.describe('Catalog name of the service, referenced by occupiers, e.g. internet-100.'),
    displayName: z.string().max(256).optional().describe('Human-readable name.'),
    capability: z
      .enum(['network', 'wifi', 'telephony', 'ports', 'access', 'billing', 'directory'])
      .default('billing')
      .describe('Which driver provisions the service (billing: billed only).'),
    accessLevels: listMap(accessLevel, ['name'], 'Service access levels offered for this service.').optional(),
  })
  .strict()
  .describe('A service occupiers at this site can have.');

const tariff = z
  .object({
    name: identifier.describe('Tariff name, e.g. standard-2026.'),
    description: z.string().max(1024).optional().describe('What the tariff is.'),
  })
  .strict()
  .describe('A client tariff.');

const minuteBundle = z
  .object({
    name: identifier.describe('Minute bundle name, e.g. uk-1000.'),
    minutes: z.int().min(0).describe('Minutes included per month.'),
  })
  .strict()
  .describe('A telephony minute bundle.');

const catalog = z
  .object({
    services: listMap(catalogService, ['name'], 'Services offered at this site.'),
    tariffs: listMap(tariff, ['name'], 'Tariffs offered at this site.').optional(),
    minuteBundles: listMap(minuteBundle, ['name'], 'Minute bundles offered at this site.').optional(),
  })
  .strict()
  .describe('What this site sells.');

const space = z
  .object({
    name: identifier.describe('Space name, referenced by occupancies, e.g. suite-301.'),
    type: z.enum(['Office', 'Suite', 'Desk', 'Storage', 'Other']).default('Office').describe('Kind of space.'),
    capacity: z.int().min(1).default(1).describe('Desks or people the space holds.'),
    floor: z.string().max(32).optional().describe('Floor the space is on.'),
  })
  .strict()
  .describe('A lettable space.');

const switchPool = z
  .object({
    name: identifier.describe('Switch name, e.g. sw-1a.'),
    ports: z.int().min(1).max(1024).describe('Number of occupier-facing ports on the switch.'),
  })
  .strict()
  .describe('A switch whose ports are allocated to occupiers.');

export const siteSpec = z
  .object({
    displayName: z.string().min(1).max(256).describe('Human-readable name of the site.'),
    location: identifier.describe(
      'Location (region) of the site, e.g. london. Resellers and their customers must share a location.',
    ),
    timezone: z
      .string()
      .min(1)
      .max(64)
      .regex(/^[A-Za-z]+(?:[/_+-][A-Za-z0-9_+-]+)*$|^UTC$/, { message: 'must be an IANA time zone such as Europe/London' })
      .describe('IANA time zone of the site, e.g. Europe/London; end-of-day deprovisioning uses it.'),
    network: network.optional(),
    telephony: telephony.optional(),
    catalog,
    spaces: listMap(space, ['name'], 'Spaces at the site.').optional(),
    switches: listMap(switchPool, ['name'], 'Switches whose ports are allocated to occupiers.').optional(),
    drivers: drivers.optional(),
  })
  .strict()
  .describe('Desired configuration of a site.');

const capacity = z
  .object({
    total: z.int().min(0).describe('Size of the pool.'),
    allocated: z.int().min(0).describe('Items in use.'),
    coolingOff: z.int().min(0).optional().describe('Items released but not yet reusable.'),
  })
  .strict()
  .describe('Use of one pool.');

export const siteStatus = z
  .object({
    ...statusBase,
    conditions: conditions.optional(),
    phase: z.enum(['Ready', 'NotReady', 'Terminating']).optional().describe('Summary of the Ready condition.'),
    occupiers: z.int().min(0).optional().describe('Occupiers with a contract at this site.'),
    capacity: z
      .object({
        vlans: capacity.optional(),
        subnets: capacity.optional(),
        numbers: capacity.optional(),
        spaces: capacity.optional(),
        ports: capacity.optional(),
      })
      .strict()
      .optional()
      .describe('Free and used capacity of each pool.'),
  })
  .strict()
  .describe('Observed state of the site.');

export type SiteSpec = z.infer<typeof siteSpec>;
export type SiteStatus = z.infer<typeof siteStatus>;
