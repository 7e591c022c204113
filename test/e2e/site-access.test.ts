/**
 * Site access (issue 12, SPEC §2) on a real kube-apiserver: the operator's admission webhook,
 * registered the way `npm start -- --webhook-local` does (a loopback `url` and its own CA as
 * `caBundle`, envtest-style), judged by real SubjectAccessReviews against real RBAC, with
 * requests from the token-file users through real kubectl contexts. RBAC is the chart's
 * ClusterRoles for people (rendered by helm) granted with the chart README's commands:
 *   alice — occupier-site-manager in `occupiers`, `manage` on the two london sites
 *   bob   — occupier-site-manager in `occupiers`, no site
 *   carol — occupier-site-manager in `occupiers`, occupier-super-admin (every site)
 * (No controller-manager runs, so no ClusterRole aggregation: the roles are bound directly.)
 *
 * Skipped on the embedded cluster: it has one all-powerful user and calls no admission
 * webhook (README, "Site access").
 */
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOperator } from '../../operator/src/operator.ts';
import type { RunningOperator } from '../../operator/src/operator.ts';
import { silentLogger } from '../../operator/src/runtime/index.ts';
import { startWebhook } from '../../operator/src/webhook/index.ts';
import type { RunningWebhook } from '../../operator/src/webhook/index.ts';
import { clusterKind, withCluster } from '../support/cluster.ts';
import type { ClusterEnv, KubectlResult } from '../support/cluster.ts';
import { decommission, manifest, NS, Objects, occupier, site, siteMove, until } from '../support/estate.ts';
import type { Obj } from '../support/estate.ts';
import { helmTemplate } from '../packaging/tools.ts';

const REAL = clusterKind() === 'real';
const WHY = 'the embedded cluster has one all-powerful user and calls no admission webhook: site access is enforced on a real kube-apiserver only (OCCUPIER_TEST_CLUSTER=real)';

const LONDON = [
  { name: 'london-shoreditch', index: 1 },
  { name: 'london-canary-wharf', index: 2 },
];
const MANCHESTER = { name: 'manchester-spinningfields', index: 3 };

let env: ClusterEnv;
let op: RunningOperator;
let webhook: RunningWebhook;
let objects: Objects;
/** What the webhook answered: one log line per admission request. */
const reviews: { resource?: string; user?: string; allowed?: boolean; operation?: string }[] = [];

const as = (user: string, args: string[], stdin?: string): Promise<KubectlResult> => env.kubectl(['--context', user, ...args], stdin);
const create = (user: string, o: Obj): Promise<KubectlResult> => as(user, ['create', '-f', '-'], manifest(o));

function customerMove(name: string, occ: string, to: string): Obj {
  return { apiVersion: 'occupier.dev/v1alpha1', kind: 'CustomerMove', metadata: { name, namespace: NS }, spec: { occupierRef: { name: occ }, toReseller: { name: to } } };
}

