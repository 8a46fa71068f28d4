import { decodeJsonCursor, isSafeInteger, stringsOf } from '../shared/json-cursor.js';

/** "Max Time Span for Date Range Filter (createdAt or updatedAt): 31 days" (Marketo Bulk Extract limits). */
export const MAX_FILTER_SPAN_MS = 31 * 86_400_000;

/**
 * Where a read resumes: sub-window `w` of the window; when `e` is set, inside that sub-window's export
 * job `e` after byte `o` of its file, `n` rows read, with the file's header `h`.
 */
export interface MarketoCursor {
  w: number;
  e?: string;
  o?: number;
  n?: number;
  h?: string[];
}

export interface Job {
  exportId: string;
  /** Resume inside the file: byte offset, rows already read, header. */
  offset: number;
  rows: number;
  header?: string[];
}

/** Consecutive sub-windows of at most 31 days covering [start, end), on whole seconds. */
export function subWindows(startMs: number, endMs: number): { start: number; end: number }[] {
  const start = Math.ceil(startMs / 1000) * 1000;
  const end = Math.ceil(endMs / 1000) * 1000;
  const out: { start: number; end: number }[] = [];
  for (let at = start; at < end; at += MAX_FILTER_SPAN_MS) out.push({ start: at, end: Math.min(end, at + MAX_FILTER_SPAN_MS) });
  return out;
}

/** ISO-8601 without milliseconds, as the date range filters want. */
export function marketoTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function decodeCursor(text: string, windows: number): MarketoCursor {
  return decodeJsonCursor('Marketo', text, (c): MarketoCursor | undefined => {
    if (!isSafeInteger(c.w) || c.w < 0 || c.w > windows) return undefined;
    if (c.e === undefined) return { w: c.w };
    const h = stringsOf(c.h);
    if (typeof c.e !== 'string' || !isSafeInteger(c.o) || c.o <= 0 || !isSafeInteger(c.n) || !h) return undefined;
    return { w: c.w, e: c.e, o: c.o, n: c.n, h };
  });
}
