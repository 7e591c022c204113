/**
 * The Helm chart: lint, render with the default values and with each toggle, and check
 * what matters in production (replicas and leader election, probes, security context,
 * least-privilege RBAC, metrics wiring, webhook certificates, CRDs in sync with crds/).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { load } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { parseOptions } from '../../operator/src/cli/options.ts';
import {
  CHART_DIR,
  NAMESPACE,
  RELEASE,
  ROOT,
  helmLint,
  helmTemplate,
  helmTemplateError,
  one,
  ofKind,
  run,
} from './tools.ts';
import type { K8sObject, Values } from './tools.ts';

// --- shapes of the objects the assertions read -----------------------------------------

interface Probe {
  httpGet: { path: string; port: string | number };
}
interface Container {
  name: string;
  image: string;
  args: string[];
  env: { name: string; value?: string; valueFrom?: { fieldRef?: { fieldPath: string } } }[];
  ports: { name: string; containerPort: number }[];
  livenessProbe: Probe;
  readinessProbe: Probe;
  securityContext: {
    allowPrivilegeEscalation?: boolean;
    readOnlyRootFilesystem?: boolean;
    runAsNonRoot?: boolean;
    capabilities?: { drop?: string[]; add?: string[] };
  };
  resources: { requests?: Record<string, string>; limits?: Record<string, string> };
  volumeMounts: { name: string; mountPath: string; readOnly?: boolean }[];
}
interface PodSpec {
  serviceAccountName: string;
  securityContext: { runAsNonRoot?: boolean; runAsUser?: number; seccompProfile?: { type: string } };
  containers: Container[];
  volumes: { name: string; emptyDir?: object; secret?: { secretName: string } }[];
  topologySpreadConstraints?: { topologyKey: string; labelSelector?: { matchLabels: Record<string, string> } }[];
}
interface Deployment {
  spec: {
    replicas: number;
    selector: { matchLabels: Record<string, string> };
    template: { metadata: { labels: Record<string, string> }; spec: PodSpec };
  };
}
interface Rule {
  apiGroups?: string[];
  resources?: string[];
  verbs: string[];
  resourceNames?: string[];
}
interface Binding {
  roleRef: { kind: string; name: string };
  subjects: { kind: string; name: string; namespace?: string }[];
}

const FULLNAME = RELEASE;
const SA = FULLNAME;

function deployment(docs: K8sObject[]): Deployment['spec'] {
  return (one(docs, 'Deployment') as unknown as Deployment).spec;
}

function operatorContainer(docs: K8sObject[]): Container {
  const container = deployment(docs).template.spec.containers.find((c) => c.name === 'operator');
  if (!container) throw new Error('no operator container');
  return container;
}

function isSubset(small: Record<string, string>, big: Record<string, string>): boolean {
  return Object.entries(small).every(([k, v]) => big[k] === v);
}

/**
 * Everything the operator's ServiceAccount may do, as "scope group/resource verb" lines
 * (scope: `cluster` or the namespace of a RoleBinding), from the rendered roles and
 * bindings. resourceNames are appended in brackets.
 */
function operatorPermissions(docs: K8sObject[]): string[] {
  const roles = new Map<string, Rule[]>();
  for (const r of [...ofKind(docs, 'ClusterRole'), ...ofKind(docs, 'Role')]) {
    roles.set(`${r.kind}/${r.metadata.namespace ?? ''}/${r.metadata.name}`, (r as unknown as { rules: Rule[] }).rules);
  }
  const lines: string[] = [];
  for (const b of [...ofKind(docs, 'ClusterRoleBinding'), ...ofKind(docs, 'RoleBinding')]) {
    const binding = b as unknown as Binding;
    const toOperator = binding.subjects.some((s) => s.kind === 'ServiceAccount' && s.name === SA && s.namespace === NAMESPACE);
    if (!toOperator) continue;
    const roleNamespace = binding.roleRef.kind === 'Role' ? (b.metadata.namespace ?? '') : '';
    const rules = roles.get(`${binding.roleRef.kind}/${roleNamespace}/${binding.roleRef.name}`);
    if (!rules) throw new Error(`${b.kind} ${b.metadata.name} refers to missing ${binding.roleRef.kind} ${binding.roleRef.name}`);
    const scope = b.kind === 'ClusterRoleBinding' ? 'cluster' : `ns:${b.metadata.namespace ?? '?'}`;
    for (const rule of rules) {
      for (const group of rule.apiGroups ?? []) {
        for (const resource of rule.resources ?? []) {
          for (const verb of rule.verbs) {
            const names = rule.resourceNames ? ` [${rule.resourceNames.join(',')}]` : '';
            lines.push(`${scope} ${group || 'core'}/${resource} ${verb}${names}`);
          }
        }
      }
    }
  }
  return lines.sort();
}

