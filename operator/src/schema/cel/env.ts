/**
 * The CEL engine: @marcbachmann/cel-js 8.0.0, with the Kubernetes libraries registered on it.
 *
 * Chosen over @bufbuild/cel 0.6.1 because Kubernetes rules need what only it has: optional
 * types (`self.?x.orValue(y)`, `optionalOldSelf`), custom types as plain classes (net.IP,
 * net.CIDR, kubernetes.URL, kubernetes.Quantity) with receiver-style overloads and custom
 * operators, and a type checker whose errors carry source ranges (for the apiserver's
 * `ERROR: <input>:1:5:` messages); it is fast, maintained, and has no dependencies (0.3 MB).
 * @bufbuild/cel's parser rejects `.?`, it models custom types as protobuf messages, and it
 * pulls in @bufbuild/protobuf and the cel-spec data (~11 MB). What it does better (timestamps
 * with nanoseconds and zones, RE2, conformance-tested details) is patched around here:
 * checks.ts, errors.ts, regex.ts, and the differences listed in program.ts.
 */
import { Environment } from '@marcbachmann/cel-js';
import { registerFunctions } from './functions.ts';
import { registerNetwork } from './network.ts';
import { registerQuantity } from './quantity.ts';

let base: Environment | undefined;
let functionNames: Set<string> | undefined;
const byDeclared = new Map<string, Environment>();

function baseEnvironment(): Environment {
  if (base === undefined) {
    const env = new Environment({ enableOptionalTypes: true, homogeneousAggregateLiterals: false });
    registerFunctions(env);
    registerNetwork(env);
    registerQuantity(env);
    functionNames = new Set(env.getDefinitions().functions.map((f) => f.name));
    base = env;
  }
  return base;
}

/** The environment with `declared` as dyn variables (cached; the base is frozen once cloned). */
export function environment(declared: readonly string[]): Environment {
  const key = declared.join(',');
  let env = byDeclared.get(key);
  if (env === undefined) {
    env = baseEnvironment().clone();
    for (const name of declared) env.registerVariable(name, 'dyn');
    byDeclared.set(key, env);
  }
  return env;
}

/** Whether any function or macro of that name exists (to tell "undeclared" from "no overload"). */
export function isFunctionName(name: string): boolean {
  baseEnvironment();
  return functionNames?.has(name) === true;
}
