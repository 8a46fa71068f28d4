import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { InternalServerException, NotImplementedException, ServiceError } from '../api/errors.js';
import type { PageTokens } from '../domain/page-token.js';
import type { Clock } from '../engine/clock.js';
import { bindInput } from '../protocol/bind.js';
import { serializeOutput } from '../protocol/serialize.js';
import type { Handler, OperationContext } from '../operations/context.js';
import type { Store } from '../store/types.js';
import type { Throttle } from './throttle.js';

export interface AwsRouteDeps {
  store: Store;
  clock: Clock;
  tokens: PageTokens;
  operations: Record<string, Handler>;
  engine?: { wake(): void };
  webhooks?: OperationContext['webhooks'];
  /** Absent: no throttling. */
  throttle?: Throttle;
}

/**
 * The AWS API: one catch-all route, because restJson1 routing (method first, static segments before
 * labels, labels decoded after matching) is not what a general-purpose router does. By the time the
 * handler runs the request context holds the operation (routed once, request-context.ts) and the caller
 * (authenticated in preHandler, as AWS's front door does before anything else), so the handler goes:
 * an unknown or unimplemented route's error → throttle (per account, region and operation) → bind →
 * validate → handler → serialize.
 */
export function registerAwsRoutes(app: FastifyInstance, deps: AwsRouteDeps): void {
  app.route({
    method: ['GET', 'POST', 'PUT', 'DELETE', 'PATCH'],
    url: '/*',
    config: { aws: true },
    handler: async (request: FastifyRequest, reply: FastifyReply) => {
      const { route, caller } = request.ctx;
      if (route.kind === 'aws-unmatched') throw route.error;
      if (route.kind !== 'aws' || !caller) throw new InternalServerException();
      const { operation, labels } = route;
      const handler = deps.operations[operation];
      if (!handler) {
        throw new NotImplementedException(`The operation ${operation} is part of Customer Profiles but is not implemented by profileflow yet.`);
      }
      deps.throttle?.take(caller.accountId, caller.region, operation);
      const url = request.raw.url ?? '/';
      const q = url.indexOf('?');
      const input = bindInput(operation, {
        labels,
        query: new URLSearchParams(q === -1 ? '' : url.slice(q + 1)),
        body: request.body as Buffer | undefined,
        contentType: request.headers['content-type'],
      });
      // Only (account, region) scopes data and page tokens: any key of the same account sees the same.
      const scope = { accountId: caller.accountId, region: caller.region };
      const output = await handler(
        { scope, requestId: request.id, store: deps.store, clock: deps.clock, tokens: deps.tokens, engine: deps.engine, webhooks: deps.webhooks },
        input,
      );
      return reply
        .code(200)
        .header('content-type', 'application/json')
        .send(jsonBytes(serializeOutput(operation, output)));
    },
  });
}

/** Every error leaves as AWS shapes it: status, X-Amzn-ErrorType, JSON {"Message"}; 500s say nothing more. */
export function sendServiceError(reply: FastifyReply, error: ServiceError): FastifyReply {
  return reply
    .code(error.statusCode)
    .header('content-type', 'application/json')
    .header('x-amzn-errortype', error.code)
    .send(jsonBytes({ Message: error.message }));
}

/**
 * Bytes rather than a string: Fastify appends `; charset=utf-8` to a JSON content type when it sends a
 * string, and AWS answers with exactly `Content-Type: application/json`.
 */
function jsonBytes(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value), 'utf8');
}

export function toServiceError(request: FastifyRequest, error: unknown): ServiceError {
  if (error instanceof ServiceError) return error;
  request.log.error({ err: error, requestId: request.id }, 'unexpected error');
  return new InternalServerException();
}
