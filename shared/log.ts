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

export function createLogger(opts: {
  service: string;
  level?: string;
  destination?: DestinationStream;
}): Logger {
  return pino(
    {
      level: opts.level ?? 'info',
      base: { service: opts.service },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    opts.destination,
  );
}

/** A logger that drops everything; for tests that do not look at logs. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
