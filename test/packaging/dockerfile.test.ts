/**
 * Static checks of the Dockerfile (there is no Docker engine in CI): the stages, the
 * non-root user, the entrypoint, and that every COPY source exists and survives
 * .dockerignore. Also that the code the image runs imports only production dependencies,
 * since the image installs with `npm ci --omit=dev`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './tools.ts';
import { OPERATOR_NODE_FLAGS } from '../../operator/src/cli/node-flags.ts';

interface Instruction {
  keyword: string;
  args: string;
  line: number;
}

interface Stage {
  image: string;
  name: string | undefined;
  instructions: Instruction[];
}

/** Instructions of a Dockerfile: comments dropped, `\` continuations joined. */
function parseDockerfile(text: string): Instruction[] {
  const out: Instruction[] = [];
  let pending = '';
  let start = 0;
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (pending === '' && (line === '' || line.startsWith('#'))) return;
    if (pending !== '' && line.startsWith('#')) return;
    if (pending === '') start = i + 1;
    if (line.endsWith('\\')) {
      pending += `${line.slice(0, -1).trim()} `;
      return;
    }
    const full = (pending + line).trim();
    pending = '';
    const match = /^(\S+)\s*(.*)$/.exec(full);
    if (match) out.push({ keyword: (match[1] ?? '').toUpperCase(), args: match[2] ?? '', line: start });
  });
  return out;
}

/** Splits instructions into stages, resolving `${ARG}` defaults declared before the first FROM. */
function stagesOf(instructions: Instruction[]): Stage[] {
  const args = new Map<string, string>();
  const stages: Stage[] = [];
  for (const ins of instructions) {
    if (ins.keyword === 'ARG' && stages.length === 0) {
      const [name, value] = ins.args.split('=', 2);
      if (name && value !== undefined) args.set(name.trim(), value.trim());
    } else if (ins.keyword === 'FROM') {
      const words = ins.args.split(/\s+/).filter((w) => !w.startsWith('--'));
      const image = (words[0] ?? '').replace(/\$\{(\w+)\}|\$(\w+)/g, (_m, a?: string, b?: string) => args.get(a ?? b ?? '') ?? '');
      const asIndex = words.findIndex((w) => w.toUpperCase() === 'AS');
      stages.push({ image, name: asIndex >= 0 ? words[asIndex + 1] : undefined, instructions: [] });
    } else {
      const stage = stages.at(-1);
      if (!stage) throw new Error(`line ${ins.line}: ${ins.keyword} before FROM`);
      stage.instructions.push(ins);
    }
  }
  return stages;
}

interface Copy {
  from: string | undefined;
  sources: string[];
  dest: string;
}

function parseCopy(args: string): Copy {
  const words = args.split(/\s+/).filter(Boolean);
  const flags = words.filter((w) => w.startsWith('--'));
  const paths = words.filter((w) => !w.startsWith('--'));
  const from = flags.find((f) => f.startsWith('--from='))?.slice('--from='.length);
  return { from, sources: paths.slice(0, -1), dest: paths.at(-1) ?? '' };
}

/** .dockerignore patterns as matchers, in order (a `!` pattern re-includes). */
function dockerignore(text: string): { negate: boolean; re: RegExp }[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((pattern) => {
      const negate = pattern.startsWith('!');
      const glob = (negate ? pattern.slice(1) : pattern).replace(/^\/+|\/+$/g, '');
      let re = '';
      for (let i = 0; i < glob.length; i++) {
        const c = glob[i] as string;
        if (c === '*' && glob[i + 1] === '*') {
          re += glob[i + 2] === '/' ? '(?:.*/)?' : '.*';
          i += glob[i + 2] === '/' ? 2 : 1;
        } else if (c === '*') re += '[^/]*';
        else if (c === '?') re += '[^/]';
        else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
      }
      return { negate, re: new RegExp(`^${re}$`) };
    });
}

/** Whether Docker leaves `path` (relative to the context) out: it or a parent matches. */
function ignored(rules: { negate: boolean; re: RegExp }[], path: string): boolean {
  const parts = path.split('/');
  const prefixes = parts.map((_p, i) => parts.slice(0, i + 1).join('/'));
  let out = false;
  for (const rule of rules) {
    if (prefixes.some((p) => rule.re.test(p))) out = !rule.negate;
  }
  return out;
}

