/**
 * Bad manifests are refused, by the zod types (the operator, the webhook) and by the
 * generated CRD schema (the API server), each with a message that names the field.
 */
import { describe, expect, it } from 'vitest';
import { BAD_MANIFESTS as cases, buildBadManifest as build } from '../../../test/support/bad-manifests.ts';
import { crdRefusals } from '../../../test/support/crd-schema.ts';
import { parseManifest, ValidationError } from './index.ts';

describe('bad manifests', () => {
  it('the table covers at least 25 cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(25);
  });

  it.each(cases.map((c) => [c.name, c] as const))('%s: refused by the zod types, naming the field', (_n, c) => {
    let error: unknown;
    try {
      parseManifest(build(c));
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ValidationError);
    const fields = (error as ValidationError).errors.map((e) => e.field);
    expect(fields).toContain(c.field);
    expect((error as ValidationError).message).toContain(c.field);
    for (const fragment of c.says ?? []) expect((error as ValidationError).message).toContain(fragment);
  });

  it.each(cases.map((c) => [c.name, c] as const))('%s: refused by the CRD schema, naming the field', (_n, c) => {
    const refusals = crdRefusals(build(c));
    expect(refusals.map((r) => r.field)).toContain(c.field);
    for (const fragment of c.says ?? []) expect(refusals.map((r) => r.message).join('\n')).toContain(fragment);
  });
});
