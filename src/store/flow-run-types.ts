/** AppFlow flow runs: the second kind of leased work (store/lease.ts), beside workflow steps. */
import type { Scope } from '../domain/scope.js';
import type { FlowRecord } from './appflow-types.js';
import type { LeaseHolder, LeaseMachine, LeaseRequest } from './lease.js';

/** AppFlow's ExecutionStatus. */
export type ExecutionStatus = 'InProgress' | 'Successful' | 'Error' | 'CancelStarted' | 'Canceled';

/** The status a run holds (or waits for) a lease in. */
export const RUN_LEASED_STATUS = 'InProgress';

export interface RunKey {
  scope: Scope;
  flowName: string;
  executionId: string;
}

export interface FlowRunRecord {
  flowName: string;
  executionId: string;
  domainName: string;
  /** What made the run: Scheduled (a tick), OnDemand (StartFlow), Event (the signal route). */
  triggerType: string;
  status: ExecutionStatus;
  /** The window read, [windowStart, windowEnd): dataPullStartTime and dataPullEndTime. */
  windowStart: number;
  windowEnd: number;
  cursor?: string;
  attempts: number;
  runAfter: number;
  recordsProcessed: number;
  recordsDropped: number;
  droppedByReason: Record<string, number>;
  errorMessage?: string;
  startedAt?: number;
  createdAt: number;
  updatedAt: number;
  endedAt?: number;
  leaseOwner?: string;
  leaseExpiresAt?: number;
}

/** A run that ended, with where it belongs. */
export interface EndedRun {
  scope: Scope;
  run: FlowRunRecord;
}

export interface ClaimedRun {
  scope: Scope;
  run: FlowRunRecord;
  flow: FlowRecord;
  /** The lease was another owner's and had lapsed: the run resumes from its cursor. */
  tookOver: boolean;
}

export type RunTransition<T = object> = LeaseHolder & { key: RunKey } & T;

export interface NewRun {
  triggerType: string;
  windowStart: number;
  windowEnd: number;
  now: number;
}

export interface FlowRunRepository extends LeaseMachine<RunKey, ClaimedRun> {
  /**
   * For every Active Scheduled flow whose next tick is due, creates one run (missed ticks collapse into
   * the newest) and moves the flow's next tick past now; returns the runs created.
   */
  scheduleDueRuns(now: number): Promise<RunKey[]>;
  /** A run now (StartFlow on an OnDemand flow, the Event signal); undefined when the flow has an active run. */
  createRun(scope: Scope, flowName: string, run: NewRun): Promise<string | undefined>;
  checkpointPage(t: RunTransition<{ leaseMs: number; cursor: string; records: number; dropped: number; droppedByReason: Record<string, number> }>): Promise<boolean>;
  /** The run's row locked for the caller's transaction while the lease is the caller's (WorkflowRepository.holdStep says why). */
  holdRun(holder: { key: RunKey; owner: string }): Promise<boolean>;
  finishRun(t: RunTransition): Promise<boolean>;
  retryRun(t: RunTransition<{ attempts: number; runAfter: number; message: string }>): Promise<boolean>;
  failRun(t: RunTransition<{ message: string; deactivationThreshold?: number }>): Promise<boolean>;
  /** The holder ends a run whose cancel was asked for (CancelStarted) or whose flow went away: Canceled. */
  endCancelled(t: RunTransition<{ message: string }>): Promise<boolean>;
  /**
   * Cancels active runs of a flow (all, or those named): a run held by a live lease becomes
   * CancelStarted (its holder stops at its next page), any other Canceled at once. Returns the ids
   * cancelled and the named ids that were not active.
   */
  cancel(scope: Scope, flowName: string, executionIds: string[] | undefined, now: number, message: string): Promise<{ cancelled: string[]; invalid: string[] }>;
  get(key: RunKey): Promise<FlowRunRecord | undefined>;
  /** Runs not ended (InProgress, CancelStarted), every account, by status: a metrics gauge. */
  activeCounts(): Promise<Record<string, number>>;
  /**
   * Runs that ended (Successful, Error, Canceled) with updated_at ≥ `since`, every account, in
   * (updatedAt, executionId) order after `after`: the webhook sweep's read.
   */
  endedSince(since: number, after: { updatedAt: number; executionId: string } | undefined, limit: number): Promise<EndedRun[]>;
  /** Newest first; keyset after (createdAt, executionId). */
  list(scope: Scope, flowName: string, after: [number, string] | undefined, limit: number): Promise<FlowRunRecord[]>;
  /** Whether the run's flow still exists, with its domain and (when it belongs to one) its integration. */
  flowStillRuns(scope: Scope, flowName: string): Promise<boolean>;
  /** StartFlow/StopFlow: the flow's status; activating restarts its schedule from `now`. */
  setFlowStatus(scope: Scope, flowName: string, status: 'Active' | 'Suspended', now: number): Promise<boolean>;
}

export type { LeaseRequest };
