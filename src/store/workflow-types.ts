import type { Status } from '../api/shapes.generated.js';
import type { Scope } from '../domain/scope.js';

export type WorkflowStatus = Status;

/** What CreateIntegrationWorkflow asked for, kept for the engine and for the integration it creates. */
export interface WorkflowDefinition {
  /** The request's FlowDefinition (sensitive: never echoed in responses or logs). */
  flowDefinition: Record<string, any>;
  tags?: Record<string, string>;
}

export interface WorkflowRecord {
  workflowId: string;
  domainName: string;
  workflowType: 'APPFLOW_INTEGRATION';
  status: WorkflowStatus;
  errorDescription?: string;
  objectTypeName: string;
  connectorType: string;
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

export interface WorkflowFilter {
  status?: WorkflowStatus;
  workflowType?: string;
  /** Inclusive bounds on the creation time, epoch milliseconds. */
  createdFrom?: number;
  createdTo?: number;
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

export interface NewStep {
  flowName: string;
  windowStart: number;
  windowEnd: number;
  executionMessage: string;
}

/**
 * Workflows and their steps. The first half serves the API; the second half is the engine's: every
 * engine write names the lease owner and does nothing (returns false) when the lease is no longer
 * its own, so a worker that lost its lease can never overwrite its successor's progress.
 */
export interface WorkflowRepository {
  /** False, having written nothing, when the workflow id is already taken (by any account). */
  create(scope: Scope, workflow: WorkflowRecord, steps: NewStep[]): Promise<boolean>;
  /** The workflow without its FlowDefinition (only the engine reads that, through its claims); undefined when missing or being deleted. */
  get(scope: Scope, domainName: string, workflowId: string): Promise<WorkflowSummary | undefined>;
  /** Newest first (createdAt, then workflowId, both descending); keyset after `after`. */
  list(
    scope: Scope,
    domainName: string,
    filter: WorkflowFilter,
    after: [number, string] | undefined,
    limit: number,
  ): Promise<WorkflowSummary[]>;
  /** The same page as `list`, with only what ListWorkflows shows. */
  listItems(
    scope: Scope,
    domainName: string,
    filter: WorkflowFilter,
    after: [number, string] | undefined,
    limit: number,
  ): Promise<WorkflowListItem[]>;
  /** In execution order; keyset after step number `after`. */
  listSteps(scope: Scope, workflowId: string, after: number | undefined, limit: number): Promise<WorkflowStepSummary[]>;
  /**
   * Marks a workflow deleted (it disappears from every read at once). Returns 'missing' when there was
   * none, 'running' when a worker holds a live lease on one of its steps (the worker cancels and
   * purges at its next page), else 'idle' (the caller purges now).
   */
  markDeleted(scope: Scope, domainName: string, workflowId: string, now: number): Promise<'missing' | 'running' | 'idle'>;
  /** Removes a workflow and its steps for good. */
  purge(workflowId: string): Promise<void>;

  claim(owner: string, now: number, leaseMs: number): Promise<ClaimedStep | undefined>;
  /**
   * Moves the step's cursor and counts forward by one page: `records` ingested (added to the step's and
   * the workflow's RecordsProcessed) and `dropped` read but not ingested. False when the lease is lost
   * or the workflow deleted.
   */
  recordPage(
    owner: string,
    key: StepKey,
    cursor: string,
    records: number,
    message: string,
    now: number,
    leaseMs: number,
    dropped?: number,
  ): Promise<boolean>;
  heartbeat(owner: string, key: StepKey, now: number, leaseMs: number): Promise<boolean>;
  /** Gives the lease back without finishing (manual mode: the step continues at the next advance). */
  release(owner: string, key: StepKey, now: number): Promise<boolean>;
  /** COMPLETE; returns whether that finished the whole workflow (then it is COMPLETE too). */
  complete(owner: string, key: StepKey, message: string, now: number): Promise<{ owned: boolean; workflowComplete: boolean }>;
  retryLater(owner: string, key: StepKey, attempts: number, runAfter: number, message: string, now: number): Promise<boolean>;
  /** FAILED, and the workflow FAILED with `errorDescription`; its steps not yet run become CANCELLED. */
  fail(owner: string, key: StepKey, message: string, errorDescription: string, now: number): Promise<boolean>;
  /** SPLIT, replaced by `halves` appended as new steps; TotalSteps grows by one. */
  split(owner: string, key: StepKey, halves: NewStep[], message: string, now: number): Promise<boolean>;
  /**
   * Deleted workflows that no live lease protects any more (their worker died before it could finish
   * the deletion): the engine purges them.
   */
  abandonedDeletions(now: number, limit: number): Promise<{ scope: Scope; domainName: string; workflowId: string }[]>;
  /** Whether the workflow of this step has been deleted (or removed with its domain). */
  isDeleted(workflowId: string): Promise<boolean>;
}
