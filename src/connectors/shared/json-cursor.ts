import { SourceError } from '../types.js';

/** Encodes a connector cursor as compact JSON; decodes it with `decodeJsonCursor`. */
export function encodeJsonCursor(value: Record<string, unknown>): string {
  return JSON.stringify(value);
}

/** The parsed cursor object, or a permanent error naming the source that did not issue it. */
export function decodeJsonCursor(source: string, text: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // fall through
  }
  throw new SourceError('permanent', `The cursor '${text.slice(0, 200)}' is not one the ${source} source issued.`);
}
