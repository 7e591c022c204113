/** The command line of `kubectl occupier` (pure: no I/O). */
import { parseArgs } from 'node:util';
import { KINDS, TASK_STATES } from '../api/index.ts';
import type { TaskState } from '../api/index.ts';

export const ORDER_KINDS = ['SiteMove', 'CustomerMove', 'Decommission'] as const;
export type OrderKind = (typeof ORDER_KINDS)[number];
export const COMMANDS = ['plan', 'approve', 'retry', 'tasks', 'history'] as const;
export type Command = (typeof COMMANDS)[number];
export const OUTPUTS = ['table', 'wide', 'json', 'yaml'] as const;
export type Output = (typeof OUTPUTS)[number];

export const HELP = `kubectl occupier — review and drive occupier orders (SiteMove, CustomerMove, Decommission)

Usage:
  kubectl occupier plan <kind>/<name>       the order's review: users, numbers, services, spaces, IPs, ...
  kubectl occupier approve <kind>/<name>    approve an order with spec.approval: Manual (occupier.dev/approve=true)
  kubectl occupier retry <kind>/<name>      resume a Failed order from its failed step (occupier.dev/retry=true)
  kubectl occupier tasks <kind>/<name>      per site and step: state, attempts, items, next retry, last error
  kubectl occupier history <occupier>       the occupier's orders, archived record and events

  <kind> is sitemove (smv), customermove (cmv) or decommission (decom); "<kind> <name>" works too.
  Approving or retrying a Decommission asks you to type the occupier's name (or pass --yes).

Flags:
  -n, --namespace NS        namespace of the order or occupier (default: the context's, else "default")
      --kubeconfig PATH     kubeconfig file (default: $KUBECONFIG, else ~/.kube/config, else in-cluster)
      --context NAME        kubeconfig context to use
  -o, --output FORMAT       json or yaml for scripts; wide adds columns to tasks (default: tables)
  -y, --yes                 approve/retry without the confirmation prompt
      --state STATE         tasks: only these states (Pending, Running, Succeeded, Failed; repeat or comma-separate)
      --site SITE           tasks: only these sites (repeat or comma-separate)
      --step STEP           tasks: only these steps (repeat or comma-separate)
  -h, --help                this text

Colour only on a terminal; NO_COLOR=1 turns it off.
Install: npm i -g . (from a clone, after npm ci), then kubectl occupier ...; or npx kubectl-occupier ... in the clone.
`;

export class UsageError extends Error {
  override readonly name = 'UsageError';
  readonly code = 'Usage' as const;
}

export interface Args {
  help: boolean;
  command: Command | undefined;
  /** Order kind (plan, approve, retry, tasks). */
  kind: OrderKind | undefined;
  /** Order name, or the occupier's for history. */
  name: string | undefined;
  namespace: string | undefined;
  kubeconfig: string | undefined;
  context: string | undefined;
  output: Output;
  yes: boolean;
  states: TaskState[];
  sites: string[];
  steps: string[];
}

/** The order kind a user typed (`sitemove`, `sitemoves`, `smv`, `SiteMove`, `sitemove.occupier.dev`). */
export function orderKindOf(typed: string): OrderKind | undefined {
  const t = typed.toLowerCase().replace(/\.occupier\.dev$/, '');
  for (const k of KINDS) {
    if (!(ORDER_KINDS as readonly string[]).includes(k.kind)) continue;
    if ([k.kind.toLowerCase(), k.plural, k.singular, ...k.shortNames].includes(t)) return k.kind as OrderKind;
  }
  return undefined;
}

const KIND_WORDS = 'sitemove (smv), customermove (cmv) or decommission (decom)';

const list = (values: string[] | undefined): string[] => (values ?? []).flatMap((v) => v.split(',')).map((v) => v.trim()).filter((v) => v !== '');

function states(values: string[] | undefined): TaskState[] {
  return list(values).map((v) => {
    const s = TASK_STATES.find((x) => x.toLowerCase() === v.toLowerCase());
    if (!s) throw new UsageError(`--state "${v}" is not a task state: use ${TASK_STATES.join(', ')}`);
    return s;
  });
}

/** The order a command names: `<kind>/<name>` or `<kind> <name>`. */
function orderRef(command: Command, rest: string[]): { kind: OrderKind; name: string } {
  const [first, second, ...extra] = rest;
  if (first === undefined) throw new UsageError(`${command} needs an order: kubectl occupier ${command} <kind>/<name>, <kind> is ${KIND_WORDS}`);
  const slash = first.indexOf('/');
  const typedKind = slash >= 0 ? first.slice(0, slash) : first;
  const name = slash >= 0 ? first.slice(slash + 1) : second;
  const more = slash >= 0 ? [second, ...extra].filter((x) => x !== undefined) : extra;
  const kind = orderKindOf(typedKind);
  if (!kind) throw new UsageError(`"${typedKind}" is not an order kind: use ${KIND_WORDS}, e.g. kubectl occupier ${command} sitemove/<name>`);
  if (!name) throw new UsageError(`${command} needs the order's name: kubectl occupier ${command} ${typedKind}/<name>`);
  if (more.length > 0) throw new UsageError(`${command} takes one order, got also: ${more.join(' ')}`);
  return { kind, name };
}

/** Parses the arguments after `kubectl-occupier` (kubectl passes them unchanged). */
export function parseCommandLine(argv: string[]): Args {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: true,
      options: {
        help: { type: 'boolean', short: 'h' },
        namespace: { type: 'string', short: 'n' },
        kubeconfig: { type: 'string' },
        context: { type: 'string' },
        output: { type: 'string', short: 'o' },
        yes: { type: 'boolean', short: 'y' },
        state: { type: 'string', multiple: true },
        site: { type: 'string', multiple: true },
        step: { type: 'string', multiple: true },
      },
    });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const v = parsed.values;
  const output = v.output ?? 'table';
  if (v.output !== undefined && (v.output === 'table' || !(OUTPUTS as readonly string[]).includes(v.output))) {
    throw new UsageError(`--output "${v.output}" is not supported: use json, yaml or wide`);
  }
  const [word, ...rest] = parsed.positionals;
  const base = {
    help: v.help ?? false,
    namespace: v.namespace,
    kubeconfig: v.kubeconfig,
    context: v.context,
    output: output as Output,
    yes: v.yes ?? false,
    states: states(v.state),
    sites: list(v.site),
    steps: list(v.step),
  };
  if (word === undefined || word === 'help' || base.help) return { ...base, help: true, command: undefined, kind: undefined, name: undefined };
  if (!(COMMANDS as readonly string[]).includes(word)) throw new UsageError(`unknown command "${word}": use ${COMMANDS.join(', ')} (kubectl occupier --help)`);
  const command = word as Command;
  if (command !== 'tasks' && (base.states.length || base.sites.length || base.steps.length)) {
    throw new UsageError(`--state, --site and --step filter tasks only, not ${command}`);
  }
  if (command !== 'tasks' && base.output === 'wide') throw new UsageError(`--output "wide" is for tasks only; ${command} takes json or yaml`);
  if (command === 'history') {
    const [ref, ...extra] = rest;
    const name = ref?.replace(/^(occupiers?|occ)(\.occupier\.dev)?\//i, '');
    if (!name) throw new UsageError('history needs an occupier: kubectl occupier history <occupier>');
    if (extra.length > 0) throw new UsageError(`history takes one occupier, got also: ${extra.join(' ')}`);
    return { ...base, command, kind: undefined, name };
  }
  const { kind, name } = orderRef(command, rest);
  return { ...base, command, kind, name };
}
