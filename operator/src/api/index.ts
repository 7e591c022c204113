/** The operator's API: zod types (the one source of truth), CRD generation, validation. */
export * from './common.ts';
export * from './site.ts';
export * from './occupier.ts';
export * from './orders.ts';
export * from './kinds.ts';
export { crdFor, allCRDs, crdFileName, openAPISchema } from './crd.ts';
export { renderCRDs } from './render.ts';
export { parseResource, parsedSpec, parseManifest, formatPath, ValidationError } from './validate.ts';
export type { Parsed } from './validate.ts';
export type { FieldError } from './validate.ts';
