import { recordTimeMs } from '../shared/record-time.js';
import { decodeJsonCursor, isSafeInteger } from '../shared/json-cursor.js';
import { SourceError, type SourceRecord } from '../types.js';
import type { SalesforceHttp } from './http.js';
import type { ResolvedSettings } from './settings.js';
import { isRecordId, type Keyset } from './soql.js';

/** What one read needs, resolved once: the org, the object, the window and the fields to select. */
export interface ReadContext {
  profileName: string;
  settings: ResolvedSettings;
  http: SalesforceHttp;
  object: string;
  timeField: string;
  fields: string[];
  includeDeleted: boolean;
  start: number;
  end: number;
  pageSize: number;
  signal?: AbortSignal;
}

/**
 * Where a read resumes. Every cursor carries the keyset (time, Id) of the last record delivered, which
 * alone resumes exactly (the query is ordered by time, then Id). The REST cursor may add the
 * nextRecordsUrl that continues right after it, and the bulk cursor the job and result-set locator: both
 * are fast paths used while Salesforce still knows them (query locators expire after 15 minutes of
 * inactivity; query jobs are deleted after 7 days or by an administrator), never needed for correctness.
 */
export type SalesforceCursor =
  | { mode: 'rest'; after: Keyset; next?: string }
  | {
      mode: 'bulk';
      after: Keyset;
      job: string;
      /** The result set to read next ('' for the first); null when the job's results are exhausted. */
      locator: string | null;
    };

const LOCATOR_PATH = /^\/services\/data\/v\d{2,3}\.0\/(query|queryAll)\/[A-Za-z0-9]{1,40}-\d{1,12}$/;
const JOB_ID = /^[A-Za-z0-9]{15,18}$/;
const RESULT_LOCATOR = /^[A-Za-z0-9+/=_-]{0,200}$/;

export function encodeCursor(cursor: SalesforceCursor): string {
  const base = { v: 1, m: cursor.mode, t: cursor.after.time, id: cursor.after.id };
  if (cursor.mode === 'rest') return JSON.stringify(cursor.next ? { ...base, next: cursor.next } : base);
  return JSON.stringify({ ...base, job: cursor.job, loc: cursor.locator });
}

export function decodeCursor(text: string): SalesforceCursor {
  return decodeJsonCursor<SalesforceCursor>('Salesforce', text, (c) => {
    if (c.v !== 1 || !isSafeInteger(c.t) || !isRecordId(c.id)) return undefined;
    const after = { time: c.t, id: c.id };
    if (c.m === 'rest') {
      if (c.next !== undefined && (typeof c.next !== 'string' || !LOCATOR_PATH.test(c.next))) return undefined;
      return { mode: 'rest', after, next: c.next as string | undefined };
    }
    if (c.m === 'bulk') {
      const locOk = c.loc === null || (typeof c.loc === 'string' && RESULT_LOCATOR.test(c.loc));
      if (typeof c.job !== 'string' || !JOB_ID.test(c.job) || !locOk) return undefined;
      return { mode: 'bulk', after, job: c.job, locator: c.loc as string | null };
    }
    return undefined;
  });
}

/** True when `path` is a query locator path the connector may follow (it is sent with the bearer token). */
export function isLocatorPath(path: unknown): path is string {
  return typeof path === 'string' && LOCATOR_PATH.test(path);
}

export function isResultLocator(value: string): boolean {
  return RESULT_LOCATOR.test(value);
}

/** A member of a record by name, ignoring case (Salesforce answers with the API name's own casing). */
function member(record: SourceRecord, name: string): unknown {
  if (name in record) return record[name];
  const lower = name.toLowerCase();
  for (const key of Object.keys(record)) if (key.toLowerCase() === lower) return record[key];
  return undefined;
}

/** The keyset of a delivered record; a record without a readable time or Id cannot be resumed after. */
export function keysetOf(ctx: ReadContext, record: SourceRecord): Keyset {
  const time = recordTimeMs(member(record, ctx.timeField));
  const id = member(record, 'Id');
  if (time === undefined || !isRecordId(id)) {
    throw new SourceError(
      'permanent',
      `A ${ctx.object} record from Salesforce lacks a readable ${ctx.timeField} or Id ` +
        `(${ctx.timeField}: ${JSON.stringify(member(record, ctx.timeField))}, Id: ${JSON.stringify(id)}).`,
    );
  }
  return { time, id };
}

/**
 * How far a read ordered by (time, Id) has got once `after` is delivered: every record of an earlier time
 * (records of the same time with a greater Id may still follow).
 */
export function readThroughAfter(after: Keyset): Date {
  return new Date(after.time);
}

/** True when `k` lies strictly after `after` in (time, Id) order. */
export function isAfter(k: Keyset, after: Keyset): boolean {
  return k.time > after.time || (k.time === after.time && k.id > after.id);
}
