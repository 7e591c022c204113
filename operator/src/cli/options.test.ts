import { describe, expect, it } from 'vitest';
import { HELP, parseOptions, UsageError } from './options.ts';

describe('command line', () => {
  it('defaults: embedded-friendly, no leader election outside a pod, metrics on 8080', () => {
    const o = parseOptions([], {});
    expect(o).toMatchObject({ dev: false, dataDir: '.occupier', port: 8443, metricsPort: 8080, leaderElect: false, workers: 4, logLevel: 'info' });
  });

  it('elects a leader by default in a pod, in the pod namespace', () => {
    const o = parseOptions([], { KUBERNETES_SERVICE_HOST: '10.0.0.1', POD_NAMESPACE: 'occupier-system' });
    expect(o.leaderElect).toBe(true);
    expect(o.leaseNamespace).toBe('occupier-system');
    expect(parseOptions(['--no-leader-elect'], { KUBERNETES_SERVICE_HOST: '10.0.0.1' }).leaderElect).toBe(false);
  });

  it('flags win over environment variables', () => {
    const o = parseOptions(['--metrics-port', '9090', '--log-level', 'debug'], { OCCUPIER_METRICS_PORT: '7070', OCCUPIER_LOG_LEVEL: 'warn' });
    expect(o.metricsPort).toBe(9090);
    expect(o.logLevel).toBe('debug');
    expect(parseOptions([], { OCCUPIER_METRICS_PORT: '7070' }).metricsPort).toBe(7070);
  });

  it('order concurrency: 5 sites, 32 calls per step by default; flag or environment', () => {
    expect(parseOptions([], {})).toMatchObject({ orderSiteConcurrency: 5, orderItemConcurrency: 32 });
    expect(parseOptions(['--order-item-concurrency', '1024'], { OCCUPIER_ORDER_SITE_CONCURRENCY: '2' })).toMatchObject({ orderSiteConcurrency: 2, orderItemConcurrency: 1024, orderConcurrency: 64 });
    expect(parseOptions(['--order-concurrency', '256'], {})).toMatchObject({ orderConcurrency: 256 });
    expect(parseOptions([], { OCCUPIER_ORDER_CONCURRENCY: '8' })).toMatchObject({ orderConcurrency: 8 });
    expect(() => parseOptions(['--order-concurrency', '0'], {})).toThrow(/--order-concurrency must be a whole number ≥ 1, got "0"/);
    expect(() => parseOptions(['--order-item-concurrency', '0'], {})).toThrow(/--order-item-concurrency must be a whole number ≥ 1, got "0"/);
  });

  it.each([
    [['--metrics-port', 'eighty'], /--metrics-port/],
    [['--workers', '0'], /--workers/],
    [['--log-level', 'loud'], /--log-level/],
    [['--bogus'], /bogus/],
  ])('refuses %j naming the flag', (argv, msg) => {
    expect(() => parseOptions(argv, {})).toThrow(UsageError);
    expect(() => parseOptions(argv, {})).toThrow(msg);
  });

  it('webhook: off unless asked; --webhook-local, --webhook-port, and the chart\'s environment', () => {
    const o = parseOptions([], {});
    expect(o).toMatchObject({ webhookLocal: false, webhookPort: 9443, webhookCertDir: undefined, webhookSecret: undefined, webhookConfiguration: 'occupier-operator' });
    expect(parseOptions(['--webhook-local', '--webhook-port', '0'], {})).toMatchObject({ webhookLocal: true, webhookPort: 0 });
    expect(parseOptions([], { WEBHOOK_PORT: '9444', WEBHOOK_SECRET_NAME: 'wh-tls', WEBHOOK_SERVICE_NAME: 'wh', WEBHOOK_CONFIGURATION_NAME: 'occ' })).toMatchObject({ webhookPort: 9444, webhookSecret: 'wh-tls', webhookService: 'wh', webhookConfiguration: 'occ' });
    expect(() => parseOptions(['--webhook-port', 'x'], {})).toThrow(/--webhook-port/);
  });

  it('documents every flag in --help', () => {
    for (const flag of ['--webhook-local', '--webhook-port', '--webhook-cert-dir', '--webhook-secret', '--webhook-service', '--webhook-configuration', '--webhook-cert-days', '--dev', '--kubeconfig', '--data-dir', '--driver-state-dir', '--port', '--fresh', '--namespace', '--leader-elect', '--lease-namespace', '--metrics-port', '--log-level', '--workers', '--kube-api-qps', '--kube-api-burst']) {
      expect(HELP).toContain(flag);
    }
  });
});
