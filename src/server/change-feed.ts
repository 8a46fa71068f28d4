import { randomBytes } from 'node:crypto';
import type { Clock } from '../engine/clock.js';
import type { ChangeCursor, EndedRun, ScopedProfileMerge, StepChange, Store, WorkflowChange } from '../store/types.js';

/** The data of a `workflow` event. */
export interface WorkflowEventData {
  accountId: string;
  region: string;
  domainName: string;
  workflowId: string;
  status: string;
  errorDescription?: string;
  recordsProcessed: number;
  stepsCompleted: number;
  totalSteps: number;
  /** ISO-8601. */
  updatedAt: string;
}

/** The data of a `step` event. */
export interface StepEventData {
  accountId: string;
  region: string;
  domainName: string;
  workflowId: string;
  stepNo: number;
  flowName: string;
  status: string;
  executionMessage: string;
  recordsProcessed: number;
  batchRecordsStartTime: string;
  batchRecordsEndTime: string;
  /** ISO-8601: every record of the window before it has been read; absent when the source cannot tell. */
  readThrough?: string;
  attempts: number;
  updatedAt: string;
}

/** The data of a `flowRun` event: a flow run that ended (Successful, Error, Canceled). */
export interface FlowRunEventData {
  accountId: string;
  region: string;
  domainName: string;
  flowName: string;
  executionId: string;
  executionStatus: string;
  triggerType: string;
  recordsProcessed: number;
  executionMessage?: string;
  dataPullStartTime: string;
  dataPullEndTime: string;
  updatedAt: string;
}

/** The data of a `profileMerge` event: a MergeProfiles that committed. */
export interface ProfileMergeEventData {
  accountId: string;
  region: string;
  domainName: string;
  mergeId: string;
  mainProfileId: string;
  mergedProfileIds: string[];
  mergedAt: string;
  updatedAt: string;
}

export type FeedEvent =
  | { id: string; type: 'workflow'; data: WorkflowEventData }
  | { id: string; type: 'step'; data: StepEventData }
  | { id: string; type: 'flowRun'; data: FlowRunEventData }
  | { id: string; type: 'profileMerge'; data: ProfileMergeEventData };

export interface ChangeFeedOptions {
  /** How often the store is polled while someone listens (default 250 ms). */
  intervalMs?: number;
  /**
   * How far behind the newest change seen each poll looks again (clock milliseconds, default 10 s): a
   * transaction that stamped updated_at before a later one but committed after it is still seen.
   */
  overlapMs?: number;
  /** Events kept for `Last-Event-ID` resumption (default 1000). */
  historySize?: number;
}

const PAGE = 500;

/**
 * Workflow and step status changes, flow runs that ended and profile merges, as events, derived by polling the store: one poller per process,
 * shared by every subscriber, running only while there is one. Polling rather than in-process hooks,
 * because a `profileflow worker` (PostgreSQL) changes rows this process never touched.
 *
 * Each poll reads rows with updated_at ≥ (newest seen − overlap) and emits those whose observable state
 * (status, counts, message) differs from what it last saw; the manual clock may stand still, so two
 * changes may share an updated_at and still both be seen. Changes within one poll interval coalesce:
 * a subscriber sees the latest state, not every page.
 */
