/**
 * Building blocks shared by every kind: formats, references, conditions, CEL rules.
 *
 * Everything in `crds/` and every runtime check is derived from these zod schemas; a rule
 * written here with `rules()` is both a CRD `x-kubernetes-validations` entry and a runtime
 * check (evaluated by our CEL interpreter), so the API server and the operator agree.
 */
import { z } from 'zod';

/** Group and version of every kind the operator serves. */
export const GROUP = 'occupier.dev';
export const VERSION = 'v1alpha1';
export const API_VERSION = `${GROUP}/${VERSION}`;

/** A CEL validation rule, as `x-kubernetes-validations` holds it. */
export interface CelRule {
  rule: string;
  message: string;
  /** A CEL string expression for the message (it may name the value); `message` is the fallback. */
  messageExpression?: string;
  /** JSON path (from the node the rule sits on) of the field the error is reported on. */
  fieldPath?: string;
  reason?: 'FieldValueInvalid' | 'FieldValueForbidden' | 'FieldValueRequired' | 'FieldValueDuplicate';
}

const RULES_KEY = 'x-kubernetes-validations';

/** Attaches CEL rules to a schema (they reach the CRD and the runtime validator). */
export function rules<T extends z.ZodType>(schema: T, list: CelRule[]): T {
  return schema.meta({ [RULES_KEY]: list });
}

/** The CEL rules attached to a schema with `rules()`, if any. */
export function rulesOf(schema: z.ZodType): CelRule[] {
  const meta = schema.meta() as Record<string, unknown> | undefined;
  const list = meta?.[RULES_KEY];
  return Array.isArray(list) ? (list as CelRule[]) : [];
}

/** A list whose items are identified by one or more key fields (server-side apply merges by them). */
export function listMap<T extends z.ZodType>(item: T, keys: string[], description: string) {
  return z
    .array(item)
    .describe(description)
    .meta({ 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': keys });
}

/** A list of unique scalars. */
export function listSet<T extends z.ZodType>(item: T, description: string) {
  return z.array(item).describe(description).meta({ 'x-kubernetes-list-type': 'set' });
}

// ---------------------------------------------------------------------------------------
// Formats
// ---------------------------------------------------------------------------------------

/** A Kubernetes object name (RFC 1123 subdomain). */
export const objectName = z
  .string()
  .min(1)
  .max(253)
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/, {
    message: 'must be a lowercase RFC 1123 name (a-z, 0-9, "-", ".")',
  });

/** A short identifier used inside a spec (catalog items, spaces, ports): a DNS label. */
export const identifier = z
  .string()
  .min(1)
  .max(63)
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, { message: 'must be a lowercase DNS label (a-z, 0-9, "-")' });

/** A calendar date, `YYYY-MM-DD`. */
export const date = z.iso.date();

/** An RFC 3339 time with an explicit offset, e.g. `2026-12-01T18:00:00Z`. */
export const dateTime = z.iso.datetime({ offset: true });

/**
 * When an order runs: a date (the manual's rule: 23:00 UTC that day) or an exact RFC 3339
 * time. One CEL rule (not an `anyOf` of formats, whose refusal names neither the value nor
 * the forms) so a wrong value is refused naming itself and both accepted forms.
 */
export const schedule = rules(
  z
    .string()
    .min(1)
    .max(64)
    .describe('When the order runs. A date (YYYY-MM-DD) means 23:00 UTC on that date; an RFC 3339 time means that instant. Absent: now.'),
  [
    {
      rule: "self.matches('^[0-9]{4}-[0-9]{2}-[0-9]{2}$') || self.matches('^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}([.][0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})$')",
      message: 'must be a date YYYY-MM-DD (runs at 23:00 UTC that day) or an RFC 3339 time with an offset, e.g. 2026-12-01T18:00:00Z; omit it to run now',
      messageExpression:
        `'must be a date YYYY-MM-DD (runs at 23:00 UTC that day) or an RFC 3339 time with an offset, e.g. 2026-12-01T18:00:00Z, not "' + self + '"; omit it to run now'`,
    },
  ],
);

/** A telephone number in E.164 form, e.g. `+442071234567`. */
export const e164 = z.e164({ message: 'must be an E.164 number: "+" then 7 to 15 digits, e.g. +442071234567' });

/** A MAC address, `aa:bb:cc:dd:ee:ff`. */
export const mac = z.mac({ message: 'must be a MAC address like 00:1a:2b:3c:4d:5e' });

/** An IPv4 CIDR block, e.g. `10.20.0.0/16`. */
export const cidr = z.cidrv4({ message: 'must be an IPv4 CIDR block like 10.20.0.0/16' });

/** An email address. */
export const email = z.email({ message: 'must be an email address' });

/** A reference to another object in the same namespace (or a cluster-scoped one). */
export const localRef = (what: string) =>
  z.object({ name: objectName.describe(`Name of the ${what}.`) }).strict().describe(`Reference to the ${what}.`);

/** A reference to a Secret holding credentials. */
export const secretRef = z
  .object({
    name: objectName.describe('Name of the Secret.'),
    namespace: objectName.describe('Namespace of the Secret (defaults to the operator namespace).').optional(),
  })
  .strict()
  .describe('Secret holding the credentials a driver uses.');

// ---------------------------------------------------------------------------------------
// Conditions (metav1.Condition)
// ---------------------------------------------------------------------------------------

export const condition = z
  .object({
    type: z
      .string()
      .max(316)
      .regex(/^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$/)
      .describe('Type of condition in CamelCase, e.g. Ready, Blocked.'),
    status: z.enum(['True', 'False', 'Unknown']).describe('Status of the condition: True, False or Unknown.'),
    observedGeneration: z.int().min(0).optional().describe('The .metadata.generation the condition was set from.'),
    lastTransitionTime: dateTime.describe('Last time the condition changed from one status to another.'),
    reason: z
      .string()
      .min(1)
      .max(1024)
      .regex(/^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$/)
      .describe('Programmatic identifier of the reason for the last transition, in CamelCase.'),
    message: z.string().max(32768).describe('Human-readable details of the last transition.'),
  })
  .strict()
  .describe('Standard Kubernetes condition (metav1.Condition).');

export type Condition = z.infer<typeof condition>;

export const conditions = listMap(condition, ['type'], 'Current state of the object, as standard conditions.');

/** Fields every status carries. */
export const statusBase = {
  observedGeneration: z
    .int()
    .min(0)
    .optional()
    .describe('The .metadata.generation the operator last acted on.'),
  conditions: conditions.optional(),
};

// ---------------------------------------------------------------------------------------
// Capabilities and drivers
// ---------------------------------------------------------------------------------------

/** The outside systems a driver can provision, one capability each. */
export const CAPABILITIES = [
  'network',
  'wifi',
  'telephony',
  'ports',
  'access',
  'billing',
  'directory',
  'notify',
  'records',
] as const;
export type Capability = (typeof CAPABILITIES)[number];
export const capability = z.enum(CAPABILITIES);
