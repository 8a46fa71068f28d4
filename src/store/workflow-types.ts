import type { FlowDefinition, SourceConnectorType, Status } from '../api/shapes.generated.js';
import type { Scope } from '../domain/scope.js';
import type { LeaseHolder, LeaseMachine, LeaseRequest } from './lease.js';

export type WorkflowStatus = Status;

/** What CreateIntegrationWorkflow asked for, kept for the engine and for the integration it creates. */
export interface WorkflowDefinition {
  /** The request's FlowDefinition (sensitive: never echoed in responses or logs). */
  flowDefinition: FlowDefinition;
  tags?: Record<string, string>;
}

export interface WorkflowRecord {
  workflowId: string;
  domainName: string;
  workflowType: 'APPFLOW_INTEGRATION';
  status: WorkflowStatus;
  errorDescription?: string;
  objectTypeName: string;
  connectorType: SourceConnectorType;
  connectorProfileName: string;
  roleArn: string;
  definition: WorkflowDefinition;
  recordsProcessed: number;
  stepsCompleted: number;
  totalSteps: number;
  /** Epoch milliseconds. */
  createdAt: number;
  startedAt?: number;
  updatedAt: number;
}

/** A workflow as lists show it: everything but the stored FlowDefinition, the one large column. */
export type WorkflowSummary = Omit<WorkflowRecord, 'definition'>;

export interface WorkflowStepRecord {
  workflowId: string;
  stepNo: number;
  flowName: string;
  status: WorkflowStatus;
  executionMessage: string;
  /** Records that reached the domain (ingested as objects): the step's RecordsProcessed. */
  recordsProcessed: number;
  /** Records read but not ingested: dropped by a FlowDefinition task or rejected by the object type. */
  recordsDropped: number;
  /** The step's window [windowStart, windowEnd), epoch milliseconds. */
  windowStart: number;
  windowEnd: number;
  cursor?: string;
  /** Every record of the window before this instant (epoch ms) has been read: moved with the cursor, when the source can tell. */
  readThrough?: number;
  /** The source's count of the window's records, taken before the read began, when it gave one. */
  recordsEstimate?: number;
  attempts: number;
  runAfter: number;
  leaseOwner?: string;
  leaseExpiresAt?: number;
  createdAt: number;
  updatedAt: number;
}

/** What ListWorkflows shows of a workflow (its StatusDescription included). */
export type WorkflowListItem = Pick<
  WorkflowSummary,
  'workflowId' | 'workflowType' | 'status' | 'errorDescription' | 'recordsProcessed' | 'stepsCompleted' | 'totalSteps' | 'createdAt' | 'updatedAt'
>;

/** What GetWorkflowSteps shows of a step (and the order it is read in): no cursor, lease or retry state. */
export type WorkflowStepSummary = Pick<
  WorkflowStepRecord,
  'stepNo' | 'flowName' | 'status' | 'executionMessage' | 'recordsProcessed' | 'windowStart' | 'windowEnd' | 'createdAt' | 'updatedAt'
>;

/** A page of a workflow's steps and the workflow's type, which is undefined when the page is empty. */
export interface WorkflowStepPage {
  workflowType?: WorkflowRecord['workflowType'];
  steps: WorkflowStepSummary[];
}

/** A step as its progress is told: what GetWorkflowSteps shows, with the read position and the source's estimate. */
export type WorkflowStepProgress = WorkflowStepSummary & Pick<WorkflowStepRecord, 'readThrough' | 'recordsEstimate'>;

/** The workflow's COMPLETE steps, summed: their records and the milliseconds of window they covered. */
export interface CompletedStepTotals {
  records: number;
  windowMs: number;
}

export interface WorkflowFilter {
  status?: WorkflowStatus;
  workflowType?: string;
  /** Inclusive bounds on the creation time, epoch milliseconds. */
  createdFrom?: number;
  createdTo?: number;
}

/** Where a workflow is: its scope, its domain and its id. */
export interface WorkflowRef {
  scope: Scope;
  domainName: string;
  workflowId: string;
}

/** A page of a list: keyset after `after` (exclusive), at most `limit` rows. */
export interface WorkflowPage<After> {
  scope: Scope;
  domainName: string;
  filter?: WorkflowFilter;
  after?: After;
  limit: number;
}

/** A step that a worker holds the lease of, with its workflow and the workflow's scope. */
export interface ClaimedStep {
  scope: Scope;
  workflow: WorkflowRecord;
  step: WorkflowStepRecord;
  /** True when the previous holder's lease ran out (a takeover after a crash). */
  tookOver: boolean;
}

export interface StepKey {
  workflowId: string;
  stepNo: number;
}

/**
 * A step to plan: its window and first message. Its number and its FlowName are the repository's to
 * give (`stepRows`), the same way for a new workflow and for the halves of a split.
 */
export interface NewStep {
  windowStart: number;
  windowEnd: number;
  executionMessage: string;
}

/** What a page's checkpoint writes. */
export interface PageCheckpointWrite {
  leaseMs: number;
  cursor: string;
  records: number;
  dropped: number;
  message: string;
  /** The page's read position (epoch ms), when the source told one; the stored one stays otherwise. */
  readThrough?: number;
}

/** A guarded transition's arguments: the holder, the step, and what the transition writes. */
export type StepTransition<T = object> = LeaseHolder & { key: StepKey } & T;

/** What DeleteWorkflow found: nothing, a workflow it cancelled now, or one already cancelled and not yet purged. */
export type CancelResult =
  | { state: 'missing' }
  | { state: 'cancelled'; workflow: WorkflowSummary }
  | { state: 'already-cancelled'; workflow: WorkflowSummary };

