#!/usr/bin/env node
// kubectl-occupier: the package's bin (`kubectl occupier ...` once it is on PATH).
//
// Plain JavaScript, so any Node can start it: the plugin itself is TypeScript run by Node's
// type stripping (Node >= 22.18 or >= 23.6), which Node refuses for files under node_modules.
// `npm i -g .` in a clone links the package (the real path is the clone, not node_modules), and
// `npx kubectl-occupier` runs it in place, so no build step is needed. On an older Node this
// starts the package's own Node 24 (the `node` devDependency, there after `npm ci`) instead.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import module from 'node:module';
import process from 'node:process';
import { fileURLToPath, URL } from 'node:url';

const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
const stripsTypes = major >= 24 || (major === 23 && minor >= 6) || (major === 22 && minor >= 18);

if (stripsTypes) {
  // client-node is large: Node's on-disk compile cache (in the temp dir) halves the start-up.
  module.enableCompileCache?.();
  let main;
  try {
    ({ main } = await import('./main.ts'));
  } catch (err) {
    if (err?.code !== 'ERR_UNSUPPORTED_NODE_MODULES_TYPE_STRIPPING') throw err;
    process.stderr.write('error: kubectl-occupier runs its TypeScript sources in place, which Node refuses under node_modules: install it from a clone with "npm ci && npm i -g ." (a link), not from a packed copy\n');
    process.exit(1);
  }
  process.exitCode = await main(process.argv.slice(2));
} else {
  const node24 = fileURLToPath(new URL('../../../node_modules/node/bin/node', import.meta.url));
  if (!existsSync(node24)) {
    process.stderr.write(`error: kubectl-occupier needs Node >= 22.18 (this is ${process.version}); run "npm ci" in ${fileURLToPath(new URL('../../..', import.meta.url))} to fetch Node 24, or put a newer node on PATH\n`);
    process.exit(1);
  }
  const r = spawnSync(node24, [fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: 'inherit' });
  if (r.error) throw r.error;
  process.exitCode = r.status ?? 1;
}