const KINDS = ['sites', 'occupiers', 'sitemoves', 'customermoves', 'decommissions'];
const NAMESPACED_KINDS = KINDS.filter((k) => k !== 'sites');

/** What the webhook with its own CA adds: its two configurations (caBundle) and its Secret. */
const WEBHOOK_PERMISSIONS = [
  ...['mutatingwebhookconfigurations', 'validatingwebhookconfigurations'].flatMap((r) =>
    ['get', 'update', 'patch'].map((v) => `cluster admissionregistration.k8s.io/${r} ${v} [${FULLNAME}]`),
  ),
  `ns:${NAMESPACE} core/secrets create`,
  `ns:${NAMESPACE} core/secrets get [${FULLNAME}-webhook-tls]`,
  `ns:${NAMESPACE} core/secrets update [${FULLNAME}-webhook-tls]`,
];

/** The operator's permissions with the default values, written out in full. */
function expectedPermissions(namespacedScope: string, secretNamespaces: string[], webhook = true): string[] {
  const own = (scope: string, kinds: string[]) =>
    kinds.flatMap((k) => [
      ...['get', 'list', 'watch', 'update', 'patch'].map((v) => `${scope} occupier.dev/${k} ${v}`),
      `${scope} occupier.dev/${k}/status update`,
      `${scope} occupier.dev/${k}/status patch`,
      `${scope} occupier.dev/${k}/finalizers update`,
    ]);
  return [
    ...own('cluster', ['sites']),
    ...own(namespacedScope, NAMESPACED_KINDS),
    ...['get', 'list', 'watch', 'create', 'delete'].map((v) => `${namespacedScope} core/configmaps ${v}`),
    'cluster core/events create',
    'cluster core/events patch',
    'cluster events.k8s.io/events create',
    'cluster events.k8s.io/events patch',
    'cluster authorization.k8s.io/subjectaccessreviews create',
    `ns:${NAMESPACE} coordination.k8s.io/leases create`,
    `ns:${NAMESPACE} coordination.k8s.io/leases get [occupier-operator]`,
    `ns:${NAMESPACE} coordination.k8s.io/leases update [occupier-operator]`,
    ...secretNamespaces.map((ns) => `ns:${ns} core/secrets get`),
    ...(webhook ? WEBHOOK_PERMISSIONS : []),
  ].sort();
}

// -----------------------------------------------------------------------------------------

describe('helm template without --kube-version', () => {
  it('renders (helm from test/helm/ assumes its own Kubernetes, not 1.20), the webhook and both certificate ways included', () => {
    for (const values of [[], ['--set', 'webhook.certManager.enabled=true']]) {
      const result = run('helm', ['template', RELEASE, CHART_DIR, '--namespace', NAMESPACE, ...values]);
      expect(result.stderr).toBe('');
      expect(result.status).toBe(0);
      expect(result.stdout).toContain('kind: ValidatingWebhookConfiguration');
    }
  });
});

describe('helm lint', () => {
  const variants: [string, Values][] = [
    ['default values', {}],
    ['webhook off', { webhook: { enabled: false } }],
    ['webhook with cert-manager', { webhook: { enabled: true, certManager: { enabled: true } } }],
    ['no ServiceMonitor or PrometheusRule', { serviceMonitor: { enabled: false }, prometheusRule: { enabled: false } }],
    ['one watched namespace', { watchNamespace: 'tenants' }],
  ];
  it.each(variants)('passes --strict with %s', (_name, values) => {
    const result = helmLint(values);
    expect(result.stdout + result.stderr).toContain('0 chart(s) failed');
    expect(result.status).toBe(0);
  });
});

