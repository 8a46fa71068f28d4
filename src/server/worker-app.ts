import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { UnknownOperationException } from '../api/errors.js';
import type { AuthSettings } from '../auth/caller.js';
import type { Engine } from '../engine/engine.js';
import type { Store } from '../store/types.js';
import { requireSignedOperatorRoutes } from './app.js';
import { sendServiceError, toServiceError } from './aws-routes.js';
import { withLogRedaction } from './log-redaction.js';
import { Metrics, registerMetrics } from './metrics.js';
import { registerOperationNames } from './operation-names.js';
import { logEngineEvent } from './operator.js';
import { VERSION } from './version.js';

export interface WorkerAppDeps {
  store: Store;
  /** The worker's engine: each of its step outcomes is logged and counted here. */
  engine: Engine;
  logger?: FastifyServerOptions['logger'];
  /** Applies to the metrics route as on serve (sigv4: signed requests only; health stays open). */
  auth?: AuthSettings;
  metrics?: Metrics;
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
    return503OnClosing: true,
    // The only requests are scrapes (every few seconds): logged, they would bury the step lines.
    disableRequestLogging: true,
  });
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-amzn-requestid', request.id);
  });
  app.setErrorHandler((error, request, reply) => sendServiceError(reply, toServiceError(request, error)));
  app.setNotFoundHandler((request, reply) => {
    const path = (request.raw.url ?? '/').split('?')[0].slice(0, 128);
    sendServiceError(reply, new UnknownOperationException(`A profileflow worker serves only /_profileflow/metrics and /_profileflow/health, not ${request.method} ${path}.`));
  });
  requireSignedOperatorRoutes(app, deps.auth, new Set(['/_profileflow/health']));

  registerOperationNames(app);
  const metrics = deps.metrics ?? new Metrics(deps.store);
  registerMetrics(app, metrics);
  app.get('/_profileflow/health', async () => ({ status: 'ok', version: VERSION, backend: deps.store.backend, worker: deps.engine.owner }));

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
