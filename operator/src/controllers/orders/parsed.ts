/**
 * Objects as order plug-ins read them: parsed by the API types, so defaults are filled in
 * (`copyServices`, `quantity`, ...). One that does not parse is used as it is: its own
 * controller reports the problem, and an order must still be able to plan around it.
 */
import { Occupier, parsedSpec, Site } from '../../api/index.ts';
import type { OccupierResource, SiteResource, SiteSpec } from '../../api/index.ts';

export function parsedOccupier(o: OccupierResource): OccupierResource {
  try {
    return { ...o, spec: parsedSpec(Occupier, o) };
  } catch {
    return o;
  }
}

export function parsedSite(s: SiteResource): SiteSpec {
  try {
    return parsedSpec(Site, s);
  } catch {
    return s.spec;
  }
}
