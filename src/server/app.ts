import type { ConnectorPolicy } from '../connectors/policy.js';
import { randomUUID } from 'node:crypto';
import { maxHeaderSize } from 'node:http';
import Fastify, { type FastifyInstance, type FastifyServerOptions, LogController } from 'fastify';
import { abridge, BadRequestException, ServiceError, UnknownOperationException } from '../api/errors.js';
import type { AuthSettings } from '../auth/caller.js';
import { PageTokens } from '../domain/page-token.js';
import { type Clock, systemClock } from '../engine/clock.js';
import type { Engine } from '../engine/engine.js';
import type { Handler } from '../operations/context.js';
import { operations as defaultOperations } from '../operations/index.js';
import { appflowOperations as defaultAppflowOperations } from '../operations/appflow/index.js';
import { services } from '../api/services.js';
import type { Store } from '../store/types.js';
import { authenticationSteps } from './access.js';
import { registerAdminSurface } from './admin-surface.js';
import { registerAdminRoutes } from './admin-routes.js';
import { registerConsoleRoutes } from './console-routes.js';
import { registerAwsRoutes, sendServiceError, toServiceError } from './aws-routes.js';
import { type BrowserPolicy, browserGuard, registerCorsPreflight } from './browser-guard.js';
import { deferredChildLogger, withBindings } from './deferred-logger.js';
import { registerEngineRoutes } from './engine-routes.js';
import { registerFlowRoutes } from './flow-routes.js';
import { registerProgressRoutes } from './progress-routes.js';
import { type OperatorOptions, operatorFeatures } from './operator.js';
import { decorateRequestContext, routeRequest, stampRequestId } from './request-context.js';
import { RequestHooks, type RequestStep } from './request-hooks.js';
import { type ServerLimits, serverOptionsOf, applyConnectionLimits, limitsWithDefaults } from './server-limits.js';
import { BodyBudget, bodyBudgetStep } from './body-budget.js';
import { withLogRedaction } from './log-redaction.js';
import { Throttle, type ThrottleOptions } from './throttle.js';
import { VERSION } from './version.js';

export interface AppDeps {
  store: Store;
  clock?: Clock;
  /** The workflow engine of this process, if it runs one; its controls appear under /_profileflow/engine. */
  engine?: Engine;
  /** Defaults to every implemented operation; tests may narrow or extend it. */
  operations?: Record<string, Handler>;
  /** The AppFlow operations; defaults to every one built (operations/appflow/index.ts). */
  appflowOperations?: Record<string, Handler>;
  /** Largest accepted request body, in bytes. */
  bodyLimit?: number;
  logger?: FastifyServerOptions['logger'];
  /** Request authentication; absent = off (account from the access key id, signatures not checked). */
  auth?: AuthSettings;
  /** Token buckets per (account, region, operation) on the AWS routes; absent = no throttling. */
  throttle?: ThrottleOptions;
  /** Metrics, fault rules, event stream, webhooks and testing controls (all optional; defaults made here). */
  operator?: OperatorOptions;
  /** Host names answered and CORS origins; default: loopback names only, no CORS. */
  browser?: BrowserPolicy;
  /** Timeouts and the connection cap; defaults in server-limits.ts. */
  limits?: ServerLimits;
  /** What connector profiles saved through the admin routes must stay within; absent = DEFAULT_CONNECTOR_POLICY. */
  connectorPolicy?: ConnectorPolicy;
}

/** PutProfileObject's Object alone may be 256,000 characters, which JSON escaping can multiply. */
export const DEFAULT_BODY_LIMIT = 8 * 1024 * 1024;

/**
 * The longest path label Fastify's router matches, decoded. Its default, 100, made the flow signal route
 * answer a flow name of 101 to 256 characters (AppFlow's FlowName allows 256) as an unknown route. Node's
 * HTTP parser refuses a request whose request line and headers pass its maxHeaderSize (16 KiB unless
 * `--max-http-header-size` says otherwise), so no label that reaches the router is longer than that:
 * every label reaches its route, which refuses one that is too long in its own words.
 */
const MAX_ROUTE_LABEL_LENGTH = maxHeaderSize;

