/**
 * The five kinds: their zod schemas and the CRD facts about them (names, scope, printer
 * columns). The CRD generator, the runtime validator and the controllers all read this table.
 */
import { z } from 'zod';
import type { V1ObjectMeta } from '@kubernetes/client-node';
import { API_VERSION, GROUP } from './common.ts';
import type { CelRule } from './common.ts';
import { occupierSpec, occupierStatus } from './occupier.ts';
import {
  customerMoveSpec,
  customerMoveStatus,
  decommissionSpec,
  decommissionStatus,
  ORDER_FROZEN_RULE,
  siteMoveSpec,
  siteMoveStatus,
} from './orders.ts';
import { siteSpec, siteStatus } from './site.ts';

export interface PrinterColumn {
  name: string;
  type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  jsonPath: string;
  description: string;
  priority?: number;
}

export interface KindInfo<Spec extends z.ZodType = z.ZodType, Status extends z.ZodType = z.ZodType> {
  kind: string;
  plural: string;
  singular: string;
  shortNames: string[];
  scope: 'Cluster' | 'Namespaced';
  description: string;
  spec: Spec;
  status: Status;
  /** CEL rules on the whole object (they may compare spec and status, old and new). */
  rootRules: CelRule[];
  printerColumns: PrinterColumn[];
}

/**
 * The kubectl category of every kind (`kubectl get tenancy -A`). Not `occupier`: kubectl expands a
 * category before a resource name, so a category named like a kind hijacks `kubectl get occupier NAME`.
 */
export const CATEGORY = 'tenancy';

