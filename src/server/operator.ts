import type { FastifyInstance } from 'fastify';
import type { Clock } from '../engine/clock.js';
import type { Engine, EngineEvent } from '../engine/engine.js';
import type { WebhookDispatcher } from '../engine/webhooks.js';
import type { Store } from '../store/types.js';
import { ChangeFeed } from './change-feed.js';
import { registerEventsRoutes } from './events-routes.js';
import { FaultInjector, faultStep } from './faults.js';
import { Metrics, registerMetricsRoute, requestMetricsStep } from './metrics.js';
import type { RequestHooks } from './request-hooks.js';
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
  /** Steps of every request (faults before the handler, metrics after the answer) and the engine's listeners. */
  registerHooks(app: FastifyInstance, hooks: RequestHooks): void;
  /** The routes, on the admin surface: metrics, events, testing controls. */
  registerRoutes(admin: FastifyInstance): void;
}

/**
 * The operator's features around the AWS API, as request steps and routes of their own so the AWS route
 * needs no change: request metrics, fault rules, the event stream, the testing controls, engine outcome logs and
 * counters. A deletion needs no hook: DeleteWorkflow queues its webhooks itself, and the event stream
 * sees the CANCELLED workflow by polling, or from the engine's purge when that came first.
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
    registerHooks(app, hooks) {
      log = app.log;
      hooks.add('preHandler', faultStep(faults, metrics));
      hooks.add('onResponse', requestMetricsStep(metrics));
      metrics.gauge('profileflow_event_subscribers', 'Open event streams of this process.', () => feed.subscribers);
      registerEngineListeners(app, deps, metrics, feed);
    },
    registerRoutes(admin) {
      registerMetricsRoute(admin, metrics);
      registerEventsRoutes(admin, feed, { heartbeatMs: deps.heartbeatMs });
      registerTestingRoutes(admin, { store: deps.store, faults, engine: deps.engine, webhooks: deps.webhooks, afterReset: deps.afterReset });
    },
  };
}

function registerEngineListeners(app: FastifyInstance, deps: OperatorDeps, metrics: Metrics, feed: ChangeFeed): void {
  if (deps.engine) {
    const off = deps.engine.onEvent((event) => {
      metrics.observeEngine(event);
      logEngineEvent(app, event);
      // A purge may come before any poll saw the CANCELLED row; the feed emits it unless it already did.
      if (event.type === 'purged') feed.publish(event.change);
      if (event.type === 'step' && (event.outcome === 'workflow-complete' || event.outcome === 'failed')) deps.webhooks?.wake();
      if (event.type === 'run') deps.webhooks?.wake();
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

/** Every step outcome as one JSON log line with where it belongs; nothing from the flow definition. */
export function logEngineEvent(app: { log: FastifyInstance['log'] }, event: EngineEvent): void {
  if (event.type === 'error') {
    app.log.error({ err: event.error }, 'engine error');
    return;
  }
  if (event.type === 'purged') {
    const { scope, workflow } = event.change;
    app.log.info({ ...scope, domainName: workflow.domainName, workflowId: workflow.workflowId }, 'workflow purged');
    return;
  }
  const { type, ...fields } = event;
  if (type === 'run' || type === 'run-progress') {
    app.log[event.outcome === 'error' ? 'warn' : 'info'](fields, `flow run ${event.outcome}`);
    return;
  }
  app.log[event.outcome === 'failed' ? 'warn' : 'info'](fields, `step ${event.outcome}`);
}
