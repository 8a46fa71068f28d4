/** What the flow-run operations share: a run as AppFlow's ExecutionRecord, and starting a run now. */
import { ConflictException } from '../../api/appflow/errors.js';
import type { ExecutionRecord, ExecutionResult } from '../../api/appflow/shapes.generated.js';
import { REJECTED } from '../../engine/page-loop.js';
import { createRunNow } from '../../store/start-run.js';
import type { FlowRecord, FlowRunRecord, Store } from '../../store/types.js';
import type { Scope } from '../../domain/scope.js';

/** ExecutionRecord: the run's window as dataPullStartTime/EndTime, its result, and an ErrorInfo when it failed. */
export function executionRecord(run: FlowRunRecord): ExecutionRecord {
  const failed = run.status === 'Error' || run.status === 'Canceled';
  const result: ExecutionResult = { recordsProcessed: run.recordsProcessed };
  if (failed && run.errorMessage) {
    result.errorInfo = { putFailuresCount: run.droppedByReason[REJECTED] ?? 0, executionMessage: run.errorMessage };
  }
  return {
    executionId: run.executionId,
    executionStatus: run.status,
    executionResult: result,
    startedAt: new Date(run.startedAt ?? run.createdAt),
    lastUpdatedAt: new Date(run.updatedAt),
    dataPullStartTime: new Date(run.windowStart),
    dataPullEndTime: new Date(run.windowEnd),
  };
}

/** StartFlow's run of an OnDemand flow (createRunNow); a flow has at most one active run: a second is a conflict. */
export async function startRunNow(store: Store, scope: Scope, flow: FlowRecord, now: number): Promise<string> {
  const executionId = await createRunNow(store, scope, flow, 'OnDemand', now);
  if (!executionId) throw new ConflictException(`The flow ${flow.flowName} has a run in progress; it can run again once that run has ended.`);
  return executionId;
}

/** ExecutionDetails.mostRecentExecutionMessage allows [\w!@#\-.?,\s]: other characters become spaces. */
export function detailsMessage(text: string): string {
  return text.replace(/[^\w!@#\-.?,\s]/g, ' ').replace(/ {2,}/g, ' ').trim().slice(0, 2048);
}
