/**
 * Preloaded into the operator's process by bench/soak.ts (`node --expose-gc --import …`), for the
 * heap figures the operator's /metrics does not carry (it exports no Node.js default metrics):
 * on SIGUSR2 it runs a full garbage collection (when --expose-gc is given) and writes
 * `process.memoryUsage()` with a sequence number as JSON to $SOAK_MEMORY_FILE, so a sample
 * reads the live heap, not the garbage since the last collection. Nothing else runs in the
 * operator's process: no timer, no collection between samples.
 */
import { renameSync, writeFileSync } from 'node:fs';

const file = process.env.SOAK_MEMORY_FILE;
const gc = (globalThis as { gc?: () => void }).gc;
let seq = 0;
if (file !== undefined && file !== '') {
  process.on('SIGUSR2', () => {
    gc?.();
    // Written beside and renamed: a reader never sees half a file.
    writeFileSync(`${file}.tmp`, JSON.stringify({ ...process.memoryUsage(), seq: ++seq, afterGc: gc !== undefined }));
    renameSync(`${file}.tmp`, file);
  });
}
