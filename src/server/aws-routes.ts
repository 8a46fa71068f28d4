import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { InternalServerException, NotImplementedException, ServiceError } from '../api/errors.js';
import type { StructureShape } from '../api/model-types.js';
import { type ApiService, customerProfilesService, services } from '../api/services.js';
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
  /** The AppFlow operations built (operations/appflow/index.ts); any other AppFlow operation answers 501. */
  appflowOperations: Record<string, Handler>;
  engine?: { wake(): void };
  webhooks?: OperationContext['webhooks'];
  /** What AppFlow-created connector profiles must stay within. */
  connectorPolicy?: OperationContext['connectorPolicy'];
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
  const handler = awsHandler(deps);
  app.route({ method: ['GET', 'POST', 'PUT', 'DELETE', 'PATCH'], url: '/*', config: { aws: true }, handler });
  // Routed like any other (the request context routes by the raw path); the route of its own only lifts
  // the body limit, which Fastify checks before any handler runs.
  for (const [operation, bodyLimit] of Object.entries(LARGE_BODIES)) {
    const { method, requestUri } = customerProfilesService.model.operations[operation]!.http;
    app.route({ method, url: requestUri.replace(/\{(\w+)\}/g, ':$1'), bodyLimit, config: { aws: true }, handler });
  }
}

/**
 * Operations whose valid requests pass the default body limit: BatchPutProfileObject carries ten Objects
 * of up to 256,000 characters, each up to four bytes of UTF-8 and more once escaped inside the body.
 */
const LARGE_BODIES: Readonly<Record<string, number>> = { BatchPutProfileObject: 32 * 1024 * 1024 };

function awsHandler(deps: AwsRouteDeps) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const { route, caller } = request.ctx;
    if (route.kind === 'aws-unmatched') throw route.error;
    if (route.kind !== 'aws' || !caller) throw new InternalServerException();
    const { operation, labels } = route;
    const service = services[route.service];
    const handler = (route.service === 'appflow' ? deps.appflowOperations : deps.operations)[operation];
    if (!handler) {
      throw new NotImplementedException(`The operation ${operation} is part of ${service.title} but is not implemented by profileflow yet.`);
    }
    // The label, not the bare name: AppFlow's TagResource has a bucket apart from Customer Profiles'.
    deps.throttle?.take(caller.accountId, caller.region, request.ctx.operation);
    const url = request.raw.url ?? '/';
    const q = url.indexOf('?');
    const input = bindInput(operation, {
      labels,
      query: new URLSearchParams(q === -1 ? '' : url.slice(q + 1)),
      body: request.body as Buffer | undefined,
      contentType: request.headers['content-type'],
    }, service.model);
    // Only (account, region) scopes data and page tokens: any key of the same account sees the same.
    const scope = { accountId: caller.accountId, region: caller.region };
    const output = await handler(
      { scope, requestId: request.id, store: deps.store, clock: deps.clock, tokens: deps.tokens, engine: deps.engine, webhooks: deps.webhooks, connectorPolicy: deps.connectorPolicy },
      input,
    );
    return reply
      .code(200)
      .header('content-type', 'application/json')
      .send(Buffer.from(serializeOutput(operation, output, service.model), 'utf8'));
  };
}

/**
 * Every error leaves as the service's model shapes it: status, X-Amzn-ErrorType, JSON with the message
 * member its error shapes spell (`{"Message"}` for Customer Profiles, `{"message"}` for AppFlow); 500s
 * say nothing more. A constraint broken in an AppFlow request is AppFlow's ValidationException, whichever
 * shared layer (binding, JSON reading, body limits) found it.
 */
export function sendServiceError(reply: FastifyReply, error: ServiceError, service: ApiService = customerProfilesService): FastifyReply {
  const wire = error.code === 'BadRequestException' && service.validationErrorCode !== error.code ? asValidationError(service, error) : error;
  return reply
    .code(wire.statusCode)
    .header('content-type', 'application/json')
    .header('x-amzn-errortype', wire.code)
    .send(jsonBytes({ [service.errorMessageMember]: wire.message }));
}

function asValidationError(service: ApiService, error: ServiceError): ServiceError {
  const shape = service.model.shapes[service.validationErrorCode] as StructureShape;
  return new ServiceError(service.validationErrorCode, shape.error?.httpStatusCode ?? 400, error.message);
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
