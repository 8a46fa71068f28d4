import { invalid, valid, type Checked } from '../problem.js';
import type { NewStep } from '../../store/workflow-types.js';
import { iso } from './format.js';

/** The console's bulk ingestion batches history in two-month windows (AWS admin guide). */
export const DEFAULT_BATCH_MONTHS = 2;

/**
 * The most steps a workflow is planned with. The model sets no bound on Batches or on how far back
 * FirstExecutionFrom reaches, and each step is a row the engine walks: a request for millions of them
 * held the service for minutes. 1,000 two-month windows reach back 166 years, and the engine splits a
 * step whose window holds too many records by itself, so no history needs more.
 */
export const MAX_WORKFLOW_STEPS = 1000;

export interface Window {
  start: number;
  end: number;
}

/**
 * The steps of a new workflow, in execution order: one per Batch as given; without Batches, two-month
 * windows from FirstExecutionFrom up to the creation time; without that either, one window for the whole
 * history up to the creation time.
 */
export function planWindows(
  batches: { StartTime: Date; EndTime: Date }[] | undefined,
  firstExecutionFrom: Date | undefined,
  createdAt: number,
): Checked<Window[]> {
  if (batches && batches.length > 0) {
    if (batches.length > MAX_WORKFLOW_STEPS) {
      return invalid(`Batches holds ${batches.length} batches; a workflow takes at most ${MAX_WORKFLOW_STEPS} (one step each). Give wider batches: a step whose window holds too many records is split by the service.`);
    }
    const windows = batches.map((b, i) => ({ start: b.StartTime.getTime(), end: b.EndTime.getTime(), index: i + 1 }));
    const backwards = windows.find((w) => w.end <= w.start);
    if (backwards) {
      return invalid(`Batch ${backwards.index} ends before it starts: EndTime ${iso(backwards.end)} is not after StartTime ${iso(backwards.start)}.`);
    }
    const byStart = [...windows].sort((a, b) => a.start - b.start);
    for (let i = 1; i < byStart.length; i++) {
      if (byStart[i].start < byStart[i - 1].end) {
        return invalid(
          `Batches ${byStart[i - 1].index} and ${byStart[i].index} overlap: ` +
            `[${iso(byStart[i - 1].start)}, ${iso(byStart[i - 1].end)}) and [${iso(byStart[i].start)}, ${iso(byStart[i].end)}).`,
        );
      }
    }
    return valid(windows.map(({ start, end }) => ({ start, end })));
  }
  if (firstExecutionFrom) {
    const from = firstExecutionFrom.getTime();
    if (from >= createdAt) {
      return invalid(`FirstExecutionFrom ${iso(from)} is not in the past: there is no history to ingest before ${iso(createdAt)}.`);
    }
    const windows: Window[] = [];
    for (let start = from; start < createdAt; ) {
      if (windows.length === MAX_WORKFLOW_STEPS) {
        return invalid(
          `FirstExecutionFrom ${iso(from)} reaches back more than ${MAX_WORKFLOW_STEPS} two-month windows, the most steps a workflow takes. ` +
            'Give a later FirstExecutionFrom, or Batches.',
        );
      }
      const end = Math.min(addUtcMonths(start, DEFAULT_BATCH_MONTHS), createdAt);
      windows.push({ start, end });
      start = end;
    }
    return valid(windows);
  }
  return valid([{ start: 0, end: createdAt }]);
}

function addUtcMonths(epochMs: number, months: number): number {
  const d = new Date(epochMs);
  const target = new Date(
    Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + months, 1, d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds(), d.getUTCMilliseconds()),
  );
  // Keep the day of month, clamped to the target month's length (31 Jan + 1 month = 28/29 Feb).
  const lastDay = new Date(Date.UTC(target.getUTCFullYear(), target.getUTCMonth() + 1, 0)).getUTCDate();
  target.setUTCDate(Math.min(d.getUTCDate(), lastDay));
  return target.getTime();
}

const FLOW_NAME_MAX = 256;

/**
 * Each step is an AppFlow flow "created on the customer's behalf": its name must be unique and valid
 * for the FlowName pattern `[a-zA-Z0-9][\w!@#.-]+` (≤256). The caller's FlowName, the workflow id and
 * the step number make it so.
 */
export function stepFlowName(baseFlowName: string, workflowId: string, stepNo: number): string {
  const suffix = `-${workflowId}-${stepNo}`;
  return `${baseFlowName.slice(0, FLOW_NAME_MAX - suffix.length)}${suffix}`;
}

/** A step to plan for `window` (the store numbers and names it). */
export function newStep(window: Window, message: string): NewStep {
  return { windowStart: window.start, windowEnd: window.end, executionMessage: message };
}

/** The two halves of a window (the first takes the odd millisecond); undefined when too small to split. */
export function halveWindow(window: Window, minWindowMs: number): [Window, Window] | undefined {
  if (window.end - window.start < 2 * minWindowMs) return undefined;
  const mid = window.start + Math.ceil((window.end - window.start) / 2);
  return [
    { start: window.start, end: mid },
    { start: mid, end: window.end },
  ];
}
