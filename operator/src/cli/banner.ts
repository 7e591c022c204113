/**
 * What a person sees when the operator is ready: pino-pretty logs and one banner whose first
 * screen says what to do next, or — in a pod or when stdout is not a terminal — JSON logs and
 * one JSON line. Pure functions, except that colour asks the stream (styleText).
 */
import { styleText } from 'node:util';
import type { LoggerOptions } from 'pino';
import type { LogFormat } from './options.ts';

/** `auto`: pretty on a terminal outside a pod, JSON otherwise. */
export function resolveLogFormat(format: LogFormat, where: { isTTY: boolean; inPod: boolean }): 'json' | 'pretty' {
  if (format !== 'auto') return format;
  return where.isTTY && !where.inPod ? 'pretty' : 'json';
}

/** pino options for a format: pretty goes through pino's own transport, pino-pretty. */
export function loggerOptions(format: 'json' | 'pretty', level: string, colorize: boolean): LoggerOptions {
  if (format === 'json') return { level };
  return {
    level,
    transport: {
      target: 'pino-pretty',
      options: { colorize, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname', singleLine: true, destination: 1 },
    },
  };
}

export interface BannerInput {
  /** Port of /metrics, /healthz, /readyz. */
  metricsPort: number;
  /** The kubeconfig kubectl should use, as the user should type it (relative when under cwd); none: kubectl's default. */
  kubeconfig: string | undefined;
  /** The embedded development cluster, when the operator started it. */
  devCluster: { url: string; dataDir: string } | undefined;
  /** Extra lines for the "running" part (e.g. a local webhook). */
  extra?: string[];
}

/** The banner, as lines of text; `style` colours (identity when colour is off). */
export function bannerLines(i: BannerInput, style: (format: 'bold' | 'cyan' | 'dim' | 'green', text: string) => string = (_f, t) => t): string[] {
  const k = i.kubeconfig === undefined ? 'kubectl' : `kubectl --kubeconfig ${i.kubeconfig}`;
  const kflag = i.kubeconfig === undefined ? '' : ` --kubeconfig ${i.kubeconfig}`;
  const cmd = (c: string, why: string): string => `  ${style('cyan', c)}${why ? `   ${style('dim', `# ${why}`)}` : ''}`;
  const move = 'sitemove/acme-design-to-canary-wharf';
  const lines = [
    style('green', style('bold', '━━ occupier-operator is ready ━━')),
    i.devCluster
      ? `embedded development cluster ${i.devCluster.url}; its state is in ${i.devCluster.dataDir}/ (kept across restarts; --fresh wipes it)`
      : `reconciling the cluster of ${i.kubeconfig ?? 'the default kubeconfig'}`,
    `metrics, /healthz, /readyz on :${i.metricsPort}`,
    ...(i.extra ?? []),
    '',
    style('bold', 'Next, in another terminal:'),
    cmd(`${k} apply -k examples/`, 'sites, occupiers, three orders'),
    cmd(`${k} get tenancy -A`, 'every occupier.dev object'),
    cmd(`kubectl occupier plan ${move} -n occupiers${kflag}`, "the move's review (kubectl plugin: npm i -g .)"),
    cmd(`kubectl occupier approve ${move} -n occupiers${kflag}`, 'it waits for this (approval: Manual)'),
    cmd(`${k} -n occupiers get sitemoves,customermoves,decommissions -w`, ''),
    cmd(`${k} -n occupiers get events --sort-by=.lastTimestamp`, 'every phase change, approval, retry'),
    '',
    style('dim', `metrics: curl -s localhost:${i.metricsPort}/metrics · runbooks: docs/runbooks.md · Ctrl-C stops the operator${i.devCluster ? ' and the cluster' : ''}`),
    ...(i.devCluster
      ? [style('dim', `To restart the operator alone, keep the cluster apart: stop this, npm run devcluster -- --data-dir ${i.devCluster.dataDir}, then npm start -- --kubeconfig ${i.kubeconfig ?? `${i.devCluster.dataDir}/kubeconfig`} --driver-state-dir ${i.devCluster.dataDir}/drivers`)]
      : []),
  ];
  return lines;
}

/** The banner for stdout, coloured when stdout takes colour (NO_COLOR, FORCE_COLOR, a TTY). */
export function banner(i: BannerInput, stream: NodeJS.WriteStream = process.stdout): string {
  return `\n${bannerLines(i, (f, t) => styleText(f, t, { stream })).join('\n')}\n\n`;
}
