/**
 * Starts the admission webhook of orders in one of three certificate modes and keeps it
 * served:
 *
 * | mode     | certificate                                        | configurations               |
 * | -------- | -------------------------------------------------- | ---------------------------- |
 * | `local`  | its own CA, in memory (`--webhook-local`)           | registered with `url` + CA, removed on stop |
 * | `secret` | its own CA in a Secret, renewed before expiry       | the chart's; `caBundle` patched (CA injection) |
 * | `files`  | mounted (cert-manager), re-read when it changes     | the chart's; cert-manager injects the CA |
 */
import { AdmissionregistrationV1Api, AuthenticationV1Api, AuthorizationV1Api, CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import type { KubeConfig } from '@kubernetes/client-node';
import { generateCa, issueServerCert } from '../devcluster/tls.ts';
import { errorMessage, realClock } from '../runtime/index.ts';
import type { Clock, EventRecorder, Logger } from '../runtime/index.ts';
import { subjectAccessReview } from './access.ts';
import { patched } from './admission.ts';
import { ensureCertSecret, watchCertificateFiles } from './certs.ts';
import type { CertPolicy, CertStatus } from './certs.ts';
import { validateOrder } from './orders.ts';
import { DEFAULT_CONFIGURATION_NAME, patchCaBundle, registerWebhooks, unregisterWebhooks } from './register.ts';
import { requesterPatch } from './requester.ts';
import { MUTATE_PATH, startWebhookServer, VALIDATE_PATH } from './server.ts';
import type { WebhookServer } from './server.ts';
import { apiState } from './state.ts';

export type CertMode =
  | { kind: 'local' }
  | { kind: 'secret'; namespace: string; secretName: string; serviceName: string }
  | { kind: 'files'; dir: string };

export interface WebhookOptions {
  kubeConfig: KubeConfig;
  logger: Logger;
  /** 0: a free port. */
  port: number;
  certs: CertMode;
  /** The operator's own namespace: never matched by the configurations. */
  operatorNamespace: string;
  /** Name of both webhook configurations (the chart's fullname). */
  configurationName?: string;
  failurePolicy?: 'Fail' | 'Ignore';
  timeoutSeconds?: number;
  certPolicy?: CertPolicy;
  /** How often a `secret` mode webhook looks at its certificate at most (default 1 h). */
  recheckMs?: number;
  events?: EventRecorder;
  clock?: Clock;
}

export interface RunningWebhook {
  port: number;
  /** `https://127.0.0.1:port` in local mode. */
  url?: string;
  /** Stops serving; local mode also removes its configurations unless `keepRegistration`. */
  stop(opts?: { keepRegistration?: boolean }): Promise<void>;
}

/** The identity the API server knows this client as (so its own requests can skip the webhook). */
async function ownUsername(kc: KubeConfig, log: Logger): Promise<string | undefined> {
  try {
    const r = await kc.makeApiClient(AuthenticationV1Api).createSelfSubjectReview({ body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' } });
    return r.status?.userInfo?.username;
  } catch (err) {
    log.warn({ err: errorMessage(err) }, 'cannot tell the operator\'s own user (SelfSubjectReview): its requests go to the webhook too (they are allowed)');
    return undefined;
  }
}

export async function startWebhook(opts: WebhookOptions): Promise<RunningWebhook> {
  const kc = opts.kubeConfig;
  const log = opts.logger;
  const clock = opts.clock ?? realClock;
  const name = opts.configurationName ?? DEFAULT_CONFIGURATION_NAME;
  const admission = kc.makeApiClient(AdmissionregistrationV1Api);
  const deps = { state: apiState(kc.makeApiClient(CustomObjectsApi)), review: subjectAccessReview(kc.makeApiClient(AuthorizationV1Api)), now: () => new Date(clock.now()) };
  const handlers = {
    [VALIDATE_PATH]: (req: Parameters<typeof validateOrder>[0]) => validateOrder(req, deps),
    [MUTATE_PATH]: async (req: Parameters<typeof validateOrder>[0]) => patched(req.uid, requesterPatch(req)),
  };
  const stops: (() => void)[] = [];
  let server: WebhookServer;

  switch (opts.certs.kind) {
    case 'local': {
      const ca = generateCa({ commonName: 'occupier-operator-webhook-local-ca', validityMs: 7 * 86_400_000 });
      const serving = issueServerCert(ca, ['127.0.0.1'], { commonName: '127.0.0.1', validityMs: 7 * 86_400_000 });
      server = await startWebhookServer({ port: opts.port, host: '127.0.0.1', certificate: serving, handlers, logger: log });
      const url = `https://127.0.0.1:${server.port}`;
      const username = await ownUsername(kc, log);
      try {
        await registerWebhooks(admission, {
          name,
          endpoint: { url },
          caBundle: ca.certPem,
          operatorNamespace: opts.operatorNamespace,
          ...(username ? { operatorUsername: username } : {}),
          ...(opts.failurePolicy ? { failurePolicy: opts.failurePolicy } : {}),
          ...(opts.timeoutSeconds ? { timeoutSeconds: opts.timeoutSeconds } : {}),
        });
      } catch (err) {
        await server.close();
        throw new Error(`cannot register the webhook configurations ${name} (needs create/update on validating- and mutatingwebhookconfigurations): ${errorMessage(err)}`, { cause: err });
      }
      log.info({ url, configuration: name, ...(username ? { skips: username } : {}) }, 'admission webhook registered (local)');
      return {
        port: server.port,
        url,
        stop: async (o = {}) => {
          await server.close();
          if (!o.keepRegistration) await unregisterWebhooks(admission, name).catch((err: unknown) => log.error({ err: errorMessage(err) }, `cannot remove the webhook configurations ${name}: orders are refused until you run: kubectl delete validatingwebhookconfiguration,mutatingwebhookconfiguration ${name}`));
        },
      };
    }
    case 'files': {
      const dir = opts.certs.dir;
      const watched = watchCertificateFiles(dir, (pair) => {
        server.setCertificate(pair);
        log.info({ dir }, 'webhook serving certificate reloaded');
      });
      stops.push(watched.stop);
      server = await startWebhookServer({ port: opts.port, certificate: watched.initial, handlers, logger: log });
      break;
    }
    case 'secret': {
      const m = opts.certs;
      const core = kc.makeApiClient(CoreV1Api);
      const ns = m.namespace;
      const hosts = [m.serviceName, `${m.serviceName}.${ns}`, `${m.serviceName}.${ns}.svc`, `${m.serviceName}.${ns}.svc.cluster.local`];
      const ref = { namespace: ns, name: m.secretName };
      const check = async (): Promise<CertStatus> => {
        const st = await ensureCertSecret(core, ref, hosts, new Date(clock.now()), opts.certPolicy);
        if (st.change !== 'none') {
          log.info({ secret: `${ns}/${m.secretName}`, change: st.change, why: st.why, renewAt: st.renewAt.toISOString() }, 'webhook certificate written');
          const secret = await core.readNamespacedSecret(ref);
          void opts.events?.normal(secret, st.change === 'created' ? 'CertificateCreated' : 'CertificateRenewed', `webhook serving certificate ${st.change}${st.why ? ` (${st.why})` : ''}; next renewal ${st.renewAt.toISOString()}`);
        }
        return st;
      };
      const inject = async (st: CertStatus): Promise<Date> => {
        const changed = await patchCaBundle(admission, name, st.certs.caBundle);
        if (changed.length) log.info({ configurations: changed }, 'webhook caBundle patched');
        return st.renewAt;
      };
      const pass = async (): Promise<Date> => {
        const st = await check();
        server.setCertificate(st.certs.serving);
        return inject(st);
      };
      const first = await check();
      server = await startWebhookServer({ port: opts.port, certificate: first.certs.serving, handlers, logger: log });
      let timer: NodeJS.Timeout | undefined;
      let stopped = false;
      const loop = (renewAt: Date): void => {
        if (stopped) return;
        const wait = Math.max(1_000, Math.min(opts.recheckMs ?? 3_600_000, renewAt.getTime() - clock.now()));
        timer = setTimeout(() => {
          pass().then(loop, (err: unknown) => {
            log.error({ err: errorMessage(err) }, 'webhook certificate check failed; retrying in 30 s');
            loop(new Date(clock.now() + 30_000));
          });
        }, wait);
        timer.unref();
      };
      await inject(first).then(loop, (err: unknown) => {
        log.error({ err: errorMessage(err) }, `cannot patch caBundle of the webhook configurations ${name}; retrying in 30 s`);
        loop(new Date(clock.now() + 30_000));
      });
      stops.push(() => {
        stopped = true;
        clearTimeout(timer);
      });
      break;
    }
  }
  log.info({ port: server.port, mode: opts.certs.kind }, 'admission webhook serving');
  return {
    port: server.port,
    stop: async () => {
      for (const s of stops) s();
      await server.close();
    },
  };
}
