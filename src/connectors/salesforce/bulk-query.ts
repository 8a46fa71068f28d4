import { setTimeout as delay } from 'node:timers/promises';
import { streamBody } from '../shared/http.js';
import { chunkByteSource } from '../shared/byte-source.js';
import { csvLineRecord, CsvTable } from '../shared/csv.js';
import { LineReader } from '../shared/line-reader.js';
import { SourceError, type SourcePage, type SourceRecord } from '../types.js';
import { encodeCursor, isAfter, isResultLocator, keysetOf, type ReadContext, readThroughAfter } from './cursor.js';
import { SalesforceApiError } from './http.js';
import { type Keyset, selectQuery } from './soql.js';

/** A query job as Bulk API 2.0 describes it (Bulk API 2.0 developer guide, "Get Information About a Query Job"). */
interface QueryJob {
  id: string;
  state: 'UploadComplete' | 'InProgress' | 'Aborted' | 'JobComplete' | 'Failed';
  errorMessage?: string;
}

/** Failures of a job that mean "this much data in one query is too slow": the engine splits the window. */
const TOO_LARGE_JOB = /QUERY_TIMEOUT|timed? ?out|too long|too large|exceeded/i;
/** An org limit reached (API requests, bulk jobs per day): waiting mends it, narrowing the window does not. */
const LIMIT_JOB = /REQUEST_LIMIT_EXCEEDED|limit exceeded/i;
/** How long the abort of a job may take once its read is over (cancelled or timed out): best effort. */
const ABORT_TIMEOUT_MS = 10_000;

export interface BulkResume {
  job: string;
  /** The result set to read next ('' for the first), or null when the job's results are exhausted. */
  locator: string | null;
  after: Keyset;
}

/**
 * A record of a result set, with what a cursor after it names: its job, and its own set's locator, or
 * the next set's (null after the last) when it ends its set.
 */
interface LocatedRecord {
  record: SourceRecord;
  job: string;
  locator: string | null;
}

/**
 * Reads the window with a Bulk API 2.0 query job: create it (operation query, or queryAll for
 * IncludeDeletedRecords), poll it until JobComplete, then fetch its CSV results a result set at a time
 * (maxRecords = bulkResultsMaxRecords, default 50,000), following the Sforce-Locator header until it
 * reads "null". Each set is streamed and cut into pages of the page size, which may span two sets.
 *
 * The job's query carries the same ORDER BY time, Id as the REST path. Salesforce advises against
 * ORDER BY in bulk queries because it turns off PK chunking, but without it a delivered prefix of the
 * results has no keyset. With it, every cursor names (job, locator of the set holding the page's last
 * record, that record's time and Id): a resume re-reads that set and drops the records up to the keyset
 * (exact whatever the page size was; a page ending a set names the next set instead), and when the job
 * is gone (deleted by Salesforce after 7 days or by an administrator) it starts a new job past the
 * keyset, which yields exactly the records not yet delivered. If the ordered query runs too long,
 * Salesforce fails the job with a timeout, reported as too-large so that the engine reads the window in
 * halves.
 */
export async function* readBulk(ctx: ReadContext, resume?: BulkResume): AsyncGenerator<SourcePage> {
  if (resume && resume.locator === null) return;
  let page: SourceRecord[] = [];
  let last: LocatedRecord | undefined;
  for await (const item of bulkRecords(ctx, resume)) {
    page.push(item.record);
    last = item;
    if (page.length === ctx.pageSize) {
      // The last record of the results is the only one whose locator is null.
      yield pageEndingAt(ctx, page, item, item.locator === null);
      ctx.signal?.throwIfAborted();
      page = [];
    }
  }
  // The last record of the results names no further set (its locator is null), so neither does this page.
  if (page.length > 0 && last) yield pageEndingAt(ctx, page, last, true);
}

