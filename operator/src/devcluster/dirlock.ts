// Exclusive ownership of a state directory by one process: `<dir>/<file>` holds the owner's
// pid. Used by the dev cluster (`devcluster.lock` in its data directory) and by the simulated
// driver's backend (`simulated.lock` in its state directory).
//
// - The lock file is created complete and atomically (temp file + link(2), which fails when
//   the lock exists), so a reader never sees a half-written lock.
// - A lock whose pid is not a live process (killed owner, or a zombie) is stale and taken over.
//   So is one naming this process's pid that this process does not hold (left by an earlier
//   process that had the same pid, e.g. pid 1 in a container).
// - A lock held by this process is refused too, unless `reentrant` (the simulated backend
//   reopened in tests): two dev clusters in one process must not share a directory either.
// - `release()` removes the file only while it still names this holder.
//
// Limits (a development tool, not etcd's flock): two processes taking over the same stale lock
// at the same instant could both win, and a live owner in another pid namespace (a container
// sharing the directory) looks dead.
import { linkSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';

export class DirectoryLockedError extends Error {
  override readonly name = 'DirectoryLockedError';
  readonly dir: string;
  readonly pid: number;
  readonly lockFile: string;

  constructor(dir: string, pid: number, lockFile: string, message = `directory ${dir} is in use by process ${pid} (lock file ${lockFile})`) {
    super(message);
    this.dir = dir;
    this.pid = pid;
    this.lockFile = lockFile;
  }
}

export interface DirectoryLock {
  readonly lockFile: string;
  /** Removes the lock file if this lock still holds it; idempotent. */
  release(): void;
}

/** Lock files held by this process → the current holder. */
const held = new Map<string, DirectoryLock>();

const code = (err: unknown): string | undefined => (err as NodeJS.ErrnoException | undefined)?.code;

/** Whether `pid` is a live process (a zombie is not: it has exited and holds nothing). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return code(err) === 'EPERM';
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true; // no procfs (macOS): trust kill(0)
  }
}

function readLock(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    if (code(err) === 'ENOENT') return undefined;
    throw err;
  }
}

/**
 * Takes `<dir>/<file>` for this process or throws `DirectoryLockedError` naming the live
 * owner's pid. `dir` must exist.
 */
export function lockDirectory(dir: string, file: string, opts: { reentrant?: boolean } = {}): DirectoryLock {
  const lockFile = resolve(dir, file);
  const me = String(process.pid);
  const lock: DirectoryLock = {
    lockFile,
    release: () => {
      if (held.get(lockFile) !== lock) return;
      held.delete(lockFile);
      try {
        if (readLock(lockFile) === me) unlinkSync(lockFile);
      } catch {
        // already gone
      }
    },
  };
  const tmp = `${lockFile}.${me}.tmp`;
  writeFileSync(tmp, me);
  try {
    for (let attempt = 0; attempt < 10; attempt++) {
      try {
        linkSync(tmp, lockFile);
        held.set(lockFile, lock);
        return lock;
      } catch (err) {
        if (code(err) !== 'EEXIST') throw err;
      }
      const content = readLock(lockFile);
      if (content === undefined) continue; // released meanwhile
      const owner = Number(content.trim());
      const valid = Number.isInteger(owner) && owner > 0;
      if (valid && owner === process.pid && held.has(lockFile)) {
        if (!opts.reentrant) throw new DirectoryLockedError(dir, owner, lockFile);
        held.set(lockFile, lock);
        return lock;
      }
      if (valid && owner !== process.pid && processAlive(owner)) throw new DirectoryLockedError(dir, owner, lockFile);
      // Stale: remove it unless someone replaced it since we read it, then try again.
      if (readLock(lockFile) === content) {
        try {
          unlinkSync(lockFile);
        } catch (err) {
          if (code(err) !== 'ENOENT') throw err;
        }
      }
    }
    throw new Error(`cannot take the lock ${lockFile}: it keeps changing`);
  } finally {
    unlinkSync(tmp);
  }
}
