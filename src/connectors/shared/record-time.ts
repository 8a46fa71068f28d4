/**
 * When a source record happened, read from one of its fields. Sources hand times over as ISO-8601 text or
 * as epoch numbers (Salesforce and ServiceNow exports use text, many S3 dumps use epoch seconds or
 * milliseconds, and CSV turns every number into text), so all of these are accepted.
 */

/** Below this an epoch number is taken as seconds: 1e11 s is the year 5138, 1e11 ms is March 1973. */
const SECONDS_LIMIT = 1e11;

const EPOCH_TEXT = /^-?\d+(\.\d+)?$/;
const ISO_8601 = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(Z|[+-]\d{2}(?::?\d{2})?)?)?$/i;

/** Epoch milliseconds, or undefined when the value is no recognisable time. */
export function recordTimeMs(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? epochToMs(value) : undefined;
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  if (EPOCH_TEXT.test(text)) return epochToMs(Number(text));
  const iso = ISO_8601.exec(text);
  if (!iso) return undefined;
  let normalized = text.replace(' ', 'T').replace(',', '.');
  // A date-time without an offset would be read in the host's time zone; the same file must give the
  // same windows on every machine, so it is read as UTC.
  if (normalized.includes('T') && iso[1] === undefined) normalized += 'Z';
  const ms = Date.parse(normalized);
  return Number.isNaN(ms) ? undefined : ms;
}

function epochToMs(n: number): number {
  return Math.abs(n) < SECONDS_LIMIT ? Math.round(n * 1000) : Math.floor(n);
}