describe('default values', () => {
  const docs = helmTemplate();

  it('renders the expected objects, the webhook with its own CA and the ClusterRoles for people included', () => {
    const kinds = docs.map((d) => d.kind).sort();
    expect(kinds).toEqual(
      [
        ...Array<string>(5).fill('CustomResourceDefinition'),
        'ServiceAccount',
        'ClusterRole',
        'ClusterRole',
        'ClusterRole', // occupier-viewer
        'ClusterRole', // occupier-site-manager
        'ClusterRole', // occupier-super-admin
        'ClusterRoleBinding',
        'ClusterRoleBinding',
        'Role',
        'Role',
        'Role', // the webhook's Secret
        'RoleBinding',
        'RoleBinding',
        'RoleBinding',
        'Deployment',
        'Service',
        'Service', // the webhook's
        'ValidatingWebhookConfiguration',
        'MutatingWebhookConfiguration',
        'PodDisruptionBudget',
        'ServiceMonitor',
        'PrometheusRule',
        'ConfigMap', // the Grafana dashboard
      ].sort(),
    );
  });

  it('runs 2 replicas with leader election, and the flags parse as the operator reads them', () => {
    const spec = deployment(docs);
    expect(spec.replicas).toBe(2);
    const container = operatorContainer(docs);
    expect(container.args).toContain('--leader-elect');
    const podNamespace = container.env.find((e) => e.name === 'POD_NAMESPACE');
    expect(podNamespace?.valueFrom?.fieldRef?.fieldPath).toBe('metadata.namespace');
    // The pod's environment as the kubelet gives it: in a pod, POD_NAMESPACE from the downward API.
    const options = parseOptions(container.args, { KUBERNETES_SERVICE_HOST: '10.96.0.1', POD_NAMESPACE: NAMESPACE });
    expect(options).toMatchObject({ leaderElect: true, leaseNamespace: NAMESPACE, metricsPort: 8080, dev: false, namespace: undefined, orderSiteConcurrency: 5, orderItemConcurrency: 32 });
  });

  it('probes /healthz and /readyz on the metrics port 8080', () => {
    const container = operatorContainer(docs);
    const port = container.ports.find((p) => p.name === container.livenessProbe.httpGet.port);
    expect(port?.containerPort).toBe(8080);
    expect(container.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'http-metrics' });
    expect(container.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'http-metrics' });
  });

  it('runs non-root, read-only, without privileges, with RuntimeDefault seccomp and a /tmp emptyDir', () => {
    const pod = deployment(docs).template.spec;
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    expect(pod.securityContext.runAsUser).toBeGreaterThan(0);
    const container = operatorContainer(docs);
    expect(container.securityContext).toEqual({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      capabilities: { drop: ['ALL'] },
    });
    expect(container.volumeMounts).toContainEqual({ name: 'tmp', mountPath: '/tmp' });
    expect(pod.volumes.find((v) => v.name === 'tmp')?.emptyDir).toBeDefined();
    expect(pod.serviceAccountName).toBe(SA);
    // Nothing is written in a pod; the data directory (used by --dev only) points at the emptyDir anyway.
    const options = parseOptions(container.args, Object.fromEntries(container.env.flatMap((e) => (e.value === undefined ? [] : [[e.name, e.value]]))));
    expect(options.dataDir.startsWith('/tmp/')).toBe(true);
  });

  it('runs as the user the image declares', () => {
    const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
    const users = [...dockerfile.matchAll(/^USER\s+(\d+)/gm)].map((m) => Number(m[1]));
    expect(users.at(-1)).toBe(deployment(docs).template.spec.securityContext.runAsUser);
  });

  it('sets resource requests and a memory limit', () => {
    const { resources } = operatorContainer(docs);
    expect(resources.requests?.cpu).toBeTruthy();
    expect(resources.requests?.memory).toBeTruthy();
    expect(resources.limits?.memory).toBeTruthy();
  });

  it('spreads the replicas over nodes and zones and keeps one through disruptions', () => {
    const spec = deployment(docs);
    const podLabels = spec.template.metadata.labels;
    const spread = spec.template.spec.topologySpreadConstraints ?? [];
    expect(spread.map((t) => t.topologyKey)).toEqual(['kubernetes.io/hostname', 'topology.kubernetes.io/zone']);
    for (const t of spread) expect(isSubset(t.labelSelector?.matchLabels ?? { none: 'x' }, podLabels)).toBe(true);
    const pdb = one(docs, 'PodDisruptionBudget') as unknown as { apiVersion: string; spec: { minAvailable: number; selector: { matchLabels: Record<string, string> } } };
    expect(pdb.apiVersion).toBe('policy/v1');
    expect(pdb.spec.minAvailable).toBe(1);
    expect(pdb.spec.selector.matchLabels).toEqual(spec.selector.matchLabels);
  });

  it('uses the chart appVersion as the image tag', () => {
    const chart = load(readFileSync(join(CHART_DIR, 'Chart.yaml'), 'utf8')) as { appVersion: string };
    expect(operatorContainer(docs).image).toMatch(new RegExp(`:${chart.appVersion.replace(/\./g, '\\.')}$`));
  });

  it('wires metrics: Service → pod port, ServiceMonitor → Service, alerts → the job the ServiceMonitor produces', () => {
    const service = one(docs, 'Service', `${FULLNAME}-metrics`) as unknown as K8sObject & { spec: { selector: Record<string, string>; ports: { name: string; targetPort: string }[] } };
    expect(isSubset(service.spec.selector, deployment(docs).template.metadata.labels)).toBe(true);
    const containerPorts = operatorContainer(docs).ports.map((p) => p.name);
    for (const p of service.spec.ports) expect(containerPorts).toContain(p.targetPort);

    const monitor = one(docs, 'ServiceMonitor') as unknown as K8sObject & {
      spec: { selector: { matchLabels: Record<string, string> }; namespaceSelector: { matchNames: string[] }; endpoints: { port: string; path: string }[] };
    };
    expect(monitor.apiVersion).toBe('monitoring.coreos.com/v1');
    expect(isSubset(monitor.spec.selector.matchLabels, service.metadata.labels ?? {})).toBe(true);
    expect(monitor.spec.namespaceSelector.matchNames).toEqual([NAMESPACE]);
    expect(monitor.spec.endpoints.map((e) => [e.port, e.path])).toEqual([['http-metrics', '/metrics']]);

    // The Prometheus Operator sets job to the Service name.
    const rule = one(docs, 'PrometheusRule') as unknown as { spec: { groups: { rules: { alert: string; expr: string }[] }[] } };
    for (const r of rule.spec.groups.flatMap((g) => g.rules)) {
      expect(r.expr, r.alert).toContain(`job="${service.metadata.name}"`);
    }
  });

  it('ships exactly the five occupier.dev CRDs', () => {
    const names = ofKind(docs, 'CustomResourceDefinition').map((c) => c.metadata.name).sort();
    expect(names).toEqual(KINDS.map((k) => `${k}.occupier.dev`).sort());
  });
});

