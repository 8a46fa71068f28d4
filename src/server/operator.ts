import type { FastifyInstance } from 'fastify';
import type { Clock } from '../engine/clock.js';
import type { Engine, EngineEvent } from '../engine/engine.js';
import type { WebhookDispatcher } from '../engine/webhooks.js';
import type { Store, WorkflowChange } from '../store/types.js';
import { ChangeFeed } from './change-feed.js';
import { registerEventsRoutes } from './events-routes.js';
import { FaultInjector, registerFaultHook } from './faults.js';
import { Metrics, registerMetricsRoute, registerRequestMetrics } from './metrics.js';
import { labelsOf } from './request-context.js';
import { registerTestingRoutes } from './testing-routes.js';

/** What buildApp may be given for the operator's features; everything has a default. */
export interface OperatorOptions {
  metrics?: Metrics;
  faults?: FaultInjector;
  /** Started and stopped by the caller (the CLI); here it is told of deletions and shown. */
  webhooks?: WebhookDispatcher;
  /** Event stream poll interval (default 250 ms) and heartbeat (default 15 s). */
  eventsIntervalMs?: number;
  heartbeatMs?: number;
  afterReset?: () => Promise<void>;
}

export interface OperatorDeps extends OperatorOptions {
  store: Store;
  clock: Clock;
  engine?: Engine;
}

export interface OperatorFeatures {
  metrics: Metrics;
  faults: FaultInjector;
  feed: ChangeFeed;
  /** Hooks on every request (metrics, faults, the DeleteWorkflow tap) and the engine's listeners. */
  registerHooks(app: FastifyInstance): void;
  /** The routes, on the admin surface: metrics, events, testing controls. */
  registerRoutes(admin: FastifyInstance): void;
}

/**
 * The operator's features around the AWS API, as hooks and routes of their own so the AWS route needs no
 * change: request metrics, fault rules, the event stream, the testing controls, engine outcome logs and
 * counters, and the DeleteWorkflow tap that tells the event stream and the webhooks of a cancellation
 * (the workflow may be purged before any poll sees it).
 */
export function operatorFeatures(deps: OperatorDeps): OperatorFeatures {
  const metrics = deps.metrics ?? new Metrics(deps.store);
  const faults = deps.faults ?? new FaultInjector();
  let log: FastifyInstance['log'] | undefined;
  const feed = new ChangeFeed(deps.store, deps.clock, { intervalMs: deps.eventsIntervalMs }, (err) => log?.error({ err }, 'event poll failed'));
  return {
    metrics,
    faults,
    feed,
    registerHooks(app) {
      log = app.log;
      registerRequestMetrics(app, metrics);
      registerFaultHook(app, faults, metrics);
      metrics.gauge('profileflow_event_subscribers', 'Open event streams of this process.', () => feed.subscribers);
      registerEngineListeners(app, deps, metrics);
      registerDeletionTap(app, deps, feed);
    },
    registerRoutes(admin) {
      registerMetricsRoute(admin, metrics);
      registerEventsRoutes(admin, feed, { heartbeatMs: deps.heartbeatMs });
      registerTestingRoutes(admin, { store: deps.store, faults, engine: deps.engine, webhooks: deps.webhooks, afterReset: deps.afterReset });
    },
  };
}

function registerEngineListeners(app: FastifyInstance, deps: OperatorDeps, metrics: Metrics): void {
  if (deps.engine) {
    const off = deps.engine.onEvent((event) => {
      metrics.observeEngine(event);
      logEngineEvent(app, event);
      if (event.type === 'step' && (event.outcome === 'workflow-complete' || event.outcome === 'failed')) deps.webhooks?.wake();
    });
    app.addHook('onClose', async () => {
      off();
    });
  }
  if (deps.webhooks) {
    const off = deps.webhooks.onResult((result, d, detail) => {
      metrics.webhooks.inc({ result });
      const entry = { deliveryId: d.deliveryId, workflowId: d.workflowId, event: d.event, url: d.url, attempt: d.attempts + 1, result, detail };
      if (result === 'delivered') app.log.info(entry, 'webhook delivered');
      else app.log.warn(entry, 'webhook delivery failed');
    });
    app.addHook('onClose', async () => {
      off();
    });
  }
}

/** DeleteWorkflow: read the workflow before the handler (it may be gone after), announce it after a 200. */
function registerDeletionTap(app: FastifyInstance, deps: OperatorDeps, feed: ChangeFeed): void {
  const deleting = new WeakMap<object, WorkflowChange>();
  app.addHook('preHandler', async (request) => {
    const { route } = request.ctx;
    if (route.kind !== 'aws' || route.operation !== 'DeleteWorkflow') return;
    const { DomainName, WorkflowId } = labelsOf(request);
    const found = WorkflowId ? await deps.store.activity.workflowById(WorkflowId).catch(() => undefined) : undefined;
    if (found && !found.deleted && found.workflow.domainName === DomainName) deleting.set(request, found);
  });
  app.addHook('onResponse', async (request, reply) => {
    const found = deleting.get(request);
    if (!found || reply.statusCode !== 200) return;
    const cancelled: WorkflowChange = {
      ...found,
      deleted: true,
      workflow: { ...found.workflow, status: 'CANCELLED', updatedAt: deps.clock.now() },
    };
    feed.publish(cancelled);
    await deps.webhooks?.enqueueCancelled(cancelled).catch((err) => request.log.error({ err }, 'could not queue the CANCELLED webhook'));
  });
}

/** Every step outcome as one JSON log line with where it belongs; nothing from the flow definition. */
export function logEngineEvent(app: { log: FastifyInstance['log'] }, event: EngineEvent): void {
  if (event.type === 'error') {
    app.log.error({ err: event.error }, 'engine error');
    return;
  }
  const { type: _type, ...fields } = event;
  const level = event.outcome === 'failed' ? 'warn' : 'info';
  app.log[level](fields, `step ${event.outcome}`);
}
