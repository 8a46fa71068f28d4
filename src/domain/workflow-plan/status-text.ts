import type { WorkflowFlow } from '../../store/appflow-types.js';
import type { WorkflowListItem, WorkflowStepRecord } from '../../store/workflow-types.js';
import { readTrigger } from '../flow-trigger.js';
import { describeSchedule, NO_MORE_TICKS, nextTickAfter, runDueAt } from '../schedule.js';
import { clip255, iso } from './format.js';

/**
 * What a completed workflow's ongoing integration does now, read from its flow: "ongoing updates every
 * hour, next run at …Z" (a Scheduled flow: the next tick the scheduler will run, or the first after its
 * activation when none is stored yet), "runs when started" (OnDemand), "runs when signalled" (Event),
 * "ongoing updates stopped" (no flow any more: its integration was deleted; or a flow not Active).
 */
export function describeOngoing(flow: WorkflowFlow | undefined): string {
  if (!flow || flow.flowStatus !== 'Active') return 'ongoing updates stopped';
  const trigger = readTrigger(flow.triggerConfig, flow.activatedAt ?? flow.createdAt);
  if (trigger.type === 'OnDemand') return 'ongoing updates run when started (StartFlow)';
  if (trigger.type === 'Event') return 'ongoing updates run when signalled';
  if (!trigger.schedule?.ok) return `ongoing updates stopped: ${trigger.schedule?.problem ?? 'the flow has no schedule'}`;
  const schedule = trigger.schedule.value;
  const every = describeSchedule(schedule.expression);
  const tick = flow.nextRunAt ?? nextTickAfter(schedule, flow.activatedAt ?? flow.createdAt);
  if (tick === undefined || tick >= NO_MORE_TICKS) return `ongoing updates ${every} ended with their schedule`;
  return `ongoing updates ${every}, next run at ${iso(runDueAt(schedule, tick))}`;
}

/**
 * ListWorkflowsItem.StatusDescription: one sentence a person can act on. A COMPLETE workflow's sentence
 * ends with what its ongoing integration does (`ongoing`, from describeOngoing).
 */
export function describeWorkflow(w: WorkflowListItem, ongoing = 'ongoing updates stopped'): string {
  const progress = `${w.stepsCompleted} of ${w.totalSteps} step${w.totalSteps === 1 ? '' : 's'} complete, ${w.recordsProcessed} record${w.recordsProcessed === 1 ? '' : 's'} processed`;
  switch (w.status) {
    case 'NOT_STARTED':
      return clip255(`Waiting to start: ${w.totalSteps} step${w.totalSteps === 1 ? '' : 's'} planned.`);
    case 'IN_PROGRESS':
      return clip255(`Ingesting: ${progress}.`);
    case 'COMPLETE':
      return clip255(`Complete: ${progress}; ${ongoing}.`);
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