describe("the chart's CRDs", () => {
  it('are a byte-for-byte copy of crds/ (copy them again after `npm run generate`)', () => {
    const source = join(ROOT, 'crds');
    const copy = join(CHART_DIR, 'crds');
    const files = readdirSync(source).filter((f) => f.endsWith('.yaml')).sort();
    expect(readdirSync(copy).sort()).toEqual(files);
    for (const file of files) {
      expect(readFileSync(join(copy, file), 'utf8'), file).toBe(readFileSync(join(source, file), 'utf8'));
    }
  });
});

describe('RBAC', () => {
  it('grants the operator exactly what it needs, cluster-wide for all namespaces', () => {
    expect(operatorPermissions(helmTemplate())).toEqual(expectedPermissions('cluster', [NAMESPACE]));
  });

  it('names the Lease the operator uses', () => {
    const source = readFileSync(join(ROOT, 'operator/src/operator.ts'), 'utf8');
    expect(/leaseName: '([^']+)'/.exec(source)?.[1]).toBe('occupier-operator');
  });

  it('binds the namespaced kinds only in the watched namespace when watchNamespace is set', () => {
    const docs = helmTemplate({ watchNamespace: 'tenants', rbac: { secretNamespaces: ['drivers'] } });
    expect(operatorPermissions(docs)).toEqual(expectedPermissions('ns:tenants', [NAMESPACE, 'drivers']));
    expect(operatorContainer(docs).args).toContain('--namespace=tenants');
  });

  it('has no wildcards, no manage verb, no create/delete of occupier.dev objects and no cluster-wide Secrets', () => {
    const docs = helmTemplate({ webhook: { enabled: true } });
    // The operator's roles (the ClusterRoles for people are checked in "ClusterRoles for people").
    const roles = [...ofKind(docs, 'ClusterRole'), ...ofKind(docs, 'Role')].filter((r) => r.metadata.name.startsWith(FULLNAME));
    expect(roles.length).toBeGreaterThanOrEqual(4);
    for (const role of roles) {
      for (const rule of (role as unknown as { rules: Rule[] }).rules) {
        const where = `${role.kind} ${role.metadata.name}`;
        expect([...(rule.apiGroups ?? []), ...(rule.resources ?? []), ...rule.verbs], where).not.toContain('*');
        expect(rule.verbs, where).not.toContain('manage');
        expect(rule.verbs, where).not.toContain('escalate');
        expect(rule.verbs, where).not.toContain('bind');
        expect(rule.verbs, where).not.toContain('impersonate');
        if (rule.apiGroups?.includes('occupier.dev')) {
          expect(rule.verbs, where).not.toContain('create');
          expect(rule.verbs, where).not.toContain('delete');
        }
        if (role.kind === 'ClusterRole') expect(rule.resources ?? [], where).not.toContain('secrets');
      }
    }
    const permissions = operatorPermissions(docs);
    expect(permissions.filter((p) => p.includes('secrets'))).toEqual(
      [`ns:${NAMESPACE} core/secrets get`, ...WEBHOOK_PERMISSIONS.filter((p) => p.includes('secrets'))].sort(),
    );
  });

  it('limits Secret reads to named Secrets when rbac.secretNames is set', () => {
    const permissions = operatorPermissions(helmTemplate({ rbac: { secretNames: ['telephony-api', 'billing-api'] }, webhook: { enabled: false } }));
    expect(permissions.filter((p) => p.includes('secrets'))).toEqual([`ns:${NAMESPACE} core/secrets get [telephony-api,billing-api]`]);
  });

  it('grants `manage` on named sites to people through rbac.siteManagers, never to the operator', () => {
    const docs = helmTemplate({
      rbac: {
        siteManagers: [
          {
            name: 'london',
            sites: ['london-shoreditch', 'london-canary-wharf'],
            subjects: [{ kind: 'Group', name: 'london-facilities', apiGroup: 'rbac.authorization.k8s.io' }],
          },
        ],
      },
    });
    const role = one(docs, 'ClusterRole', `${FULLNAME}-site-manager-london`) as unknown as { rules: Rule[] };
    expect(role.rules).toEqual([
      { apiGroups: ['occupier.dev'], resources: ['sites'], verbs: ['manage'], resourceNames: ['london-shoreditch', 'london-canary-wharf'] },
    ]);
    const binding = one(docs, 'ClusterRoleBinding', `${FULLNAME}-site-manager-london`) as unknown as Binding;
    expect(binding.subjects).toEqual([{ kind: 'Group', name: 'london-facilities', apiGroup: 'rbac.authorization.k8s.io' }]);
    expect(operatorPermissions(docs).filter((p) => p.includes('manage'))).toEqual([]);
  });

  it('refuses a site manager entry without sites', () => {
    expect(helmTemplateError({ rbac: { siteManagers: [{ name: 'x', subjects: [{ kind: 'User', name: 'a' }] }] } })).toContain(
      "'/rbac/siteManagers/0': missing property 'sites'",
    );
    expect(helmTemplateError({ rbac: { siteManagers: [{ name: 'x', sites: [], subjects: [{ kind: 'User', name: 'a' }] }] } })).toContain(
      "'/rbac/siteManagers/0/sites': minItems",
    );
  });
});