export class ChangeFeed {
  readonly intervalMs: number;
  private readonly overlapMs: number;
  private readonly historySize: number;
  /** Ids are `<instance>-<n>`: an id from before a restart is recognised as foreign and ignored. */
  private readonly instance = randomBytes(3).toString('hex');
  private seq = 0;
  private readonly listeners = new Set<(event: FeedEvent) => void>();
  private readonly seen = new Map<string, { fingerprint: string; updatedAt: number }>();
  private readonly history: FeedEvent[] = [];
  private watermark: number | undefined;
  private timer: NodeJS.Timeout | undefined;
  private polling: Promise<void> | undefined;
  private primed: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    options: ChangeFeedOptions = {},
    private readonly onError: (err: unknown) => void = () => undefined,
  ) {
    this.intervalMs = options.intervalMs ?? 250;
    this.overlapMs = options.overlapMs ?? 10_000;
    this.historySize = options.historySize ?? 1000;
  }

  get subscribers(): number {
    return this.listeners.size;
  }

  /**
   * Listens from now on (after replaying the events after `lastEventId`, when this process still has
   * them). Resolves once the poller has read the current state, so a change made after that is seen.
   */
  async subscribe(listener: (event: FeedEvent) => void, lastEventId?: string): Promise<() => void> {
    if (lastEventId) {
      const at = this.history.findIndex((e) => e.id === lastEventId);
      if (at !== -1) for (const e of this.history.slice(at + 1)) listener(e);
    }
    this.listeners.add(listener);
    this.start();
    await this.primed;
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0) this.pause();
    };
  }

  /**
   * Emits a change this process knows of that polling could miss (a cancelled workflow purged before
   * a poll read it); nothing when a poll already emitted that state.
   */
  publish(change: WorkflowChange): void {
    const key = `w:${change.workflow.workflowId}`;
    const data = workflowData(change);
    const fingerprint = fingerprintOf(data);
    if (this.seen.get(key)?.fingerprint === fingerprint) return;
    this.seen.set(key, { fingerprint, updatedAt: change.workflow.updatedAt });
    this.emit({ id: this.nextId(), type: 'workflow', data });
  }

  /** Stops for good (the app is closing). */
  close(): void {
    this.stopped = true;
    this.listeners.clear();
    this.pause();
  }

  /** Polls now (tests drive it; also what the timer calls). */
  async pollNow(): Promise<void> {
    this.polling ??= this.poll(true).finally(() => (this.polling = undefined));
    return this.polling;
  }

  private start(): void {
    if (this.stopped || this.timer) return;
    // A fresh start forgets the old view: what changed while nobody listened is state, not news.
    this.seen.clear();
    this.watermark = undefined;
    this.primed = this.poll(false).catch((err) => this.onError(err));
    const tick = async () => {
      try {
        await this.primed;
        await this.pollNow();
      } catch (err) {
        this.onError(err);
      }
      if (this.timer) this.timer = setTimeout(tick, this.intervalMs);
    };
    this.timer = setTimeout(tick, this.intervalMs);
    this.timer.unref?.();
  }

  private pause(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private async poll(emit: boolean): Promise<void> {
    const now = this.clock.now();
    // min(…, now): the manual clock may be set back; rows written after that carry the earlier times.
    const since = Math.min(this.watermark ?? now, now) - this.overlapMs;
    const workflows = await walk<WorkflowChange>((after) => this.store.activity.changedWorkflows(since, after, PAGE), (w) => ({
      updatedAt: w.workflow.updatedAt,
      workflowId: w.workflow.workflowId,
    }));
    const steps = await walk<StepChange>((after) => this.store.activity.changedSteps(since, after, PAGE), (s) => ({
      updatedAt: s.updatedAt,
      workflowId: s.workflowId,
      stepNo: s.stepNo,
    }));
    // Only runs that ended: a run's pages are many and its progress is not news (metrics count it).
    const runs = await walk<EndedRun, { updatedAt: number; executionId: string }>((after) => this.store.flowRuns.endedSince(since, after, PAGE), (r) => ({
      updatedAt: r.run.updatedAt,
      executionId: r.run.executionId,
    }));
    const merges = await walk<ScopedProfileMerge, { mergedAt: number; mergeId: string }>((after) => this.store.profileHistory.mergedSince(since, after, PAGE), (m) => ({
      mergedAt: m.merge.mergedAt,
      mergeId: m.merge.mergeId,
    }));
    // Steps before workflows at the same instant: a step completes, then its workflow does.
    const changes: { at: number; order: number; key: string; event: Omit<FeedEvent, 'id'> }[] = [];
    for (const m of merges) changes.push({ at: m.merge.mergedAt, order: 3, key: `m:${m.merge.mergeId}`, event: { type: 'profileMerge', data: mergeData(m) } });
    for (const r of runs) changes.push({ at: r.run.updatedAt, order: 2, key: `r:${r.scope.accountId}:${r.run.executionId}`, event: { type: 'flowRun', data: runData(r) } });
    for (const s of steps) changes.push({ at: s.updatedAt, order: 0, key: `s:${s.workflowId}:${s.stepNo}`, event: { type: 'step', data: stepData(s) } });
    for (const w of workflows) changes.push({ at: w.workflow.updatedAt, order: 1, key: `w:${w.workflow.workflowId}`, event: { type: 'workflow', data: workflowData(w) } });
    changes.sort((a, b) => a.at - b.at || a.order - b.order);
    let newest = this.watermark ?? now;
    for (const c of changes) {
      newest = Math.max(newest, c.at);
      const fingerprint = fingerprintOf(c.event.data);
      const before = this.seen.get(c.key);
      this.seen.set(c.key, { fingerprint, updatedAt: c.at });
      if (emit && before?.fingerprint !== fingerprint) this.emit({ id: this.nextId(), ...c.event } as FeedEvent);
    }
    this.watermark = newest;
    // Forget rows that fell out of the window: the next poll will not read them again.
    const horizon = Math.min(this.watermark, now) - this.overlapMs;
    for (const [key, v] of this.seen) if (v.updatedAt < horizon) this.seen.delete(key);
  }

  private nextId(): string {
    this.seq += 1;
    return `${this.instance}-${this.seq}`;
  }

  private emit(event: FeedEvent): void {
    this.history.push(event);
    if (this.history.length > this.historySize) this.history.splice(0, this.history.length - this.historySize);
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (err) {
        this.onError(err);
      }
    }
  }
}