/**
 * The lease state machine of workflow steps (docs/architecture.md draws it). Every transition after
 * the claim names the lease owner and changes nothing (answers false) when the lease is no longer its
 * own, so a worker that lost its lease can never overwrite its successor's progress; every transition
 * of more than one statement runs in one transaction.
 */
export interface StepMachine extends LeaseMachine<StepKey, ClaimedStep> {
  /**
   * The first unfinished step of a live workflow whose back-off has passed and whose lease is free
   * (a lapsed one is taken over); the workflow turns IN_PROGRESS with its first claim.
   */
  claim(request: LeaseRequest): Promise<ClaimedStep | undefined>;
  /**
   * One page committed: the cursor moves (and the read position with it, when the source told one),
   * `records` ingested are added to the step's and the workflow's RecordsProcessed, `dropped` read but not
   * ingested to the step's count, and the lease is renewed. False when the lease is lost (taken over, or
   * the workflow cancelled).
   */
  checkpointPage(transition: StepTransition<PageCheckpointWrite>): Promise<boolean>;
  /**
   * The step's row locked for the caller's transaction while the lease is the caller's: a page's first
   * statement, so that whatever deletes the step (DeleteDomain, a reset) waits for the page, or the page
   * for it and then finds the step gone, before either holds anything the other needs. False when the
   * lease is lost.
   */
  holdStep(holder: { key: StepKey; owner: string }): Promise<boolean>;
  /** The source's count of the window's records, noted before the read; false when the lease is lost. */
  noteEstimate(transition: StepTransition<{ recordsEstimate: number }>): Promise<boolean>;
  /** COMPLETE; `workflowComplete` when it was the last unfinished step (the workflow is COMPLETE too). */
  completeStep(transition: StepTransition<{ message: string }>): Promise<{ owned: boolean; workflowComplete: boolean }>;
  /** RETRY, due again at `runAfter`, with `attempts` counted; the lease is dropped. */
  retryStep(transition: StepTransition<{ attempts: number; runAfter: number; message: string }>): Promise<boolean>;
  /**
   * SPLIT: the step is replaced by `halves`, appended after the last step (numbered and named here);
   * TotalSteps grows by one and the records the step had counted are taken back. `message` is told
   * the new step numbers.
   */
  splitStep(transition: StepTransition<{ halves: NewStep[]; message: (stepNos: number[]) => string }>): Promise<boolean>;
  /** FAILED, and the workflow FAILED with `errorDescription`; its steps not yet run become CANCELLED. */
  failStep(transition: StepTransition<{ message: string; errorDescription: string }>): Promise<boolean>;
}

/**
 * Workflows and their steps: the API's reads and writes, the deletion's two transitions (cancel, then
 * purge), and the engine's step machine.
 */
export interface WorkflowRepository extends StepMachine {
  /** The workflow and its steps (numbered 1…n); false, having written nothing, when the id is taken (by any account). */
  create(scope: Scope, workflow: WorkflowRecord, steps: NewStep[]): Promise<boolean>;
  /**
   * The workflow without its FlowDefinition (only the engine reads that, through its claims); a
   * cancelled one shows (CANCELLED) until it is purged. Undefined when missing, or when its domain is.
   */
  get(ref: WorkflowRef): Promise<WorkflowSummary | undefined>;
  /**
   * Newest first (createdAt, then workflowId, both descending); keyset after `after`. Like `get`, it sees
   * the domain's workflows only while the domain itself exists (checked in the same statement): an empty
   * answer does not say which.
   */
  list(page: WorkflowPage<[number, string]>): Promise<WorkflowSummary[]>;
  /** The same page as `list`, with only what ListWorkflows shows. */
  listItems(page: WorkflowPage<[number, string]>): Promise<WorkflowListItem[]>;
  /** In execution order; keyset after step number `after`. The engine's read: any workflow, any domain. */
  listSteps(page: { scope: Scope; workflowId: string; after?: number; limit: number }): Promise<WorkflowStepSummary[]>;
  /**
   * GetWorkflowSteps' read, one statement: the page of `listSteps` and the workflow's type, while the
   * workflow and its domain exist. No steps when either is missing, or none is left after `after`.
   */
  stepPage(page: WorkflowRef & { after?: number; limit: number }): Promise<WorkflowStepPage>;
  /** The same page as `listSteps`, with each step's read position and estimate (the progress route's read). */
  listStepProgress(page: { scope: Scope; workflowId: string; after?: number; limit: number }): Promise<WorkflowStepProgress[]>;
  /** Records and window milliseconds over the workflow's COMPLETE steps: what their density is read from. */
  completedStepTotals(scope: Scope, workflowId: string): Promise<CompletedStepTotals>;
  /**
   * DeleteWorkflow's transition: the workflow CANCELLED and marked for purging, its unfinished steps
   * CANCELLED with their leases dropped (a running worker's next guarded write fails and it stops).
   */
  cancel(ref: WorkflowRef & { now: number }): Promise<CancelResult>;
  /** Cancelled workflows waiting for their purge (the engine's reaper purges them). */
  cancelledWorkflows(limit: number): Promise<string[]>;
  /** Whether the workflow was cancelled (or is gone: purged, or removed with its domain). */
  isCancelled(workflowId: string): Promise<boolean>;
  /** Removes a cancelled workflow's steps and row for good; a workflow not cancelled is left alone. */
  removeCancelled(workflowId: string): Promise<void>;
}
