/**
 * A generic implementation of apiextensions.k8s.io/v1 `openAPIV3Schema` semantics:
 * structural-schema checks, pruning, defaulting and validation (OpenAPI keywords, formats,
 * list types and CEL `x-kubernetes-validations`), as the kube-apiserver applies them to
 * custom resources. Knows nothing of any particular CRD.
 */
export type { JSONSchemaProps, ValidationRule, CauseType, FieldCause } from './types.ts';
export { formatCause, CAUSE_TYPES } from './types.ts';
export { structuralProblems } from './structural.ts';
export { pruneUnknown, unknownFieldCauses } from './prune.ts';
export { applyDefaults } from './defaults.ts';
export { validate } from './validate.ts';
export type { ValidateOptions } from './validate.ts';
export { checkFormat } from './formats.ts';
export { compileRule, evaluateCel, CelCompileError, CelEvalError } from './cel/index.ts';
