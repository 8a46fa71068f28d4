import { escapeControlCharacters } from '../../api/errors.js';
import { characterCount, firstCharacters } from '../characters.js';

/** 10000-01-01T00:00:00.000Z: from here on toISOString writes a six-digit, signed year. */
const ISO_FAST_END = 253_402_300_800_000;

const pad2 = (n: number): string => (n < 10 ? `0${n}` : `${n}`);

/**
 * Exactly `new Date(epochMs).toISOString()`. Why by hand: GetWorkflowSteps writes two of these per step,
 * and toISOString (0.54 µs a call) was an eighth of a 100-step page's CPU; this takes 0.21 µs (the
 * handler of a 100-step page: 0.45 → 0.40 ms, bench/tools/list-path.ts).
 * Whole milliseconds from 1970 to 9999 take the fast path (the civil-from-days arithmetic of Howard
 * Hinnant's date algorithms); anything else goes to toISOString.
 */
export function iso(epochMs: number): string {
  if (!(epochMs >= 0 && epochMs < ISO_FAST_END) || !Number.isInteger(epochMs)) return new Date(epochMs).toISOString();
  const days = Math.floor(epochMs / 86_400_000);
  let rest = epochMs - days * 86_400_000;
  const hour = Math.floor(rest / 3_600_000);
  rest -= hour * 3_600_000;
  const minute = Math.floor(rest / 60_000);
  rest -= minute * 60_000;
  const second = Math.floor(rest / 1000);
  const ms = rest - second * 1000;
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  const msText = ms < 10 ? `00${ms}` : ms < 100 ? `0${ms}` : `${ms}`;
  return `${year}-${pad2(month)}-${pad2(day)}T${pad2(hour)}:${pad2(minute)}:${pad2(second)}.${msText}Z`;
}

/**
 * A model string of 1..255 characters (ExecutionMessage, ErrorDescription, StatusDescription), counted
 * as the model counts them and cut between characters: a source's error may quote emoji.
 */
export function clip255(text: string): string {
  if (text.length === 0) return '-';
  // At most 255 UTF-16 units is at most 255 characters: the usual text needs no count.
  return text.length <= 255 || characterCount(text) <= 255 ? text : `${firstCharacters(text, 252)}...`;
}

/**
 * A message to store, on one line and clipped: a source's error can quote what it read, control
 * characters and U+0000 (which PostgreSQL cannot store) included. Escaped when written, not on every
 * read: the lists describe a hundred items a request.
 */
export function storedMessage(text: string): string {
  return clip255(escapeControlCharacters(text));
}
