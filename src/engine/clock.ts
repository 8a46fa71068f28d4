/** Time as the service sees it: injectable so that tests and people testing their code can steer it. */
export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/**
 * The times a manual clock may show: from the epoch (timestamps travel as epoch seconds) to the last
 * four-digit year of ISO-8601. Past the range a Date can hold, every answer that shows the time (the
 * engine's, an operation's timestamps) failed as a 500 until the clock was moved back.
 */
const CLOCK_MIN_MS = 0;
const CLOCK_MAX_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);
const CLOCK_RANGE = `${new Date(CLOCK_MIN_MS).toISOString()} to ${new Date(CLOCK_MAX_MS).toISOString()}`;

/** A manual clock told to show a time outside the range it can show; the message names the range. */
export class ClockRangeError extends RangeError {}

/** A clock that moves only when told (tests; the manual mode for people testing their own code). */
export class ManualClock implements Clock {
  private current: number;
  constructor(start = Date.UTC(2026, 0, 1)) {
    this.current = checked(start, () => `The start time ${describe(start)} is outside ${CLOCK_RANGE}, the times the clock can show.`);
  }
  now(): number {
    return this.current;
  }
  advance(ms: number): void {
    this.current = checked(this.current + ms, () => `Advancing by ${ms} ms would move the clock to a time outside ${CLOCK_RANGE}, the times it can show.`);
  }
  set(epochMs: number): void {
    this.current = checked(epochMs, () => `The time ${describe(epochMs)} is outside ${CLOCK_RANGE}, the times the clock can show.`);
  }
}

function checked(ms: number, problem: () => string): number {
  if (!(ms >= CLOCK_MIN_MS && ms <= CLOCK_MAX_MS)) throw new ClockRangeError(problem());
  return ms;
}

function describe(ms: number): string {
  const date = new Date(ms);
  return Number.isNaN(date.getTime()) ? String(ms) : date.toISOString();
}
