/**
 * A request timestamp finer than a millisecond. restJson1 sends epoch seconds as a JSON number, so a raw
 * body may carry `1777636800.2494`; a Date keeps only the nearest millisecond, which would move a bound
 * across a stored instant. The Date part stays the nearest millisecond (what the answer and the logs
 * show); `exactMs` keeps the rest for the operations that compare against stored times.
 */
export class FractionalDate extends Date {
  constructor(readonly exactMs: number) {
    super(Math.round(exactMs));
  }
}

/**
 * How far from a whole millisecond a value may be and still be read as that millisecond: seconds near
 * today's epoch are doubles exact only to about 0.25 µs, so `1777636800.25 * 1000` need not be whole.
 * Half a microsecond keeps those whole and a bound one microsecond off a millisecond fractional.
 */
const WHOLE_MS_TOLERANCE = 0.0005;

/** The timestamp for `seconds` of a request: a plain Date when it names a whole millisecond. */
export function timestampOfSeconds(seconds: number): Date {
  const ms = seconds * 1000;
  const whole = Math.round(ms);
  return Math.abs(ms - whole) <= WHOLE_MS_TOLERANCE ? new Date(whole) : new FractionalDate(ms);
}

/** The first whole millisecond at or after the timestamp: the lower bound of an inclusive range of stored times. */
export function firstMsFrom(date: Date): number {
  return date instanceof FractionalDate ? Math.ceil(date.exactMs) : date.getTime();
}

/** The last whole millisecond at or before the timestamp: the upper bound of an inclusive range of stored times. */
export function lastMsUpTo(date: Date): number {
  return date instanceof FractionalDate ? Math.floor(date.exactMs) : date.getTime();
}

/** The timestamp's exact value in milliseconds, for ordering two request timestamps. */
export function exactMsOf(date: Date): number {
  return date instanceof FractionalDate ? date.exactMs : date.getTime();
}

/** ISO-8601, with the digits past the millisecond when the request gave them (to the microsecond). */
export function isoOfTimestamp(date: Date): string {
  if (!(date instanceof FractionalDate)) return date.toISOString();
  const micros = Math.round(date.exactMs * 1000);
  const ms = Math.floor(micros / 1000);
  const beyond = String(micros - ms * 1000).padStart(3, '0').replace(/0+$/, '');
  return new Date(ms).toISOString().replace(/Z$/, `${beyond}Z`);
}
