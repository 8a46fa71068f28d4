import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { BadRequestException, ServiceError, UnknownOperationException } from '../api/errors.js';
import { PageTokens } from '../domain/page-token.js';
import { type Clock, systemClock } from '../engine/clock.js';
import type { Engine } from '../engine/engine.js';
import type { Handler } from '../operations/context.js';
import { operations as defaultOperations } from '../operations/index.js';
import type { Store } from '../store/types.js';
import { registerAdminRoutes } from './admin-routes.js';
import { registerAwsRoutes, sendServiceError, toServiceError } from './aws-routes.js';
import { registerEngineRoutes } from './engine-routes.js';
import { VERSION } from './version.js';

export interface AppDeps {
  store: Store;
  clock?: Clock;
  /** The workflow engine of this process, if it runs one; its controls appear under /_profileflow/engine. */
  engine?: Engine;
  /** Defaults to every implemented operation; tests may narrow or extend it. */
  operations?: Record<string, Handler>;
  /** Largest accepted request body, in bytes. */
  bodyLimit?: number;
  logger?: FastifyServerOptions['logger'];
}

/** PutProfileObject's Object alone may be 256,000 characters, which JSON escaping can multiply. */
export const DEFAULT_BODY_LIMIT = 8 * 1024 * 1024;

/**
 * Builds the whole HTTP service around injected dependencies. Nothing happens on import and nothing
 * listens: only the CLI calls `listen`; tests use `app.inject()` or listen on an ephemeral port.
 */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const bodyLimit = deps.bodyLimit ?? DEFAULT_BODY_LIMIT;
  const app = Fastify({
    logger: deps.logger ?? false,
    bodyLimit,
    genReqId: () => randomUUID(),
    return503OnClosing: true,
    // Malformed URLs never reach a route; they still get an AWS-shaped answer.
    frameworkErrors: (error, request, reply) => {
      reply.header('x-amzn-requestid', request.id);
      sendServiceError(reply, new BadRequestException(`The request could not be read: ${error.message}`));
    },
  });

  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-amzn-requestid', request.id);
  });

  // Bodies are kept as bytes: the protocol layer decides, per operation, whether and how to read them.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));

  app.setErrorHandler((error, request, reply) => {
    const fastifyCode = (error as { code?: string }).code;
    let serviceError: ServiceError;
    if (fastifyCode === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      serviceError = new BadRequestException(`The request body is larger than the limit of ${bodyLimit} bytes.`);
    } else if (fastifyCode?.startsWith('FST_ERR_CTP_') || fastifyCode === 'FST_ERR_BAD_URL') {
      serviceError = new BadRequestException(`The request could not be read: ${(error as Error).message}`);
    } else {
      serviceError = toServiceError(request, error);
    }
    return sendServiceError(reply, serviceError);
  });

  // The AWS route takes GET, POST, PUT, DELETE and PATCH; any other method (OPTIONS, …) lands here and
  // is answered like any other unknown route.
  app.setNotFoundHandler((request, reply) => {
    const path = (request.raw.url ?? '/').split('?')[0].slice(0, 128);
    sendServiceError(reply, new UnknownOperationException(`No Customer Profiles operation is served at ${request.method} ${path}.`));
  });

  const tokens = new PageTokens(await deps.store.pageTokenSecret());

  app.get('/_profileflow/health', async () => ({ status: 'ok', version: VERSION, backend: deps.store.backend }));
  registerAdminRoutes(app, { store: deps.store, clock: deps.clock ?? systemClock });

  const clock = deps.clock ?? systemClock;
  if (deps.engine) registerEngineRoutes(app, deps.engine, clock);

  registerAwsRoutes(app, {
    store: deps.store,
    clock,
    engine: deps.engine,
    tokens,
    operations: deps.operations ?? defaultOperations,
  });
  return app;
}
