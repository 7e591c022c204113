// Append-only JSON-lines log with group commit and compaction.
//
// Durability policy: a write is acknowledged (its HTTP response sent) only after the batch
// holding it has been written with write(2) AND flushed with fdatasync(2) (`fsync: 'batch'`,
// the default), so an acknowledged write survives a process crash and a power loss. All writes
// that arrive while a batch is being flushed form the next batch (group commit), so one
// fdatasync covers many writes under load. `fsync: 'none'` skips fdatasync (survives a process
// crash, not a power loss) for benchmarks on slow disks.
//
// Compaction rewrites the live objects to a temporary file, fsyncs it and renames it over the
// log (atomic on POSIX), at start and when the log holds far more lines than live objects.
import { closeSync, existsSync, fdatasync, fsyncSync, openSync, readFileSync, renameSync, write, writeSync } from 'node:fs';

export type FsyncPolicy = 'batch' | 'none';

export class AppendLog {
  private fd: number;
  private readonly path: string;
  private readonly fsync: FsyncPolicy;
  private pending: string[] = [];
  private waiters: { resolve: () => void; reject: (e: unknown) => void }[] = [];
  private flushing = false;
  private scheduled = false;
  private compactWith: (() => Iterable<string>) | undefined;
  private idle: (() => void)[] = [];
  lines = 0;

  constructor(path: string, fsync: FsyncPolicy) {
    this.path = path;
    this.fsync = fsync;
    this.fd = openSync(path, 'a');
  }

  /** Reads every line of an existing log (the last line may be torn by a crash: it is ignored). */
  static read(path: string): unknown[] {
    if (!existsSync(path)) return [];
    const out: unknown[] = [];
    for (const line of readFileSync(path, 'utf8').split('\n')) {
      if (!line) continue;
      try { out.push(JSON.parse(line)); } catch { /* torn tail */ }
    }
    return out;
  }

  append(line: string): Promise<void> {
    this.pending.push(line);
    const p = new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
    if (!this.scheduled && !this.flushing) {
      this.scheduled = true;
      setImmediate(() => { this.scheduled = false; this.flush(); });
    }
    return p;
  }

  /** Requests a compaction; `snapshot` yields the lines of the new log. Runs between batches. */
  requestCompaction(snapshot: () => Iterable<string>): void {
    this.compactWith = snapshot;
    if (!this.flushing && !this.scheduled) this.flush();
  }

  compactNow(snapshot: Iterable<string>): void {
    const tmp = `${this.path}.tmp`;
    const fd = openSync(tmp, 'w');
    let buf: string[] = [];
    let n = 0;
    for (const line of snapshot) {
      buf.push(line);
      n++;
      if (buf.length >= 1000) { writeSync(fd, buf.join('\n') + '\n'); buf = []; }
    }
    if (buf.length) writeSync(fd, buf.join('\n') + '\n');
    fsyncSync(fd);
    closeSync(fd);
    closeSync(this.fd);
    renameSync(tmp, this.path);
    this.fd = openSync(this.path, 'a');
    this.lines = n;
  }

  private flush(): void {
    if (this.compactWith && this.pending.length === 0) {
      const snap = this.compactWith;
      this.compactWith = undefined;
      this.compactNow(snap());
    }
    if (this.pending.length === 0) {
      for (const f of this.idle.splice(0)) f();
      return;
    }
    const batch = this.pending.join('\n') + '\n';
    const count = this.pending.length;
    const waiters = this.waiters;
    this.pending = [];
    this.waiters = [];
    this.flushing = true;
    const done = (err: unknown): void => {
      this.flushing = false;
      this.lines += count;
      for (const w of waiters) {
        if (err) w.reject(err); else w.resolve();
      }
      this.flush();
    };
    write(this.fd, batch, (err) => {
      if (err || this.fsync === 'none') { done(err); return; }
      fdatasync(this.fd, done);
    });
  }

  /** Resolves when everything appended so far is on disk. */
  drain(): Promise<void> {
    if (!this.flushing && this.pending.length === 0 && !this.scheduled) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  async close(): Promise<void> {
    await this.drain();
    closeSync(this.fd);
  }
}