describe.skipIf(!REAL)(`site access by admission webhook${REAL ? '' : ` — skipped: ${WHY}`}`, () => {
  beforeAll(async () => {
    env = await withCluster();
    objects = new Objects(env.kubeConfig);
    const k = (args: string[], stdin?: string): Promise<string> => env.kubectlOk(args, stdin);
    await k(['create', 'namespace', NS]);
    const roles = helmTemplate().filter((d) => d.kind === 'ClusterRole' && ['occupier-viewer', 'occupier-site-manager', 'occupier-super-admin'].includes(d.metadata.name));
    expect(roles).toHaveLength(3);
    await k(['apply', '-f', '-'], manifest(...roles));
    await k(['-n', NS, 'create', 'rolebinding', 'test-users-orders', '--clusterrole=occupier-site-manager', '--group=occupier:test-users']);
    for (const s of LONDON) {
      await k(['create', 'clusterrole', `occupier-manage-${s.name}`, '--verb=manage', '--resource=sites.occupier.dev', `--resource-name=${s.name}`]);
      await k(['create', 'clusterrolebinding', `alice-manages-${s.name}`, `--clusterrole=occupier-manage-${s.name}`, '--user=alice']);
    }
    await k(['create', 'clusterrolebinding', 'carol-super-admin', '--clusterrole=occupier-super-admin', '--user=carol']);
    expect((await env.kubectl(['auth', 'can-i', 'manage', 'sites.occupier.dev/london-shoreditch', '--as', 'alice'])).stdout.trim()).toBe('yes');
    expect((await env.kubectl(['auth', 'can-i', 'manage', 'sites.occupier.dev/manchester-spinningfields', '--as', 'alice'])).stdout.trim()).toBe('no');
    await k(['apply', '-f', '-'], manifest(...LONDON.map((s) => site(s.name, s.index)), site(MANCHESTER.name, MANCHESTER.index, {}, 'manchester')));
    const hadManchester = occupier('had-manchester', 2, { sites: [LONDON[0] ?? MANCHESTER, MANCHESTER], users: 1, numbers: 1, devices: 0, ports: 0 });
    // Its manchester contract has ended (a completed contract): still a site it "had".
    const sites = (hadManchester.spec as { sites: { site: string; contract: Obj }[] }).sites;
    for (const s of sites) if (s.site === MANCHESTER.name) s.contract = { ...s.contract, endDate: '2025-06-30' };
    await k(['apply', '-f', '-'], manifest(
      occupier('london-only', 1, { sites: LONDON, users: 1, numbers: 1, devices: 0, ports: 0 }),
      hadManchester,
      occupier('mover', 3, { sites: [LONDON[0] ?? MANCHESTER], users: 1, numbers: 1, devices: 0, ports: 0 }),
      { ...occupier('southbank', 4, { sites: [LONDON[0] ?? MANCHESTER], users: 0, numbers: 0, devices: 0, ports: 0 }), spec: { ...(occupier('southbank', 4, { sites: [LONDON[0] ?? MANCHESTER], users: 0, numbers: 0, devices: 0, ports: 0 }).spec as Obj), reseller: true } },
      { ...occupier('northside', 5, { sites: [LONDON[0] ?? MANCHESTER], users: 0, numbers: 0, devices: 0, ports: 0 }), spec: { ...(occupier('northside', 5, { sites: [LONDON[0] ?? MANCHESTER], users: 0, numbers: 0, devices: 0, ports: 0 }).spec as Obj), reseller: true } },
    ));
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const line of chunk.toString().split('\n').filter(Boolean)) {
          const e = JSON.parse(line) as { msg?: string; resource?: string; user?: string; allowed?: boolean; operation?: string };
          if (e.msg === 'admission allowed' || e.msg === 'admission denied') reviews.push(e);
        }
        done();
      },
    });
    webhook = await startWebhook({ kubeConfig: env.kubeConfig, logger: pino({ level: 'info' }, sink), port: 0, certs: { kind: 'local' }, operatorNamespace: 'default' });
    op = startOperator({ kubeConfig: env.kubeConfig, metricsPort: 0, handleSignals: false, logger: silentLogger() });
    await until('operator ready', async () => op.manager.isReady());
  }, 120_000);

  afterAll(async () => {
    await op?.stop();
    await webhook?.stop();
    await env?.stop();
  });

  it('registers both configurations with a loopback url and its own CA, failurePolicy Fail, a short timeout, never the operator', async () => {
    const v = JSON.parse(await env.kubectlOk(['get', 'validatingwebhookconfiguration', 'occupier-operator', '-o', 'json'])) as { webhooks: Obj[] };
    const hook = v.webhooks[0] as { clientConfig: { url: string; caBundle: string }; failurePolicy: string; timeoutSeconds: number; rules: { resources: string[]; operations: string[] }[]; namespaceSelector: Obj; matchConditions: { expression: string }[] };
    expect(hook.clientConfig.url).toBe(`${webhook.url ?? ''}/validate-orders`);
    expect(Buffer.from(hook.clientConfig.caBundle, 'base64').toString()).toContain('BEGIN CERTIFICATE');
    expect(hook.failurePolicy).toBe('Fail');
    expect(hook.timeoutSeconds).toBeLessThanOrEqual(10);
    expect(hook.rules[0]?.resources.sort()).toEqual(['customermoves', 'decommissions', 'sitemoves']);
    expect(hook.rules[0]?.operations).toEqual(['CREATE', 'UPDATE']);
    expect(JSON.stringify(hook.namespaceSelector)).toContain('"NotIn","values":["default"]');
    expect(hook.matchConditions[0]?.expression).toBe('request.userInfo.username != "admin"');
    const m = JSON.parse(await env.kubectlOk(['get', 'mutatingwebhookconfiguration', 'occupier-operator', '-o', 'json'])) as { webhooks: { clientConfig: { url: string } }[] };
    expect(m.webhooks[0]?.clientConfig.url).toBe(`${webhook.url ?? ''}/mutate-orders`);
  });

  it("bob's Decommission is refused, naming every site he lacks and the RBAC rule that grants it", async () => {
    const r = await create('bob', decommission('bob-decom', 'london-only'));
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('denied the request');
    expect(r.stderr).toContain('bob may not manage sites london-canary-wharf, london-shoreditch');
    expect(r.stderr).toContain('verbs: ["manage"], resourceNames: ["london-canary-wharf", "london-shoreditch"]');
    expect(await objects.get('decommissions', 'bob-decom')).toBeUndefined();
  });

  it("alice's Decommission of a london-only occupier is accepted and records alice (annotation and status)", async () => {
    const r = await create('alice', decommission('alice-decom', 'london-only', { scheduledAt: '2099-12-31' }));
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const got = await objects.get('decommissions', 'alice-decom');
    const annotation = (got?.metadata as { annotations: Record<string, string> }).annotations['occupier.dev/requested-by'];
    expect(JSON.parse(annotation ?? '{}')).toEqual({ username: 'alice', groups: ['occupier:test-users', 'system:authenticated'] });
    const withStatus = await until('status.requestedBy', async () => {
      const o = await objects.get('decommissions', 'alice-decom');
      return (o?.status as { requestedBy?: unknown } | undefined)?.requestedBy ? o : undefined;
    });
    expect((withStatus.status as { requestedBy: unknown }).requestedBy).toEqual({ username: 'alice', groups: ['occupier:test-users', 'system:authenticated'] });
  });

  it('nobody can forge or rewrite the requester', async () => {
    const forged = { ...decommission('carol-forged', 'mover', { scheduledAt: '2099-12-31' }), metadata: { name: 'carol-forged', namespace: NS, annotations: { 'occupier.dev/requested-by': '{"username":"alice"}' } } };
    expect((await create('carol', forged)).code).toBe(0);
    const ann = async (): Promise<string | undefined> => ((await objects.get('decommissions', 'carol-forged'))?.metadata as { annotations?: Record<string, string> }).annotations?.['occupier.dev/requested-by'];
    expect(JSON.parse((await ann()) ?? '{}')).toMatchObject({ username: 'carol' });
    const r = await as('carol', ['-n', NS, 'annotate', '--overwrite', 'decommission', 'carol-forged', 'occupier.dev/requested-by={"username":"bob"}']);
    expect(r.code).toBe(0);
    expect(JSON.parse((await ann()) ?? '{}')).toMatchObject({ username: 'carol' });
    await env.kubectlOk(['-n', NS, 'delete', 'decommission', 'carol-forged', '--wait=false']);
  });

  it("alice's Decommission of an occupier that had a (completed) contract in manchester is refused naming manchester-spinningfields", async () => {
    const r = await create('alice', decommission('alice-decom-mcr', 'had-manchester'));
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('alice may not manage site manchester-spinningfields, which this Decommission needs (every site where occupier had-manchester has or had a contract: london-shoreditch, manchester-spinningfields)');
  });

  it("alice's SiteMove london → manchester is refused; carol's (super admin) is accepted", async () => {
    const refused = await create('alice', siteMove('alice-move', 'mover', 'london-shoreditch', 'manchester-spinningfields', { scheduledAt: '2099-12-31' }));
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('alice may not manage site manchester-spinningfields, which this SiteMove needs');
    const london = await create('alice', siteMove('alice-move-london', 'mover', 'london-shoreditch', 'london-canary-wharf', { scheduledAt: '2099-12-31' }));
    expect(london.stderr).toBe('');
    await env.kubectlOk(['-n', NS, 'delete', 'sitemove', 'alice-move-london', '--wait=false']);
    const accepted = await create('carol', siteMove('carol-move', 'mover', 'london-shoreditch', 'manchester-spinningfields', { scheduledAt: '2099-12-31' }));
    expect(accepted.stderr).toBe('');
    expect(accepted.code).toBe(0);
  });

  it('an update that changes the spec is judged again: alice cannot retarget her move to manchester', async () => {
    expect((await create('alice', siteMove('alice-retarget', 'london-only', 'london-shoreditch', 'london-canary-wharf', { scheduledAt: '2099-12-31' }))).code).toBe(0);
    const r = await as('alice', ['-n', NS, 'patch', 'sitemove', 'alice-retarget', '--type=merge', '-p', '{"spec":{"to":"manchester-spinningfields"}}']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('alice may not manage site manchester-spinningfields');
    // Metadata only (approve): not judged again, allowed.
    expect((await as('alice', ['-n', NS, 'annotate', 'sitemove', 'alice-retarget', 'occupier.dev/approve=true'])).code).toBe(0);
  });

  it.each([
    ['occupier missing', decommission('ghost', 'ghost'), 'spec.occupierRef.name: occupier "ghost" does not exist in namespace occupiers'],
    ['site missing', siteMove('to-nowhere', 'mover', 'london-shoreditch', 'nowhere', { scheduledAt: '2099-12-31' }), 'spec.to: site "nowhere" does not exist'],
    ['a reseller moved', customerMove('move-reseller', 'southbank', 'northside'), 'spec.occupierRef.name: "southbank" is a reseller; a reseller cannot be moved'],
    ['reseller missing', customerMove('to-ghost-reseller', 'mover', 'ghost-reseller'), 'spec.toReseller.name: reseller "ghost-reseller" does not exist'],
    ['schedule in the past', decommission('too-late', 'mover', { scheduledAt: '2020-01-01' }), 'spec.scheduledAt: "2020-01-01" (2020-01-01T23:00:00Z) was already past'],
  ])('%s: refused at apply with the field named', async (_what, order, message) => {
    const r = await create('carol', order);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('denied the request');
    expect(r.stderr).toContain(message);
  });

  it("a RoleBinding grants site access for orders in its namespace only: bob's Decommission, after one in occupiers", async () => {
    const k = (args: string[]): Promise<string> => env.kubectlOk(args);
    await k(['create', 'namespace', 'elsewhere']);
    for (const ns of ['elsewhere', NS]) {
      await k(['-n', ns, 'create', 'role', 'manage-london-sites', '--verb=manage', '--resource=sites.occupier.dev', '--resource-name=london-shoreditch', '--resource-name=london-canary-wharf']);
      await k(['-n', ns, 'create', 'rolebinding', 'bob-manages-london', '--role=manage-london-sites', '--user=bob']);
      const r = await create('bob', decommission('bob-decom-rb', 'london-only', { scheduledAt: '2099-12-31' }));
      if (ns === 'elsewhere') {
        expect(r.code).not.toBe(0);
        expect(r.stderr).toContain('bob may not manage sites london-canary-wharf, london-shoreditch');
      } else {
        expect(r.stderr).toBe('');
        expect(r.code).toBe(0);
      }
    }
    await env.kubectlOk(['-n', NS, 'delete', 'decommission', 'bob-decom-rb', '--wait=false']);
  });

  it("the operator's own writes (finalizers, status) are never sent to the webhook", async () => {
    // alice-decom has the operator's finalizer and status by now; the webhook saw only people.
    const o = await objects.get('decommissions', 'alice-decom');
    expect((o?.metadata as { finalizers?: string[] }).finalizers).toContain('occupier.dev/order');
    expect(reviews.length).toBeGreaterThan(0);
    expect(reviews.filter((r) => r.user === 'admin')).toEqual([]);
    expect(reviews.every((r) => ['decommissions', 'sitemoves', 'customermoves'].includes(r.resource ?? ''))).toBe(true);
  });

  it('with the webhook down (failurePolicy Fail) orders are refused with a clear message, and nothing else is blocked', async () => {
    await webhook.stop({ keepRegistration: true });
    const r = await create('carol', decommission('while-down', 'mover', { scheduledAt: '2099-12-31' }));
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/failed calling webhook "requester\.orders\.occupier\.dev"|failed calling webhook "orders\.occupier\.dev"/);
    expect(r.stderr).toContain('connection refused');
    // Occupiers, and orders' status and finalizers written by the operator, go through.
    await env.kubectlOk(['apply', '-f', '-'], manifest(occupier('after-down', 6, { sites: [LONDON[0] ?? MANCHESTER], users: 1, numbers: 1, devices: 0, ports: 0 })));
    await env.kubectlOk(['-n', NS, 'patch', 'decommission', 'alice-decom', '--subresource=status', '--type=merge', '-p', '{"status":{"scheduledFor":"2099-12-31T23:00:00Z"}}']);
    await until('occupier after-down reconciled', async () => {
      const o = await objects.get('occupiers', 'after-down');
      return (o?.metadata as { finalizers?: string[] }).finalizers?.length ? o : undefined;
    });
  });
});
