import type { Checked } from '../../domain/problem.js';
import { startRead, usableSettings } from '../shared/read-request.js';
import { type Connector, type ReadRequest, SourceError, type SourcePage } from '../types.js';
import { readBulk } from './bulk-query.js';
import { decodeCursor, type ReadContext } from './cursor.js';
import { SalesforceHttp } from './http.js';
import { countWindow, readRest } from './rest-query.js';
import { checkSalesforceSettings, resolvedSettings, type SalesforceSettings } from './settings.js';
import { checkIdentifier } from './soql.js';

const DEFAULT_DATETIME_FIELD = 'LastModifiedDate';
/**
 * Field types a read of "every field" leaves out: compound address and geolocation fields (their
 * components are fields of their own, and Bulk API 2.0 refuses compound fields) and base64 bodies
 * (which neither a bulk query nor a profile object can carry).
 */
const SKIPPED_TYPES = new Set(['address', 'location', 'base64']);
/** Counts kept from estimate() for the read that follows it; bounded so a long-lived process stays small. */
const COUNT_MEMO_LIMIT = 256;

/** The answer of `GET /services/data/vXX.X/sobjects/<Object>/describe`, the members used here. */
interface Describe {
  name: string;
  queryable?: boolean;
  fields: { name: string; type: string }[];
}

/**
 * Salesforce through its REST API: a window is `SELECT <fields> FROM <Object> WHERE <time field> in
 * [start, end) ORDER BY <time field>, Id` on the Query resource (queryAll for IncludeDeletedRecords),
 * paged along nextRecordsUrl; a window holding `bulkThreshold` records or more (default 1,000,000, the
 * point where AppFlow switches) is read with a Bulk API 2.0 query job instead. OAuth 2.0 access tokens
 * (refresh token or client credentials flow) are cached per profile and renewed when Salesforce answers
 * INVALID_SESSION_ID. Cursors are keysets, so any page resumes exactly (see cursor.ts).
 */
export class SalesforceConnector implements Connector<SalesforceSettings> {
  readonly kind = 'salesforce';
  private readonly counts = new Map<string, number>();

  parseSettings(settings: Record<string, unknown>): Checked<SalesforceSettings> {
    return checkSalesforceSettings(settings);
  }

  async estimate(request: ReadRequest): Promise<number> {
    const ctx = this.context(request);
    const count = await countWindow(ctx);
    if (this.counts.size >= COUNT_MEMO_LIMIT) this.counts.clear();
    this.counts.set(countKey(request), count);
    return count;
  }

  async *read(request: ReadRequest): AsyncIterable<SourcePage> {
    startRead(request);
    const base = this.context(request);
    const cursor = request.cursor === undefined ? undefined : decodeCursor(request.cursor);
    const ctx: ReadContext = { ...base, fields: await selectedFields(base, request) };

    if (cursor?.mode === 'rest') {
      yield* readRest(ctx, cursor.after, cursor.next);
      return;
    }
    if (cursor?.mode === 'bulk') {
      yield* readBulk(ctx, cursor);
      return;
    }
    // The count estimate() just took for this window is used once; otherwise the read takes its own.
    const key = countKey(request);
    const count = this.counts.get(key) ?? (await countWindow(ctx));
    this.counts.delete(key);
    if (count >= ctx.settings.bulkThreshold) yield* readBulk(ctx);
    else yield* readRest(ctx);
  }

  private context(request: ReadRequest): Omit<ReadContext, 'fields'> {
    const settings = resolvedSettings(usableSettings(request, this));
    return {
      profileName: request.profile.name,
      settings,
      http: new SalesforceHttp(request.profile.name, settings, request.signal, request.policy),
      object: checkIdentifier(request.object, 'object'),
      timeField: checkIdentifier(request.datetimeField || DEFAULT_DATETIME_FIELD, 'field'),
      includeDeleted: request.includeDeleted === true,
      start: request.window.start.getTime(),
      end: request.window.end.getTime(),
      pageSize: request.pageSize,
      signal: request.signal,
    };
  }
}

function countKey(request: ReadRequest): string {
  return JSON.stringify([
    request.profile.name,
    request.object,
    request.datetimeField ?? '',
    request.includeDeleted === true,
    request.window.start.getTime(),
    request.window.end.getTime(),
  ]);
}

/**
 * The fields to select: the ones the flow's Tasks name, or every field of the object (from describe)
 * when the flow enables dynamic field update or names none; Id and the time field always, as the
 * keyset needs them. Salesforce field names are case-insensitive, so duplicates are compared so.
 */
async function selectedFields(ctx: Omit<ReadContext, 'fields'>, request: ReadRequest): Promise<string[]> {
  let fields: string[];
  if (request.enableDynamicFieldUpdate || request.fields.length === 0) {
    const describe = await ctx.http.json<Describe>(
      'GET',
      `${ctx.http.apiBase}/sobjects/${ctx.object}/describe`,
      `the describe of ${ctx.object}`,
    );
    if (describe.queryable === false) {
      throw new SourceError('permanent', `Salesforce object ${ctx.object} cannot be queried (describe answers queryable: false).`);
    }
    fields = (describe.fields ?? []).filter((f) => !SKIPPED_TYPES.has(f.type)).map((f) => checkIdentifier(f.name, 'field'));
  } else {
    fields = request.fields.map((f) => checkIdentifier(f, 'field'));
  }
  const seen = new Set<string>();
  const out: string[] = [];
  for (const f of ['Id', ...fields, ctx.timeField]) {
    if (seen.has(f.toLowerCase())) continue;
    seen.add(f.toLowerCase());
    out.push(f);
  }
  return out;
}
