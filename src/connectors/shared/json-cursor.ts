import { isJsonObject } from '../../domain/json-object.js';
import { SourceError } from '../types.js';

/** Encodes a connector cursor as compact JSON; decodes it with `decodeJsonCursor`. */
export function encodeJsonCursor(value: Record<string, unknown>): string {
  return JSON.stringify(value);
}

/**
 * A cursor this source issued, read back: `read` checks the parsed JSON object's shape and returns the
 * cursor, or undefined when the shape is not one the source writes. Anything else (not JSON, not an
 * object, the wrong shape) is a permanent error naming the source, since retrying cannot fix a cursor.
 */
export function decodeJsonCursor<T>(source: string, text: string, read: (value: Record<string, unknown>) => T | undefined): T {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    value = undefined;
  }
  const cursor = isJsonObject(value) ? read(value) : undefined;
  if (cursor === undefined) {
    throw new SourceError('permanent', `The cursor '${text.slice(0, 200)}' is not one the ${source} source issued.`);
  }
  return cursor;
}

/** Whether a cursor member is a whole number a cursor can hold (an offset, a count, a time). */
export function isSafeInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value);
}

/** A cursor member that should be a list of strings, as one; undefined when it is not. */
export function stringsOf(value: unknown): string[] | undefined {
  if (!Array.isArray(value)) return undefined;
  const out: string[] = [];
  for (const v of value) {
    if (typeof v !== 'string') return undefined;
    out.push(v);
  }
  return out;
}
