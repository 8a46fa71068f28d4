/**
 * How far a workflow's steps have got, from what GetWorkflowSteps answers (so it holds against AWS
 * too): each step's status, RecordsProcessed and window. AWS gives no per-step total and no cursor, so a
 * running step's share is its records against an estimate of its window's records: the density (records
 * per millisecond of window) that the same workflow's completed steps showed. Until one step has
 * completed there is no estimate and the share is unknown; it is never a share of another step's count.
 */

export interface StepLike {
  Status?: string;
  RecordsProcessed?: number;
  BatchRecordsStartTime?: string;
  BatchRecordsEndTime?: string;
}

export interface StepProgress {
  /** 0..1, or undefined when nothing tells how far the step is. */
  fraction?: number;
  /** The records the step's window is expected to hold, when estimated. */
  expected?: number;
}

/** Records per millisecond of window over the completed steps; undefined without any (or with no records). */
export function observedDensity(steps: StepLike[]): number | undefined {
  let records = 0;
  let ms = 0;
  for (const s of steps) {
    if (s.Status !== 'COMPLETE') continue;
    const width = windowMs(s);
    if (width === undefined) continue;
    records += s.RecordsProcessed ?? 0;
    ms += width;
  }
  return ms > 0 && records > 0 ? records / ms : undefined;
}

export function stepProgress(step: StepLike, density: number | undefined): StepProgress {
  switch (step.Status) {
    case 'COMPLETE':
      return { fraction: 1 };
    case 'NOT_STARTED':
      return { fraction: 0 };
    case 'SPLIT':
      // Its window went to the steps it was split into, which show the progress.
      return {};
    default:
      break;
  }
  const width = windowMs(step);
  if (density === undefined || width === undefined) return {};
  const expected = Math.max(1, Math.round(density * width));
  // Never full unless COMPLETE: a running step is not done, a FAILED or CANCELLED one never will be.
  return { fraction: Math.min(0.99, (step.RecordsProcessed ?? 0) / expected), expected };
}

/** `[#####...]` of `width` cells; an unknown share is drawn as `[? ? ? ]`, never as a full or empty bar. */
export function bar(progress: StepProgress, width = 24): string {
  if (progress.fraction === undefined) return `[${'? '.repeat(width / 2).slice(0, width)}]`;
  let filled = Math.round(progress.fraction * width);
  if (progress.fraction < 1) filled = Math.min(filled, width - 1);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
}

/** A workflow's share of completed steps, as `50% (1/2 steps)`. */
export function workflowProgressText(stepsCompleted: number | undefined, totalSteps: number | undefined): string {
  if (!totalSteps) return '';
  const done = stepsCompleted ?? 0;
  return `${Math.floor((100 * done) / totalSteps)}% (${done}/${totalSteps} steps)`;
}

function windowMs(s: StepLike): number | undefined {
  const start = Date.parse(s.BatchRecordsStartTime ?? '');
  const end = Date.parse(s.BatchRecordsEndTime ?? '');
  return Number.isFinite(start) && Number.isFinite(end) && end > start ? end - start : undefined;
}
