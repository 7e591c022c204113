/**
 * The webhook configurations: what the chart renders (templates/webhook.yaml) and what
 * `npm start -- --webhook-local` registers itself, envtest-style: `clientConfig.url` to the
 * operator's own loopback HTTPS address and its own CA as `caBundle`. Both say the same:
 * orders only (create and update, never `/status`), `failurePolicy: Fail`, a short timeout, a
 * namespace selector that never matches the operator's own namespace, and a match condition
 * that never sends the operator's own requests (finalizers, annotations) to the webhook.
 *
 * `patchCaBundle` is the CA injection of a self-managed certificate (what cert-manager's
 * cainjector does for `cert-manager.io/inject-ca-from`): it writes the bundle into every
 * webhook of the named configurations.
 */
import type { AdmissionregistrationV1Api, V1MutatingWebhookConfiguration, V1ValidatingWebhookConfiguration } from '@kubernetes/client-node';
import { GROUP, VERSION } from '../api/index.ts';
import { isConflict, isNotFound } from '../runtime/index.ts';
import { MUTATE_PATH, VALIDATE_PATH } from './server.ts';

export const DEFAULT_CONFIGURATION_NAME = 'occupier-operator';
export const VALIDATING_WEBHOOK = 'orders.occupier.dev';
export const MUTATING_WEBHOOK = 'requester.orders.occupier.dev';
export const WEBHOOK_RESOURCES = ['decommissions', 'sitemoves', 'customermoves'];

export interface RegistrationSpec {
  name: string;
  /** `https://host:port` the API server calls (local), or a Service (in a cluster). */
  endpoint: { url: string } | { service: { name: string; namespace: string; port: number } };
  caBundle: string;
  /** Requests in this namespace are never sent (the operator's own). */
  operatorNamespace: string;
  /** Requests of this user are never sent (the operator's own identity). */
  operatorUsername?: string;
  failurePolicy?: 'Fail' | 'Ignore';
  timeoutSeconds?: number;
}

const rules = [{ apiGroups: [GROUP], apiVersions: [VERSION], operations: ['CREATE', 'UPDATE'], resources: WEBHOOK_RESOURCES, scope: 'Namespaced' }];

function common(spec: RegistrationSpec, path: string) {
  const clientConfig =
    'url' in spec.endpoint
      ? { url: `${spec.endpoint.url}${path}`, caBundle: Buffer.from(spec.caBundle).toString('base64') }
      : { service: { ...spec.endpoint.service, path }, caBundle: Buffer.from(spec.caBundle).toString('base64') };
  return {
    admissionReviewVersions: ['v1'],
    sideEffects: 'None',
    failurePolicy: spec.failurePolicy ?? 'Fail',
    timeoutSeconds: spec.timeoutSeconds ?? 5,
    matchPolicy: 'Equivalent',
    clientConfig,
    rules,
    namespaceSelector: { matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: [spec.operatorNamespace] }] },
    ...(spec.operatorUsername
      ? { matchConditions: [{ name: 'not-the-operator', expression: `request.userInfo.username != ${JSON.stringify(spec.operatorUsername)}` }] }
      : {}),
  };
}

const labels = { 'app.kubernetes.io/managed-by': 'occupier-operator', 'app.kubernetes.io/component': 'webhook' };

export function validatingConfiguration(spec: RegistrationSpec): V1ValidatingWebhookConfiguration {
  return {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingWebhookConfiguration',
    metadata: { name: spec.name, labels },
    webhooks: [{ name: VALIDATING_WEBHOOK, ...common(spec, VALIDATE_PATH) }],
  };
}

export function mutatingConfiguration(spec: RegistrationSpec): V1MutatingWebhookConfiguration {
  return {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'MutatingWebhookConfiguration',
    metadata: { name: spec.name, labels },
    webhooks: [{ name: MUTATING_WEBHOOK, reinvocationPolicy: 'Never', ...common(spec, MUTATE_PATH) }],
  };
}

