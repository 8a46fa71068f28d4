import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyInstance, type FastifyServerOptions, LogController } from 'fastify';
import { UnknownOperationException } from '../api/errors.js';
import type { AuthSettings } from '../auth/caller.js';
import type { Engine } from '../engine/engine.js';
import type { Store } from '../store/types.js';
import { authenticationSteps } from './access.js';
import { registerAdminSurface } from './admin-surface.js';
import { sendServiceError, toServiceError } from './aws-routes.js';
import { type BrowserPolicy, browserGuard } from './browser-guard.js';
import { deferredChildLogger } from './deferred-logger.js';
import { Metrics, registerMetricsRoute, requestMetricsStep } from './metrics.js';
import { withLogRedaction } from './log-redaction.js';
import { logEngineEvent } from './operator.js';
import { decorateRequestContext, routeRequest, stampRequestId } from './request-context.js';
import { RequestHooks } from './request-hooks.js';
import { applyConnectionLimits, type ServerLimits, serverOptionsOf } from './server-limits.js';
import { VERSION } from './version.js';

export interface WorkerAppDeps {
  store: Store;
  /** The worker's engine: each of its step outcomes is logged and counted here. */
  engine: Engine;
  logger?: FastifyServerOptions['logger'];
  /** Applies to the metrics route as on serve (sigv4: the operator's key only; health stays open). */
  auth?: AuthSettings;
  metrics?: Metrics;
  browser?: BrowserPolicy;
  limits?: ServerLimits;
}

/**
 * The observable side of `profileflow worker`, through the same code as serve's: step outcomes as
 * JSON log lines (`logEngineEvent`), counted by the same `Metrics`, served at /_profileflow/metrics
 * beside /_profileflow/health. Nothing listens here: the CLI listens only when given --metrics-port, and
 * otherwise uses the app for its logger alone.
 */
export async function buildWorkerApp(deps: WorkerAppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    logger: withLogRedaction(deps.logger ?? false),
    genReqId: () => randomUUID(),
    ...serverOptionsOf(deps.limits),
    return503OnClosing: true,
    // The only requests are scrapes (every few seconds): logged, they would bury the step lines.
    logController: new LogController({ disableRequestLogging: true }),
    childLoggerFactory: deferredChildLogger,
  });
  applyConnectionLimits(app, deps.limits);
  decorateRequestContext(app);
  const hooks = new RequestHooks().add('onRequest', stampRequestId).add('onRequest', routeRequest).add('onRequest', browserGuard(deps.browser ?? {}));
  app.setErrorHandler((error, request, reply) => sendServiceError(reply, toServiceError(request, error)));
  app.setNotFoundHandler((request, reply) => {
    const path = (request.raw.url ?? '/').split('?')[0].slice(0, 128);
    sendServiceError(reply, new UnknownOperationException(`A profileflow worker serves only /_profileflow/metrics and /_profileflow/health, not ${request.method} ${path}.`));
  });
  const authentication = authenticationSteps(deps.auth);
  hooks.add('onRequest', authentication.onRequest).add('preHandler', authentication.preHandler);

  const metrics = deps.metrics ?? new Metrics(deps.store);
  hooks.add('onResponse', requestMetricsStep(metrics));
  hooks.register(app);
  await registerAdminSurface(app, (admin) => {
    admin.get('/health', { config: { access: 'public' } }, async () => ({ ...deps.store.condition(), version: VERSION, backend: deps.store.backend, worker: deps.engine.owner }));
    registerMetricsRoute(admin, metrics);
  });

  const off = deps.engine.onEvent((event) => {
    metrics.observeEngine(event);
    logEngineEvent(app, event);
  });
  app.addHook('onClose', async () => {
    off();
  });
  await app.ready();
  return app;
}