/** A page whose last record is `item`; `exhausted` when no record of the window follows it. */
function pageEndingAt(ctx: ReadContext, records: SourceRecord[], item: LocatedRecord, exhausted: boolean): SourcePage {
  const after = keysetOf(ctx, item.record);
  return {
    records,
    cursor: encodeCursor({ mode: 'bulk', after, job: item.job, locator: item.locator }),
    readThrough: exhausted ? new Date(ctx.end) : readThroughAfter(after),
  };
}

/**
 * The records of the job's result sets from `resume` on, each with the locator a cursor after it names.
 * A record is known to end its set only when the set's body ends, so each is handed on one record late.
 */
async function* bulkRecords(ctx: ReadContext, resume?: BulkResume): AsyncGenerator<LocatedRecord> {
  /** The keyset past which records are new: the resume point, then the last record received. */
  let after = resume?.after;
  let last: SourceRecord | undefined;
  let job: string;
  let locator = resume?.locator ?? '';
  /** A job this read created and has not yet read from: failing to read it is a failure, not a loss. */
  let fresh: boolean;
  if (resume) {
    job = resume.job;
    fresh = false;
  } else {
    job = await runJob(ctx, undefined);
    fresh = true;
  }

  for (;;) {
    let set: ResultSet;
    try {
      set = await openResultSet(ctx, job, locator);
    } catch (err) {
      // 404: the job was deleted; 409/412: its results can no longer be downloaded as they were.
      const gone = err instanceof SalesforceApiError && (err.status === 404 || err.status === 409 || err.status === 412);
      if (last !== undefined) after = keysetOf(ctx, last);
      if (!gone || fresh || after === undefined) throw err;
      job = await runJob(ctx, after);
      locator = '';
      fresh = true;
      continue;
    }
    fresh = false;
    // A set re-read on resume starts with records already delivered; they are dropped by keyset.
    let filter: Keyset | undefined = last !== undefined ? undefined : after;
    let held: SourceRecord | undefined;
    try {
      for (;;) {
        const record = await set.next();
        if (!record) break;
        if (filter !== undefined) {
          if (!isAfter(keysetOf(ctx, record), filter)) continue;
          filter = undefined;
        }
        if (held) yield { record: held, job, locator };
        held = record;
        last = record;
      }
    } finally {
      await set.close();
    }
    if (held) yield { record: held, job, locator: set.nextLocator };
    if (set.nextLocator === null) return;
    locator = set.nextLocator;
  }
}

interface ResultSet {
  /** The next record of the set, or undefined at its end. */
  next(): Promise<SourceRecord | undefined>;
  /** The Sforce-Locator of the set after this one; null when this is the last. */
  nextLocator: string | null;
  close(): Promise<void>;
}

