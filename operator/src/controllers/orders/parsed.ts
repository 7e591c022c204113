/**
 * Objects as order plug-ins read them: parsed by the API types, so defaults are filled in
 * (`copyServices`, `quantity`, ...). One that does not parse is used as it is: its own
 * controller reports the problem, and an order must still be able to plan around it.
 */
import { Occupier, parseResource, Site } from '../../api/index.ts';
import type { OccupierResource, SiteResource, SiteSpec } from '../../api/index.ts';

/**
 * Parsed specs by `uid@resourceVersion` (a stored version never changes), the last few only:
 * an order's pass reads its occupier several times (prerequisites, plan, effects), and parsing
 * a 1,000-user occupier (zod and CEL) costs milliseconds each time. Callers never mutate them.
 */
const PARSED_KEEP = 64;
const parsedSpecs = new Map<string, OccupierResource['spec']>();

export function parsedOccupier(o: OccupierResource): OccupierResource {
  const { uid, resourceVersion } = o.metadata ?? {};
  const key = uid && resourceVersion ? `${uid}@${resourceVersion}` : undefined;
  const known = key === undefined ? undefined : parsedSpecs.get(key);
  if (known) return { ...o, spec: known };
  try {
    const spec = parseResource(Occupier, o).spec;
    if (key !== undefined) {
      if (parsedSpecs.size >= PARSED_KEEP) parsedSpecs.delete(parsedSpecs.keys().next().value ?? '');
      parsedSpecs.set(key, spec);
    }
    return { ...o, spec };
  } catch {
    return o;
  }
}

export function parsedSite(s: SiteResource): SiteSpec {
  try {
    return parseResource(Site, s).spec;
  } catch {
    return s.spec;
  }
}
