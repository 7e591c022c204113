/** `Occupier`: a tenant company, its per-site contracts and its users (namespaced). */
import { z } from 'zod';
import { conditions, date, e164, email, identifier, listMap, listSet, localRef, mac, objectName, rules, statusBase } from './common.ts';

const contract = rules(
  z
    .object({
      startDate: date.describe('First day of the contract (YYYY-MM-DD, site time zone).'),
      endDate: date
        .optional()
        .describe('Last day of the contract; services are deprovisioned at the end of that day (site time zone).'),
      tariff: identifier.describe('Client tariff from the site catalog.'),
      minuteBundle: identifier.optional().describe('Telephony minute bundle from the site catalog.'),
      reference: z.string().max(128).optional().describe('Contract reference in the billing system.'),
    })
    .strict()
    .describe('The contract at the site.'),
  [{ rule: '!has(self.endDate) || self.endDate >= self.startDate', message: 'endDate must not be before startDate', fieldPath: '.endDate' }],
);

const occupancy = rules(
  z
    .object({
      space: identifier.describe('Space at the site (from Site.spec.spaces).'),
      movedIn: date.describe('Move-in date.'),
      movedOut: date.optional().describe('Move-out date.'),
    })
    .strict()
    .describe('A space the occupier leases.'),
  [{ rule: '!has(self.movedOut) || self.movedOut >= self.movedIn', message: 'movedOut must not be before movedIn', fieldPath: '.movedOut' }],
);

const scheduledChange = z
  .object({
    date: date.describe('Day the change takes effect.'),
    quantity: z.int().min(0).describe('Quantity from that day (0 ends the service).'),
  })
  .strict()
  .describe('A future change of quantity.');

const service = z
  .object({
    name: identifier.describe('Catalog name of the service at this site.'),
    quantity: z.int().min(1).max(100000).default(1).describe('How many units.'),
    accessLevel: z.string().min(1).max(63).optional().describe('Service access level (SAL) from the catalog.'),
    startDate: date.optional().describe('First day of the service (default: the contract start).'),
    scheduledChanges: listMap(scheduledChange, ['date'], 'Future quantity changes, applied on their dates.').optional(),
  })
  .strict()
  .describe('A service the occupier has at the site.');

const port = z
  .object({
    name: identifier.describe('Local name of the port, e.g. desk-12.'),
    switch: identifier.optional().describe('Switch to take the port from (default: any with a free port).'),
  })
  .strict()
  .describe('A switch/floor port allocated to the occupier.');

const number = z
  .object({
    number: e164.describe('The number, from the site number pool.'),
    main: z.boolean().default(false).describe('Whether this is the occupier main number at the site.'),
  })
  .strict()
  .describe('A telephone number allocated to the occupier.');

const wifiDevice = z
  .object({
    name: identifier.describe('Device name, e.g. printer-2f.'),
    mac: mac.describe('MAC address the device connects with.'),
    description: z.string().max(256).optional().describe('What the device is.'),
  })
  .strict()
  .describe('A shared Wi-Fi device (printer, AV equipment, ...).');

const siteEntry = z
  .object({
    site: objectName.describe('Name of the Site.'),
    contract,
    occupancies: listMap(occupancy, ['space', 'movedIn'], 'Spaces leased at the site.').optional(),
    services: listMap(service, ['name'], 'Services at the site.').optional(),
    ports: listMap(port, ['name'], 'Switch/floor ports at the site.').optional(),
    numbers: rules(listMap(number, ['number'], 'Telephone numbers at the site.').max(1000), [
      { rule: 'self.filter(n, n.main).size() <= 1', message: 'at most one main number per site' },
    ]).optional(),
    wifiDevices: listMap(wifiDevice, ['name'], 'Shared Wi-Fi devices at the site.').optional(),
    network: z
      .object({
        enabled: z.boolean().default(true).describe('Whether the occupier gets a VLAN and IPv4 subnet here.'),
      })
      .strict()
      .optional()
      .describe('Network at the site.'),
  })
  .strict()
  .describe("The occupier's presence at one site.");

