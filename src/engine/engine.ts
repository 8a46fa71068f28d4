import type { ConnectorPolicy } from '../connectors/policy.js';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from '../domain/workflow-plan/retry-policy.js';
import { purgeDeletedObjectTypes } from '../ingest/object-type-purge.js';
import { purgeDeletedDomains } from '../store/purge-domain.js';
import { purgeCancelledWorkflow } from '../store/purge-workflow.js';
import type { Store, WorkflowChange } from '../store/types.js';
import type { ClaimedStep } from '../store/workflow-types.js';
import type { ClaimedRun } from '../store/flow-run-types.js';
import { runFlowRun, type RunOutcome } from './run-runner.js';
import type { Clock } from './clock.js';
import { runStep, type StepOutcome, type StepRunnerOptions } from './step-runner.js';

export type EngineMode = 'auto' | 'manual' | 'off';

export interface EngineOptions {
  /** auto: workers run steps as soon as they are due; manual: only when advanced; off: never (API only). */
  mode: EngineMode;
  /** Steps run at once by this process; steps of one workflow never run concurrently. */
  concurrency: number;
  leaseMs: number;
  pollIntervalMs: number;
  pageSize: number;
  pageDelayMs: number;
  maxRecordsPerStep: number;
  minWindowMs: number;
  retry: RetryPolicy;
  /**
   * How often an auto engine asks the store to bring the planner's statistics up to date (PostgreSQL
   * with autovacuum off; Store.refreshStatistics). Wall-clock time, like lease renewal.
   */
  statisticsIntervalMs: number;
  /** The operator's policy connectors read within; DEFAULT_CONNECTOR_POLICY when not given. */
  connectorPolicy?: ConnectorPolicy;
}

/** How long an idle slot spends removing deleted domains' and object types' data before it looks for work again. */
const PURGE_SLICE_MS = 200;

export const DEFAULT_ENGINE_OPTIONS: EngineOptions = {
  mode: 'auto',
  concurrency: 4,
  leaseMs: 30_000,
  pollIntervalMs: 500,
  // Records read and committed per transaction. Why 2,000 rather than 500: every commit rewrites each
  // index page its records touched (key values land at random places in the key index), so fewer,
  // larger commits write far less; measured 7,000 → 12,000 records/s on SQLite (100,000 synthetic
  // records) for ~90 MB more peak RSS, still well under the 300 MB budget.
  pageSize: 2000,
  pageDelayMs: 0,
  maxRecordsPerStep: 1_000_000,
  minWindowMs: 60_000,
  retry: DEFAULT_RETRY_POLICY,
  // Autovacuum's own check interval is a minute, but a history load doubles a table in seconds; each
  // check is two catalog reads when nothing is due.
  statisticsIntervalMs: 5_000,
};

export interface AdvanceResult {
  /** Pages committed or steps finished, one entry per step touched. */
  steps: { workflowId: string; stepNo: number; outcome: StepOutcome }[];
  /** Flow runs touched, one entry each. */
  runs: { flowName: string; executionId: string; outcome: RunOutcome }[];
}

/** A unit of work a slot claimed: a workflow step or a flow run, on the same lease machine. */
type Claimed = { kind: 'step'; claimed: ClaimedStep } | { kind: 'run'; claimed: ClaimedRun };

/**
 * The worker loop: claim → run → checkpoint, in `concurrency` slots. The loop holds no SQL (the
 * pg-boss habit): claiming, leases and takeovers are the store's; running a step is the step runner's.
 */
