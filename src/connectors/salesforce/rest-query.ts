import { SourceError, type SourcePage, type SourceRecord } from '../types.js';
import { encodeCursor, isAfter, isLocatorPath, keysetOf, type ReadContext, readThroughAfter } from './cursor.js';
import { SalesforceApiError } from './http.js';
import { countQuery, type Keyset, selectQuery } from './soql.js';

/** The Query resource's answer (REST API developer guide, "Query"). */
interface QueryResult {
  totalSize: number;
  done: boolean;
  nextRecordsUrl?: string;
  records: Record<string, unknown>[];
}

/** Salesforce returns 200 to 2,000 records a batch; the batch size is only a hint it may lower. */
const MIN_BATCH = 200;
const MAX_BATCH = 2_000;

function endpoint(ctx: Pick<ReadContext, 'http' | 'includeDeleted'>): string {
  // queryAll also returns records deleted (in the recycle bin) or archived: IncludeDeletedRecords.
  return `${ctx.http.apiBase}/${ctx.includeDeleted ? 'queryAll' : 'query'}`;
}

/** `SELECT COUNT() FROM … WHERE <window>`: Salesforce answers the count as totalSize and no records. */
export async function countWindow(ctx: Omit<ReadContext, 'fields'>): Promise<number> {
  const soql = countQuery({ object: ctx.object, timeField: ctx.timeField, start: ctx.start, end: ctx.end });
  const result = await ctx.http.json<QueryResult>(
    'GET',
    `${endpoint(ctx)}?q=${encodeURIComponent(soql)}`,
    `the count of ${ctx.object} records in the window`,
  );
  return result.totalSize;
}

/**
 * Reads the window with the REST Query resource, following nextRecordsUrl, and hands the records on in
 * pages of `pageSize`. A page that ends where a Salesforce batch ends carries that batch's
 * nextRecordsUrl in its cursor, so a prompt resume continues the same server-side query; any other page,
 * or a locator Salesforce no longer knows, resumes with a new query past the page's last (time, Id).
 */
export async function* readRest(ctx: ReadContext, after?: Keyset, next?: string): AsyncGenerator<SourcePage> {
  const batchSize = Math.min(MAX_BATCH, Math.max(MIN_BATCH, ctx.pageSize));
  const headers = { 'sforce-query-options': `batchSize=${batchSize}` };
  const what = `the query of ${ctx.object}`;

  let batch: QueryResult | undefined;
  if (next !== undefined && after !== undefined) batch = await continueLocator(ctx, next, after, headers);
  let page: SourceRecord[] = [];
  for (;;) {
    if (!batch) {
      const soql = selectQuery({ object: ctx.object, fields: ctx.fields, timeField: ctx.timeField, start: ctx.start, end: ctx.end, after });
      batch = await ctx.http.json<QueryResult>('GET', `${endpoint(ctx)}?q=${encodeURIComponent(soql)}`, what, undefined, headers);
    }
    const records = batch.records.map(withoutAttributes);
    for (let i = 0; i < records.length; i++) {
      page.push(records[i]);
      if (page.length === ctx.pageSize) {
        const atBatchEnd = i === records.length - 1 && !batch.done && isLocatorPath(batch.nextRecordsUrl);
        const exhausted = i === records.length - 1 && (batch.done || batch.nextRecordsUrl === undefined);
        const delivered = keysetOf(ctx, records[i]);
        yield {
          records: page,
          cursor: encodeCursor({ mode: 'rest', after: delivered, next: atBatchEnd ? batch.nextRecordsUrl : undefined }),
          readThrough: exhausted ? new Date(ctx.end) : readThroughAfter(delivered),
        };
        ctx.signal?.throwIfAborted();
        page = [];
      }
    }
    if (batch.done || batch.nextRecordsUrl === undefined) break;
    if (isLocatorPath(batch.nextRecordsUrl)) {
      batch = await ctx.http.json<QueryResult>('GET', batch.nextRecordsUrl, what, undefined, headers);
      continue;
    }
    // Only query locators of this org's data API are followed (the bearer token goes with the request);
    // anything else is continued by a keyset query past the last record received, in this same loop so
    // that a long run of such batches costs no deeper generator nesting.
    if (records.length === 0) {
      throw new SourceError('permanent', `Salesforce answered ${what} with an empty batch and an unusable nextRecordsUrl.`);
    }
    after = keysetOf(ctx, records[records.length - 1]);
    batch = undefined;
  }
  if (page.length > 0) yield { records: page, cursor: encodeCursor({ mode: 'rest', after: keysetOf(ctx, page[page.length - 1]) }), readThrough: new Date(ctx.end) };
}

/**
 * The batch at a cursor's locator, or undefined when Salesforce no longer knows the locator
 * (INVALID_QUERY_LOCATOR, NOT_FOUND) or its first record does not follow the cursor's keyset.
 */
async function continueLocator(
  ctx: ReadContext,
  next: string,
  after: Keyset,
  headers: Record<string, string>,
): Promise<QueryResult | undefined> {
  let batch: QueryResult;
  try {
    batch = await ctx.http.json<QueryResult>('GET', next, `the query of ${ctx.object} (continued)`, undefined, headers);
  } catch (err) {
    if (err instanceof SalesforceApiError && err.kind === 'permanent') return undefined;
    throw err;
  }
  const first = batch.records[0];
  if (first !== undefined && !isAfter(keysetOf(ctx, first), after)) return undefined;
  return batch;
}

/** A record as the flow sees it: Salesforce's `attributes` (type and URL) is metadata, not a field. */
export function withoutAttributes(record: Record<string, unknown>): SourceRecord {
  const { attributes: _attributes, ...rest } = record;
  return rest;
}
