/**
 * The webhook's self-managed certificate on a real kube-apiserver (issue 12): with no
 * cert-manager, the operator makes its own CA and serving certificate into a Secret, patches
 * the chart's webhook configurations' `caBundle` (CA injection), and renews the certificate
 * before it expires — here with a 4-second lifetime, so the renewal happens during the test.
 * The API server calling a Service needs a cluster network: the call itself is tested in
 * site-access.test.ts (local registration with `url`).
 */
import { X509Certificate } from 'node:crypto';
import { connect } from 'node:tls';
import { AdmissionregistrationV1Api, CoreV1Api } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventRecorder, silentLogger } from '../../operator/src/runtime/index.ts';
import { startWebhook } from '../../operator/src/webhook/index.ts';
import type { RunningWebhook } from '../../operator/src/webhook/index.ts';
import { mutatingConfiguration, validatingConfiguration } from '../../operator/src/webhook/register.ts';
import { helmTemplate, NAMESPACE as CHART_NAMESPACE, RELEASE } from '../packaging/tools.ts';
import { clusterKind, withCluster } from '../support/cluster.ts';
import type { ClusterEnv } from '../support/cluster.ts';
import { until } from '../support/estate.ts';

const REAL = clusterKind() === 'real';
const NS = CHART_NAMESPACE;
const NAME = RELEASE;
const SERVICE = { name: 'occupier-operator-webhook', namespace: NS, port: 443 };

let env: ClusterEnv;
let webhook: RunningWebhook | undefined;

/** The certificate the webhook's TLS server presents right now. */
function served(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port, rejectUnauthorized: false }, () => {
      const raw = s.getPeerX509Certificate();
      s.end();
      if (raw) resolve(raw.fingerprint256);
      else reject(new Error('no peer certificate'));
    });
    s.on('error', reject);
  });
}

describe.skipIf(!REAL)(`self-managed webhook certificate${REAL ? '' : ' — skipped: the embedded cluster has no admission webhook configurations (real kube-apiserver only)'}`, () => {
  beforeAll(async () => {
    env = await withCluster({});
    await env.kubectlOk(['create', 'namespace', NS]);
    // The chart's own configurations (no cert-manager: no caBundle yet), as helm renders them:
    // the API server accepts them (their matchConditions compile). failurePolicy Ignore here:
    // no Service network routes to this process, and the test's kubectl must not be refused.
    const configs = helmTemplate({ webhook: { failurePolicy: 'Ignore' } }).filter((d) => d.kind.endsWith('WebhookConfiguration'));
    expect(configs.map((c) => `${c.kind}/${c.metadata.name}`).sort()).toEqual([`MutatingWebhookConfiguration/${NAME}`, `ValidatingWebhookConfiguration/${NAME}`]);
    await env.kubectlOk(['apply', '-f', '-'], configs.map((c) => JSON.stringify(c)).join('\n'));
  }, 120_000);

  afterAll(async () => {
    await webhook?.stop();
    await env?.stop();
  });

  it('creates the Secret, serves its certificate, patches caBundle, renews before expiry', async () => {
    webhook = await startWebhook({
      kubeConfig: env.kubeConfig,
      logger: silentLogger(),
      port: 0,
      certs: { kind: 'secret', namespace: NS, secretName: 'occupier-operator-webhook-tls', serviceName: SERVICE.name },
      operatorNamespace: NS,
      configurationName: NAME,
      certPolicy: { servingValidityMs: 4_000, caValidityMs: 3_600_000, renewBeforeMs: 2_000 },
      events: new EventRecorder({ core: env.kubeConfig.makeApiClient(CoreV1Api), component: 'occupier-operator' }),
    });
    const core = env.kubeConfig.makeApiClient(CoreV1Api);
    const secret = await core.readNamespacedSecret({ name: 'occupier-operator-webhook-tls', namespace: NS });
    const pem = (k: string): string => Buffer.from(secret.data?.[k] ?? '', 'base64').toString();
    const leaf = new X509Certificate(pem('tls.crt'));
    expect(leaf.checkHost(`${SERVICE.name}.${NS}.svc`)).toBeDefined();
    expect(leaf.verify(new X509Certificate(pem('ca.crt')).publicKey)).toBe(true);
    expect(await served(webhook.port)).toBe(leaf.fingerprint256);

    const admission = env.kubeConfig.makeApiClient(AdmissionregistrationV1Api);
    const v = await admission.readValidatingWebhookConfiguration({ name: NAME });
    const m = await admission.readMutatingWebhookConfiguration({ name: NAME });
    for (const hook of [...(v.webhooks ?? []), ...(m.webhooks ?? [])]) expect(Buffer.from(hook.clientConfig.caBundle ?? '', 'base64').toString()).toBe(pem('ca-bundle.crt'));

    // Less than renewBefore left after ~2 s: a new serving certificate in the Secret and on the wire.
    const renewedFp = await until('serving certificate renewed', async () => {
      const s = await core.readNamespacedSecret({ name: 'occupier-operator-webhook-tls', namespace: NS });
      const fp = new X509Certificate(Buffer.from(s.data?.['tls.crt'] ?? '', 'base64').toString()).fingerprint256;
      return fp !== leaf.fingerprint256 ? fp : undefined;
    }, 15_000, 250);
    await until('renewed certificate served', async () => (await served(webhook?.port ?? 0)) === renewedFp, 5_000, 100);
    // Each change is an Event on the Secret.
    await until('CertificateCreated and CertificateRenewed events', async () => {
      const events = await env.kubectlOk(['-n', NS, 'get', 'events', '--field-selector', 'involvedObject.name=occupier-operator-webhook-tls', '-o', 'custom-columns=REASON:.reason', '--no-headers']);
      return events.includes('CertificateCreated') && events.includes('CertificateRenewed');
    }, 10_000, 250);
  });

  it('the chart and the local registration (register.ts) configure the same webhooks', () => {
    const spec = { name: NAME, endpoint: { service: SERVICE }, caBundle: '', operatorNamespace: NS, operatorUsername: `system:serviceaccount:${NS}:${NAME}`, timeoutSeconds: 5 };
    const chart = helmTemplate();
    const strip = (c: unknown): unknown => {
      const o = structuredClone(c) as { metadata?: unknown; apiVersion?: unknown; webhooks: { clientConfig: { caBundle?: string } }[] };
      for (const h of o.webhooks) delete h.clientConfig.caBundle;
      return o.webhooks;
    };
    for (const c of [validatingConfiguration(spec), mutatingConfiguration(spec)]) {
      const rendered = chart.find((d) => d.kind === c.kind);
      expect(strip(c)).toEqual(strip(rendered));
    }
  });
});