describe('toggles', () => {
  it('leaves out the ServiceMonitor and PrometheusRule when disabled', () => {
    const docs = helmTemplate({ serviceMonitor: { enabled: false }, prometheusRule: { enabled: false } });
    expect(ofKind(docs, 'ServiceMonitor')).toEqual([]);
    expect(ofKind(docs, 'PrometheusRule')).toEqual([]);
    expect(ofKind(docs, 'Service').map((s) => s.metadata.name)).toEqual([`${FULLNAME}-metrics`, `${FULLNAME}-webhook`]);
  });

  it('drops the PodDisruptionBudget for a single replica and refuses 2 replicas without leader election', () => {
    const single = helmTemplate({ replicaCount: 1, leaderElection: { enabled: false } });
    expect(ofKind(single, 'PodDisruptionBudget')).toEqual([]);
    expect(operatorContainer(single).args).toContain('--no-leader-elect');
    expect(ofKind(single, 'Role').map((r) => r.metadata.name)).toEqual([`${FULLNAME}-secrets`, `${FULLNAME}-webhook-tls`]);
    expect(helmTemplateError({ replicaCount: 2, leaderElection: { enabled: false } })).toContain('needs leaderElection.enabled');
  });

  it('refuses misspelt keys and bad values (values.schema.json)', () => {
    // helm 3.19's schema messages (test/helm/): a JSON pointer to the value, and why.
    expect(helmTemplateError({ replicas: 3 })).toContain("additional properties 'replicas' not allowed");
    expect(helmTemplateError({ webhook: { failurePolicy: 'Maybe' } })).toContain("'/webhook/failurePolicy': value must be one of 'Fail', 'Ignore'");
    expect(helmTemplateError({ logLevel: 'verbose' })).toContain("'/logLevel'");
    expect(helmTemplateError({ prometheusRule: { alerts: { OrderStuck: { runningSeconds: '2h' } } } })).toContain('runningSeconds');
  });

  it('passes extra flags through, and they must still parse', () => {
    const container = operatorContainer(helmTemplate({ logLevel: 'debug', workers: 8, orders: { itemConcurrency: 256, concurrency: 128 }, extraArgs: ['--lease-namespace=leases'] }));
    const options = parseOptions(container.args, { KUBERNETES_SERVICE_HOST: '10.96.0.1', POD_NAMESPACE: NAMESPACE });
    expect(options).toMatchObject({ logLevel: 'debug', workers: 8, orderSiteConcurrency: 5, orderItemConcurrency: 256, orderConcurrency: 128, leaseNamespace: 'leases' });
    expect(helmTemplateError({ orders: { itemConcurrency: 0 } })).toContain('/orders/itemConcurrency');
    expect(helmTemplateError({ orders: { concurrency: 0 } })).toContain('/orders/concurrency');
  });
});

