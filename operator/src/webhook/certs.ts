/**
 * The webhook's certificates when cert-manager is not installed: the operator makes its own
 * CA and serving certificate (operator/src/devcluster/tls.ts: ECDSA P-256, node:crypto), keeps
 * them in a Secret (`tls.crt`, `tls.key`, `ca.crt`, `ca.key`, and `ca-bundle.crt`: every CA
 * still valid, so a serving certificate of the previous CA stays trusted while replicas
 * switch), and renews each before it expires. The caller patches `ca-bundle.crt` into the
 * webhook configurations (register.ts). Replicas race safely: writes carry the Secret's
 * resourceVersion, and the loser re-reads what the winner wrote.
 *
 * With cert-manager (or any mounted certificate), `watchCertificateFiles` reloads `tls.crt`
 * and `tls.key` from a directory when they change.
 */
import { X509Certificate } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { CoreV1Api, V1Secret } from '@kubernetes/client-node';
import { generateCa, issueServerCert } from '../devcluster/tls.ts';
import type { CertPair } from '../devcluster/tls.ts';
import { isConflict, isNotFound } from '../runtime/index.ts';

const DAY_MS = 86_400_000;

export interface CertPolicy {
  /** Lifetime of the serving certificate (default 90 days) and of the CA (default 10 years). */
  servingValidityMs?: number;
  caValidityMs?: number;
  /** Renew when less than this is left (default: a third of the lifetime). */
  renewBeforeMs?: number;
}

export interface WebhookCerts {
  serving: CertPair;
  ca: CertPair;
  /** PEM of every CA the API server must trust (current first). */
  caBundle: string;
}

export interface CertStatus {
  certs: WebhookCerts;
  /** What changed in this pass: nothing, created, or renewed (and why). */
  change: 'none' | 'created' | 'renewed';
  why?: string;
  /** When the next renewal is due. */
  renewAt: Date;
}

const b64 = (s: string): string => Buffer.from(s).toString('base64');
const unb64 = (s: string | undefined): string => (s ? Buffer.from(s, 'base64').toString('utf8') : '');

function splitPems(bundle: string): string[] {
  return bundle.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n?/g)?.map((p) => (p.endsWith('\n') ? p : `${p}\n`)) ?? [];
}

const expiry = (pem: string): number => Date.parse(new X509Certificate(pem).validTo);

function covers(pem: string, hosts: string[]): boolean {
  const cert = new X509Certificate(pem);
  return hosts.every((h) => (/^[\d.:]+$/.test(h) ? cert.checkIP(h) !== undefined : cert.checkHost(h) !== undefined));
}

function signedBy(pem: string, ca: string): boolean {
  try {
    return new X509Certificate(pem).verify(new X509Certificate(ca).publicKey);
  } catch {
    return false;
  }
}

function fromSecret(s: V1Secret | undefined): WebhookCerts | undefined {
  const d = s?.data ?? {};
  const serving = { certPem: unb64(d['tls.crt']), keyPem: unb64(d['tls.key']) };
  const ca = { certPem: unb64(d['ca.crt']), keyPem: unb64(d['ca.key']) };
  if (!serving.certPem || !serving.keyPem || !ca.certPem || !ca.keyPem) return undefined;
  return { serving, ca, caBundle: unb64(d['ca-bundle.crt']) || ca.certPem };
}

function toSecretData(c: WebhookCerts): Record<string, string> {
  return { 'tls.crt': b64(c.serving.certPem), 'tls.key': b64(c.serving.keyPem), 'ca.crt': b64(c.ca.certPem), 'ca.key': b64(c.ca.keyPem), 'ca-bundle.crt': b64(c.caBundle) };
}

/**
 * What the Secret must hold now: `have` as is when still good, else renewed (a new serving
 * certificate; a new CA too when the CA itself is due). Pure apart from key generation.
 */
