/** Child processes of the tests (an operator run as a user runs it, killed at will). */
import type { ChildProcess } from 'node:child_process';

/** Sends `signal` to a running process and waits until it has exited (nothing to do when it has). */
export async function stopProcess(proc: ChildProcess | undefined, signal: NodeJS.Signals): Promise<void> {
  if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
  await new Promise<void>((done) => {
    proc.once('exit', () => done());
    proc.kill(signal);
  });
}