describe('admission webhook (on by default)', () => {
  interface Webhook {
    name: string;
    failurePolicy: string;
    sideEffects: string;
    timeoutSeconds: number;
    admissionReviewVersions: string[];
    clientConfig: { service: { name: string; namespace: string; port: number; path: string }; caBundle?: string };
    rules: { apiGroups: string[]; apiVersions: string[]; operations: string[]; resources: string[] }[];
    namespaceSelector: { matchExpressions: { key: string; operator: string; values: string[] }[] };
    matchConditions: { name: string; expression: string }[];
  }
  const webhookOf = (docs: K8sObject[], kind: 'ValidatingWebhookConfiguration' | 'MutatingWebhookConfiguration' = 'ValidatingWebhookConfiguration') => {
    const config = one(docs, kind) as unknown as K8sObject & { webhooks: Webhook[] };
    expect(config.webhooks).toHaveLength(1);
    return { config, webhook: config.webhooks[0] as Webhook };
  };
  const env = (docs: K8sObject[]): Record<string, string | undefined> => Object.fromEntries(operatorContainer(docs).env.map((e) => [e.name, e.value]));

  it('is on by default, and off leaves nothing of it', () => {
    expect(ofKind(helmTemplate(), 'ValidatingWebhookConfiguration')).toHaveLength(1);
    const off = helmTemplate({ webhook: { enabled: false } });
    expect(ofKind(off, 'ValidatingWebhookConfiguration')).toEqual([]);
    expect(ofKind(off, 'MutatingWebhookConfiguration')).toEqual([]);
    expect(operatorContainer(off).ports.map((p) => p.name)).toEqual(['http-metrics']);
    expect(operatorPermissions(off)).toEqual(expectedPermissions('cluster', [NAMESPACE], false));
  });

  it('validates and mutates creates and updates of the three order kinds (never /status) through the webhook Service', () => {
    const docs = helmTemplate();
    for (const [kind, path] of [['ValidatingWebhookConfiguration', '/validate-orders'], ['MutatingWebhookConfiguration', '/mutate-orders']] as const) {
      const { webhook } = webhookOf(docs, kind);
      expect(webhook.rules).toEqual([
        { apiGroups: ['occupier.dev'], apiVersions: ['v1alpha1'], operations: ['CREATE', 'UPDATE'], resources: ['decommissions', 'sitemoves', 'customermoves'], scope: 'Namespaced' },
      ]);
      expect(webhook).toMatchObject({ failurePolicy: 'Fail', sideEffects: 'None', admissionReviewVersions: ['v1'], timeoutSeconds: 5 });
      expect(webhook.clientConfig.service.path).toBe(path);
      // Never the operator's namespace, never the operator's own requests.
      expect(webhook.namespaceSelector.matchExpressions).toEqual([{ key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: [NAMESPACE] }]);
      expect(webhook.matchConditions).toEqual([{ name: 'not-the-operator', expression: `request.userInfo.username != "system:serviceaccount:${NAMESPACE}:${SA}"` }]);
      const service = one(docs, 'Service', webhook.clientConfig.service.name) as unknown as { spec: { ports: { port: number; targetPort: string }[] } };
      expect(webhook.clientConfig.service.namespace).toBe(NAMESPACE);
      const port = service.spec.ports.find((p) => p.port === webhook.clientConfig.service.port);
      const containerPort = operatorContainer(docs).ports.find((p) => p.name === port?.targetPort);
      expect(containerPort?.containerPort).toBe(9443);
    }
    const watched = webhookOf(helmTemplate({ watchNamespace: 'tenants' })).webhook;
    expect(watched.namespaceSelector.matchExpressions).toContainEqual({ key: 'kubernetes.io/metadata.name', operator: 'In', values: ['tenants'] });
  });

  it('without cert-manager: the operator makes its own CA into a Secret and patches caBundle (the flags it is given parse)', () => {
    const docs = helmTemplate();
    const { webhook, config } = webhookOf(docs);
    expect(webhook.clientConfig.caBundle).toBeUndefined();
    expect(ofKind(docs, 'Secret')).toEqual([]);
    expect(ofKind(docs, 'Certificate')).toEqual([]);
    expect(config.metadata.annotations?.['occupier.dev/ca-bundle-from']).toBe(`${NAMESPACE}/${FULLNAME}-webhook-tls`);
    const options = parseOptions(operatorContainer(docs).args, { ...env(docs), KUBERNETES_SERVICE_HOST: '10.96.0.1', POD_NAMESPACE: NAMESPACE });
    expect(options).toMatchObject({
      webhookPort: 9443,
      webhookSecret: `${FULLNAME}-webhook-tls`,
      webhookService: webhook.clientConfig.service.name,
      webhookConfiguration: config.metadata.name,
      webhookCertDir: undefined,
      webhookCertDays: 90,
    });
    expect(deployment(docs).template.spec.volumes.map((v) => v.name)).toEqual(['tmp']);
  });

  it('with cert-manager: a Certificate for the Service, the cainjector annotation on both configurations, mounted in the pod', () => {
    const docs = helmTemplate({ webhook: { enabled: true, certManager: { enabled: true } } });
    const certificate = one(docs, 'Certificate') as unknown as K8sObject & {
      spec: { secretName: string; dnsNames: string[]; issuerRef: { name: string; kind: string } };
    };
    for (const kind of ['ValidatingWebhookConfiguration', 'MutatingWebhookConfiguration'] as const) {
      const { config, webhook } = webhookOf(docs, kind);
      expect(config.metadata.annotations?.['cert-manager.io/inject-ca-from']).toBe(`${NAMESPACE}/${certificate.metadata.name}`);
      expect(webhook.clientConfig.caBundle).toBeUndefined();
      expect(certificate.spec.dnsNames).toContain(`${webhook.clientConfig.service.name}.${webhook.clientConfig.service.namespace}.svc`);
    }
    const issuer = one(docs, 'Issuer');
    expect(certificate.spec.issuerRef).toMatchObject({ name: issuer.metadata.name, kind: 'Issuer' });
    expect(ofKind(docs, 'Secret')).toEqual([]);
    const volume = deployment(docs).template.spec.volumes.find((v) => v.secret?.secretName === certificate.spec.secretName);
    const mount = operatorContainer(docs).volumeMounts.find((m) => m.name === volume?.name);
    expect(mount?.readOnly).toBe(true);
    const options = parseOptions(operatorContainer(docs).args, { ...env(docs), KUBERNETES_SERVICE_HOST: '10.96.0.1', POD_NAMESPACE: NAMESPACE });
    expect(options.webhookCertDir).toBe(mount?.mountPath);
    expect(options.webhookSecret).toBeUndefined();
    // cert-manager injects the CA: the operator gets no write on webhook configurations or Secrets.
    expect(operatorPermissions(docs).filter((p) => p.includes('admissionregistration') || p.includes('secrets create'))).toEqual([]);
  });

  it('with cert-manager and an issuerRef: uses that issuer and creates none', () => {
    const docs = helmTemplate({
      webhook: { enabled: true, certManager: { enabled: true, issuerRef: { name: 'corp-ca', kind: 'ClusterIssuer', group: 'cert-manager.io' } } },
    });
    expect(ofKind(docs, 'Issuer')).toEqual([]);
    const certificate = one(docs, 'Certificate') as unknown as { spec: { issuerRef: object } };
    expect(certificate.spec.issuerRef).toEqual({ name: 'corp-ca', kind: 'ClusterIssuer', group: 'cert-manager.io' });
  });
});

