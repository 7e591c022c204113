// The table of bad manifests: each is a valid example with one thing wrong, and the field path
// every validator must name — the zod types (operator, webhook), the generated CRD schema, the
// embedded cluster and a real kube-apiserver (test/e2e/bad-manifests.test.ts).
import { example } from './examples.ts';

const DELETE = Symbol('delete');
type Edit = [path: string, value: unknown];

export interface BadManifest {
  name: string;
  base: [kind: string, name: string];
  /** Changes to a valid example: a dotted path (with [i] for list items) and its new value, or DELETE. */
  edits: Edit[];
  /** The field path both validators must name. */
  field: string;
  /** Fragments every validator's message must hold too (e.g. the value and the accepted forms). */
  says?: string[];
}

const site: BadManifest['base'] = ['Site', 'london-shoreditch'];
const occ: BadManifest['base'] = ['Occupier', 'globex'];
const decom: BadManifest['base'] = ['Decommission', 'initech'];
const move: BadManifest['base'] = ['SiteMove', 'acme-design-to-canary-wharf'];
const cmove: BadManifest['base'] = ['CustomerMove', 'pixel-labs-to-southbank'];

export const BAD_MANIFESTS: BadManifest[] = [
  // Site
  { name: 'location of the wrong type', base: site, field: 'spec.location', edits: [['spec.location', 42]] },
  { name: 'time zone that is not IANA', base: site, field: 'spec.timezone', edits: [['spec.timezone', 'London time!']] },
  { name: 'CIDR with a /33 prefix', base: site, field: 'spec.network.ipv4Pool', edits: [['spec.network.ipv4Pool', '10.20.0.0/33']] },
  { name: 'CIDR that is not an address', base: site, field: 'spec.network.ipv4Pool', edits: [['spec.network.ipv4Pool', 'ten-twenty']] },
  { name: 'VLAN range upside down', base: site, field: 'spec.network.vlanRange.from', edits: [['spec.network.vlanRange.from', 900], ['spec.network.vlanRange.to', 100]] },
  { name: 'VLAN ID above 4094', base: site, field: 'spec.network.vlanRange.to', edits: [['spec.network.vlanRange.to', 5000]] },
  { name: 'number block not in E.164', base: site, field: 'spec.telephony.numberBlocks[0].start', edits: [['spec.telephony.numberBlocks[0].start', '020 7046 0000']] },
  { name: 'unknown field in spec', base: site, field: 'spec.bogus', edits: [['spec.bogus', 'x']] },
  { name: 'unknown driver', base: site, field: 'spec.drivers.default.driver', edits: [['spec.drivers.default.driver', 'ftp']] },
  { name: 'missing catalog', base: site, field: 'spec.catalog', edits: [['spec.catalog', DELETE]] },
  { name: 'space with no capacity', base: site, field: 'spec.spaces[0].capacity', edits: [['spec.spaces[0].capacity', 0]] },
  // Occupier
  { name: 'contract start on the 13th month', base: occ, field: 'spec.sites[0].contract.startDate', edits: [['spec.sites[0].contract.startDate', '2025-13-01']] },
  { name: 'contract ending before it starts', base: occ, field: 'spec.sites[0].contract.endDate', edits: [['spec.sites[0].contract.endDate', '2020-01-01']] },
  { name: 'user email without a domain', base: occ, field: 'spec.users[0].email', edits: [['spec.users[0].email', 'hank.scorpio']] },
  { name: 'user phone number not in E.164', base: occ, field: 'spec.users[0].phoneNumber', edits: [['spec.users[0].phoneNumber', '07700 900123']] },
  { name: 'Wi-Fi device MAC one octet short', base: occ, field: 'spec.sites[0].wifiDevices[0].mac', edits: [['spec.sites[0].wifiDevices[0].mac', '00:1a:2b:3c:4d']] },
  { name: 'two main numbers at one site', base: occ, field: 'spec.sites[0].numbers', edits: [['spec.sites[0].numbers[1].main', true]] },
  { name: 'a reseller with a reseller', base: occ, field: 'spec.resellerRef', edits: [['spec.reseller', true], ['spec.resellerRef', { name: 'northwind-hosting' }]] },
  { name: 'service quantity as a word', base: occ, field: 'spec.sites[0].services[0].quantity', edits: [['spec.sites[0].services[0].quantity', 'three']] },
  { name: 'no sites at all', base: occ, field: 'spec.sites', edits: [['spec.sites', []]] },
  { name: 'unknown deletion policy', base: occ, field: 'spec.deletionPolicy', edits: [['spec.deletionPolicy', 'Delete']] },
  { name: 'unknown field on a user', base: occ, field: 'spec.users[0].nickname', edits: [['spec.users[0].nickname', 'Hanky']] },
  { name: 'card ID that is not hexadecimal', base: occ, field: 'spec.users[0].cardId', edits: [['spec.users[0].cardId', 'XYZ!']] },
  { name: 'user with access to no site', base: occ, field: 'spec.users[0].sites', edits: [['spec.users[0].sites', []]] },
  { name: 'occupancy space that is not a name', base: occ, field: 'spec.sites[0].occupancies[0].space', edits: [['spec.sites[0].occupancies[0].space', 'Suite 301']] },
  // Decommission
  { name: 'missing confirmation', base: decom, field: 'spec.confirm', edits: [['spec.confirm', DELETE]] },
  { name: 'irreversible not ticked', base: decom, field: 'spec.confirm.irreversible', edits: [['spec.confirm.irreversible', false]] },
  { name: 'typed occupier name differs', base: decom, field: 'spec.confirm.occupierName', edits: [['spec.confirm.occupierName', 'initrode']] },
  { name: 'schedule in day/month/year', base: decom, field: 'spec.scheduledAt', edits: [['spec.scheduledAt', '31/12/2026']], says: ['"31/12/2026"', 'YYYY-MM-DD', 'RFC 3339'] },
  { name: 'schedule time without an offset', base: decom, field: 'spec.scheduledAt', edits: [['spec.scheduledAt', '2026-12-31T23:00:00']], says: ['"2026-12-31T23:00:00"', 'YYYY-MM-DD', 'RFC 3339'] },
  { name: 'negative starting deadline', base: decom, field: 'spec.startingDeadlineSeconds', edits: [['spec.startingDeadlineSeconds', -5]] },
  { name: 'occupierRef name of the wrong type', base: decom, field: 'spec.occupierRef.name', edits: [['spec.occupierRef.name', 7]] },
  // SiteMove
  { name: 'move to the site it is at', base: move, field: 'spec.to', edits: [['spec.to', 'london-shoreditch']] },
  { name: 'unknown telephony policy', base: move, field: 'spec.telephony', edits: [['spec.telephony', 'Keep']] },
  { name: 'missing destination tariff', base: move, field: 'spec.tariff', edits: [['spec.tariff', DELETE]] },
  { name: 'unknown approval mode', base: move, field: 'spec.approval', edits: [['spec.approval', 'Later']] },
  // CustomerMove
  { name: 'reseller reference without a name', base: cmove, field: 'spec.toReseller.name', edits: [['spec.toReseller', {}]] },
  { name: 'notify recipient that is not an email', base: cmove, field: 'spec.notify[0]', edits: [['spec.notify', ['ops team']]] },
];

function edit(obj: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.replace(/\[(\d+)\]/g, '.$1').split('.');
  const last = parts.pop() as string;
  let node: Record<string, unknown> = obj;
  for (const p of parts) {
    const next = node[p];
    if (typeof next !== 'object' || next === null) throw new Error(`${path}: ${p} is not an object in the example`);
    node = next as Record<string, unknown>;
  }
  if (value === DELETE) delete node[last];
  else node[last] = value;
}

/** The example with the case's edits applied. */
export function buildBadManifest(c: BadManifest): Record<string, unknown> {
  const obj = example(...c.base);
  for (const [path, value] of c.edits) edit(obj, path, value);
  return obj;
}
