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

function resolve(method: string, rawUrl: string, routeUrl?: string): { operation: string; labels: Record<string, string> } {
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
  return logger.child({ ...bindings, operation: resolve(rawRequest.method ?? 'GET', rawRequest.url ?? '/').operation }, options);
}

/** Names each request's operation once, for metrics and fault rules. */
export function registerOperationNames(app: FastifyInstance): void {
  app.addHook('onRequest', async (request) => {
    names.set(request, resolve(request.method, request.raw.url ?? '/', request.routeOptions.url));
  });
}
