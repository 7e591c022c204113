// Self-signed CA and loopback server certificate, built with node:crypto and a tiny DER
// encoder (no dependency). ECDSA P-256 keys, SHA-256 signatures. The leaf carries SANs for
// localhost, 127.0.0.1 and ::1 (Go's TLS, i.e. kubectl, ignores the CN) plus any extra host.
import { createHash, generateKeyPairSync, randomBytes, sign, createPrivateKey, X509Certificate } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';

export interface CertPair { certPem: string; keyPem: string }

function len(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  while (n > 0) { bytes.unshift(n & 0xff); n = Math.floor(n / 256); }
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}
function tlv(tag: number, ...content: Buffer[]): Buffer {
  const body = Buffer.concat(content);
  return Buffer.concat([Buffer.from([tag]), len(body.length), body]);
}
const seq = (...c: Buffer[]): Buffer => tlv(0x30, ...c);
function oid(s: string): Buffer {
  const parts = s.split('.').map(Number);
  const out: number[] = [40 * (parts[0] ?? 0) + (parts[1] ?? 0)];
  for (const p of parts.slice(2)) {
    const b: number[] = [p & 0x7f];
    let v = Math.floor(p / 128);
    while (v > 0) { b.unshift(0x80 | (v & 0x7f)); v = Math.floor(v / 128); }
    out.push(...b);
  }
  return tlv(0x06, Buffer.from(out));
}
function int(buf: Buffer): Buffer {
  const b = (buf[0] ?? 0) & 0x80 ? Buffer.concat([Buffer.from([0]), buf]) : buf;
  return tlv(0x02, b);
}
function time(d: Date): Buffer {
  const iso = d.toISOString().replace(/[-:T]/g, '').slice(0, 14);
  return d.getUTCFullYear() < 2050 ? tlv(0x17, Buffer.from(iso.slice(2) + 'Z')) : tlv(0x18, Buffer.from(iso + 'Z'));
}
const name = (cn: string): Buffer => seq(tlv(0x31, seq(oid('2.5.4.3'), tlv(0x0c, Buffer.from(cn)))));
function ext(id: string, critical: boolean, value: Buffer): Buffer {
  return seq(oid(id), ...(critical ? [tlv(0x01, Buffer.from([0xff]))] : []), tlv(0x04, value));
}
function ipBytes(ip: string): Buffer {
  if (isIP(ip) === 4) return Buffer.from(ip.split('.').map(Number));
  const [head = '', tail = ''] = ip.split('::');
  const h = head ? head.split(':') : [];
  const t = ip.includes('::') && tail ? tail.split(':') : [];
  const groups = [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  const b = Buffer.alloc(16);
  groups.forEach((g, i) => b.writeUInt16BE(parseInt(g, 16), i * 2));
  return b;
}

const ECDSA_SHA256 = seq(oid('1.2.840.10045.4.3.2'));
const TEN_YEARS_MS = 10 * 365 * 86400_000;

/** Names and lifetime of a certificate (defaults: the dev cluster's names, ten years). */
export interface CertOptions { commonName?: string; validityMs?: number }

function buildCert(opts: {
  subject: string; issuer: string; publicKey: KeyObject; signingKey: KeyObject; ca: boolean;
  hosts: string[]; issuerKeyId: Buffer; validityMs?: number | undefined;
}): string {
  const spki = opts.publicKey.export({ type: 'spki', format: 'der' });
  const keyId = createHash('sha1').update(spki).digest();
  const now = Date.now();
  const exts: Buffer[] = [
    ext('2.5.29.19', true, opts.ca ? seq(tlv(0x01, Buffer.from([0xff]))) : seq()),
    // keyUsage: CA = digitalSignature|keyCertSign|cRLSign, leaf = digitalSignature|keyEncipherment
    ext('2.5.29.15', true, opts.ca ? tlv(0x03, Buffer.from([1, 0x86])) : tlv(0x03, Buffer.from([5, 0xa0]))),
    ext('2.5.29.14', false, tlv(0x04, keyId)),
  ];
  if (!opts.ca) {
    exts.push(ext('2.5.29.37', false, seq(oid('1.3.6.1.5.5.7.3.1'))));
    exts.push(ext('2.5.29.35', false, seq(tlv(0x80, opts.issuerKeyId))));
    const sans = opts.hosts.map((h) => (isIP(h) ? tlv(0x87, ipBytes(h)) : tlv(0x82, Buffer.from(h))));
    exts.push(ext('2.5.29.17', false, seq(...sans)));
  }
  const serial = randomBytes(16);
  serial[0] = (serial[0] ?? 1) & 0x7f || 1;
  const tbs = seq(
    tlv(0xa0, int(Buffer.from([2]))),
    int(serial),
    ECDSA_SHA256,
    name(opts.issuer),
    seq(time(new Date(now - 3600_000)), time(new Date(now + (opts.validityMs ?? TEN_YEARS_MS)))),
    name(opts.subject),
    spki,
    tlv(0xa3, seq(...exts)),
  );
  const sig = sign('sha256', tbs, { key: opts.signingKey, dsaEncoding: 'der' });
  const der = seq(tbs, ECDSA_SHA256, tlv(0x03, Buffer.concat([Buffer.from([0]), sig])));
  const b64 = der.toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '');
  return `-----BEGIN CERTIFICATE-----\n${b64}\n-----END CERTIFICATE-----\n`;
}

export function generateCa(opts: CertOptions = {}): CertPair {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const cn = opts.commonName ?? 'occupier-devcluster-ca';
  const certPem = buildCert({
    subject: cn, issuer: cn, publicKey, signingKey: privateKey,
    ca: true, hosts: [], issuerKeyId: Buffer.alloc(0), validityMs: opts.validityMs,
  });
  return { certPem, keyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() };
}

/** Issues a server certificate signed by `ca` for localhost, 127.0.0.1, ::1 and `extraHosts`. */
export function issueServerCert(ca: CertPair, extraHosts: string[] = [], opts: CertOptions = {}): CertPair {
  const caKey = createPrivateKey(ca.keyPem);
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const hosts = [...new Set(['localhost', '127.0.0.1', '::1', ...extraHosts.filter((h) => h && h !== '0.0.0.0' && h !== '::')])];
  const caCert = new X509Certificate(ca.certPem);
  const caSpki = caCert.publicKey.export({ type: 'spki', format: 'der' });
  const issuer = /CN=([^\n]+)/.exec(caCert.subject)?.[1] ?? 'occupier-devcluster-ca';
  const certPem = buildCert({
    subject: opts.commonName ?? 'occupier-devcluster', issuer, publicKey, signingKey: caKey,
    ca: false, hosts, issuerKeyId: createHash('sha1').update(caSpki).digest(), validityMs: opts.validityMs,
  });
  return { certPem, keyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() };
}

/** The CA kept in `dir` (ca.crt, ca.key), made on first use: one CA per data directory, across restarts. */
export function loadOrCreateCa(dir: string): CertPair {
  const crt = join(dir, 'ca.crt');
  const key = join(dir, 'ca.key');
  if (existsSync(crt) && existsSync(key)) return { certPem: readFileSync(crt, 'utf8'), keyPem: readFileSync(key, 'utf8') };
  const ca = generateCa();
  writeFileSync(key, ca.keyPem, { mode: 0o600 });
  writeFileSync(crt, ca.certPem);
  return ca;
}
