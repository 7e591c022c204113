/** The apiextensions.k8s.io/v1 JSONSchemaProps shape (the subset CRDs may use). */
export type JSONSchemaProps = {
  type?: string;
  format?: string;
  title?: string;
  description?: string;
  properties?: Record<string, JSONSchemaProps>;
  required?: string[];
  items?: JSONSchemaProps;
  additionalProperties?: boolean | JSONSchemaProps;
  enum?: unknown[];
  default?: unknown;
  example?: unknown;
  nullable?: boolean;
  pattern?: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: boolean;
  exclusiveMaximum?: boolean;
  multipleOf?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  uniqueItems?: boolean;
  minProperties?: number;
  maxProperties?: number;
  allOf?: JSONSchemaProps[];
  anyOf?: JSONSchemaProps[];
  oneOf?: JSONSchemaProps[];
  not?: JSONSchemaProps;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-int-or-string'?: boolean;
  'x-kubernetes-embedded-resource'?: boolean;
  'x-kubernetes-list-type'?: 'atomic' | 'set' | 'map';
  'x-kubernetes-list-map-keys'?: string[];
  'x-kubernetes-map-type'?: 'atomic' | 'granular';
  'x-kubernetes-validations'?: ValidationRule[];
};

export type ValidationRule = {
  rule: string;
  message?: string;
  messageExpression?: string;
  reason?: 'FieldValueInvalid' | 'FieldValueForbidden' | 'FieldValueRequired' | 'FieldValueDuplicate';
  fieldPath?: string;
  optionalOldSelf?: boolean;
};

export const CAUSE_TYPES = [
  'FieldValueRequired',
  'FieldValueInvalid',
  'FieldValueNotSupported',
  'FieldValueTypeInvalid',
  'FieldValueDuplicate',
  'FieldValueForbidden',
  'FieldValueTooLong',
  'FieldValueTooMany',
  'FieldValueUnknown',
] as const;
export type CauseType = (typeof CAUSE_TYPES)[number];

/**
 * One field error, shaped like a metav1.StatusCause: `message` is the error body without
 * the field (`Invalid value: "boolean": must be true`); `formatCause` gives the full line.
 */
export interface FieldCause {
  reason: CauseType;
  field: string;
  message: string;
}

/**
 * `spec.x: Required value` — the line the real apiserver prints for one field error. A cause
 * at the root of the object (field '') prints as `<nil>: ...`, as the real server does.
 */
export function formatCause(c: FieldCause): string {
  return `${c.field === '' ? '<nil>' : c.field}: ${c.message}`;
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
