/** Loads the manifests under examples/ (what a user applies), for tests. */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { loadAll } from 'js-yaml';

export const ROOT = join(import.meta.dirname, '..', '..');
export const EXAMPLES_DIR = join(ROOT, 'examples');

export interface Manifest {
  file: string;
  doc: Record<string, unknown>;
}

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : [path];
  });
}

/** Every object in examples/ except the kustomization itself. */
export function exampleManifests(): Manifest[] {
  return walk(EXAMPLES_DIR)
    .filter((f) => f.endsWith('.yaml') && !f.endsWith('kustomization.yaml'))
    .sort()
    .flatMap((file) =>
      loadAll(readFileSync(file, 'utf8'))
        .filter((d): d is Record<string, unknown> => typeof d === 'object' && d !== null)
        .map((doc) => ({ file: relative(ROOT, file), doc })),
    );
}

/** One example by kind and name, deep-copied so a test may change it. */
export function example(kind: string, name: string): Record<string, unknown> {
  const found = exampleManifests().find(
    (m) => m.doc.kind === kind && (m.doc.metadata as { name?: string } | undefined)?.name === name,
  );
  if (!found) throw new Error(`no example ${kind}/${name}`);
  return structuredClone(found.doc);
}
