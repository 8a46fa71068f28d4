import type { ConnectorPolicy } from '../connectors/policy.js';
import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { abridge, BadRequestException, ServiceError, UnknownOperationException } from '../api/errors.js';
import { type AuthSettings, authenticate, verifiedCallers } from '../auth/caller.js';
import { PageTokens } from '../domain/page-token.js';
import { type Clock, systemClock } from '../engine/clock.js';
import type { Engine } from '../engine/engine.js';
import type { Handler } from '../operations/context.js';
import { operations as defaultOperations } from '../operations/index.js';
import type { Store } from '../store/types.js';
import { registerAdminRoutes } from './admin-routes.js';
import { CONSOLE_PATH, registerConsoleRoutes } from './console-routes.js';
import { registerAwsRoutes, sendServiceError, toServiceError } from './aws-routes.js';
import { registerEngineRoutes } from './engine-routes.js';
import { requestLoggerFactory } from './operation-names.js';
import { type OperatorOptions, registerOperatorFeatures } from './operator.js';
import { Throttle, type ThrottleOptions } from './throttle.js';
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
  /** Request authentication; absent = off (account from the access key id, signatures not checked). */
  auth?: AuthSettings;
  /** Token buckets per (account, region, operation) on the AWS routes; absent = no throttling. */
  throttle?: ThrottleOptions;
  /** Metrics, fault rules, event stream, webhooks and testing controls (all optional; defaults made here). */
  operator?: OperatorOptions;
  /** What connector profiles saved through the admin routes must stay within; absent = DEFAULT_CONNECTOR_POLICY. */
  connectorPolicy?: ConnectorPolicy;
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
    // Every line a request logs names its operation (and, as always, its reqId = X-Amzn-RequestId).
    childLoggerFactory: requestLoggerFactory,
    return503OnClosing: true,
    // Malformed URLs never reach a route; they still get an AWS-shaped answer.
    frameworkErrors: (error, request, reply) => {
      reply.header('x-amzn-requestid', request.id);
      // Fastify's message quotes the whole URL: abridged, so a huge URL never becomes a huge answer.
      sendServiceError(reply, new BadRequestException(`The request could not be read: ${abridge(error.message, 200)}`));
    },
    // Bytes that are not HTTP never reach Fastify's handlers; they still get an AWS-shaped answer.
    clientErrorHandler: answerClientError,
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
      serviceError = new BadRequestException(`The request could not be read: ${abridge((error as Error).message, 200)}`);
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

  // In sigv4 mode the operator's routes need a request signed by any configured credential. Health
  // stays open for load balancers, and the console's static files (no data in them) for browsers that
  // have not signed in yet; matched by the route the router chose, so no spelling of a URL can borrow it.
  requireSignedOperatorRoutes(app, deps.auth, new Set(['/_profileflow/health', CONSOLE_PATH, `${CONSOLE_PATH}/*`]));

  const tokens = new PageTokens(await deps.store.pageTokenSecret());

  // `auth` only when signatures are required (the console then shows its sign-in panel); absent = off.
  app.get('/_profileflow/health', async () => ({ status: 'ok', version: VERSION, backend: deps.store.backend, ...(deps.auth?.mode === 'sigv4' ? { auth: 'sigv4' } : {}) }));
  registerAdminRoutes(app, { store: deps.store, clock: deps.clock ?? systemClock, connectorPolicy: deps.connectorPolicy });
  registerConsoleRoutes(app);

  const clock = deps.clock ?? systemClock;
  if (deps.engine) registerEngineRoutes(app, deps.engine, clock);
  registerOperatorFeatures(app, { ...deps.operator, store: deps.store, clock, engine: deps.engine });

  registerAwsRoutes(app, {
    store: deps.store,
    clock,
    engine: deps.engine,
    webhooks: deps.operator?.webhooks,
    tokens,
    operations: deps.operations ?? defaultOperations,
    auth: deps.auth,
    throttle: deps.throttle ? new Throttle(deps.throttle) : undefined,
  });
  return app;
}

/**
 * In sigv4 mode, every /_profileflow/ route but `publicRoutes` (route patterns, as the router matched
 * them) needs a request signed by any configured credential. Shared by serve and a worker's metrics
 * port. preHandler: the signature covers the body, which is parsed by then.
 */
export function requireSignedOperatorRoutes(app: FastifyInstance, auth: AuthSettings | undefined, publicRoutes: ReadonlySet<string>): void {
  if (auth?.mode !== 'sigv4') return;
  app.addHook('preHandler', async (request) => {
    const url = request.raw.url ?? '/';
    if (!url.startsWith('/_profileflow/') || publicRoutes.has(request.routeOptions.url ?? '')) return;
    const q = url.indexOf('?');
    const query = new URLSearchParams(q === -1 ? '' : url.slice(q + 1));
    const caller = authenticate(auth, { method: request.method, rawUrl: url, rawHeaders: request.raw.rawHeaders, body: request.body as Buffer | undefined }, query);
    verifiedCallers.set(request, caller);
  });
}

/**
 * Node's HTTP parser refused the bytes (a garbage request line, an oversized or invalid header, a bad
 * chunk…): answer a 400 in the AWS envelope and close, as Node's own handler would (only its body differs).
 */
function answerClientError(error: Error & { code?: string }, socket: import('node:net').Socket): void {
  if (error.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const tooLarge = error.code === 'HPE_HEADER_OVERFLOW';
  const body = JSON.stringify({
    Message: tooLarge ? 'The request headers are larger than the server accepts.' : 'The request is not valid HTTP/1.1 and could not be read.',
  });
  socket.end(
    `HTTP/1.1 ${tooLarge ? '431 Request Header Fields Too Large' : '400 Bad Request'}\r\n` +
      'Content-Type: application/json\r\n' +
      'X-Amzn-ErrorType: BadRequestException\r\n' +
      `X-Amzn-RequestId: ${randomUUID()}\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      'Connection: close\r\n\r\n' +
      body,
  );
}