describe('ClusterRoles for people (site access)', () => {
  const docs = helmTemplate();
  const rules = (name: string): Rule[] => (one(docs, 'ClusterRole', name) as unknown as { rules: Rule[] }).rules;
  const labels = (name: string): Record<string, string> => one(docs, 'ClusterRole', name).metadata.labels ?? {};

  it('occupier-viewer reads every kind, aggregated to view', () => {
    expect(rules('occupier-viewer')).toEqual([{ apiGroups: ['occupier.dev'], resources: KINDS, verbs: ['get', 'list', 'watch'] }]);
    expect(labels('occupier-viewer')['rbac.authorization.k8s.io/aggregate-to-view']).toBe('true');
  });

  it('occupier-site-manager places orders and edits occupiers but manages no site, aggregated to edit and admin', () => {
    expect(rules('occupier-site-manager').flatMap((r) => r.verbs)).not.toContain('manage');
    expect(rules('occupier-site-manager')[0]?.verbs).toContain('create');
    expect(labels('occupier-site-manager')).toMatchObject({ 'rbac.authorization.k8s.io/aggregate-to-edit': 'true', 'rbac.authorization.k8s.io/aggregate-to-admin': 'true' });
  });

  it('occupier-super-admin manages every site and is never aggregated', () => {
    expect(rules('occupier-super-admin')).toEqual([{ apiGroups: ['occupier.dev'], resources: ['sites'], verbs: ['get', 'list', 'watch', 'manage'] }]);
    expect(Object.keys(labels('occupier-super-admin')).filter((l) => l.startsWith('rbac.authorization.k8s.io/aggregate'))).toEqual([]);
  });

  it('are left out with rbac.userRoles: false', () => {
    const names = ofKind(helmTemplate({ rbac: { userRoles: false } }), 'ClusterRole').map((r) => r.metadata.name);
    expect(names.filter((n) => n.startsWith('occupier-') && !n.startsWith(FULLNAME))).toEqual([]);
  });
});