interface Configurations<T> {
  read(name: string): Promise<T>;
  create(body: T): Promise<unknown>;
  replace(name: string, body: T): Promise<unknown>;
  remove(name: string): Promise<unknown>;
}

function validating(api: AdmissionregistrationV1Api): Configurations<V1ValidatingWebhookConfiguration> {
  return {
    read: (name) => api.readValidatingWebhookConfiguration({ name }),
    create: (body) => api.createValidatingWebhookConfiguration({ body }),
    replace: (name, body) => api.replaceValidatingWebhookConfiguration({ name, body }),
    remove: (name) => api.deleteValidatingWebhookConfiguration({ name }),
  };
}

function mutating(api: AdmissionregistrationV1Api): Configurations<V1MutatingWebhookConfiguration> {
  return {
    read: (name) => api.readMutatingWebhookConfiguration({ name }),
    create: (body) => api.createMutatingWebhookConfiguration({ body }),
    replace: (name, body) => api.replaceMutatingWebhookConfiguration({ name, body }),
    remove: (name) => api.deleteMutatingWebhookConfiguration({ name }),
  };
}

async function upsert<T extends { metadata?: { name?: string; resourceVersion?: string } }>(c: Configurations<T>, body: T): Promise<void> {
  const name = body.metadata?.name ?? '';
  for (let attempt = 0; ; attempt++) {
    try {
      const existing = await c.read(name);
      await c.replace(name, { ...body, metadata: { ...body.metadata, resourceVersion: existing.metadata?.resourceVersion } });
      return;
    } catch (err) {
      if (isNotFound(err)) {
        try {
          await c.create(body);
          return;
        } catch (e) {
          if (!isConflict(e) || attempt > 3) throw e;
          continue;
        }
      }
      if (!isConflict(err) || attempt > 3) throw err;
    }
  }
}

/** Creates or replaces both configurations (local development, envtest-style). */
export async function registerWebhooks(api: AdmissionregistrationV1Api, spec: RegistrationSpec): Promise<void> {
  await upsert(mutating(api), mutatingConfiguration(spec));
  await upsert(validating(api), validatingConfiguration(spec));
}

/** Removes both (a local operator that stops must not leave orders refused by a dead URL). */
export async function unregisterWebhooks(api: AdmissionregistrationV1Api, name: string): Promise<void> {
  for (const c of [validating(api), mutating(api)] as Configurations<unknown>[]) {
    try {
      await c.remove(name);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
}

/**
 * Writes `caBundle` into every webhook of the named configurations that does not have it yet.
 * Returns the names it changed. A configuration that does not exist is an error: the chart
 * renders both, so it means a wrong name.
 */
export async function patchCaBundle(api: AdmissionregistrationV1Api, name: string, caBundlePem: string): Promise<string[]> {
  const want = Buffer.from(caBundlePem).toString('base64');
  const changed: string[] = [];
  const configs: [string, Configurations<V1ValidatingWebhookConfiguration | V1MutatingWebhookConfiguration>][] = [
    ['ValidatingWebhookConfiguration', validating(api) as Configurations<V1ValidatingWebhookConfiguration | V1MutatingWebhookConfiguration>],
    ['MutatingWebhookConfiguration', mutating(api) as Configurations<V1ValidatingWebhookConfiguration | V1MutatingWebhookConfiguration>],
  ];
  for (const [kind, c] of configs) {
    for (let attempt = 0; ; attempt++) {
      const existing = await c.read(name);
      const hooks = existing.webhooks ?? [];
      if (hooks.every((h) => h.clientConfig.caBundle === want)) break;
      for (const h of hooks) h.clientConfig.caBundle = want;
      try {
        await c.replace(name, existing);
        changed.push(`${kind}/${name}`);
        break;
      } catch (err) {
        if (!isConflict(err) || attempt > 3) throw err;
      }
    }
  }
  return changed;
}
