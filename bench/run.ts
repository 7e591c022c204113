// `npm run bench`: runs every benchmark script in bench/ (every *.ts but this one), in name
// order, one at a time, each in its own Node process (with --expose-gc, so benchmarks that
// measure memory can collect first). Output goes straight through.
//
//   npm run bench                                  every benchmark with its defaults
//   npm run bench -- --only onboarding             only bench/onboarding.ts
//   npm run bench -- --occupiers 1000              passed to bench/onboarding.ts (quick run)
//   npm run bench -- --only devcluster -- --objects 2000   args after a second -- go to every script run
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parseArgs } from 'node:util';

const { values, positionals } = parseArgs({
  options: { only: { type: 'string' }, occupiers: { type: 'string' } },
  allowPositionals: true,
});
const only = values.only?.split(',').map((s) => s.trim().replace(/\.ts$/, ''));
const dir = import.meta.dirname;
const scripts = readdirSync(dir)
  .filter((f) => f.endsWith('.ts') && f !== basename(import.meta.filename))
  .sort()
  .filter((f) => !only || only.includes(f.replace(/\.ts$/, '')));
if (scripts.length === 0) {
  process.stderr.write(`no benchmark matches --only ${values.only ?? ''} (have: ${readdirSync(dir).filter((f) => f.endsWith('.ts')).join(', ')})\n`);
  process.exit(2);
}

const failed: string[] = [];
for (const script of scripts) {
  const args = [...positionals];
  if (script === 'onboarding.ts' && values.occupiers !== undefined) args.push('--occupiers', values.occupiers);
  process.stdout.write(`\n=== bench/${script} ${args.join(' ')}\n`);
  const started = performance.now();
  const code = await new Promise<number>((resolve) => {
    const child = spawn(process.execPath, ['--expose-gc', join(dir, script), ...args], { stdio: 'inherit' });
    const forward = (sig: NodeJS.Signals): void => {
      child.kill(sig);
    };
    process.once('SIGINT', forward);
    process.once('SIGTERM', forward);
    child.on('exit', (c, signal) => {
      process.off('SIGINT', forward);
      process.off('SIGTERM', forward);
      resolve(c ?? (signal ? 1 : 0));
    });
  });
  process.stdout.write(`=== bench/${script}: ${code === 0 ? 'done' : `exit ${code}`} in ${((performance.now() - started) / 1000).toFixed(0)} s\n`);
  if (code !== 0) failed.push(script);
}
if (failed.length > 0) {
  process.stderr.write(`failed: ${failed.join(', ')}\n`);
  process.exit(1);
}
