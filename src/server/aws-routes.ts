import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { InternalServerException, ServiceError } from '../api/errors.js';
import { allOperations } from '../api/service.js';
import { type AuthSettings, authenticate } from '../auth/caller.js';
import type { PageTokens } from '../domain/page-token.js';
import type { Clock } from '../engine/clock.js';
import { bindInput } from '../protocol/bind.js';
import { Router } from '../protocol/router.js';
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
  /** Absent: auth off (the account comes from the access key id, unverified). */
  auth?: AuthSettings;
  /** Absent: no throttling. */
  throttle?: Throttle;
}

/**
 * The AWS API: one catch-all route, because restJson1 routing (method first, static segments before
 * labels, labels decoded after matching) is not what a general-purpose router does. The request flows
 * authenticate (SigV4, as AWS's front door does before anything else) → route → throttle (per account,
 * region and operation) → bind → validate → handler → serialize.
 */
export function registerAwsRoutes(app: FastifyInstance, deps: AwsRouteDeps): void {
  const router = new Router(allOperations, new Set(Object.keys(deps.operations)));

  app.route({
    method: ['GET', 'POST', 'PUT', 'DELETE', 'PATCH'],
    url: '/*',
    handler: async (request: FastifyRequest, reply: FastifyReply) => {
      const url = request.raw.url ?? '/';
      const q = url.indexOf('?');
      const path = q === -1 ? url : url.slice(0, q);
      const query = new URLSearchParams(q === -1 ? '' : url.slice(q + 1));
      const body = request.body as Buffer | undefined;
      const caller = authenticate(deps.auth, { method: request.method, rawUrl: url, rawHeaders: request.raw.rawHeaders, body }, query);
      const { operation, labels } = router.match(request.method, path);
      deps.throttle?.take(caller.accountId, caller.region, operation);
      const input = bindInput(operation, {
        labels,
        query,
        body,
        contentType: request.headers['content-type'],
      });
      // Only (account, region) scopes data and page tokens: any key of the same account sees the same.
      const scope = { accountId: caller.accountId, region: caller.region };
      const output = await deps.operations[operation](
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