export function renewed(have: WebhookCerts | undefined, hosts: string[], now: Date, policy: CertPolicy = {}): { certs: WebhookCerts; why?: string } {
  const servingMs = policy.servingValidityMs ?? 90 * DAY_MS;
  const caMs = policy.caValidityMs ?? 3650 * DAY_MS;
  const renewBefore = (lifetime: number): number => policy.renewBeforeMs ?? Math.floor(lifetime / 3);
  const t = now.getTime();
  let ca = have?.ca;
  let why: string | undefined;
  if (!ca) why = 'no certificate yet';
  else if (expiry(ca.certPem) - t < renewBefore(caMs)) why = `CA expires ${new X509Certificate(ca.certPem).validTo}`;
  if (why) ca = generateCa({ commonName: 'occupier-operator-webhook-ca', validityMs: caMs });
  const current = ca ?? generateCa({ commonName: 'occupier-operator-webhook-ca', validityMs: caMs });
  let serving = have?.serving;
  if (!why && serving) {
    if (expiry(serving.certPem) - t < renewBefore(servingMs)) why = `serving certificate expires ${new X509Certificate(serving.certPem).validTo}`;
    else if (!covers(serving.certPem, hosts)) why = `serving certificate does not name ${hosts.join(', ')}`;
    else if (!signedBy(serving.certPem, current.certPem)) why = 'serving certificate not signed by the current CA';
  }
  if (!why && serving && have) return { certs: have };
  serving = issueServerCert(current, hosts, { commonName: hosts[0] ?? 'occupier-operator-webhook', validityMs: servingMs });
  // The bundle: the current CA, then every earlier one still valid (its certificates may still be served).
  const earlier = splitPems(have?.caBundle ?? '').filter((p) => p !== current.certPem && expiry(p) > t);
  const caBundle = [current.certPem, ...earlier].join('');
  return { certs: { serving, ca: current, caBundle }, ...(why ? { why } : {}) };
}

/** When `certs` next need renewing. */
export function renewalDue(certs: WebhookCerts, policy: CertPolicy = {}): Date {
  const servingMs = policy.servingValidityMs ?? 90 * DAY_MS;
  const caMs = policy.caValidityMs ?? 3650 * DAY_MS;
  const before = (l: number): number => policy.renewBeforeMs ?? Math.floor(l / 3);
  return new Date(Math.min(expiry(certs.serving.certPem) - before(servingMs), expiry(certs.ca.certPem) - before(caMs)));
}

/** Reads the Secret, renews what is due, writes it back (create or guarded replace). */
export async function ensureCertSecret(
  core: CoreV1Api,
  ref: { namespace: string; name: string },
  hosts: string[],
  now: Date,
  policy: CertPolicy = {},
  labels: Record<string, string> = {},
): Promise<CertStatus> {
  for (let attempt = 0; ; attempt++) {
    let secret: V1Secret | undefined;
    try {
      secret = await core.readNamespacedSecret(ref);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    const have = fromSecret(secret);
    const next = renewed(have, hosts, now, policy);
    if (next.certs === have) return { certs: have, change: 'none', renewAt: renewalDue(have, policy) };
    const data = toSecretData(next.certs);
    try {
      if (secret) {
        await core.replaceNamespacedSecret({ ...ref, body: { ...secret, type: secret.type ?? 'kubernetes.io/tls', data } });
      } else {
        await core.createNamespacedSecret({
          namespace: ref.namespace,
          body: { apiVersion: 'v1', kind: 'Secret', type: 'kubernetes.io/tls', metadata: { name: ref.name, namespace: ref.namespace, labels: { 'app.kubernetes.io/managed-by': 'occupier-operator', ...labels } }, data },
        });
      }
      return { certs: next.certs, change: secret && have ? 'renewed' : 'created', ...(next.why ? { why: next.why } : {}), renewAt: renewalDue(next.certs, policy) };
    } catch (err) {
      // Another replica wrote it first: use what it wrote.
      if ((isConflict(err) || (err as { code?: number }).code === 409) && attempt < 5) continue;
      throw err;
    }
  }
}

/** tls.crt/tls.key in `dir` (a mounted Secret, e.g. cert-manager's), re-read when they change. */
export function watchCertificateFiles(dir: string, onChange: (pair: CertPair) => void, intervalMs = 30_000): { initial: CertPair; stop(): void } {
  const read = (): CertPair => ({ certPem: readFileSync(join(dir, 'tls.crt'), 'utf8'), keyPem: readFileSync(join(dir, 'tls.key'), 'utf8') });
  const stamp = (): string => ['tls.crt', 'tls.key'].map((f) => statSync(join(dir, f)).mtimeMs).join('/');
  const initial = read();
  let last = stamp();
  const timer = setInterval(() => {
    try {
      const s = stamp();
      if (s === last) return;
      last = s;
      onChange(read());
    } catch {
      // A Secret volume swaps its files through a symlink: the next tick reads the new ones.
    }
  }, intervalMs);
  timer.unref();
  return { initial, stop: () => clearInterval(timer) };
}