/** Packages a TypeScript source imports at run time (statically or dynamically; `import type` is erased). */
function importedPackages(source: string): string[] {
  const specifiers = [
    ...source.matchAll(/^\s*(?:import|export)\s(?!type\s)[^'"]*?from\s+['"]([^'"]+)['"]/gm),
    ...source.matchAll(/^\s*import\s+['"]([^'"]+)['"]/gm),
    ...source.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g),
  ].map((m) => m[1] as string);
  return specifiers
    .filter((s) => !s.startsWith('.') && !s.startsWith('/') && !s.startsWith('node:'))
    .map((s) => (s.startsWith('@') ? s.split('/').slice(0, 2).join('/') : (s.split('/')[0] as string)));
}

/** Files (relative to the repository) reachable from an entry by relative imports, and the packages they import. */
function importGraph(entry: string): { files: string[]; packages: [string, string][] } {
  const seen = new Set<string>();
  const packages: [string, string][] = [];
  const queue = [entry];
  for (let file = queue.pop(); file !== undefined; file = queue.pop()) {
    if (seen.has(file)) continue;
    seen.add(file);
    if (!existsSync(file)) continue;
    const source = readFileSync(file, 'utf8');
    for (const name of importedPackages(source)) packages.push([relative(ROOT, file), name]);
    for (const spec of relativeImports(source)) queue.push(join(dirname(file), spec));
  }
  return { files: [...seen].map((f) => relative(ROOT, f)).sort(), packages };
}

/** Relative specifiers a source imports (static, side-effect, re-export, dynamic with a literal). */
function relativeImports(source: string): string[] {
  return [
    ...source.matchAll(/^\s*(?:import|export)\s(?!type\s)[^'"]*?from\s+['"](\.[^'"]+)['"]/gm),
    ...source.matchAll(/^\s*import\s+['"](\.[^'"]+)['"]/gm),
    ...source.matchAll(/\bimport\(\s*['"](\.[^'"]+)['"]\s*\)/g),
  ].map((m) => m[1] as string);
}

// -----------------------------------------------------------------------------------------

const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
const stages = stagesOf(parseDockerfile(dockerfile));
const runtime = stages.at(-1) as Stage;
const ignoreRules = dockerignore(readFileSync(join(ROOT, '.dockerignore'), 'utf8'));
const of = (stage: Stage, keyword: string) => stage.instructions.filter((i) => i.keyword === keyword);

describe('Dockerfile', () => {
  it('is multi-stage on Node 24: production dependencies built in a stage of their own', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    for (const stage of stages) expect(stage.image).toMatch(/^node:24(\.\d+)*-(bookworm-slim|alpine)/);
    const build = stages.slice(0, -1).find((s) => of(s, 'RUN').some((r) => /\bnpm ci\b/.test(r.args)));
    expect(build, 'a build stage runs npm ci').toBeDefined();
    const npmCi = of(build as Stage, 'RUN').find((r) => /\bnpm ci\b/.test(r.args));
    expect(npmCi?.args).toMatch(/--omit=dev/);
  });

  it('runs the Node version the tests run on (the `node` devDependency)', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { devDependencies?: Record<string, string> };
    const version = pkg.devDependencies?.node;
    expect(version).toMatch(/^\d+\.\d+\.\d+$/);
    expect(runtime.image.startsWith(`node:${String(version)}-`), runtime.image).toBe(true);
  });

  it('runs as a non-root user', () => {
    const users = of(runtime, 'USER').map((u) => u.args.split(':')[0]?.trim());
    const user = users.at(-1);
    expect(user, 'the runtime stage sets USER').toBeDefined();
    expect(user).not.toMatch(/^(root|0)$/);
    // Numeric, so the kubelet can verify runAsNonRoot without reading /etc/passwd.
    expect(Number(user)).toBeGreaterThan(0);
  });

  it('starts the operator with exec-form `node <the operator\'s V8 flags> operator/src/cli/main.ts` in production mode', () => {
    const entrypoints = of(runtime, 'ENTRYPOINT');
    expect(entrypoints).toHaveLength(1);
    expect(JSON.parse((entrypoints[0] as Instruction).args)).toEqual(['node', ...OPERATOR_NODE_FLAGS, 'operator/src/cli/main.ts']);
    expect(of(runtime, 'CMD')).toEqual([]);
    expect(of(runtime, 'ENV').map((e) => e.args)).toContain('NODE_ENV=production');
  });

  it('has its entrypoint script operator/src/cli/main.ts in the repository', () => {
    expect(existsSync(join(ROOT, 'operator/src/cli/main.ts'))).toBe(true);
  });

  it('copies what the operator needs into the runtime stage', () => {
    const copies = of(runtime, 'COPY').map((c) => parseCopy(c.args));
    const fromContext = copies.filter((c) => c.from === undefined).flatMap((c) => c.sources);
    expect(fromContext).toEqual(expect.arrayContaining(['package.json', 'operator', 'drivers', 'crds']));
    // package.json says "type": "module": Node needs it to load the sources as ESM.
    expect((JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { type?: string }).type).toBe('module');
    const deps = copies.find((c) => c.sources.some((s) => s.endsWith('node_modules')));
    expect(deps?.from, 'node_modules comes from the build stage').toBeDefined();
    expect(stages.map((s) => s.name)).toContain(deps?.from);
  });

  it('has every COPY source in the repository and not excluded by .dockerignore', () => {
    const sources = stages
      .flatMap((s) => of(s, 'COPY'))
      .map((c) => parseCopy(c.args))
      .filter((c) => c.from === undefined)
      .flatMap((c) => c.sources);
    expect(sources.length).toBeGreaterThan(0);
    for (const source of sources) {
      expect(existsSync(join(ROOT, source)), `${source} exists`).toBe(true);
      expect(ignored(ignoreRules, source), `${source} is not in .dockerignore`).toBe(false);
    }
  });

  it('keeps tests, git and local state out of the build context', () => {
    for (const path of ['.git', 'node_modules', '.occupier', 'test/packaging/chart.test.ts', 'operator/src/api/crds.test.ts', 'charts/occupier-operator/Chart.yaml']) {
      expect(ignored(ignoreRules, path), path).toBe(true);
    }
    expect(ignored(ignoreRules, 'operator/src/api/crd.ts')).toBe(false);
  });

  it('ships every file the entrypoint imports, and they import only production dependencies (no devDependencies in the image)', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
    const allowed = new Set([...Object.keys(pkg.dependencies ?? {}), ...builtinModules]);
    const copied = of(runtime, 'COPY')
      .map((c) => parseCopy(c.args))
      .filter((c) => c.from === undefined)
      .flatMap((c) => c.sources);
    const graph = importGraph(join(ROOT, 'operator/src/cli/main.ts'));
    expect(graph.files).toContain('operator/src/cli/options.ts');
    const problems = [
      ...graph.files
        .filter((f) => ignored(ignoreRules, f) || !copied.some((c) => f === c || f.startsWith(`${c}/`)))
        .map((f) => `${f} is imported but not in the image`),
      ...graph.packages.filter(([, name]) => !allowed.has(name)).map(([file, name]) => `${file} imports ${name}, not a production dependency`),
    ];
    expect(problems).toEqual([]);
  });
});