/**
 * Builds the whole HTTP service around injected dependencies. Nothing happens on import and nothing
 * listens: only the CLI calls `listen`; tests use `app.inject()` or listen on an ephemeral port.
 *
 * A request: route once (request-context.ts: the matched route, never the raw URL) → Host and Origin
 * checks → authenticate (access.ts) → faults → on the admin surface, authorize by the route's access →
 * handler. Hook order is registration order, so the order below is the order of those steps.
 */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const bodyLimit = deps.bodyLimit ?? DEFAULT_BODY_LIMIT;
  const app = Fastify({
    logger: withLogRedaction(deps.logger ?? false),
    bodyLimit,
    routerOptions: { maxParamLength: MAX_ROUTE_LABEL_LENGTH },
    genReqId: () => randomUUID(),
    ...serverOptionsOf(deps.limits),
    // Logged by requestLogSteps once the route is known, so every line names its operation.
    logController: new LogController({ disableRequestLogging: true }),
    childLoggerFactory: deferredChildLogger,
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
  applyConnectionLimits(app, deps.limits);

  // Every request's steps, in this order, one hook per phase (request-hooks.ts).
  decorateRequestContext(app);
  const hooks = new RequestHooks().add('onRequest', stampRequestId).add('onRequest', routeRequest);
  const logs = requestLogSteps();
  hooks.add('onRequest', logs.incoming).add('onResponse', logs.completed);
  hooks.add('onRequest', browserGuard(deps.browser ?? {}));
  registerCorsPreflight(app, deps.browser ?? {});

  // Bodies are kept as bytes: the protocol layer decides, per operation, whether and how to read them.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));

  app.setErrorHandler((error, request, reply) => {
    const fastifyCode = (error as { code?: string }).code;
    let serviceError: ServiceError;
    if (fastifyCode === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      serviceError = new BadRequestException(`The request body is larger than the limit of ${request.routeOptions.bodyLimit ?? bodyLimit} bytes.`);
    } else if (fastifyCode?.startsWith('FST_ERR_CTP_') || fastifyCode === 'FST_ERR_BAD_URL') {
      serviceError = new BadRequestException(`The request could not be read: ${abridge((error as Error).message, 200)}`);
    } else {
      serviceError = toServiceError(request, error);
    }
    return sendServiceError(reply, serviceError, request.ctx?.service ? services[request.ctx.service] : undefined);
  });

  // The AWS route takes GET, POST, PUT, DELETE and PATCH; any other method (OPTIONS, …) lands here and
  // is answered like any other unknown route.
  app.setNotFoundHandler((request, reply) => {
    const path = (request.raw.url ?? '/').split('?')[0].slice(0, 128);
    sendServiceError(reply, new UnknownOperationException(`No Customer Profiles operation is served at ${request.method} ${path}.`));
  });

  const clock = deps.clock ?? systemClock;
  const tokens = new PageTokens(await deps.store.pageTokenSecret());
  const authentication = authenticationSteps(deps.auth);
  hooks.add('onRequest', authentication.onRequest).add('preHandler', authentication.preHandler);
  // After the signature's envelope: an unsigned body is refused before it counts against anyone.
  const bodies = new BodyBudget(limitsWithDefaults(deps.limits ?? {}).bodyMemoryBytes);
  hooks.add('onRequest', bodyBudgetStep(bodies, deps.auth, bodyLimit));
  const features = operatorFeatures({ ...deps.operator, store: deps.store, clock, engine: deps.engine });
  features.metrics.gauge('profileflow_request_body_bytes', 'Bytes of request bodies held by requests in flight.', () => bodies.heldBytes);
  features.registerHooks(app, hooks);
  hooks.register(app);

  await registerAdminSurface(app, (admin) => {
    // `auth` only when signatures are required (the console then shows its sign-in panel); absent = off.
    // status: ok, or degraded with a reason while the storage refuses writes (store.condition()).
    admin.get('/health', { config: { access: 'public' } }, async () => ({
      ...deps.store.condition(),
      version: VERSION,
      backend: deps.store.backend,
      ...(deps.auth?.mode === 'sigv4' ? { auth: 'sigv4' } : {}),
    }));
    registerAdminRoutes(admin, { store: deps.store, clock, connectorPolicy: deps.connectorPolicy });
    registerConsoleRoutes(admin);
    if (deps.engine) registerEngineRoutes(admin, deps.engine, clock);
    registerFlowRoutes(admin, { store: deps.store, clock, engine: deps.engine });
    registerProgressRoutes(admin, { store: deps.store });
    features.registerRoutes(admin);
  });

  registerAwsRoutes(app, {
    store: deps.store,
    clock,
    engine: deps.engine,
    webhooks: deps.operator?.webhooks,
    tokens,
    operations: deps.operations ?? defaultOperations,
    appflowOperations: deps.appflowOperations ?? defaultAppflowOperations,
    connectorPolicy: deps.connectorPolicy,
    throttle: deps.throttle ? new Throttle(deps.throttle) : undefined,
  });
  return app;
}

/**
 * One line when a request arrives and one when it is answered, each through the request's logger,
 * which from the route on carries the operation (an AWS operation, an admin route pattern or Unknown)
 * beside the request id. Headers and bodies are never logged; the URL goes through the logger's serializer.
 */
export function requestLogSteps(): { incoming: RequestStep; completed: RequestStep } {
  return {
    incoming: (request) => {
      request.log = withBindings(request.log, { operation: request.ctx.operation });
      request.log.info({ req: request }, 'incoming request');
    },
    completed: (request, reply) => {
      request.log.info({ res: reply, responseTime: reply.elapsedTime }, 'request completed');
    },
  };
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
  const [status, message] =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? ['431 Request Header Fields Too Large', 'The request headers are larger than the server accepts.']
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? ['408 Request Timeout', 'The request was not received in time: its headers or body came too slowly.']
        : ['400 Bad Request', 'The request is not valid HTTP/1.1 and could not be read.'];
  const body = JSON.stringify({ Message: message });
  socket.end(
    `HTTP/1.1 ${status}\r\n` +
      'Content-Type: application/json\r\n' +
      `X-Amzn-ErrorType: ${status.startsWith('408') ? 'RequestTimeoutException' : 'BadRequestException'}\r\n` +
      `X-Amzn-RequestId: ${randomUUID()}\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      'Connection: close\r\n\r\n' +
      body,
  );
}
