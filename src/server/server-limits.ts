import type { FastifyInstance, FastifyServerOptions } from 'fastify';
import { DEFAULT_BODY_MEMORY_BYTES } from './body-budget.js';

/** How long a client may take and how many may hold a connection at once. */
export interface ServerLimits {
  /** Time to receive a request's headers (default 10 s): a client that trickles headers is cut off. */
  headersTimeoutMs?: number;
  /** Time to receive a whole request, body included (default 30 s): a stalled body is cut off. */
  requestTimeoutMs?: number;
  /** A connection on which nothing moves for this long is closed (default 120 s; event streams send a heartbeat every 15 s). */
  idleTimeoutMs?: number;
  /** Time a kept-alive connection waits for its next request (default 5 s, Node's). */
  keepAliveTimeoutMs?: number;
  /** Open connections accepted at once (default 1000); beyond it new ones are closed at once, before any file descriptor runs out. */
  maxConnections?: number;
  /** Bytes of request bodies held at once (default 256 MiB), an account at most a quarter of them (body-budget.ts). */
  bodyMemoryBytes?: number;
}

export const DEFAULT_LIMITS: Required<ServerLimits> = {
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  idleTimeoutMs: 120_000,
  keepAliveTimeoutMs: 5_000,
  maxConnections: 1000,
  bodyMemoryBytes: DEFAULT_BODY_MEMORY_BYTES,
};

/**
 * Fastify leaves Node's request timeout off; Node checks its header and request timeouts only every
 * `connectionsCheckingInterval` (30 s by default), so that interval is tied to the shortest timeout,
 * otherwise a 1 s limit would be enforced after 30.
 */
export function serverOptionsOf(limits: ServerLimits = {}): Partial<FastifyServerOptions> & { http: Record<string, number> } {
  const l = limitsWithDefaults(limits);
  const headersTimeout = Math.min(l.headersTimeoutMs, l.requestTimeoutMs);
  return {
    connectionTimeout: l.idleTimeoutMs,
    keepAliveTimeout: l.keepAliveTimeoutMs,
    requestTimeout: l.requestTimeoutMs,
    http: { headersTimeout, requestTimeout: l.requestTimeoutMs, connectionsCheckingInterval: Math.max(100, Math.min(1000, Math.floor(headersTimeout / 2))) },
  };
}

export function applyConnectionLimits(app: FastifyInstance, limits: ServerLimits = {}): void {
  app.server.maxConnections = limitsWithDefaults(limits).maxConnections;
}

/** A setting left undefined (not given on the command line) takes its default. */
export function limitsWithDefaults(limits: ServerLimits): Required<ServerLimits> {
  const given = Object.fromEntries(Object.entries(limits).filter(([, v]) => v !== undefined));
  return { ...DEFAULT_LIMITS, ...given };
}
