/**
 * The simulated backend's state: named collections of JSON values, kept in memory and
 * persisted in a directory as a snapshot (`simulated-state.json`, written atomically: temp file
 * + rename) plus a journal (`simulated-journal.jsonl`, one line per change, appended before the
 * call that made the change returns). Opening loads the snapshot, replays the journal (a torn
 * last line from a crash is ignored) and compacts. So an operator killed at any moment keeps
 * every change a driver call reported, and writes stay O(change), not O(state).
 */
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { DirectoryLockedError, lockDirectory } from '../../../operator/src/devcluster/dirlock.ts';
import type { DirectoryLock } from '../../../operator/src/devcluster/dirlock.ts';
import { DriverError, REASONS } from '../contract.ts';

const SNAPSHOT = 'simulated-state.json';
const JOURNAL = 'simulated-journal.jsonl';
const LOCK = 'simulated.lock';
const COMPACT_EVERY = 50_000;

/**
 * One process owns a state directory: `simulated.lock` holds its pid (see dirlock.ts). A lock of
 * a dead process (killed operator) or of this process (a backend reopened in tests) is taken
 * over; a live other owner is a Transient `BackendLocked` error (the caller retries, e.g. until
 * it leads).
 */
function lock(dir: string): DirectoryLock {
  try {
    return lockDirectory(dir, LOCK, { reentrant: true });
  } catch (err) {
    if (err instanceof DirectoryLockedError) throw DriverError.transient(REASONS.BackendLocked, `simulated state in ${dir} is in use by process ${err.pid}`);
    throw err;
  }
}

interface JournalLine {
  c: string;
  k: string;
  v?: unknown;
}

/** One line holding every change of one backend call: replayed whole or (torn) not at all. */
interface JournalTransaction {
  t: JournalLine[];
}

export class Store {
  private readonly data = new Map<string, Map<string, unknown>>();
  private readonly dir: string | undefined;
  private lock: DirectoryLock | undefined;
  private journalFd: number | undefined;
  private journalLines = 0;
  /** Changes of the call in progress (see `atomically`), written as one journal line. */
  private pending: JournalLine[] | undefined;
  /** Compact when the journal is as long as the state (amortised O(1) per change), at least COMPACT_EVERY. */
  private compactAt = COMPACT_EVERY;

  /** Opens (or creates) the state in `dir`; without a directory the state lives in memory only. */
  constructor(dir?: string) {
    this.dir = dir;
    if (dir === undefined) return;
    mkdirSync(dir, { recursive: true });
    this.lock = lock(dir);
    const snapshot = join(dir, SNAPSHOT);
    if (existsSync(snapshot)) {
      const parsed = JSON.parse(readFileSync(snapshot, 'utf8')) as { collections?: Record<string, Record<string, unknown>> };
      for (const [name, entries] of Object.entries(parsed.collections ?? {})) this.data.set(name, new Map(Object.entries(entries)));
    }
    const journal = join(dir, JOURNAL);
    if (existsSync(journal)) {
      for (const line of readFileSync(journal, 'utf8').split('\n')) {
        if (line.length === 0) continue;
        let entry: JournalLine | JournalTransaction;
        try {
          entry = JSON.parse(line) as JournalLine | JournalTransaction;
        } catch {
          break; // a torn write at the end: everything before it is intact
        }
        if ('t' in entry) for (const e of entry.t) this.apply(e);
        else this.apply(entry);
      }
    }
    this.compact();
  }

  private apply(entry: JournalLine): void {
    if (Object.hasOwn(entry, 'v')) this.collection(entry.c).set(entry.k, entry.v);
    else this.data.get(entry.c)?.delete(entry.k);
  }

  private collection(name: string): Map<string, unknown> {
    let coll = this.data.get(name);
    if (!coll) {
      coll = new Map();
      this.data.set(name, coll);
    }
    return coll;
  }

  private append(entry: JournalLine): void {
    if (this.dir === undefined) return;
    if (this.pending) {
      this.pending.push(entry);
      return;
    }
    this.writeLine(entry);
  }

  private writeLine(entry: JournalLine | JournalTransaction): void {
    if (this.dir === undefined) return;
    if (this.journalFd === undefined) this.journalFd = openSync(join(this.dir, JOURNAL), 'a');
    writeSync(this.journalFd, `${JSON.stringify(entry)}\n`);
    if (++this.journalLines >= this.compactAt) this.compact();
  }

  /**
   * Runs `fn` with its changes journaled as one line, so a process killed at any moment keeps
   * all of them or none (e.g. an item's removal, its counter and the idempotency record).
   */
  atomically<T>(fn: () => T): T {
    if (this.pending) return fn();
    this.pending = [];
    try {
      return fn();
    } finally {
      const changes = this.pending;
      this.pending = undefined;
      if (changes.length === 1 && changes[0]) this.writeLine(changes[0]);
      else if (changes.length > 1) this.writeLine({ t: changes });
    }
  }

  get<T>(coll: string, key: string): T | undefined {
    return this.data.get(coll)?.get(key) as T | undefined;
  }

  /** Stores a value; callers must not mutate it afterwards. */
  put(coll: string, key: string, value: unknown): void {
    this.collection(coll).set(key, value);
    this.append({ c: coll, k: key, v: value });
  }

  delete(coll: string, key: string): void {
    const existing = this.data.get(coll);
    if (!existing?.has(key)) return;
    existing.delete(key);
    this.append({ c: coll, k: key });
  }

  entries<T>(coll: string): IterableIterator<[string, T]> {
    return (this.data.get(coll) ?? new Map<string, T>()).entries() as IterableIterator<[string, T]>;
  }

  size(coll: string): number {
    return this.data.get(coll)?.size ?? 0;
  }

  collectionNames(): string[] {
    return [...this.data.keys()];
  }

  /** Writes a snapshot atomically (temp + fsync + rename) and starts an empty journal. */
  compact(): void {
    if (this.dir === undefined) return;
    const collections: Record<string, Record<string, unknown>> = {};
    let entries = 0;
    for (const [name, coll] of this.data) {
      if (coll.size > 0) collections[name] = Object.fromEntries(coll);
      entries += coll.size;
    }
    this.compactAt = Math.max(COMPACT_EVERY, 2 * entries);
    const tmp = join(this.dir, `${SNAPSHOT}.${process.pid}.tmp`);
    const fd = openSync(tmp, 'w');
    try {
      writeSync(fd, JSON.stringify({ version: 1, collections }));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, join(this.dir, SNAPSHOT));
    if (this.journalFd !== undefined) closeSync(this.journalFd);
    writeFileSync(join(this.dir, JOURNAL), '');
    this.journalFd = undefined;
    this.journalLines = 0;
  }

  /** Compacts, closes the journal and releases the directory. */
  close(): void {
    try {
      this.compact();
    } finally {
      this.lock?.release();
    }
  }
}
