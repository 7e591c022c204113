import { X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { renewalDue, renewed } from './certs.ts';

const HOSTS = ['occupier-operator-webhook', 'occupier-operator-webhook.ops.svc'];
const DAY = 86_400_000;
const verifies = (leaf: string, ca: string): boolean => new X509Certificate(leaf).verify(new X509Certificate(ca).publicKey);

describe('the self-managed webhook certificate', () => {
  const now = new Date();
  const first = renewed(undefined, HOSTS, now);

  it('is made on first use: a CA and a serving certificate for the Service names, signed by it', () => {
    expect(first.why).toBe('no certificate yet');
    const leaf = new X509Certificate(first.certs.serving.certPem);
    expect(leaf.checkHost('occupier-operator-webhook.ops.svc')).toBeDefined();
    expect(verifies(first.certs.serving.certPem, first.certs.ca.certPem)).toBe(true);
    expect(first.certs.caBundle).toBe(first.certs.ca.certPem);
  });

  it('is kept while far from expiry', () => {
    const again = renewed(first.certs, HOSTS, new Date(now.getTime() + 30 * DAY));
    expect(again.certs).toBe(first.certs);
    expect(again.why).toBeUndefined();
  });

  it('is renewed (same CA) when less than a third of its 90 days is left', () => {
    const later = new Date(now.getTime() + 61 * DAY);
    expect(renewalDue(first.certs).getTime()).toBeLessThan(later.getTime());
    const next = renewed(first.certs, HOSTS, later);
    expect(next.why).toMatch(/^serving certificate expires/);
    expect(next.certs.ca).toBe(first.certs.ca);
    expect(next.certs.serving.certPem).not.toBe(first.certs.serving.certPem);
    expect(verifies(next.certs.serving.certPem, first.certs.ca.certPem)).toBe(true);
  });

  it('is re-issued when the Service names change', () => {
    expect(renewed(first.certs, ['other-webhook.ops.svc'], now).why).toMatch(/does not name other-webhook/);
  });

  it('gets a new CA when the CA is due, and the bundle keeps trusting the old one while it is valid', () => {
    const short = renewed(undefined, HOSTS, now, { caValidityMs: 3 * DAY, servingValidityMs: 3 * DAY });
    const next = renewed(short.certs, HOSTS, new Date(now.getTime() + 2.5 * DAY), { caValidityMs: 3 * DAY, servingValidityMs: 3 * DAY });
    expect(next.why).toMatch(/^CA expires/);
    expect(next.certs.ca.certPem).not.toBe(short.certs.ca.certPem);
    expect(next.certs.caBundle.startsWith(next.certs.ca.certPem)).toBe(true);
    expect(next.certs.caBundle).toContain(short.certs.ca.certPem);
    expect(verifies(next.certs.serving.certPem, next.certs.ca.certPem)).toBe(true);
  });
});
