/**
 * `kubectl-occupier`, the kubectl plugin (`kubectl occupier ...`): review and drive orders
 * from the terminal. Started by `kubectl-occupier.js` (the package's bin); exits 0 on success,
 * 1 on an error or a refusal (the message names the field and value), 2 on a usage error.
 */
import { parseCommandLine, HELP, UsageError } from './args.ts';
import type { Args, OrderKind } from './args.ts';
import { approve, askStdin, Refused, retry } from './gate.ts';
import { historyView, NotFoundError, renderHistory } from './history.ts';
import { planView, renderPlan } from './plan.ts';
import { serialize, stdout } from './render.ts';
import { connect, describeError } from './session.ts';
import type { Session } from './session.ts';
import { renderTasks, tasksView } from './tasks.ts';

/** The order kind of a command that names an order (the parser guarantees one). */
function kindOf(args: Args): OrderKind {
  if (!args.kind) throw new UsageError(`${args.command ?? 'this command'} needs an order: <kind>/<name>`);
  return args.kind;
}

async function runCommand(args: Args, session: Session): Promise<void> {
  const out = stdout();
  const machine = args.output === 'json' || args.output === 'yaml' ? args.output : undefined;
  const now = Date.now();
  const name = args.name ?? '';
  switch (args.command) {
    case 'plan': {
      const kind = kindOf(args);
      const v = await planView(session, kind, name);
      if (machine) out.write(serialize(v, machine));
      else renderPlan(out, v);
      return;
    }
    case 'tasks': {
      const kind = kindOf(args);
      const v = await tasksView(session, kind, name, { states: args.states, sites: args.sites, steps: args.steps });
      if (machine) out.write(serialize(v, machine));
      else renderTasks(out, v, args.output, now);
      return;
    }
    case 'approve':
    case 'retry': {
      const kind = kindOf(args);
      const gate = args.command === 'approve' ? approve : retry;
      const r = await gate(session, kind, name, { yes: args.yes, ask: askStdin });
      if (machine) out.write(serialize(r.order, machine));
      else out.write(`${r.message}\n`);
      return;
    }
    case 'history': {
      const v = await historyView(session, name);
      if (machine) out.write(serialize(v, machine));
      else renderHistory(out, v, now);
      return;
    }
    case undefined:
      throw new UsageError('no command: use plan, approve, retry, tasks or history');
  }
}

/** Runs the plugin with `argv` (the arguments after the program); resolves to the exit code. */
export async function main(argv: string[]): Promise<number> {
  let args: Args;
  try {
    args = parseCommandLine(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`error: ${err.message}\nSee 'kubectl occupier --help'.\n`);
    return 2;
  }
  if (args.help || !args.command) {
    process.stdout.write(HELP);
    return 0;
  }
  let session: Session | undefined;
  try {
    session = connect(args);
    await runCommand(args, session);
    return 0;
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`error: ${err.message}\n`);
      return 2;
    }
    if (err instanceof Refused || err instanceof NotFoundError) process.stderr.write(`error: ${err.message}\n`);
    else process.stderr.write(`${describeError(err)}\n`);
    return 1;
  } finally {
    await session?.close();
  }
}

if (import.meta.main) {
  process.exitCode = await main(process.argv.slice(2));
}