describe('documentation', () => {
  /** Dotted paths of the leaves of values.yaml (an empty map or list is a leaf). */
  function leaves(value: unknown, prefix = ''): string[] {
    if (value === null || typeof value !== 'object' || Array.isArray(value) || Object.keys(value).length === 0) return [prefix];
    return Object.entries(value as Record<string, unknown>).flatMap(([k, v]) => leaves(v, prefix ? `${prefix}.${k}` : k));
  }

  it('documents every value in the README values table', () => {
    const values = load(readFileSync(join(CHART_DIR, 'values.yaml'), 'utf8'));
    const readme = readFileSync(join(CHART_DIR, 'README.md'), 'utf8');
    const rows = readme.split('\n').filter((l) => l.startsWith('| `'));
    const documented = (path: string): boolean => {
      const parts = path.split('.');
      const prefixes = parts.map((_p, i) => parts.slice(0, i + 1).join('.'));
      if (prefixes.some((p) => rows.some((r) => r.includes(`\`${p}\``)))) return true;
      const field = parts.at(-1) ?? '';
      const parent = parts.slice(0, -1).join('.');
      // `a.b.x` / `.y` shorthand, and `prometheusRule.alerts.<Alert>.field` for every alert.
      if (rows.some((r) => r.includes(`\`${parent}.`) && r.includes(`\`.${field}\``))) return true;
      return parts[0] === 'prometheusRule' && parts[1] === 'alerts' && rows.some((r) => r.includes(`\`prometheusRule.alerts.<Alert>.${field}\``));
    };
    const all = leaves(values);
    expect(all.length).toBeGreaterThan(40);
    expect(all.filter((p) => !documented(p))).toEqual([]);
  });
});
