import type { WorkflowListItem, WorkflowStepRecord } from '../../store/workflow-types.js';
import { clip255, iso } from './format.js';

/** ListWorkflowsItem.StatusDescription: one sentence a person can act on. */
export function describeWorkflow(w: WorkflowListItem): string {
  const progress = `${w.stepsCompleted} of ${w.totalSteps} step${w.totalSteps === 1 ? '' : 's'} complete, ${w.recordsProcessed} record${w.recordsProcessed === 1 ? '' : 's'} processed`;
  switch (w.status) {
    case 'NOT_STARTED':
      return clip255(`Waiting to start: ${w.totalSteps} step${w.totalSteps === 1 ? '' : 's'} planned.`);
    case 'IN_PROGRESS':
      return clip255(`Ingesting: ${progress}.`);
    case 'COMPLETE':
      return clip255(`Complete: ${progress}; the integration for ongoing updates is active.`);
    case 'FAILED':
      return clip255(`Failed: ${w.errorDescription ?? 'a step failed'} (${progress}).`);
    case 'CANCELLED':
      return clip255(`Cancelled: the workflow is being deleted (${progress}).`);
    default:
      return clip255(`${w.status}: ${progress}.`);
  }
}

/** BatchRecordsStartTime/EndTime are model strings, not timestamps: ISO-8601 of the step's window. */
export function stepWindowText(step: Pick<WorkflowStepRecord, 'windowStart' | 'windowEnd'>): { start: string; end: string } {
  return { start: iso(step.windowStart), end: iso(step.windowEnd) };
}
