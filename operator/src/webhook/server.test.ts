import { request } from 'node:https';
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../runtime/index.ts';
import { renewed } from './certs.ts';
import { startWebhookServer } from './server.ts';
import type { WebhookServer } from './server.ts';

/** Whether this machine has an IPv6 loopback to listen on. */
const ipv6 = await new Promise<boolean>((resolve) => {
  const probe = createServer().once('error', () => resolve(false));
  probe.listen(0, '::1', () => probe.close(() => resolve(true)));
});

/** The HTTP status of a GET of an unknown path on `host` (404 when the server answers). */
function statusAt(host: string, port: number, ca: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host, port, path: '/nope', method: 'GET', ca, servername: 'occupier-operator-webhook' }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.once('error', reject);
    req.end();
  });
}

describe('the webhook server without a host', () => {
  const { certs } = renewed(undefined, ['occupier-operator-webhook'], new Date());
  let server: WebhookServer;
  beforeAll(async () => {
    server = await startWebhookServer({ port: 0, certificate: certs.serving, handlers: {}, logger: silentLogger() });
  });
  afterAll(() => server.close());

  it('answers on IPv4', async () => {
    expect(await statusAt('127.0.0.1', server.port, certs.ca.certPem)).toBe(404);
  });

  it.skipIf(!ipv6)('and on IPv6 (an IPv6-only cluster calls the Pod on its IPv6 address)', async () => {
    expect(server.host).toBe('::');
    expect(await statusAt('::1', server.port, certs.ca.certPem)).toBe(404);
  });
});
