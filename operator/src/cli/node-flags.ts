/**
 * The V8 flags the operator runs with, wherever it runs: the image's ENTRYPOINT, `npm start`
 * and the benchmarks' operator processes (a test checks the first two against this list).
 *
 * `--max-semi-space-size=16`: Node's documented default young generation for 64-bit. On a
 * large machine V8 sizes it from the heap limit instead (134 MB of new space on a 24 GiB host),
 * and the pages an onboarding burst takes stay in the RSS after the heap is collected. Measured
 * with `node --expose-gc bench/onboarding.ts --occupiers 10000 --modes runtime` (one run each):
 * peak RSS 837 → 434 MB, RSS at rest above idle 65 → 24 MB per 1,000 occupiers, throughput
 * 108.0 → 108.4 Ready/s, operator CPU 92.7 → 97.0 s.
 */
export const OPERATOR_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=16'];
