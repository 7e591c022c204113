// Append-only JSON-lines log with group commit and compaction.
//
// Durability policy (`fsync`):
// - 'interval' (default): a write is acknowledged (its HTTP response sent) once the batch
//   holding it has been handed to the kernel with write(2); the file is fdatasync'ed in the
//   background at most every 50 ms and at shutdown. Every acknowledged write survives a crash
//   or restart of the dev cluster process; a power loss / kernel crash may lose the last 50 ms.
// - 'batch': acknowledged only after write(2) AND fdatasync(2) of its batch (survives power
//   loss too). All writes that arrive while a batch is being flushed form the next batch (group
//   commit), so one fdatasync covers many writes; throughput is bound by the disk's fsync latency.
// - 'none': write(2) only, never fdatasync (process-crash safe).
//
// Compaction rewrites the live objects to a temporary file, fsyncs it and renames it over the
// log (atomic on POSIX), at start and when the log holds far more lines than live objects.
// Only the process holding the data directory's lock (dirlock.ts, taken in index.ts) opens the
// log: a compaction by another process would leave this one appending to an unlinked file.
import { closeSync, existsSync, fdatasync, fdatasyncSync, fsyncSync, openSync, readFileSync, renameSync, write, writeSync } from 'node:fs';

export type FsyncPolicy = 'interval' | 'batch' | 'none';

const SYNC_INTERVAL_MS = 50;

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
  private syncTimer: NodeJS.Timeout | undefined;
  private unsynced = false;
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
      if (err || this.fsync !== 'batch') {
        if (!err && this.fsync === 'interval') this.scheduleSync();
        done(err);
        return;
      }
      fdatasync(this.fd, done);
    });
  }

  private scheduleSync(): void {
    this.unsynced = true;
    if (this.syncTimer) return;
    const fd = this.fd;
    this.syncTimer = setTimeout(() => {
      this.unsynced = false;
      fdatasync(fd, () => { this.syncTimer = undefined; if (this.unsynced) this.scheduleSync(); });
    }, SYNC_INTERVAL_MS);
    this.syncTimer.unref();
  }

  /** Resolves when everything appended so far has been written (and synced under 'batch'). */
  drain(): Promise<void> {
    if (!this.flushing && this.pending.length === 0 && !this.scheduled) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  async close(): Promise<void> {
    await this.drain();
    if (this.syncTimer) clearTimeout(this.syncTimer);
    if (this.fsync !== 'none') fdatasyncSync(this.fd);
    closeSync(this.fd);
  }
}
