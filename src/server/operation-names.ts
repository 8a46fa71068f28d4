import type { FastifyBaseLogger, FastifyInstance, FastifyRequest, RawRequestDefaultExpression } from 'fastify';
import type { Bindings, ChildLoggerOptions } from 'fastify/types/logger.js';
import { allOperations } from '../api/service.js';
import { Router } from '../protocol/router.js';

const names = new WeakMap<FastifyRequest, { operation: string; labels: Record<string, string> }>();
/** Every operation of the model counts as served here: the name is wanted even for a 501. */
const router = new Router(allOperations, new Set(allOperations.map((o) => o.name)));

/**
 * The operation a request is for, known from `onRequest` on: the AWS operation name (GetWorkflow…), the
 * route of an admin request (`/_profileflow/metrics`), or `Unknown`.
 */
export function operationOf(request: FastifyRequest): string {
  return names.get(request)?.operation ?? 'Unknown';
}

/** The URI labels of an AWS request (DomainName, WorkflowId…), percent-decoded. */
export function labelsOf(request: FastifyRequest): Record<string, string> {
  return names.get(request)?.labels ?? {};
}

export function isAwsRequest(request: FastifyRequest): boolean {
  const op = names.get(request)?.operation;
  return op !== undefined && !op.startsWith('/');
}

type Named = { operation: string; labels: Record<string, string> };

/** Per raw request: the logger factory names it first, `onRequest` reuses that instead of routing again. */
const resolved = new WeakMap<RawRequestDefaultExpression, Named>();

function resolveOnce(raw: RawRequestDefaultExpression, routeUrl?: string): Named {
  const cached = resolved.get(raw);
  // An admin route is named by its route pattern, known only after routing: no router work to save there.
  if (cached && !cached.operation.startsWith('/')) return cached;
  const named = resolve(raw.method ?? 'GET', raw.url ?? '/', routeUrl);
  resolved.set(raw, named);
  return named;
}

function resolve(method: string, rawUrl: string, routeUrl?: string): Named {
  const path = rawUrl.split('?')[0];
  if (path.startsWith('/_profileflow/') || path === '/_profileflow') return { operation: routeUrl ?? path, labels: {} };
  try {
    return router.match(method, path);
  } catch {
    // Not an operation: the AWS route answers it with its own error.
    return { operation: 'Unknown', labels: {} };
  }
}

/**
 * Fastify's `childLoggerFactory`: the request's logger is made with its operation name, so every line it
 * logs ("incoming request" included) carries `reqId` (the X-Amzn-RequestId) and `operation`.
 */
export function requestLoggerFactory(
  this: unknown,
  logger: FastifyBaseLogger,
  bindings: Bindings,
  options: ChildLoggerOptions,
  rawRequest: RawRequestDefaultExpression,
): FastifyBaseLogger {
  return logger.child({ ...bindings, operation: resolveOnce(rawRequest).operation }, options);
}

/** Names each request's operation once, for metrics and fault rules. */
export function registerOperationNames(app: FastifyInstance): void {
  app.addHook('onRequest', async (request) => {
    names.set(request, resolveOnce(request.raw, request.routeOptions.url));
  });
}