const user = z
  .object({
    email: email.describe('Email address; identifies the user.'),
    name: z.string().min(1).max(256).describe('Full name.'),
    sites: listSet(objectName, 'Sites the user has access to.').min(1),
    wifi: z.boolean().default(true).describe('Whether the user has a Wi-Fi Secure account.'),
    portal: z.boolean().default(true).describe('Whether the user has a portal / mobile-app account.'),
    phoneNumber: e164.optional().describe("One of the occupier's numbers, assigned to the user."),
    accessGroups: listSet(identifier, 'Access-control groups (doors) the user belongs to.').optional(),
    cardId: z
      .string()
      .regex(/^[0-9A-Fa-f]{4,32}$/, { message: 'must be 4 to 32 hexadecimal digits' })
      .optional()
      .describe('Access card ID (hexadecimal).'),
  })
  .strict()
  .describe('A user of the occupier.');

export const occupierSpec = rules(
  z
    .object({
      displayName: z.string().min(1).max(256).describe('Company name as shown to operators.'),
      reseller: z.boolean().default(false).describe('Whether this occupier is a reseller with customers of its own.'),
      resellerRef: localRef('reseller Occupier this occupier is a customer of').optional(),
      deletionPolicy: z
        .enum(['Decommission', 'Orphan'])
        .default('Decommission')
        .describe(
          'What deleting the Occupier does: Decommission deprovisions everything and archives history; Orphan leaves external state and archives history.',
        ),
      sites: listMap(siteEntry, ['site'], 'Contracts and provisioning per site.').min(1).max(100),
      users: listMap(user, ['email'], 'Users of the occupier.').optional(),
    })
    .strict()
    .describe('Desired configuration of an occupier.'),
  [
    { rule: '!(self.reseller && has(self.resellerRef))', message: 'a reseller cannot itself have a resellerRef', fieldPath: '.resellerRef' },
  ],
);

// ---------------------------------------------------------------------------------------
// Status
// ---------------------------------------------------------------------------------------

export const OCCUPIER_PHASES = [
  'Pending',
  'Active',
  'MoveScheduled',
  'Moving',
  'DecommissionScheduled',
  'DecommissionPending',
  'DecommissionFailed',
  'Decommissioned',
] as const;
export type OccupierPhase = (typeof OCCUPIER_PHASES)[number];

export const SERVICE_STATES = ['Provisioning', 'Active', 'Updating', 'Failed', 'Inactive'] as const;
export type ServiceState = (typeof SERVICE_STATES)[number];

const itemState = z.enum(['Pending', 'Provisioning', 'Ready', 'Failed', 'Removing', 'Removed']);

const siteStatus = z
  .object({
    site: objectName.describe('Name of the Site.'),
    contract: z
      .object({
        status: z.enum(['Upcoming', 'Active', 'Completed']).describe('Contract status.'),
        startDate: date,
        endDate: date.optional(),
      })
      .strict()
      .optional()
      .describe('Observed contract.'),
    network: z
      .object({
        state: itemState,
        vlan: z.int().optional(),
        subnet: z.string().optional(),
        gateway: z.string().optional(),
      })
      .strict()
      .optional()
      .describe('Allocated network.'),
    numbers: listMap(
      z
        .object({
          number: e164,
          state: z.enum(['Allocated', 'Assigned', 'Frozen', 'Deactivated', 'CoolingOff', 'Released', 'Failed']),
          main: z.boolean().optional(),
          assignedTo: z.string().optional().describe('Email of the user the number is assigned to.'),
          handsetLoggedIn: z.boolean().optional().describe('Whether a handset is logged in with the number.'),
        })
        .strict(),
      ['number'],
      'Observed telephone numbers.',
    ).optional(),
    services: listMap(
      z
        .object({
          name: identifier,
          quantity: z.int().min(0),
          state: z.enum(SERVICE_STATES),
          accessLevel: z.string().optional(),
          message: z.string().optional(),
        })
        .strict(),
      ['name'],
      'Observed services.',
    ).optional(),
    occupancies: z
      .array(
        z
          .object({
            space: identifier,
            status: z.enum(['Upcoming', 'Active', 'Completed']),
            movedIn: date,
            movedOut: date.optional(),
          })
          .strict(),
      )
      .optional()
      .describe('Observed occupancies.'),
    ports: listMap(
      z.object({ name: identifier, switch: z.string(), port: z.int(), state: itemState }).strict(),
      ['name'],
      'Allocated ports.',
    ).optional(),
    wifiDevices: listMap(
      z.object({ name: identifier, mac, state: itemState }).strict(),
      ['name'],
      'Registered shared Wi-Fi devices.',
    ).optional(),
    desiredHash: z.string().optional().describe('Fingerprint of the desired items last provisioned in full (unchanged: nothing to call).'),
    inventory: listSet(
      z.string(),
      'Every external item provisioned at the site, as capability/type/key: what the operator removes when spec no longer wants it. Absent while status.details holds the per-item lists (see counts).',
    ).optional(),
    counts: z
      .object({
        inventory: z.int().min(0).describe('Items in the inventory.'),
        history: z.int().min(0).describe('Of them, billing items (kept as history after a decommission).'),
        numbers: z.int().min(0),
        ports: z.int().min(0),
        wifiDevices: z.int().min(0),
      })
      .strict()
      .optional()
      .describe('Set instead of the per-item lists (inventory, numbers, ports, wifiDevices) while they are kept in ConfigMaps (status.details).'),
  })
  .strict()
  .describe('Observed state at one site.');

