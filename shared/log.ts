import { pino, type Logger, type DestinationStream } from 'pino';

export type { Logger };

/**
 * Structured JSON logs. User data goes in fields, never in the message; `redact` removes anything
 * that could carry a credential even when a caller logs a whole object by mistake.
 */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  'authorization',
  'cookie',
  '*.password',
  '*.secret',
  '*.token',
  '*.apiKey',
  '*.api_key',
  '*.privateKey',
  '*.private_key',
  'password',
  'secret',
  'token',
  'apiKey',
  'privateKey',
];

/**
 * Where a service's lines go: stdout (or `dest`), written synchronously. pino's default is an
 * asynchronous writer that hands every line to libuv's thread pool: a thread wake-up, a futex and
 * an eventfd round trip per line, several syscalls where a synchronous write is one (strace of the
 * LLM proxy: ~5 extra syscalls per request). A line is also on its way before a crash.
 */
export function logDestination(dest: string | number = 1): DestinationStream {
  return pino.destination({ dest, sync: true });
}

export function createLogger(opts: { service: string; level?: string; destination?: DestinationStream }): Logger {
  return pino(
    {
      level: opts.level ?? 'info',
      base: { service: opts.service },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    opts.destination ?? logDestination(),
  );
}

/** A logger that drops everything; for tests that do not look at logs. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