describe('the Dockerfile checks themselves', () => {
  it('read continuations, stages and ARG defaults', () => {
    const parsed = stagesOf(parseDockerfile('ARG IMG=node:24-alpine\n# c\nFROM ${IMG} AS b\nRUN a \\\n  && b\nFROM b\nUSER 1000\n'));
    expect(parsed.map((s) => [s.image, s.name])).toEqual([['node:24-alpine', 'b'], ['b', undefined]]);
    expect(parsed[0]?.instructions[0]?.args).toBe('a && b');
  });

  it('apply .dockerignore like Docker (parents, **, negation)', () => {
    const rules = dockerignore('test\n**/*.test.ts\n*.log\ndocs\n!docs/keep.md\n');
    expect(ignored(rules, 'test/a/b.ts')).toBe(true);
    expect(ignored(rules, 'operator/x.test.ts')).toBe(true);
    expect(ignored(rules, 'x.test.ts')).toBe(true);
    expect(ignored(rules, 'a.log')).toBe(true);
    expect(ignored(rules, 'sub/a.log')).toBe(false);
    expect(ignored(rules, 'docs/keep.md')).toBe(false);
    expect(ignored(rules, 'operator/x.ts')).toBe(false);
  });

  it('find package imports', () => {
    const src =
      "import { z } from 'zod';\nimport { type X, y } from '@kubernetes/client-node/dist/x';\nimport type { T } from 'vitest';\nimport './side.ts';\nconst m = await import('pino');\nimport { a } from 'node:fs';\nexport { b } from './b.ts';\n";
    expect(importedPackages(src)).toEqual(['zod', '@kubernetes/client-node', 'pino']);
    expect(relativeImports(src)).toEqual(['./b.ts', './side.ts']);
  });
});
