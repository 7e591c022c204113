/**
 * A real Prometheus (the Debian package `prometheus`, the one that ships promtool) scraping
 * given targets every second, for tests that evaluate PromQL against what the operator
 * exports. A missing binary is an error, not a skip (CI installs the package).
 */
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dump } from 'js-yaml';
import { stopProcess } from './process.ts';

export interface Prometheus {
  url: string;
  /** Evaluates an instant query; throws with Prometheus' error when it is refused. */
  query(expr: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]>;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

export function prometheusBinary(): string {
  const found = spawnSync('sh', ['-c', 'command -v prometheus'], { encoding: 'utf8' }).stdout.trim();
  if (!found) throw new Error('prometheus not found on PATH; install it: `apt-get install -y prometheus` (CI: .ci/run does)');
  return found;
}

/** Starts Prometheus scraping `targets` (host:port) as job `job` every second. */
export async function startPrometheus(job: string, targets: string[]): Promise<Prometheus> {
  const dir = mkdtempSync(join(tmpdir(), 'prometheus-'));
  const config = { global: { scrape_interval: '1s', evaluation_interval: '1s' }, scrape_configs: [{ job_name: job, static_configs: [{ targets }] }] };
  writeFileSync(join(dir, 'prometheus.yml'), dump(config));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  let log = '';
  const proc: ChildProcess = spawn(
    prometheusBinary(),
    [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  proc.stderr?.on('data', (d: Buffer) => { log += d.toString(); });
  const stop = async (): Promise<void> => {
    await stopProcess(proc, 'SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`prometheus exited ${String(proc.exitCode)}: ${log}`);
    const ready = await fetch(`${url}/-/ready`).then((r) => r.ok, () => false);
    if (ready) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`prometheus not ready after 30 s: ${log}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  const query: Prometheus['query'] = async (expr) => {
    const res = await fetch(`${url}/api/v1/query?${new URLSearchParams({ query: expr }).toString()}`);
    const body = (await res.json()) as { status: string; error?: string; data?: { resultType: string; result: unknown } };
    if (body.status !== 'success') throw new Error(`prometheus refused ${expr}: ${body.error ?? res.status}`);
    const result = body.data?.result;
    if (body.data?.resultType === 'scalar') return [{ metric: {}, value: result as [number, string] }];
    return result as { metric: Record<string, string>; value: [number, string] }[];
  };
  return { url, query, stop };
}
