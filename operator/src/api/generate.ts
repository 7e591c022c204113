/**
 * `npm run generate`: writes crds/*.yaml from the zod types.
 * `npm run generate -- --check`: exits 1 (listing the files) when crds/ is stale.
 */
import { readFile, readdir, writeFile, mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { renderCRDs } from './render.ts';

const root = join(import.meta.dirname, '..', '..', '..');
const dir = join(root, 'crds');
const check = process.argv.includes('--check');

const wanted = renderCRDs();
const present = new Set((await readdir(dir).catch(() => [] as string[])).filter((f) => f.endsWith('.yaml')));
const stale: string[] = [];
for (const [file, text] of wanted) {
  const current = present.has(file) ? await readFile(join(dir, file), 'utf8') : undefined;
  present.delete(file);
  if (current === text) continue;
  stale.push(file);
  if (!check) {
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, file), text);
  }
}
for (const extra of present) {
  stale.push(extra);
  if (!check) await rm(join(dir, extra));
}
if (check && stale.length > 0) {
  console.error(`crds/ is stale (run npm run generate): ${stale.join(', ')}`);
  process.exit(1);
}
console.log(check ? `crds/ is up to date (${wanted.size} CRDs)` : `wrote ${stale.length} of ${wanted.size} CRDs to crds/`);
