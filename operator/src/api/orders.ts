/**
 * Orders: `SiteMove`, `CustomerMove` and `Decommission`. Like Jobs, each runs once, at
 * `scheduledAt` (absent = now), and records its plan, per-site tasks and outcome in status.
 */
import { z } from 'zod';
import { capability, conditions, dateTime, email, identifier, listMap, listSet, localRef, objectName, rules, schedule, statusBase } from './common.ts';
import type { CelRule } from './common.ts';

/** Fields every order spec has. */
const orderSpecBase = {
  occupierRef: localRef('Occupier the order acts on'),
  scheduledAt: schedule.optional(),
  startingDeadlineSeconds: z
    .int()
    .min(0)
    .optional()
    .describe(
      'If the order could not start within this many seconds of its scheduled time (e.g. the operator was down), it fails with reason MissedSchedule instead of running late.',
    ),
  approval: z
    .enum(['Automatic', 'Manual'])
    .default('Automatic')
    .describe(
      'Manual: compute status.plan and wait for the annotation occupier.dev/approve=true before running (review users, numbers, services, then Finish).',
    ),
  notify: listSet(email, 'Who is told when the order completes.').max(20).optional(),
};

export const ORDER_PHASES = [
  'Pending',
  'Scheduled',
  'AwaitingApproval',
  'Blocked',
  'Running',
  'Succeeded',
  'Failed',
] as const;
export type OrderPhase = (typeof ORDER_PHASES)[number];

export const TASK_STATES = ['Pending', 'Running', 'Succeeded', 'Failed'] as const;
export type TaskState = (typeof TASK_STATES)[number];

export const task = z
  .object({
    site: objectName.describe('Site the task runs at.'),
    step: identifier.describe('Step of the order, e.g. telephony-deallocate, users, network.'),
    state: z.enum(TASK_STATES).describe('Pending, Running, Succeeded or Failed.'),
    attempts: z.int().min(0).default(0).describe('Driver attempts so far (manual retries included).'),
    retryFrom: z
      .int()
      .min(0)
      .optional()
      .describe('Attempts made before the last occupier.dev/retry: the retry budget counts from here.'),
    items: z
      .object({ total: z.int().min(0), done: z.int().min(0) })
      .strict()
      .optional()
      .describe('Items the step handles and how many are done.'),
    lastError: z.string().max(4096).optional().describe('Last error the driver returned.'),
    nextRetryAt: dateTime.optional().describe('When a failed attempt is retried.'),
    notBefore: dateTime.optional().describe('The step does not start before this instant (e.g. the end of the move date at the source, in its time zone).'),
    startedAt: dateTime.optional(),
    completedAt: dateTime.optional(),
  })
  .strict()
  .describe('One step of the order at one site (a provisioning request).');

export type Task = z.infer<typeof task>;

export const PLAN_ACTIONS = [
  'Create',
  'Move',
  'Copy',
  'Transfer',
  'Release',
  'Delete',
  'Complete',
  'Discard',
  'Deprovision',
  'Unassign',
  'Allocate',
  'Remap',
  'Unmatched',
] as const;

/**
 * One driver call the plan fixes when the run begins: exactly what is sent, so a run resumed
 * after a crash, or days later, does what was planned even if the occupier spec changed.
 */
export const operation = z
  .object({
    op: z.enum(['ensure', 'remove']).describe('ensure: create or update the item to spec; remove: delete it.'),
    capability: capability.describe('Driver capability that serves the item.'),
    type: z.string().min(1).max(63).describe('Item type, e.g. contract, number, callCharges.'),
    key: z.string().min(1).max(512).describe('Item key at the site.'),
    spec: z
      .record(z.string(), z.unknown())
      .meta({ 'x-kubernetes-preserve-unknown-fields': true })
      .optional()
      .describe('Desired item (ensure only), in the driver item shape.'),
  })
  .strict()
  .describe('One driver operation.');
export type Operation = z.infer<typeof operation>;

const planItem = z
  .object({
    kind: z
      .enum(['Contract', 'Occupancy', 'Service', 'User', 'Number', 'Network', 'Port', 'WifiDevice', 'Access', 'Booking'])
      .describe('What the item is.'),
    name: z.string().describe('Its name (email, number, service name, ...).'),
    site: objectName.optional().describe('Site the item is at.'),
    action: z.enum(PLAN_ACTIONS).describe('What the order does with it.'),
    detail: z.string().optional().describe('More about the action, e.g. the matched access level.'),
    step: identifier.optional().describe('Step of the order that handles the item (status.tasks[].step).'),
    ops: z.array(operation).max(8).optional().describe('Driver operations that carry the item out, fixed when the run began.'),
  })
  .strict()
  .describe('One item of the plan.');

export const plan = z
  .object({
    computedAt: dateTime.optional(),
    summary: z.string().optional().describe('One line: counts per action.'),
    items: z
      .array(planItem)
      .optional()
      .describe('Every user, number, service, space and network the order touches (here when small; else in the ConfigMaps of `stored`).'),
    itemCount: z.int().min(0).optional().describe('How many items the plan has.'),
    digest: z
      .string()
      .regex(/^[0-9a-f]{64}$/)
      .optional()
      .describe('SHA-256 of the plan items JSON: an approval (occupier.dev/approve=true) holds for the plan with this digest.'),
    counts: z
      .record(z.string(), z.int().min(0))
      .optional()
      .describe('Items per kind and action, e.g. "Contract/Complete": 2 (kept small however large the plan).'),
    stored: z
      .object({
        configMaps: listSet(objectName, 'ConfigMaps (in the order namespace) holding plan.json.gz, in order.').max(64),
        sha256: z.string().regex(/^[0-9a-f]{64}$/).describe('SHA-256 of the plan items JSON: a resumed run checks it.'),
      })
      .strict()
      .optional()
      .describe('Where the frozen plan items are kept when they are too large for status (the order stays small however large the occupier).'),
    unmatched: listSet(z.string(), 'Items that block the order until mapped or fixed.').optional(),
  })
  .strict()
  .describe('What the order will do, computed before it runs.');