/** Creates the query job and waits until Salesforce has finished it; answers its id. */
async function runJob(ctx: ReadContext, after: Keyset | undefined): Promise<string> {
  const soql = selectQuery({ object: ctx.object, fields: ctx.fields, timeField: ctx.timeField, start: ctx.start, end: ctx.end, after });
  const created = await ctx.http.json<QueryJob>('POST', `${ctx.http.apiBase}/jobs/query`, `the creation of a bulk query job on ${ctx.object}`, {
    operation: ctx.includeDeleted ? 'queryAll' : 'query',
    query: soql,
    contentType: 'CSV',
    columnDelimiter: 'COMMA',
    lineEnding: 'LF',
  });
  if (typeof created.id !== 'string' || !/^[A-Za-z0-9]{15,18}$/.test(created.id)) {
    throw new SourceError('transient', `Salesforce created a bulk query job on ${ctx.object} without a usable id.`);
  }
  const deadline = Date.now() + ctx.settings.bulkJobTimeoutMs;
  let job = created;
  try {
    for (;;) {
      if (job.state === 'JobComplete') return job.id;
      if (job.state === 'Failed') {
        // The job's errorMessage ("CODE: text") decides the kind; only its code is quoted, the text is
        // answer text, which stays out of step messages.
        const why = job.errorMessage ?? '';
        const code = /^([A-Z][A-Z0-9_]{1,63})(?::|$)/.exec(why)?.[1];
        throw new SourceError(
          LIMIT_JOB.test(why) ? 'transient' : TOO_LARGE_JOB.test(why) ? 'too-large' : 'permanent',
          `Salesforce's bulk query job ${job.id} on ${ctx.object} failed${code ? ` (${code})` : ''}.`,
        );
      }
      if (job.state === 'Aborted') {
        throw new SourceError('transient', `Salesforce's bulk query job ${job.id} on ${ctx.object} was aborted before it completed.`);
      }
      if (Date.now() >= deadline) {
        await abortJob(ctx, created.id);
        throw new SourceError(
          'transient',
          `Salesforce's bulk query job ${job.id} on ${ctx.object} did not complete within ${ctx.settings.bulkJobTimeoutMs} ms (state ${job.state}).`,
        );
      }
      // The read's signal ends the wait at once when the step is cancelled or the worker stops.
      await delay(ctx.settings.bulkPollIntervalMs, undefined, { signal: ctx.signal });
      job = await ctx.http.json<QueryJob>('GET', `${ctx.http.apiBase}/jobs/query/${created.id}`, `the state of bulk query job ${created.id}`);
    }
  } catch (err) {
    // A read cancelled while its job runs leaves no job behind: the job would go on using the org's
    // bulk processing for results nobody will read (a resume starts from a cursor, never from this job).
    if (ctx.signal?.aborted) await abortJob(ctx, created.id);
    throw err;
  }
}

/**
 * Asks Salesforce to abort a job (Bulk API 2.0 developer guide, "Abort a Query Job": PATCH
 * `/jobs/query/<id>` with `{"state": "Aborted"}`), best effort: with a fresh short-timeout signal, as
 * the read's own may be the one that was cancelled, and any failure ignored (the read is failing anyway).
 */
async function abortJob(ctx: ReadContext, job: string): Promise<void> {
  await ctx.http
    .detached(ABORT_TIMEOUT_MS)
    .request('PATCH', `${ctx.http.apiBase}/jobs/query/${job}`, `the abort of bulk query job ${job}`, { body: { state: 'Aborted' } })
    .catch(() => undefined);
}

/**
 * One result set of a completed job (at most bulkResultsMaxRecords records), its CSV streamed: a header
 * row, then one RFC 4180 record per row whose values are the CSV text as Salesforce sent it (line breaks
 * inside quoted values belong to the value).
 */
async function openResultSet(ctx: ReadContext, job: string, locator: string): Promise<ResultSet> {
  const query = new URLSearchParams({ maxRecords: String(ctx.settings.bulkResultsMaxRecords) });
  if (locator !== '') query.set('locator', locator);
  const what = `the results of bulk query job ${job}`;
  const response = await ctx.http.stream('GET', `${ctx.http.apiBase}/jobs/query/${job}/results?${query}`, what, { accept: 'text/csv' });
  const header = response.headers.get('sforce-locator');
  const next = header === null || header === '' || header === 'null' ? null : header;
  if (next !== null && !isResultLocator(next)) {
    await response.body?.cancel().catch(() => undefined);
    throw new SourceError('transient', `Salesforce answered ${what} with an unusable Sforce-Locator.`);
  }
  const body = streamBody(ctx.http.where(what), response, ctx.settings.requestTimeoutMs, ctx.signal);
  const reader = new LineReader(chunkByteSource(body));
  const table = new CsvTable();
  return {
    nextLocator: next,
    async next() {
      for (;;) {
        const line = await reader.next();
        if (!line) {
          if (table.pending) throw new SourceError('transient', `The results of bulk query job ${job} end inside a quoted value (the download was cut short).`);
          return undefined;
        }
        const record = csvLineRecord(table, line, `the results of bulk query job ${job}`);
        if (record) return record;
      }
    },
    close: () => reader.close(),
  };
}
