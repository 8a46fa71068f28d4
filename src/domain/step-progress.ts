/**
 * How far a workflow step has got: one rule for every reader (the progress route, the CLI, the console).
 *
 * COMPLETE is full and NOT_STARTED empty, whatever else is known; a SPLIT step has no share of its own
 * (the steps it became carry its window). Any other step (IN_PROGRESS, RETRY, FAILED, CANCELLED) is
 * measured by the best of what is known, in this order:
 * 1. its read position: the share of its window before `readThrough`, when the source told one;
 * 2. its records against the source's estimate of its window's records;
 * 3. its records against what the workflow's COMPLETE steps held per millisecond of window;
 * and is unknown without any of them. It is never the share of another step's count, and never full
 * unless COMPLETE: a running step is not done, a FAILED or CANCELLED one never will be.
 */

export type ProgressBasis = 'step status' | 'read position' | 'source estimate' | "completed steps' density";

/** What a step's progress is read from; times are epoch milliseconds. */
export interface StepProgressInput {
  status?: string;
  recordsProcessed?: number;
  windowStart?: number;
  windowEnd?: number;
  readThrough?: number;
  recordsEstimate?: number;
}

export interface StepProgress {
  /** 0..1; undefined when nothing tells how far the step is, or for a SPLIT step. */
  fraction?: number;
  /** What the fraction was read from; undefined with it. */
  basis?: ProgressBasis;
  /** The records the step's window is expected to hold, when the fraction counts records against it. */
  expected?: number;
}

/** The largest share a step that is not COMPLETE is given. */
export const UNFINISHED_CAP = 0.99;

/** Records per millisecond of window, from totals over completed steps; undefined without records or window. */
export function densityOf(totals: { records: number; windowMs: number }): number | undefined {
  return totals.windowMs > 0 && totals.records > 0 ? totals.records / totals.windowMs : undefined;
}

/** The density over the COMPLETE steps of `steps` (a reader that has every step, as the CLI against AWS). */
export function observedDensity(steps: StepProgressInput[]): number | undefined {
  let records = 0;
  let windowMs = 0;
  for (const s of steps) {
    if (s.status !== 'COMPLETE') continue;
    const width = widthOf(s);
    if (width === undefined) continue;
    records += s.recordsProcessed ?? 0;
    windowMs += width;
  }
  return densityOf({ records, windowMs });
}

export function stepProgress(step: StepProgressInput, density: number | undefined): StepProgress {
  switch (step.status) {
    case 'COMPLETE':
      return { fraction: 1, basis: 'step status' };
    case 'NOT_STARTED':
      return { fraction: 0, basis: 'step status' };
    case 'SPLIT':
      return {};
    default:
      break;
  }
  const width = widthOf(step);
  const records = step.recordsProcessed ?? 0;
  // A position at the window's start says nothing (every source's first page could claim as much).
  if (width !== undefined && step.readThrough !== undefined && step.readThrough > step.windowStart!) {
    return { fraction: unfinished((Math.min(step.readThrough, step.windowEnd!) - step.windowStart!) / width), basis: 'read position' };
  }
  if (step.recordsEstimate !== undefined && step.recordsEstimate > 0) {
    return { fraction: unfinished(records / step.recordsEstimate), basis: 'source estimate', expected: step.recordsEstimate };
  }
  if (density !== undefined && width !== undefined) {
    const expected = Math.max(1, Math.round(density * width));
    return { fraction: unfinished(records / expected), basis: "completed steps' density", expected };
  }
  return {};
}

/**
 * A step's progress in words, after its status: "1200 records, 42% of the window read", "1200 of about
 * 3000 records" (the source's count), "… at the completed steps' rate", "(no estimate yet)".
 */
export function progressText(step: StepProgressInput, progress: StepProgress): string {
  const records = step.recordsProcessed ?? 0;
  switch (progress.basis) {
    case 'read position':
      return `${records} records, ${percent(progress.fraction!)} of the window read`;
    case 'source estimate':
      return `${records} of about ${progress.expected} records`;
    case "completed steps' density":
      return `${records} of about ${progress.expected} records at the completed steps' rate`;
    default:
      return progress.fraction === undefined && step.status !== 'SPLIT' ? `${records} records (no estimate yet)` : `${records} records`;
  }
}

/** Whole percent, rounded down: 99.6% is not shown as 100%. */
export function percent(fraction: number): string {
  return `${Math.floor(fraction * 100)}%`;
}

function unfinished(fraction: number): number {
  return Math.max(0, Math.min(UNFINISHED_CAP, fraction));
}

function widthOf(s: StepProgressInput): number | undefined {
  const { windowStart: start, windowEnd: end } = s;
  return start !== undefined && end !== undefined && Number.isFinite(start) && Number.isFinite(end) && end > start ? end - start : undefined;
}