const ready: PrinterColumn = {
  name: 'Ready',
  type: 'string',
  jsonPath: '.status.conditions[?(@.type=="Ready")].status',
  description: 'Whether the object is reconciled.',
};
const phase: PrinterColumn = { name: 'Phase', type: 'string', jsonPath: '.status.phase', description: 'Lifecycle phase.' };
const occupierCol: PrinterColumn = {
  name: 'Occupier',
  type: 'string',
  jsonPath: '.spec.occupierRef.name',
  description: 'Occupier the order acts on.',
};
const scheduled: PrinterColumn = {
  name: 'Scheduled',
  type: 'string',
  jsonPath: '.status.scheduledFor',
  description: 'When the order runs (UTC).',
};
const age: PrinterColumn = { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp', description: 'Age.' };

export const Site = {
  kind: 'Site',
  plural: 'sites',
  singular: 'site',
  shortNames: ['ste'],
  scope: 'Cluster',
  description: 'A building or location: its network and number pools, catalog, spaces, and which driver serves each capability.',
  spec: siteSpec,
  status: siteStatus,
  rootRules: [],
  printerColumns: [
    { name: 'Location', type: 'string', jsonPath: '.spec.location', description: 'Location (region).' },
    { name: 'Timezone', type: 'string', jsonPath: '.spec.timezone', description: 'IANA time zone.', priority: 1 },
    { name: 'Occupiers', type: 'integer', jsonPath: '.status.occupiers', description: 'Occupiers with a contract here.' },
    ready,
    age,
  ],
} satisfies KindInfo;

export const Occupier = {
  kind: 'Occupier',
  plural: 'occupiers',
  singular: 'occupier',
  shortNames: ['occ'],
  scope: 'Namespaced',
  description:
    'A tenant company: its contracts, spaces, services, network, ports, numbers and users at each site, and its reseller relation.',
  spec: occupierSpec,
  status: occupierStatus,
  rootRules: [],
  printerColumns: [
    { name: 'Display Name', type: 'string', jsonPath: '.spec.displayName', description: 'Company name.' },
    phase,
    { name: 'Sites', type: 'string', jsonPath: '.status.sitesSummary', description: 'Current sites.' },
    { name: 'Reseller', type: 'string', jsonPath: '.status.reseller', description: 'Current reseller.', priority: 1 },
    ready,
    age,
  ],
} satisfies KindInfo;

export const SiteMove = {
  kind: 'SiteMove',
  plural: 'sitemoves',
  singular: 'sitemove',
  shortNames: ['smv'],
  scope: 'Namespaced',
  description: 'An order to move an occupier from one site to another, now or at scheduledAt.',
  spec: siteMoveSpec,
  status: siteMoveStatus,
  rootRules: [ORDER_FROZEN_RULE],
  printerColumns: [
    occupierCol,
    { name: 'From', type: 'string', jsonPath: '.spec.from', description: 'Source site.' },
    { name: 'To', type: 'string', jsonPath: '.spec.to', description: 'Destination site.' },
    phase,
    scheduled,
    age,
  ],
} satisfies KindInfo;

export const CustomerMove = {
  kind: 'CustomerMove',
  plural: 'customermoves',
  singular: 'customermove',
  shortNames: ['cmv'],
  scope: 'Namespaced',
  description: 'An order to move a customer occupier under a different reseller in the same location.',
  spec: customerMoveSpec,
  status: customerMoveStatus,
  rootRules: [ORDER_FROZEN_RULE],
  printerColumns: [
    occupierCol,
    { name: 'To Reseller', type: 'string', jsonPath: '.spec.toReseller.name', description: 'Destination reseller.' },
    phase,
    scheduled,
    age,
  ],
} satisfies KindInfo;

export const Decommission = {
  kind: 'Decommission',
  plural: 'decommissions',
  singular: 'decommission',
  shortNames: ['decom'],
  scope: 'Namespaced',
  description:
    'An order to decommission an occupier across all of its sites, now or at scheduledAt: ends contracts, occupancies and services, releases numbers, ports and network, deletes users and devices, keeps history.',
  spec: decommissionSpec,
  status: decommissionStatus,
  rootRules: [ORDER_FROZEN_RULE],
  printerColumns: [occupierCol, phase, scheduled, age],
} satisfies KindInfo;

export const KINDS = [Site, Occupier, SiteMove, CustomerMove, Decommission] as const;
export type KindName = (typeof KINDS)[number]['kind'];

export function kindInfo(kind: string): KindInfo | undefined {
  return KINDS.find((k) => k.kind === kind);
}

/** Minimal object metadata we read (the API server owns the rest). */
export const objectMeta = z
  .object({
    name: z.string().optional(),
    generateName: z.string().optional(),
    namespace: z.string().optional(),
    uid: z.string().optional(),
    resourceVersion: z.string().optional(),
    generation: z.number().optional(),
    creationTimestamp: z.string().optional(),
    deletionTimestamp: z.string().optional(),
    labels: z.record(z.string(), z.string()).optional(),
    annotations: z.record(z.string(), z.string()).optional(),
    finalizers: z.array(z.string()).optional(),
  })
  .loose();

export type ObjectMeta = z.infer<typeof objectMeta>;

/** The zod schema of a whole object of a kind: apiVersion, kind, metadata, spec, status. */
export function resourceSchema<K extends KindInfo>(info: K) {
  return z
    .object({
      apiVersion: z.literal(API_VERSION),
      kind: z.literal(info.kind),
      metadata: objectMeta,
      spec: info.spec as K['spec'],
      status: (info.status as K['status']).optional(),
    })
    .strict();
}

/** A typed object of one kind, as read from the API server (metadata in client-node's shape). */
export interface Resource<Spec, Status> {
  apiVersion: string;
  kind: string;
  metadata: V1ObjectMeta;
  spec: Spec;
  status?: Status;
}

export type SiteResource = Resource<z.infer<typeof siteSpec>, z.infer<typeof siteStatus>>;
export type OccupierResource = Resource<z.infer<typeof occupierSpec>, z.infer<typeof occupierStatus>>;
export type SiteMoveResource = Resource<z.infer<typeof siteMoveSpec>, z.infer<typeof siteMoveStatus>>;
export type CustomerMoveResource = Resource<z.infer<typeof customerMoveSpec>, z.infer<typeof customerMoveStatus>>;
export type DecommissionResource = Resource<z.infer<typeof decommissionSpec>, z.infer<typeof decommissionStatus>>;

export { GROUP };
