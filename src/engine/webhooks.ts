import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { isJsonObject } from '../domain/json-object.js';
import { retryDelayMs, type RetryPolicy } from '../domain/workflow-plan/retry-policy.js';
import type { EndedRun, ScopedProfileMerge, Store, WebhookDelivery, WorkflowChange } from '../store/types.js';
import type { Clock } from './clock.js';

/** A workflow's final statuses: what a webhook hears of when it names no events. */
const WORKFLOW_EVENTS = ['COMPLETE', 'FAILED', 'CANCELLED'] as const;
/** A flow run that ended: Successful or Canceled (FLOW_RUN_ENDED), Error (FLOW_RUN_FAILED); asked for by name. */
const RUN_EVENTS = ['FLOW_RUN_ENDED', 'FLOW_RUN_FAILED'] as const;
/** A MergeProfiles that committed; asked for by name. */
const MERGE_EVENT = 'PROFILES_MERGED';
export const WEBHOOK_EVENTS = [...WORKFLOW_EVENTS, ...RUN_EVENTS, MERGE_EVENT] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];
type RunEvent = (typeof RUN_EVENTS)[number];

/** One entry of the config file's `webhooks`. */
export interface WebhookConfig {
  url: string;
  /** What to be told of: workflow statuses, flow-run events, profile merges (default the three workflow statuses). */
  events: WebhookEvent[];
  /** The shared secret the body is signed with (HMAC-SHA256); never logged or stored in the database. */
  secret: string;
}

/** Headers of every delivery. */
export const SIGNATURE_HEADER = 'x-profileflow-signature';
export const TIMESTAMP_HEADER = 'x-profileflow-timestamp';
export const EVENT_HEADER = 'x-profileflow-event';
export const DELIVERY_HEADER = 'x-profileflow-delivery';

export interface WebhookDispatcherOptions {
  /** How often the outbox and the finished workflows are looked at (default 500 ms). */
  intervalMs: number;
  /** Attempts are 1 + maximumRetries, spaced by exponential back-off on the service clock. */
  retry: RetryPolicy;
  /** One POST's time limit (default 10 s). */
  timeoutMs: number;
  /** A claimed delivery is another process's to retry after this (default 60 s). */
  leaseMs: number;
  /** How far back each sweep looks again (default 60 s): a workflow finished in a transaction that committed late. */
  sweepOverlapMs: number;
}

export const DEFAULT_WEBHOOK_OPTIONS: WebhookDispatcherOptions = {
  intervalMs: 500,
  retry: { initialIntervalMs: 1_000, backoffCoefficient: 2, maximumIntervalMs: 300_000, maximumRetries: 5 },
  timeoutMs: 10_000,
  leaseMs: 60_000,
  sweepOverlapMs: 60_000,
};

/** Validates the config file's `webhooks` member. */
export function checkWebhooks(raw: unknown): { webhooks: WebhookConfig[]; problems: string[] } {
  const problems: string[] = [];
  const webhooks: WebhookConfig[] = [];
  if (!Array.isArray(raw)) return { webhooks, problems: ['webhooks must be a JSON array of {url, events?, secret}.'] };
  const urls = new Set<string>();
  raw.forEach((item, i) => {
    const at = `webhooks[${i}]`;
    if (!isJsonObject(item)) {
      problems.push(`${at} must be a JSON object {url, events?, secret}.`);
      return;
    }
    const w = item;
    for (const key of Object.keys(w)) if (!['url', 'events', 'secret'].includes(key)) problems.push(`${at}.${key} is not a webhook member (url, events, secret).`);
    let url: URL | undefined;
    try {
      url = typeof w.url === 'string' ? new URL(w.url) : undefined;
    } catch {
      url = undefined;
    }
    if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) problems.push(`${at}.url must be an http:// or https:// URL.`);
    else if (urls.has(url.href)) problems.push(`${at}.url ${url.href} is declared twice.`);
    else urls.add(url.href);
    if (typeof w.secret !== 'string' || w.secret.length === 0) problems.push(`${at}.secret must be a non-empty string (the HMAC key receivers verify with).`);
    // Run and merge events only when asked for: a receiver written for workflow bodies is not sent others.
    const given = w.events ?? [...WORKFLOW_EVENTS];
    const events = Array.isArray(given) ? given.map((e) => WEBHOOK_EVENTS.find((known) => known === e)) : [];
    if (events.length === 0 || events.some((e) => e === undefined)) {
      problems.push(`${at}.events must be a non-empty array of ${WEBHOOK_EVENTS.join(', ')}.`);
    }
    if (url && typeof w.secret === 'string') webhooks.push({ url: url.href, events: [...new Set(events.filter((e) => e !== undefined))], secret: w.secret });
  });
  return { webhooks, problems };
}