export class Engine {
  readonly options: EngineOptions;
  readonly owner = `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
  private running = false;
  private readonly abort = new AbortController();
  private slots: Promise<void>[] = [];
  private wakeUp: (() => void)[] = [];
  private readonly listeners = new Set<(event: EngineEvent) => void>();

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    options: Partial<EngineOptions> = {},
  ) {
    this.options = { ...DEFAULT_ENGINE_OPTIONS, ...options, retry: { ...DEFAULT_RETRY_POLICY, ...options.retry } };
  }

  private get runnerOptions(): StepRunnerOptions {
    const o = this.options;
    return {
      owner: this.owner,
      leaseMs: o.leaseMs,
      pageSize: o.pageSize,
      pageDelayMs: o.pageDelayMs,
      maxRecordsPerStep: o.maxRecordsPerStep,
      minWindowMs: o.minWindowMs,
      retry: o.retry,
      connectorPolicy: o.connectorPolicy,
      onFault: (error) => this.emit({ type: 'error', error }),
    };
  }

  /** Starts the worker slots (auto mode only). */
  start(): void {
    if (this.options.mode !== 'auto' || this.running) return;
    this.running = true;
    this.slots = Array.from({ length: this.options.concurrency }, () => this.slotLoop());
    this.slots.push(this.statisticsLoop());
  }

  /** Stops claiming, lets running steps stop at their next page, and gives their leases back. */
  async stop(): Promise<void> {
    this.running = false;
    this.abort.abort();
    this.wake();
    await Promise.all(this.slots);
    this.slots = [];
  }

  wake(): void {
    const waiting = this.wakeUp;
    this.wakeUp = [];
    for (const resolve of waiting) resolve();
  }

  onEvent(listener: (event: EngineEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Runs up to `pages` pages of due work now, in this call (manual mode, and tests). A step that
   * finishes within the budget completes; one that does not gives its lease back and goes on at the
   * next call. `untilIdle` keeps going until nothing is due.
   */
  async advance(options: { pages?: number; untilIdle?: boolean } = {}): Promise<AdvanceResult> {
    let budget = options.untilIdle ? Number.POSITIVE_INFINITY : Math.max(1, options.pages ?? 1);
    const steps: AdvanceResult['steps'] = [];
    const runs: AdvanceResult['runs'] = [];
    await this.reapCancelledWorkflows();
    await this.reapDeletions(options.untilIdle ? Number.POSITIVE_INFINITY : PURGE_SLICE_MS);
    await this.refreshStatistics();
    await this.scheduleRuns();
    while (budget > 0) {
      const work = await this.claim();
      if (!work) break;
      const progress = { pages: 0 };
      if (work.kind === 'step') {
        const { claimed } = work;
        const outcome = await runStep(this.store, this.clock, this.runnerOptions, claimed, budget, undefined, progress);
        steps.push({ workflowId: claimed.step.workflowId, stepNo: claimed.step.stepNo, outcome });
        await this.finish(claimed, outcome);
      } else {
        const { claimed } = work;
        const outcome = await runFlowRun(this.store, this.clock, this.runnerOptions, claimed, budget, undefined, progress);
        runs.push({ flowName: claimed.run.flowName, executionId: claimed.run.executionId, outcome });
        await this.finishRun(claimed, outcome);
      }
      // A unit that finished without a page (an empty window, a failure) still uses one unit of budget,
      // so that `pages: 1` always moves exactly one thing forward.
      budget -= Math.max(1, progress.pages);
    }
    return { steps, runs };
  }

  /** Runs everything that is due until nothing is (tests and `--engine-mode manual` controls). */
  runUntilIdle(): Promise<AdvanceResult> {
    return this.advance({ untilIdle: true });
  }

  private async slotLoop(): Promise<void> {
    // Errors in a row (a full disk, a database outage): each one waits longer before the next claim.
    let failures = 0;
    while (this.running) {
      let work: Claimed | undefined;
      try {
        work = await this.claim();
      } catch (err) {
        this.emit({ type: 'error', error: err });
        await this.idle(errorBackoffMs(this.options.pollIntervalMs, ++failures));
        continue;
      }
      if (!work) {
        failures = 0;
        await this.reapCancelledWorkflows();
        const purging = (await this.reapDeletions(PURGE_SLICE_MS)) === 'pending';
        // Nothing claimable: make the scheduled runs that are due, and claim again at once if any were
        // (or if a deletion's data is still to go).
        if ((await this.scheduleRuns()) === 0 && !purging) await this.idle();
        continue;
      }
      // Long pages must not let the lease lapse: renew it at a third of its length. A read that delivers
      // no page (a long listing, a slow source) would only notice a deleted workflow or a lost lease at
      // its next commit, so a refused renewal (a cancelled step holds no lease) aborts the step then.
      const stepAbort = new AbortController();
      // A listener rather than AbortSignal.any: the engine's signal lives as long as the process.
      const stopStep = () => stepAbort.abort(this.abort.signal.reason);
      this.abort.signal.addEventListener('abort', stopStep, { once: true });
      // One renewal at a time: while the unit's page waits for a lock (another node's ingestion into its
      // domain) it holds the unit's row, a renewal waits for that row, and a renewal started at every
      // tick would each hold a pooled connection until the page commits.
      let renewing = false;
      const heartbeat = setInterval(() => {
        if (renewing) return;
        renewing = true;
        void (async () => {
          const owned =
            work.kind === 'step'
              ? await this.store.workflows.renewLease({ ...this.leaseRequest(), key: { workflowId: work.claimed.step.workflowId, stepNo: work.claimed.step.stepNo } })
              : await this.store.flowRuns.renewLease({ ...this.leaseRequest(), key: runKey(work.claimed) });
          if (!owned) stepAbort.abort(new Error('The unit of work lost its lease, was cancelled, or its workflow was deleted.'));
        })()
          .catch(() => undefined)
          .finally(() => (renewing = false));
      }, Math.max(10, Math.floor(this.options.leaseMs / 3)));
      try {
        if (work.kind === 'step') {
          const outcome = await runStep(this.store, this.clock, this.runnerOptions, work.claimed, Number.POSITIVE_INFINITY, stepAbort.signal);
          failures = 0;
          await this.finish(work.claimed, outcome);
        } else {
          const outcome = await runFlowRun(this.store, this.clock, this.runnerOptions, work.claimed, Number.POSITIVE_INFINITY, stepAbort.signal);
          failures = 0;
          await this.finishRun(work.claimed, outcome);
        }
      } catch (err) {
        // The step runner gave the step back (or its lease will lapse); it is retried from its cursor.
        this.emit({ type: 'error', error: err });
        await this.idle(errorBackoffMs(this.options.pollIntervalMs, ++failures));
      } finally {
        clearInterval(heartbeat);
        this.abort.signal.removeEventListener('abort', stopStep);
      }
    }
  }

  /** Keeps the planner's statistics current while steps grow the tables (auto mode). */
  private async statisticsLoop(): Promise<void> {
    while (this.running && !this.abort.signal.aborted) {
      await sleep(this.options.statisticsIntervalMs, undefined, { signal: this.abort.signal }).catch(() => undefined);
      if (this.running) await this.refreshStatistics();
    }
  }

  private async refreshStatistics(): Promise<void> {
    try {
      await this.store.refreshStatistics();
    } catch (err) {
      this.emit({ type: 'error', error: err });
    }
  }

  /** Steps first (a workflow's history is waited on by a person), then flow runs. */
  private async claim(): Promise<Claimed | undefined> {
    const step = await this.store.workflows.claim(this.leaseRequest());
    if (step) return { kind: 'step', claimed: step };
    const run = await this.store.flowRuns.claim(this.leaseRequest());
    return run && { kind: 'run', claimed: run };
  }

  /** Creates the scheduled runs that are due (every node does; the store lets one create each). */
  private async scheduleRuns(): Promise<number> {
    try {
      return (await this.store.flowRuns.scheduleDueRuns(this.clock.now())).length;
    } catch (err) {
      this.emit({ type: 'error', error: err });
      return 0;
    }
  }

  /** Tells the observers of a run's outcome: a run event once it ended (Successful, Error, Canceled). */
  private async finishRun(claimed: ClaimedRun, outcome: RunOutcome): Promise<void> {
    if (outcome === 'yielded' || outcome === 'lost' || outcome === 'retry') {
      this.emit({ type: 'run-progress', ...runContext(claimed), outcome, tookOver: claimed.tookOver });
      return;
    }
    const run = await this.store.flowRuns.get(runKey(claimed)).catch(() => undefined);
    this.emit({
      type: 'run',
      ...runContext(claimed),
      outcome,
      tookOver: claimed.tookOver,
      recordsProcessed: run?.recordsProcessed ?? 0,
      recordsDropped: run?.recordsDropped ?? 0,
      status: run?.status ?? (outcome === 'successful' ? 'Successful' : outcome === 'error' ? 'Error' : 'Canceled'),
    });
  }

  private leaseRequest() {
    return { owner: this.owner, now: this.clock.now(), leaseMs: this.options.leaseMs };
  }

  /** Tells the observers of a step's outcome; a step that found its workflow cancelled purges it. */
  private async finish(claimed: ClaimedStep, outcome: StepOutcome): Promise<void> {
    this.emit({ type: 'step', ...stepContext(claimed), outcome, tookOver: claimed.tookOver });
    if (outcome === 'cancelled') await this.purge(claimed.step.workflowId);
  }

  /**
   * The reaper of deletions: purges every cancelled workflow (DeleteWorkflow only cancels). Run before
   * each manual advance and whenever an auto slot finds nothing to claim, so it also finishes the
   * deletions of a process that died, or of an API process that runs no engine (`--engine-mode off`
   * beside `profileflow worker`).
   */
  private async reapCancelledWorkflows(): Promise<void> {
    try {
      for (const workflowId of await this.store.workflows.cancelledWorkflows(20)) await this.purge(workflowId);
    } catch (err) {
      this.emit({ type: 'error', error: err });
    }
  }

  /**
   * The reaper of deleted domains' data and deleted object types' objects (purge-domain.ts,
   * ingest/object-type-purge.ts): for `ms` at most, so that a slot with nothing else to do removes them a
   * slice at a time and claims new work between slices.
   */
  private async reapDeletions(ms: number): Promise<'done' | 'pending'> {
    try {
      const until = performance.now() + ms;
      const domains = await purgeDeletedDomains(this.store, { until });
      const types = await purgeDeletedObjectTypes(this.store, () => this.clock.now(), { until });
      return domains === 'pending' || types === 'pending' ? 'pending' : 'done';
    } catch (err) {
      this.emit({ type: 'error', error: err });
      return 'done';
    }
  }

  private async purge(workflowId: string): Promise<void> {
    const purged = await purgeCancelledWorkflow(this.store, workflowId);
    if (purged) this.emit({ type: 'purged', change: { ...purged, workflow: { ...purged.workflow, status: 'CANCELLED' } } });
  }

  private idle(ms = this.options.pollIntervalMs): Promise<void> {
    if (!this.running) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wakeUp.push(done);
    });
  }

  private emit(event: EngineEvent): void {
    for (const listener of this.listeners) listener(event);
  }
}

/** The longest a slot waits after errors in a row before it tries to claim again. */
export const MAX_ERROR_BACKOFF_MS = 30_000;

/**
 * The wait after `failures` errors in a row: the poll interval, doubled per further error, capped at
 * 30 s. Why: an error that is not the source's (a full disk, the database gone) is not counted against
 * the step, so without a growing wait every slot would claim, fail and log twice a second until it clears.
 */
export function errorBackoffMs(pollIntervalMs: number, failures: number): number {
  return Math.min(pollIntervalMs * 2 ** Math.max(0, failures - 1), MAX_ERROR_BACKOFF_MS);
}

/**
 * What the engine tells its observers (logs, metrics, webhooks): one `step` event per runStep outcome,
 * with where the step belongs.
 */
export type EngineEvent =
  | ({ type: 'step'; outcome: StepOutcome; tookOver: boolean } & StepContext)
  /** A cancelled workflow removed for good; `change` is its last state (CANCELLED). */
  | { type: 'purged'; change: WorkflowChange }
  | { type: 'error'; error: unknown }
  /** A flow run ended (Successful, Error, Canceled): the change feed, webhooks and metrics carry it. */
  | ({ type: 'run'; outcome: 'successful' | 'error' | 'canceled'; status: string; tookOver: boolean; recordsProcessed: number; recordsDropped: number } & RunContext)
  /** A flow run that did not end in this call (a retry scheduled, handed back, lost its lease). */
  | ({ type: 'run-progress'; outcome: RunOutcome; tookOver: boolean } & RunContext);

export interface RunContext {
  accountId: string;
  region: string;
  domainName: string;
  flowName: string;
  executionId: string;
  windowStart: number;
  windowEnd: number;
}

function runContext(claimed: ClaimedRun): RunContext {
  return {
    accountId: claimed.scope.accountId,
    region: claimed.scope.region,
    domainName: claimed.flow.domainName,
    flowName: claimed.run.flowName,
    executionId: claimed.run.executionId,
    windowStart: claimed.run.windowStart,
    windowEnd: claimed.run.windowEnd,
  };
}

function runKey(claimed: ClaimedRun) {
  return { scope: claimed.scope, flowName: claimed.run.flowName, executionId: claimed.run.executionId };
}

export interface StepContext {
  accountId: string;
  region: string;
  domainName: string;
  workflowId: string;
  stepNo: number;
}

function stepContext(claimed: ClaimedStep): StepContext {
  return {
    accountId: claimed.scope.accountId,
    region: claimed.scope.region,
    domainName: claimed.workflow.domainName,
    workflowId: claimed.step.workflowId,
    stepNo: claimed.step.stepNo,
  };
}
