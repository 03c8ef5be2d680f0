import type { FastifyBaseLogger } from 'fastify';
import type { Bindings, ChildLoggerOptions, Logger } from 'pino';

const METHODS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'] as const;
type Method = (typeof METHODS)[number];

type State = { parent: Logger; bindings: Bindings; opts: ChildLoggerOptions; real?: Logger };
type Lazy = FastifyBaseLogger & { state: State };

function make(s: State): Logger {
  return (s.real ??= s.parent.child(s.bindings, s.opts));
}

// The child's own level when it was given one, else the parent's (read at each call: it can change).
function threshold(s: State): number {
  if (s.real) return s.real.levelVal;
  return s.parent.levels.values[String(s.opts.level ?? s.parent.level)] ?? s.parent.levelVal;
}

// One shared prototype: making a lazy child is a single small object, with no closures per request.
const proto = {
  get level(): string {
    const s = (this as unknown as Lazy).state;
    return s.real ? s.real.level : String(s.opts.level ?? s.parent.level);
  },
  set level(level: string) {
    make((this as unknown as Lazy).state).level = level;
  },
  get msgPrefix(): string | undefined {
    return make((this as unknown as Lazy).state).msgPrefix;
  },
  silent(): void {},
  child(this: Lazy, b: Bindings, o?: ChildLoggerOptions): FastifyBaseLogger {
    return make(this.state).child(b, o);
  },
} as Record<string, unknown>;
for (const m of METHODS) {
  proto[m] = function (this: Lazy, ...args: unknown[]) {
    const s = this.state;
    if (s.parent.levels.values[m] >= threshold(s)) (make(s)[m as Method] as (...a: unknown[]) => void)(...args);
  };
}

/**
 * fastify binds every request's id into a child logger made before the handler runs. A pino child
 * with a level of its own (routes with `logLevel`) rebuilds its log methods, and our redaction
 * re-reads its paths for the bindings: ~9 KB and a few µs per request, although most requests on
 * the hot path (the LLM chat route writes its own summary line) never log through it. This child
 * is made the first time a line at an enabled level is written, and is the same pino child after.
 */
export function lazyChildLogger(parent: Logger, bindings: Bindings, opts: ChildLoggerOptions): FastifyBaseLogger {
  const lazy = Object.create(proto) as Lazy;
  lazy.state = { parent, bindings, opts };
  return lazy;
}