/**
 * The signature of a delivery: `sha256=` + hex HMAC-SHA256, keyed by the shared secret, of
 * `<timestamp>.<body>` (the X-Profileflow-Timestamp value, a dot, the raw body bytes). Signing the
 * timestamp too lets a receiver refuse an old delivery replayed at it.
 */
export function signWebhook(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/** What a receiver does: recompute, compare in constant time, and check the timestamp's age. */
export function verifyWebhook(secret: string, signature: string | undefined, timestamp: string | undefined, body: string, toleranceSeconds = 300, nowMs = Date.now()): boolean {
  if (!signature || !timestamp || !/^\d{1,12}$/.test(timestamp)) return false;
  if (Math.abs(nowMs / 1000 - Number(timestamp)) > toleranceSeconds) return false;
  const expected = Buffer.from(signWebhook(secret, timestamp, body));
  const given = Buffer.from(signature);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

/** The body: the workflow as GetWorkflow describes it (times as ISO-8601), and where it lives. */
export function webhookBody(change: WorkflowChange, event: WebhookEvent, deliveryId: string): string {
  const w = change.workflow;
  return JSON.stringify({
    Event: event,
    DeliveryId: deliveryId,
    AccountId: change.scope.accountId,
    Region: change.scope.region,
    DomainName: w.domainName,
    WorkflowId: w.workflowId,
    WorkflowType: w.workflowType,
    Status: event,
    ...(w.errorDescription !== undefined ? { ErrorDescription: w.errorDescription } : {}),
    StartDate: new Date(w.startedAt ?? w.createdAt).toISOString(),
    LastUpdatedAt: new Date(w.updatedAt).toISOString(),
    Attributes: {
      AppflowIntegration: { SourceConnectorType: w.connectorType, ConnectorProfileName: w.connectorProfileName, RoleArn: w.roleArn },
    },
    Metrics: {
      AppflowIntegration: { RecordsProcessed: w.recordsProcessed, StepsCompleted: w.stepsCompleted, TotalSteps: w.totalSteps },
    },
  });
}

/** The body of a flow-run event: the run as DescribeFlowExecutionRecords describes it, and where it lives. */
export function runWebhookBody(ended: EndedRun, event: RunEvent, deliveryId: string): string {
  const r = ended.run;
  return JSON.stringify({
    Event: event,
    DeliveryId: deliveryId,
    AccountId: ended.scope.accountId,
    Region: ended.scope.region,
    DomainName: r.domainName,
    FlowName: r.flowName,
    FlowArn: `arn:aws:appflow:${ended.scope.region}:${ended.scope.accountId}:flow/${r.flowName}`,
    ExecutionId: r.executionId,
    ExecutionStatus: r.status,
    TriggerType: r.triggerType,
    RecordsProcessed: r.recordsProcessed,
    RecordsDropped: r.recordsDropped,
    ...(r.errorMessage !== undefined && r.status !== 'Successful' ? { ExecutionMessage: r.errorMessage } : {}),
    DataPullStartTime: new Date(r.windowStart).toISOString(),
    DataPullEndTime: new Date(r.windowEnd).toISOString(),
    StartedAt: new Date(r.startedAt ?? r.createdAt).toISOString(),
    LastUpdatedAt: new Date(r.updatedAt).toISOString(),
  });
}

/** The body of a PROFILES_MERGED event: the merge as MergeProfiles was asked for it, and where it lives. */
export function mergeWebhookBody({ scope, merge }: ScopedProfileMerge, deliveryId: string): string {
  return JSON.stringify({
    Event: MERGE_EVENT,
    DeliveryId: deliveryId,
    AccountId: scope.accountId,
    Region: scope.region,
    DomainName: merge.domainName,
    MergeId: merge.mergeId,
    MainProfileId: merge.mainProfileId,
    ProfileIdsToBeMerged: merge.mergedProfileIds,
    MergedAt: new Date(merge.mergedAt).toISOString(),
  });
}

export function deliveryIdOf(url: string, workflowId: string, event: string): string {
  return createHash('sha256').update(`${url}\u0000${workflowId}\u0000${event}`).digest('hex').slice(0, 32);
}

export type DeliveryResult = 'delivered' | 'retry' | 'failed';

/**
 * Webhooks for workflows that reach COMPLETE, FAILED or CANCELLED, and for flow runs that end
 * (FLOW_RUN_ENDED: Successful or Canceled; FLOW_RUN_FAILED: Error), and for profile merges
 * (PROFILES_MERGED, swept from `profile_merges` as runs are), through a durable outbox
 * (`webhook_deliveries`): at least once, also across restarts.
 *
 * - COMPLETE and FAILED are found by a sweep over workflows changed since a watermark kept in the
 *   database, whichever process finished them (a worker included); the sweep re-reads an overlap and
 *   the delivery id (URL, workflow, status) makes queuing idempotent. A crash between the workflow's
 *   commit and the queuing loses nothing: the next sweep, in this process or the restarted one, queues it.
 * - CANCELLED is queued inside the deleting transaction (`enqueueCancelled`): by DeleteWorkflow for the
 *   workflow it cancels, by DeleteDomain for each unfinished workflow it removes. The engine may purge
 *   a cancelled workflow before any sweep could see it.
 * - Each due delivery is claimed with a lease (compare-and-set), POSTed, then marked DELIVERED, or
 *   retried with exponential back-off on the service clock until its attempts run out (FAILED).
 */
export class WebhookDispatcher {
  readonly options: WebhookDispatcherOptions;
  private readonly owner = `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}:webhooks`;
  private readonly byUrl: Map<string, WebhookConfig>;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = true;
  private watermark: number | undefined;
  private runWatermark: number | undefined;
  private mergeWatermark: number | undefined;
  private readonly listeners = new Set<(result: DeliveryResult, delivery: WebhookDelivery, detail?: string) => void>();

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    readonly webhooks: WebhookConfig[],
    options: Partial<WebhookDispatcherOptions> = {},
  ) {
    this.options = { ...DEFAULT_WEBHOOK_OPTIONS, ...options, retry: { ...DEFAULT_WEBHOOK_OPTIONS.retry, ...options.retry } };
    this.byUrl = new Map(webhooks.map((w) => [w.url, w]));
  }

  start(): void {
    if (!this.stopped || this.webhooks.length === 0) return;
    this.stopped = false;
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** Told of every attempt's result (metrics, logs). */
  onResult(listener: (result: DeliveryResult, delivery: WebhookDelivery, detail?: string) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private observe(result: DeliveryResult, delivery: WebhookDelivery, detail?: string): void {
    for (const l of this.listeners) {
      try {
        l(result, delivery, detail);
      } catch {
        // An observer's failure is not a delivery's.
      }
    }
  }

  /** Runs a pass soon (a workflow just finished here; a test moved the clock). */
  wake(): void {
    if (!this.stopped) this.schedule(0);
  }

  /** One pass: sweep finished workflows into the outbox, then deliver what is due. Concurrent calls share a pass. */
  runOnce(): Promise<void> {
    this.running ??= this.pass().finally(() => (this.running = undefined));
    return this.running;
  }

  /**
   * Queues CANCELLED deliveries for a workflow DeleteWorkflow or DeleteDomain removed. Given `tx`, they
   * are written in that transaction (committed or rolled back with the deletion) and the caller wakes
   * the dispatcher once it has committed; else at once, and the dispatcher wakes now.
   */
  async enqueueCancelled(change: WorkflowChange, tx?: Store): Promise<void> {
    await this.enqueue(change, 'CANCELLED', tx ?? this.store);
    if (!tx) this.wake();
  }

  private schedule(ms: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(async () => {
      this.timer = undefined;
      try {
        await this.runOnce();
      } catch {
        // The next pass tries again; a store outage is not the receivers' business.
      }
      if (!this.stopped && !this.timer) this.schedule(this.options.intervalMs);
    }, ms);
    this.timer.unref?.();
  }

  private async pass(): Promise<void> {
    if (this.webhooks.length === 0) return;
    await this.sweep();
    if (this.webhooks.some((w) => w.events.some((e) => (RUN_EVENTS as readonly string[]).includes(e)))) await this.sweepRuns();
    if (this.webhooks.some((w) => w.events.includes(MERGE_EVENT))) await this.sweepMerges();
    for (;;) {
      const due = await this.store.webhookOutbox.due(this.clock.now(), 20);
      if (due.length === 0) break;
      let sent = 0;
      for (const d of due) {
        if (await this.store.webhookOutbox.claim(d.deliveryId, this.owner, this.clock.now(), this.options.leaseMs)) {
          await this.deliver(d);
          sent += 1;
        }
      }
      if (sent === 0) break;
    }
    // Finished deliveries are kept a week (for GET /_profileflow/webhooks/deliveries), then dropped.
    await this.store.webhookOutbox.prune(this.clock.now() - 7 * 86_400_000);
  }

  private async sweep(): Promise<void> {
    const now = this.clock.now();
    if (this.watermark === undefined) {
      // First start with webhooks: from now on (history is not news). Later starts resume.
      this.watermark = (await this.store.webhookOutbox.sweepWatermark()) ?? now;
    }
    const since = Math.min(this.watermark, now) - this.options.sweepOverlapMs;
    let newest = this.watermark;
    let after: { updatedAt: number; workflowId: string } | undefined;
    for (;;) {
      const changes = await this.store.activity.changedWorkflows(since, after, 500);
      for (const c of changes) {
        newest = Math.max(newest, c.workflow.updatedAt);
        if (!c.deleted && (c.workflow.status === 'COMPLETE' || c.workflow.status === 'FAILED')) await this.enqueue(c, c.workflow.status);
      }
      if (changes.length < 500) break;
      const last = changes[changes.length - 1];
      after = { updatedAt: last.workflow.updatedAt, workflowId: last.workflow.workflowId };
    }
    this.watermark = newest;
    await this.store.webhookOutbox.setSweepWatermark(newest);
  }

  /**
   * Flow runs that ended since the last sweep, queued like finished workflows. Why a sweep rather than
   * the run's final transaction: the store's transitions (finishRun, failRun, endCancelled, the
   * scheduler's sweep, a cancel) do not know the webhook configuration, and a sweep over a durable
   * watermark gives the same guarantee: a run ended by any process (a worker included) is queued once
   * it committed, even if this process crashed in between; the delivery id makes queuing idempotent.
   */
  private async sweepRuns(): Promise<void> {
    const now = this.clock.now();
    if (this.runWatermark === undefined) this.runWatermark = (await this.store.webhookOutbox.sweepWatermark('runs')) ?? now;
    const since = Math.min(this.runWatermark, now) - this.options.sweepOverlapMs;
    let newest = this.runWatermark;
    let after: { updatedAt: number; executionId: string } | undefined;
    for (;;) {
      const ended = await this.store.flowRuns.endedSince(since, after, 500);
      for (const e of ended) {
        newest = Math.max(newest, e.run.updatedAt);
        const event: RunEvent = e.run.status === 'Error' ? 'FLOW_RUN_FAILED' : 'FLOW_RUN_ENDED';
        const deliveries = this.webhooks
          .filter((w) => w.events.includes(event))
          .map((w) => {
            const deliveryId = deliveryIdOf(w.url, e.run.executionId, event);
            // The outbox's workflow_id column holds the run's executionId: the resource the delivery is about.
            return { deliveryId, scope: e.scope, domainName: e.run.domainName, workflowId: e.run.executionId, event, url: w.url, body: runWebhookBody(e, event, deliveryId) };
          });
        if (deliveries.length) await this.store.webhookOutbox.enqueue(deliveries, this.clock.now());
      }
      if (ended.length < 500) break;
      const last = ended[ended.length - 1];
      after = { updatedAt: last.run.updatedAt, executionId: last.run.executionId };
    }
    this.runWatermark = newest;
    await this.store.webhookOutbox.setSweepWatermark(newest, 'runs');
  }

  /** Profile merges since the last sweep, queued as sweepRuns queues ended runs (and for the same reasons). */
  private async sweepMerges(): Promise<void> {
    const now = this.clock.now();
    if (this.mergeWatermark === undefined) this.mergeWatermark = (await this.store.webhookOutbox.sweepWatermark('merges')) ?? now;
    const since = Math.min(this.mergeWatermark, now) - this.options.sweepOverlapMs;
    let newest = this.mergeWatermark;
    let after: { mergedAt: number; mergeId: string } | undefined;
    const receivers = this.webhooks.filter((w) => w.events.includes(MERGE_EVENT));
    for (;;) {
      const merges = await this.store.profileHistory.mergedSince(since, after, 500);
      for (const m of merges) {
        newest = Math.max(newest, m.merge.mergedAt);
        const deliveries = receivers.map((w) => {
          const deliveryId = deliveryIdOf(w.url, m.merge.mergeId, MERGE_EVENT);
          // The outbox's workflow_id column holds the merge id: the resource the delivery is about.
          return { deliveryId, scope: m.scope, domainName: m.merge.domainName, workflowId: m.merge.mergeId, event: MERGE_EVENT, url: w.url, body: mergeWebhookBody(m, deliveryId) };
        });
        await this.store.webhookOutbox.enqueue(deliveries, this.clock.now());
      }
      if (merges.length < 500) break;
      const last = merges[merges.length - 1];
      after = { mergedAt: last.merge.mergedAt, mergeId: last.merge.mergeId };
    }
    this.mergeWatermark = newest;
    await this.store.webhookOutbox.setSweepWatermark(newest, 'merges');
  }

  private async enqueue(change: WorkflowChange, event: WebhookEvent, store: Store = this.store): Promise<void> {
    const deliveries = this.webhooks
      .filter((w) => w.events.includes(event))
      .map((w) => {
        const deliveryId = deliveryIdOf(w.url, change.workflow.workflowId, event);
        return {
          deliveryId,
          scope: change.scope,
          domainName: change.workflow.domainName,
          workflowId: change.workflow.workflowId,
          event,
          url: w.url,
          body: webhookBody(change, event, deliveryId),
        };
      });
    if (deliveries.length) await store.webhookOutbox.enqueue(deliveries, this.clock.now());
  }

  private async deliver(d: WebhookDelivery): Promise<void> {
    const attempts = d.attempts + 1;
    const hook = this.byUrl.get(d.url);
    if (!hook) {
      await this.store.webhookOutbox.failed(d.deliveryId, this.owner, d.attempts, 'The webhook is no longer configured.', undefined, this.clock.now());
      this.observe('failed', d, 'no longer configured');
      return;
    }
    let error: string | undefined;
    try {
      // Wall-clock seconds, not the service clock: receivers check freshness against their own clocks.
      const timestamp = String(Math.floor(Date.now() / 1000));
      const response = await fetch(d.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'profileflow-webhooks',
          [SIGNATURE_HEADER]: signWebhook(hook.secret, timestamp, d.body),
          [TIMESTAMP_HEADER]: timestamp,
          [EVENT_HEADER]: d.event,
          [DELIVERY_HEADER]: d.deliveryId,
        },
        body: d.body,
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
      await response.arrayBuffer().catch(() => undefined);
      if (!response.ok) error = `The receiver answered HTTP ${response.status}.`;
    } catch (err) {
      error = `The POST failed: ${(err as Error).message}`;
    }
    const now = this.clock.now();
    if (error === undefined) {
      await this.store.webhookOutbox.delivered(d.deliveryId, this.owner, attempts, now);
      this.observe('delivered', d);
      return;
    }
    const more = attempts <= this.options.retry.maximumRetries;
    const next = more ? now + retryDelayMs(this.options.retry, attempts) : undefined;
    await this.store.webhookOutbox.failed(d.deliveryId, this.owner, attempts, error, next, now);
    this.observe(more ? 'retry' : 'failed', d, error);
  }
}
