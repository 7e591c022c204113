// Discovery documents: /api, /apis (plain and aggregated apidiscovery.k8s.io/v2), group and
// group/version resource lists, /version.
import { createHash } from 'node:crypto';
import type { Obj } from './errors.ts';
import type { Registry, ResourceInfo } from './registry.ts';

export const AGGREGATED_CT = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList';

export function version(): Obj {
  return {
    major: '1', minor: '32', gitVersion: 'v1.32.0-occupier-devcluster', gitCommit: '0000000000000000000000000000000000000000',
    gitTreeState: 'clean', buildDate: '2026-01-01T00:00:00Z', goVersion: 'go1.23', compiler: 'gc', platform: `${process.platform}/${process.arch}`,
  };
}

function groupVersions(reg: Registry): Map<string, string[]> {
  const gv = new Map<string, string[]>();
  for (const r of reg.all()) {
    if (r.group === '') continue;
    const vs = gv.get(r.group) ?? [];
    for (const v of r.versions) if (!vs.includes(v)) vs.push(v);
    gv.set(r.group, vs);
  }
  return gv;
}

function groupDoc(group: string, versions: string[]): Obj {
  const vs = versions.map((v) => ({ groupVersion: `${group}/${v}`, version: v }));
  return { name: group, versions: vs, preferredVersion: vs[0] };
}

export function apiVersions(addr: string): Obj {
  return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: addr }] };
}

export function apiGroupList(reg: Registry): Obj {
  return { kind: 'APIGroupList', apiVersion: 'v1', groups: [...groupVersions(reg)].map(([g, vs]) => groupDoc(g, vs)) };
}

export function apiGroup(reg: Registry, group: string): Obj | undefined {
  const vs = groupVersions(reg).get(group);
  return vs ? { kind: 'APIGroup', apiVersion: 'v1', ...groupDoc(group, vs) } : undefined;
}

const hash = (r: ResourceInfo): string => createHash('sha256').update(r.key).digest('base64').slice(0, 11);

export function resourceList(reg: Registry, group: string, ver: string): Obj | undefined {
  const rs = reg.all().filter((r) => r.group === group && r.versions.includes(ver));
  if (rs.length === 0) return undefined;
  const resources: Obj[] = [];
  for (const r of rs) {
    resources.push({
      name: r.plural, singularName: r.singular, namespaced: r.namespaced, kind: r.kind, verbs: r.verbs,
      ...(r.shortNames.length ? { shortNames: r.shortNames } : {}), ...(r.categories.length ? { categories: r.categories } : {}),
      ...(r.virtual ? {} : { storageVersionHash: hash(r) }),
    });
    if (r.statusSubresource) {
      resources.push({ name: `${r.plural}/status`, singularName: '', namespaced: r.namespaced, kind: r.kind, verbs: ['get', 'patch', 'update'] });
    }
  }
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: group ? `${group}/${ver}` : ver, resources };
}

/** apidiscovery.k8s.io/v2 APIGroupDiscoveryList for /api (core=true) or /apis. */
export function aggregated(reg: Registry, core: boolean): Obj {
  const groups = new Map<string, Map<string, Obj[]>>();
  for (const r of reg.all()) {
    if ((r.group === '') !== core) continue;
    const g = groups.get(r.group) ?? new Map<string, Obj[]>();
    groups.set(r.group, g);
    for (const v of r.versions) {
      const list = g.get(v) ?? [];
      g.set(v, list);
      list.push({
        resource: r.plural, responseKind: { group: r.group, version: v, kind: r.kind },
        scope: r.namespaced ? 'Namespaced' : 'Cluster', singularResource: r.singular, verbs: r.verbs,
        ...(r.shortNames.length ? { shortNames: r.shortNames } : {}), ...(r.categories.length ? { categories: r.categories } : {}),
        ...(r.statusSubresource ? { subresources: [{ subresource: 'status', responseKind: { group: r.group, version: v, kind: r.kind }, verbs: ['get', 'patch', 'update'] }] } : {}),
      });
    }
  }
  return {
    kind: 'APIGroupDiscoveryList', apiVersion: 'apidiscovery.k8s.io/v2', metadata: {},
    items: [...groups].map(([name, vs]) => ({
      metadata: { name, creationTimestamp: null },
      versions: [...vs].map(([version, resources]) => ({ version, resources, freshness: 'Current' })),
    })),
  };
}

export function wantsAggregated(accept: string | undefined): boolean {
  return !!accept && /as=APIGroupDiscoveryList/.test(accept) && /v=v2(;|,|$)/.test(accept.replace(/\s/g, ''));
}
