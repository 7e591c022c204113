import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { OPERATOR_NODE_FLAGS } from './node-flags.ts';

const REPO = join(import.meta.dirname, '../../..');

// The image's ENTRYPOINT is checked with the rest of the Dockerfile (test/packaging/dockerfile.test.ts).
describe('the V8 flags the operator runs with', () => {
  it('are npm start\'s', () => {
    const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts['start']).toBe(['node', ...OPERATOR_NODE_FLAGS, 'operator/src/cli/main.ts'].join(' '));
  });
});
