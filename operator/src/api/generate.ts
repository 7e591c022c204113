/**
 * `npm run generate`: writes crds/*.yaml from the zod types, and the same files into the Helm
 * chart (charts/occupier-operator/crds/).
 * `npm run generate -- --check`: exits 1 (listing the files) when either is stale.
 */
import { readFile, readdir, writeFile, mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { renderCRDs } from './render.ts';

const root = join(import.meta.dirname, '..', '..', '..');
const dirs = ['crds', join('charts', 'occupier-operator', 'crds')];
const check = process.argv.includes('--check');

const wanted = renderCRDs();
const stale: string[] = [];
for (const rel of dirs) {
  const dir = join(root, rel);
  const present = new Set((await readdir(dir).catch(() => [] as string[])).filter((f) => f.endsWith('.yaml')));
  for (const [file, text] of wanted) {
    const current = present.has(file) ? await readFile(join(dir, file), 'utf8') : undefined;
    present.delete(file);
    if (current === text) continue;
    stale.push(join(rel, file));
    if (!check) {
      await mkdir(dir, { recursive: true });
      await writeFile(join(dir, file), text);
    }
  }
  for (const extra of present) {
    stale.push(join(rel, extra));
    if (!check) await rm(join(dir, extra));
  }
}
if (check && stale.length > 0) {
  console.error(`generated CRDs are stale (run npm run generate): ${stale.join(', ')}`);
  process.exit(1);
}
console.log(check ? `crds/ and the chart's CRDs are up to date (${wanted.size} CRDs)` : `wrote ${stale.length} file(s) (${wanted.size} CRDs, in ${dirs.join(' and ')})`);