export const occupierStatus = z
  .object({
    ...statusBase,
    conditions: conditions.optional(),
    phase: z.enum(OCCUPIER_PHASES).optional().describe('Lifecycle phase.'),
    currentSites: listSet(objectName, 'Sites where the occupier currently has a contract.').optional(),
    sitesSummary: z.string().optional().describe('Current sites, comma-separated (for kubectl get).'),
    reseller: objectName.optional().describe('Current reseller, after any completed CustomerMove.'),
    customers: listSet(
      objectName,
      'Of a reseller: the occupiers (same namespace) whose current reseller it is — their status.reseller if set, else spec.resellerRef — after any completed CustomerMove.',
    ).optional(),
    activeOrder: z
      .object({
        kind: z.enum(['SiteMove', 'CustomerMove', 'Decommission']),
        name: objectName,
      })
      .strict()
      .optional()
      .describe('The order currently scheduled or running for this occupier.'),
    users: z
      .object({
        total: z.int().min(0),
        ready: z.int().min(0),
        failed: listSet(email, 'Users whose provisioning failed: the first 100 by email (total − ready counts them all).').optional(),
      })
      .strict()
      .optional()
      .describe('User provisioning summary.'),
    sites: listMap(siteStatus, ['site'], 'Observed state per site.').optional(),
    details: z
      .object({
        configMaps: z.array(objectName).min(1).describe('ConfigMaps (same namespace) holding status.sites in full, gzipped JSON, in order.'),
        sha256: z.string().describe('SHA-256 of that JSON.'),
        bytes: z.int().min(0).describe('Size of that JSON.'),
      })
      .strict()
      .optional()
      .describe('Where the per-item lists of status.sites are kept when they would make the Occupier too large for the API server (an object is limited to 1.5 MiB): status.sites then holds counts.'),
    specDrift: listSet(z.string(), 'Fields of spec that disagree with a completed order; change them in Git.').optional(),
    history: z
      .object({
        archivedAt: z.string().optional(),
        recordRef: z.string().optional().describe('Reference of the archived record in the records driver.'),
        contracts: z.int().min(0).optional(),
        occupancies: z.int().min(0).optional(),
        services: z.int().min(0).optional(),
        callCharges: z.int().min(0).optional(),
        accessLogs: z.int().min(0).optional(),
        bookings: z.int().min(0).optional(),
      })
      .strict()
      .optional()
      .describe('Archived history, still readable after a decommission.'),
  })
  .strict()
  .describe('Observed state of the occupier.');

export type OccupierSpec = z.infer<typeof occupierSpec>;
export type OccupierStatus = z.infer<typeof occupierStatus>;