const orderStatus = z
  .object({
    ...statusBase,
    conditions: conditions.optional(),
    phase: z.enum(ORDER_PHASES).optional().describe('Where the order is.'),
    scheduledFor: dateTime.optional().describe('The instant the order runs (resolved from spec.scheduledAt).'),
    startedAt: dateTime.optional().describe('When the run began; from then the spec is frozen.'),
    completedAt: dateTime.optional().describe('When the order ended.'),
    requestedBy: z
      .object({ username: z.string(), groups: listSet(z.string(), 'Groups of the requester.').optional() })
      .strict()
      .optional()
      .describe('Who created the order (recorded by the admission webhook).'),
    plan: plan.optional(),
    approvedPlan: z
      .string()
      .regex(/^[0-9a-f]{64}$/)
      .optional()
      .describe('Digest of the plan that was on display when occupier.dev/approve=true was seen (e.g. a scheduled order approved ahead): the run starts without waiting only if the plan at its time is the same.'),
    tasks: z.array(task).optional().describe('Per-site steps with attempts, errors and times.'),
  })
  .strict()
  .describe('Observed state of the order.');

export type OrderStatus = z.infer<typeof orderStatus>;

/** Root-level rule of every order: once started, its spec is frozen. */
export const ORDER_FROZEN_RULE: CelRule = {
  rule: '!has(oldSelf.status) || !has(oldSelf.status.startedAt) || self.spec == oldSelf.spec',
  message: 'spec is frozen once the order has started',
  fieldPath: '.spec',
  reason: 'FieldValueForbidden',
};

// ---------------------------------------------------------------------------------------

export const decommissionSpec = rules(
  z
    .object({
      ...orderSpecBase,
      confirm: z
        .object({
          occupierName: objectName.describe("The occupier's name typed again (the manual's confirmation)."),
          irreversible: z.boolean().describe('Must be true: I understand that decommissioning is irreversible.'),
        })
        .strict()
        .describe('Confirmation that you mean it.'),
    })
    .strict()
    .describe('Decommission an occupier across all of its sites, now or at scheduledAt.'),
  [
    { rule: 'self.confirm.irreversible == true', message: 'must be true: decommissioning is irreversible', fieldPath: '.confirm.irreversible' },
    {
      rule: 'self.confirm.occupierName == self.occupierRef.name',
      message: 'must equal occupierRef.name',
      fieldPath: '.confirm.occupierName',
    },
  ],
);

export const siteMoveSpec = rules(
  z
    .object({
      ...orderSpecBase,
      from: objectName.describe('Site the occupier leaves.'),
      to: objectName.describe('Site the occupier moves to.'),
      tariff: identifier.describe('Client tariff at the destination site.'),
      minuteBundle: identifier.optional().describe('Client minute bundle at the destination site.'),
      spaces: listSet(identifier, 'Spaces at the destination the occupier moves into.').max(100).optional(),
      copyServices: z.boolean().default(true).describe('Copy the services at the source to the destination.'),
      telephony: z
        .enum(['Transfer', 'Release'])
        .default('Release')
        .describe('Transfer: numbers move with the occupier. Release: numbers are released at the source into cooling-off.'),
    })
    .strict()
    .describe('Move an occupier from one site to another, now or at scheduledAt.'),
  [{ rule: 'self.from != self.to', message: 'to must differ from from', fieldPath: '.to' }],
);

const servicePlanMapping = z
  .object({
    service: identifier.describe('Catalog name of the service.'),
    accessLevel: z.string().min(1).max(63).describe("Access level (SAL) at the destination reseller."),
  })
  .strict()
  .describe('Which destination access level a service uses.');

const accessLevelOverride = z
  .object({
    service: identifier.describe('Catalog name of the service.'),
    properties: z.record(z.string(), z.string()).describe('Service properties users get instead of the access level ones.'),
  })
  .strict()
  .describe('Service properties overridden for the moved users.');

export const customerMoveSpec = z
  .object({
    ...orderSpecBase,
    toReseller: localRef('reseller Occupier the customer moves to'),
    servicePlanMappings: listMap(servicePlanMapping, ['service'], 'Access levels chosen for services that do not match by name.')
      .max(200)
      .optional(),
    accessLevelOverrides: listMap(accessLevelOverride, ['service'], 'Overridden service properties.').max(200).optional(),
  })
  .strict()
  .describe('Move a customer occupier under a different reseller in the same location.');

export const decommissionStatus = orderStatus;
export const siteMoveStatus = orderStatus;
export const customerMoveStatus = orderStatus;

export type DecommissionSpec = z.infer<typeof decommissionSpec>;
export type SiteMoveSpec = z.infer<typeof siteMoveSpec>;
export type CustomerMoveSpec = z.infer<typeof customerMoveSpec>;
