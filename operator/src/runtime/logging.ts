/** pino loggers for the runtime: JSON to stdout, child loggers bind controller/key/reconcileId. */
import { pino, type Logger, type LoggerOptions } from 'pino';

export type { Logger } from 'pino';

export function createLogger(opts: LoggerOptions = {}): Logger {
  return pino({ level: process.env['LOG_LEVEL'] ?? 'info', base: { pid: process.pid }, ...opts });
}

let silent: Logger | undefined;

/** A logger that drops everything (default when none is passed). */
export function silentLogger(): Logger {
  silent ??= pino({ level: 'silent' });
  return silent;
}
