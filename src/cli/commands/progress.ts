/**
 * How `workflows watch` and `workflows list` draw progress. The share of each step is domain/step-progress.ts's
 * rule: from profileflow's progress route (which knows each step's read position and its source's estimate),
 * or, against AWS or a service without that route, from GetWorkflowSteps alone (status, RecordsProcessed and
 * window: the completed steps' density is all there is to go on).
 */
import { observedDensity, type ProgressBasis, type StepProgress, type StepProgressInput, stepProgress, UNFINISHED_CAP } from '../../domain/step-progress.js';

/** A step as GetWorkflowSteps answers it (AppflowIntegrationWorkflowStep). */
export interface AwsStep {
  Status?: string;
  RecordsProcessed?: number;
  BatchRecordsStartTime?: string;
  BatchRecordsEndTime?: string;
}

/** A step as the progress route answers it (the members read here). */
export interface RouteStep {
  stepNo: number;
  status: string;
  recordsProcessed: number;
  batchRecordsStartTime: string;
  batchRecordsEndTime: string;
  readThrough?: string;
  recordsEstimate?: number;
  fraction?: number;
  basis?: ProgressBasis;
  expectedRecords?: number;
}

/** A step to draw: what its line shows, and its share. */
export interface ShownStep {
  input: StepProgressInput;
  progress: StepProgress;
}

/** GetWorkflowSteps' steps, measured by the density of the completed ones (AWS tells nothing more). */
export function fromAwsSteps(steps: AwsStep[]): ShownStep[] {
  const inputs = steps.map((s) => ({
    status: s.Status,
    recordsProcessed: s.RecordsProcessed,
    windowStart: timeOf(s.BatchRecordsStartTime),
    windowEnd: timeOf(s.BatchRecordsEndTime),
  }));
  const density = observedDensity(inputs);
  return inputs.map((input) => ({ input, progress: stepProgress(input, density) }));
}

/** The route's steps, with the share and basis the service measured. */
export function fromRouteSteps(steps: RouteStep[]): ShownStep[] {
  return steps.map((s) => ({
    input: {
      status: s.status,
      recordsProcessed: s.recordsProcessed,
      windowStart: timeOf(s.batchRecordsStartTime),
      windowEnd: timeOf(s.batchRecordsEndTime),
      readThrough: timeOf(s.readThrough),
      recordsEstimate: s.recordsEstimate,
    },
    progress: s.fraction === undefined ? {} : { fraction: s.fraction, basis: s.basis, expected: s.expectedRecords },
  }));
}

/** `[#####...]` of `width` cells; an unknown share is drawn as `[? ? ? ]`, never as a full or empty bar. */
export function bar(progress: StepProgress, width = 24): string {
  if (progress.fraction === undefined) return `[${'? '.repeat(width / 2).slice(0, width)}]`;
  let filled = Math.round(progress.fraction * width);
  if (progress.fraction < 1) filled = Math.min(filled, width - 1);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
}

/**
 * A workflow's progress as `41% (1/3 steps)`: the steps' shares summed over TotalSteps (a SPLIT step is
 * not counted there, nor here; a step of unknown share counts as none), so a running step moves it
 * before it completes. Without the steps, the share of completed ones.
 */
export function workflowProgressText(stepsCompleted: number | undefined, totalSteps: number | undefined, steps?: ShownStep[]): string {
  if (!totalSteps) return '';
  const done = stepsCompleted ?? 0;
  let share = done / totalSteps;
  if (steps) {
    const sum = steps.reduce((total, s) => total + (s.input.status === 'SPLIT' ? 0 : (s.progress.fraction ?? 0)), 0);
    // Never shown full unless every step completed, however the shares add up.
    share = done >= totalSteps ? 1 : Math.min(sum / totalSteps, UNFINISHED_CAP);
  }
  return `${Math.floor(100 * share)}% (${done}/${totalSteps} steps)`;
}

function timeOf(text: string | undefined): number | undefined {
  const t = Date.parse(text ?? '');
  return Number.isFinite(t) ? t : undefined;
}