async function walk<T, C = ChangeCursor>(page: (after: C | undefined) => Promise<T[]>, cursorOf: (row: T) => C): Promise<T[]> {
  const all: T[] = [];
  let after: C | undefined;
  for (;;) {
    const rows = await page(after);
    all.push(...rows);
    if (rows.length < PAGE) return all;
    after = cursorOf(rows[rows.length - 1]);
  }
}

function fingerprintOf(data: FeedEvent['data']): string {
  const { updatedAt: _ignored, ...rest } = data;
  return JSON.stringify(rest);
}

export function workflowData(change: WorkflowChange): WorkflowEventData {
  const w = change.workflow;
  return {
    accountId: change.scope.accountId,
    region: change.scope.region,
    domainName: w.domainName,
    workflowId: w.workflowId,
    // A deleted workflow reads CANCELLED until it is purged.
    status: change.deleted ? 'CANCELLED' : w.status,
    ...(w.errorDescription !== undefined ? { errorDescription: w.errorDescription } : {}),
    recordsProcessed: w.recordsProcessed,
    stepsCompleted: w.stepsCompleted,
    totalSteps: w.totalSteps,
    updatedAt: new Date(w.updatedAt).toISOString(),
  };
}

function runData({ scope, run }: EndedRun): FlowRunEventData {
  return {
    accountId: scope.accountId,
    region: scope.region,
    domainName: run.domainName,
    flowName: run.flowName,
    executionId: run.executionId,
    executionStatus: run.status,
    triggerType: run.triggerType,
    recordsProcessed: run.recordsProcessed,
    ...(run.errorMessage !== undefined && run.status !== 'Successful' ? { executionMessage: run.errorMessage } : {}),
    dataPullStartTime: new Date(run.windowStart).toISOString(),
    dataPullEndTime: new Date(run.windowEnd).toISOString(),
    updatedAt: new Date(run.updatedAt).toISOString(),
  };
}

function mergeData({ scope, merge }: ScopedProfileMerge): ProfileMergeEventData {
  const at = new Date(merge.mergedAt).toISOString();
  return {
    accountId: scope.accountId,
    region: scope.region,
    domainName: merge.domainName,
    mergeId: merge.mergeId,
    mainProfileId: merge.mainProfileId,
    mergedProfileIds: merge.mergedProfileIds,
    mergedAt: at,
    // A merge never changes once made; updatedAt keeps every event's data alike for readers.
    updatedAt: at,
  };
}

function stepData(s: StepChange): StepEventData {
  return {
    accountId: s.scope.accountId,
    region: s.scope.region,
    domainName: s.domainName,
    workflowId: s.workflowId,
    stepNo: s.stepNo,
    flowName: s.flowName,
    status: s.status,
    executionMessage: s.executionMessage,
    recordsProcessed: s.recordsProcessed,
    batchRecordsStartTime: new Date(s.windowStart).toISOString(),
    batchRecordsEndTime: new Date(s.windowEnd).toISOString(),
    ...(s.readThrough !== undefined ? { readThrough: new Date(s.readThrough).toISOString() } : {}),
    attempts: s.attempts,
    updatedAt: new Date(s.updatedAt).toISOString(),
  };
}
