import type { FastifyBaseLogger, FastifyServerOptions } from 'fastify';

type Bindings = Record<string, unknown>;
type Level = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';
type Parent = FastifyBaseLogger & { isLevelEnabled?(level: string): boolean };

/**
 * A request's logger that becomes a pino child only when it writes a line at an enabled level. Why:
 * every request had two children made for it (Fastify's, with the request id, then ours, adding the
 * operation), and a child of a child is the costly kind (pino chains them as prototypes: about 9 µs a
 * request, measured), while at the default level `warn` most requests never write a line at all. The
 * line a deferred logger writes is the one its child would have written: same bindings, same options.
 */
class DeferredLogger {
  private made: FastifyBaseLogger | undefined;
  /** Bound after creation (the operation): merged into the child's bindings only if the child is made. */
  private extra: Bindings | undefined;

  constructor(
    private readonly parent: Parent,
    private readonly bindings: Bindings,
  ) {}

  get level(): string {
    return this.made?.level ?? this.parent.level;
  }

  set level(level: string) {
    this.logger().level = level;
  }

  /** The same logger with `extra` bound as well (on the child if it exists, else before it is made). */
  bind(extra: Bindings): void {
    if (this.made) this.made = this.made.child(extra);
    else this.extra = this.extra ? { ...this.extra, ...extra } : extra;
  }

  child(bindings: Bindings, options?: object): FastifyBaseLogger {
    return this.logger().child(bindings, options);
  }

  fatal(...args: unknown[]): void {
    this.write('fatal', args);
  }
  error(...args: unknown[]): void {
    this.write('error', args);
  }
  warn(...args: unknown[]): void {
    this.write('warn', args);
  }
  info(...args: unknown[]): void {
    this.write('info', args);
  }
  debug(...args: unknown[]): void {
    this.write('debug', args);
  }
  trace(...args: unknown[]): void {
    this.write('trace', args);
  }
  silent(): void {}

  private write(level: Level, args: unknown[]): void {
    if (this.made === undefined && this.parent.isLevelEnabled?.(level) === false) return;
    (this.logger()[level] as (...a: unknown[]) => void)(...args);
  }

  private logger(): FastifyBaseLogger {
    return (this.made ??= this.parent.child(this.extra ? { ...this.bindings, ...this.extra } : this.bindings));
  }
}

/**
 * Fastify's `childLoggerFactory`: a deferred child for every request, unless the route sets its own level
 * or serializers (then the child is made at once, as Fastify would).
 */
export const deferredChildLogger: NonNullable<FastifyServerOptions['childLoggerFactory']> = (logger, bindings, options) => {
  if (options.level !== undefined || options.serializers !== undefined) return logger.child(bindings, options);
  return new DeferredLogger(logger, bindings) as unknown as FastifyBaseLogger;
};

/** The logger with `extra` bound as well: the same deferred logger, or a child of any other. */
export function withBindings(logger: FastifyBaseLogger, extra: Bindings): FastifyBaseLogger {
  if (logger instanceof DeferredLogger) {
    logger.bind(extra);
    return logger;
  }
  return logger.child(extra);
}
