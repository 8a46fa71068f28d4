import type { Scope } from '../domain/scope.js';
import type { WorkflowStatus, WorkflowSummary } from './workflow-types.js';

/** A workflow row as the event stream and the webhooks see it (deleted ones included: CANCELLED). */
export interface WorkflowChange {
  scope: Scope;
  workflow: WorkflowSummary;
  deleted: boolean;
}

/** A step row as the event stream sees it. */
export interface StepChange {
  scope: Scope;
  domainName: string;
  workflowId: string;
  stepNo: number;
  flowName: string;
  status: WorkflowStatus;
  executionMessage: string;
  recordsProcessed: number;
  windowStart: number;
  windowEnd: number;
  /** How far through its window the step has read (epoch ms), when its source told. */
  readThrough?: number;
  attempts: number;
  updatedAt: number;
}

/** Where a keyset walk over (updated_at, key) stands. */
export type ChangeCursor = { updatedAt: number; workflowId: string; stepNo?: number };

/**
 * Read-only queries across every account and region for the operator's views (events, metrics,
 * webhooks): nothing here answers an AWS caller, so nothing here is scoped.
 */
export interface ActivityRepository {
  /** Workflows whose updated_at ≥ `since`, oldest change first; keyset after `after`. */
  changedWorkflows(since: number, after: ChangeCursor | undefined, limit: number): Promise<WorkflowChange[]>;
  /** Steps whose updated_at ≥ `since`, oldest change first; keyset after `after`. */
  changedSteps(since: number, after: ChangeCursor | undefined, limit: number): Promise<StepChange[]>;
  /** A workflow by id whatever its scope (workflow ids are unique across the store), deleted or not. */
  workflowById(workflowId: string): Promise<WorkflowChange | undefined>;
  stepCountsByStatus(): Promise<Record<string, number>>;
  workflowCountsByStatus(): Promise<Record<string, number>>;
  /** RecordsProcessed summed over live workflows. */
  recordsProcessed(): Promise<number>;
}

export type WebhookDeliveryStatus = 'PENDING' | 'DELIVERED' | 'FAILED';

export interface WebhookDelivery {
  deliveryId: string;
  scope: Scope;
  domainName: string;
  workflowId: string;
  event: string;
  url: string;
  body: string;
  status: WebhookDeliveryStatus;
  attempts: number;
  nextAttemptAt: number;
  lastError?: string;
  deliveredAt?: number;
  createdAt: number;
  updatedAt: number;
}

export type NewWebhookDelivery = Pick<WebhookDelivery, 'deliveryId' | 'scope' | 'domainName' | 'workflowId' | 'event' | 'url' | 'body'>;

/**
 * The webhook outbox. Claims are compare-and-set on the lease (one UPDATE, atomic on both dialects),
 * so several processes may run dispatchers over one database without sending a delivery twice at once.
 */
export interface WebhookOutboxRepository {
  /** Queues deliveries; one whose id exists already is left alone. Returns how many were new. */
  enqueue(deliveries: NewWebhookDelivery[], now: number): Promise<number>;
  /** Ids of pending deliveries that are due and not leased, oldest first. */
  due(now: number, limit: number): Promise<WebhookDelivery[]>;
  claim(deliveryId: string, owner: string, now: number, leaseMs: number): Promise<boolean>;
  delivered(deliveryId: string, owner: string, attempts: number, now: number): Promise<boolean>;
  /** Another attempt at `nextAttemptAt`, or FAILED for good when `nextAttemptAt` is undefined. */
  failed(deliveryId: string, owner: string, attempts: number, error: string, nextAttemptAt: number | undefined, now: number): Promise<boolean>;
  /** Newest first. */
  list(limit: number): Promise<WebhookDelivery[]>;
  /** Removes finished deliveries last updated before `before`. */
  prune(before: number): Promise<number>;
  /** How far the sweep for finished workflows (or ended flow runs, or profile merges) has read, kept across restarts. */
  sweepWatermark(sweep?: 'workflows' | 'runs' | 'merges'): Promise<number | undefined>;
  setSweepWatermark(updatedAt: number, sweep?: 'workflows' | 'runs' | 'merges'): Promise<void>;
}
