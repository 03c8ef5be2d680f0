import { pino, type Logger, type DestinationStream } from 'pino';
import { redactFields } from './log-redact.ts';

export type { Logger };

/**
 * Structured JSON logs. User data goes in fields, never in the message. Every line's fields, and a
 * child logger's bindings, pass through key-name redaction at any depth (log-redact.ts), so a
 * credential is removed even when a caller logs a whole object, an upstream's headers or an error
 * chain by mistake. HTTP requests are logged by path: query values never reach a log line.
 */

/** Query parameter names are logged when they look like names; anything else only counted. */
const PLAIN_QUERY_KEY = /^[A-Za-z][A-Za-z0-9_.-]{0,31}$/;
const MAX_PATH = 256;

type LoggedRequest = { method?: string; url?: string; host?: string; ip?: string; socket?: { remotePort?: number } };

/** The request as logged: method, path and query parameter names, never the values. */
export function requestForLog(req: LoggedRequest): Record<string, unknown> {
  const url = req.url ?? '';
  const q = url.indexOf('?');
  const out: Record<string, unknown> = {
    method: req.method,
    path: (q === -1 ? url : url.slice(0, q)).slice(0, MAX_PATH),
    host: req.host,
    remoteAddress: req.ip,
    remotePort: req.socket?.remotePort,
  };
  if (q !== -1) {
    const names = new Set<string>();
    let other = 0;
    for (const key of new URLSearchParams(url.slice(q + 1)).keys()) {
      if (PLAIN_QUERY_KEY.test(key) && names.size < 20) names.add(key);
      else other += 1;
    }
    out.queryKeys = [...names];
    if (other) out.queryOtherKeys = other;
  }
  return out;
}

/**
 * Where a service's lines go: stdout (or `dest`), written synchronously. pino's default is an
 * asynchronous writer that hands every line to libuv's thread pool: a thread wake-up, a futex and
 * an eventfd round trip per line, several syscalls where a synchronous write is one (strace of the
 * LLM proxy: ~5 extra syscalls per request). A line is also on its way before a crash.
 */
export function logDestination(dest: string | number = 1): DestinationStream {
  return pino.destination({ dest, sync: true });
}

export function createLogger(opts: {
  service: string;
  level?: string;
  destination?: DestinationStream;
  /**
   * Applied to every finished line before it is written: the customer plane masks the values of the
   * secrets its runs are using (customer-plane/secrets/masking.ts), whatever field they hide in.
   */
  rewriteLine?: (line: string) => string;
}): Logger {
  const logger = pino(
    {
      level: opts.level ?? 'info',
      ...(opts.rewriteLine ? { hooks: { streamWrite: opts.rewriteLine } } : {}),
      base: { service: opts.service },
      formatters: { log: redactFields, bindings: redactFields },
      // Errors arrive already copied into plain fields (with their cause chain) by redactFields.
      serializers: { req: requestForLog, err: (e: unknown) => e },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    opts.destination ?? logDestination(),
  );
  // pino applies the bindings formatter to the root's bindings only; a child's pass through here
  // (children inherit this method, so grandchildren too).
  const child = logger.child;
  logger.child = function redactingChild(this: Logger, bindings, options) {
    return child.call(this, redactFields(bindings), options);
  } as Logger['child'];
  return logger;
}

/** A logger that drops everything; for tests that do not look at logs. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
