import { pipeline } from 'node:stream';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import type { GetObjectCommandOutput, S3Client } from '@aws-sdk/client-s3';
import { isJsonObject } from '../../domain/json-object.js';
import type { Checked } from '../../domain/problem.js';
import { jsonDepthProblem } from '../../protocol/json.js';
import { recordTimeMs } from '../shared/record-time.js';
import { type ByteSource, chunkByteSource } from '../shared/byte-source.js';
import { csvLineRecord, CsvTable } from '../shared/csv.js';
import { decodeJsonCursor, isSafeInteger } from '../shared/json-cursor.js';
import { type JsonLayout, JsonStructureError, JsonValueReader } from '../shared/json-values.js';
import { type Line, LineReader } from '../shared/line-reader.js';
import { startRead, usableSettings } from '../shared/read-request.js';
import { SkippedRows } from '../shared/skipped-rows.js';
import { type Connector, type ReadRequest, SourceError, type SourcePage, type SourceRecord } from '../types.js';
import { s3SourceError } from './errors.js';
import { checkS3Settings, loadS3Sdk, type S3Format, type S3Sdk, type S3Settings, s3ClientFor } from './settings.js';

/** A long stretch of records outside the window yields no page, so the abort signal is also polled here. */
const SIGNAL_CHECK_RECORDS = 1024;

/**
 * Where a read resumes: after byte `offset` of the decompressed content of object `key`, which is the
 * start of line `line + 1` and follows its `record`-th record. `gzip` says how the offset was counted
 * (a plain object resumes with a Range GET, a compressed one is decompressed again and skipped up to
 * it); `layout` is what a JSON document turned out to be; `etag` is the object's version, so a resume
 * never seeks into different content.
 */
interface S3Cursor {
  key: string;
  offset: number;
  line: number;
  record: number;
  gzip: boolean;
  layout?: JsonLayout;
  etag?: string;
}

type ObjectPosition = Omit<S3Cursor, 'key'>;

interface Target {
  key: string;
  format: S3Format;
  from: ObjectPosition;
}

/** What one read knows: where, with which client, and how to name things in messages. */
interface ReadContext {
  sdk: S3Sdk;
  client: S3Client;
  bucket: string;
  settings: S3Settings;
  signal?: AbortSignal;
}

/**
 * Records from objects in an S3 bucket (or any S3-compatible store): every object under BucketPrefix,
 * in key order, as JSON Lines, JSON (an array, or values one after another), or CSV with a header row,
 * each possibly gzip-compressed. With a datetime field the records are windowed by it; without one,
 * whole objects are, by their LastModified time. Objects are streamed, so memory does not grow with
 * their size, and the cursor (key, decompressed byte offset, line, record) lets a resumed read seek to
 * the first record not yet delivered.
 */
export class S3Connector implements Connector<S3Settings> {
  readonly kind = 's3';

  parseSettings(settings: Record<string, unknown>): Checked<S3Settings> {
    return checkS3Settings(settings);
  }

  /** Counting records would mean reading every object, which is the read itself: no estimate. */
  async estimate(): Promise<number | undefined> {
    return undefined;
  }

  async *read(request: ReadRequest): AsyncIterable<SourcePage> {
    startRead(request);
    const profileName = request.profile.name;
    const settings = usableSettings(request, this);
    const bucket = request.object;
    const prefix = request.prefix ?? '';
    const cursor = request.cursor === undefined ? undefined : decodeCursor(request.cursor, prefix);
    const start = request.window.start.getTime();
    const end = request.window.end.getTime();
    const timeField = request.datetimeField || undefined;

    const sdk = await loadS3Sdk();
    const client = s3ClientFor(sdk, profileName, settings, request.policy);
    const ctx: ReadContext = { sdk, client, bucket, settings, signal: request.signal };
    try {
      let page: SourceRecord[] = [];
      // The position after the last record scanned: a cursor is only built from it when a page is cut.
      let lastKey = cursor?.key;
      let last: ObjectPosition | undefined = cursor;
      let scanned = 0;
      const skipped = new SkippedRows();
      for await (const target of targets(ctx, prefix, cursor, timeField ? undefined : { start, end })) {
        for await (const item of await objectRecords(ctx, target)) {
          lastKey = target.key;
          last = item.position;
          if (++scanned % SIGNAL_CHECK_RECORDS === 0) request.signal?.throwIfAborted();
          if (timeField) {
            const time = recordTimeMs(item.record[timeField]);
            // As the files source does: a record without a readable time belongs to no window, and is counted.
            if (time === undefined) {
              skipped.count(`no readable ${timeField}`);
              continue;
            }
            if (time < start || time >= end) continue;
          }
          page.push(item.record);
          if (page.length === request.pageSize) {
            yield { records: page, cursor: encodeCursor(lastKey, last), ...skipped.take() };
            request.signal?.throwIfAborted();
            page = [];
          }
        }
      }
      if ((page.length > 0 || skipped.any) && last && lastKey !== undefined) yield { records: page, cursor: encodeCursor(lastKey, last), ...skipped.take() };
    } finally {
      client.destroy();
    }
  }
}

/**
 * The objects to read, in key order: the cursor's own object first (from its offset), then those the
 * listing gives after it. Listing goes one ListObjectsV2 page at a time, as reading needs them.
 */
async function* targets(
  ctx: ReadContext,
  prefix: string,
  cursor: S3Cursor | undefined,
  lastModifiedWindow: { start: number; end: number } | undefined,
): AsyncGenerator<Target> {
  if (cursor) {
    const format = formatOf(cursor.key, ctx.settings);
    if (format) yield { key: cursor.key, format, from: cursor };
  }
  let continuationToken: string | undefined;
  do {
    const what = `Listing the objects of bucket '${ctx.bucket}' under prefix '${prefix}'`;
    const listing = await send(ctx, what, () =>
      ctx.client.send(
        new ctx.sdk.ListObjectsV2Command({
          Bucket: ctx.bucket,
          ...(prefix ? { Prefix: prefix } : {}),
          ...(continuationToken ? { ContinuationToken: continuationToken } : cursor ? { StartAfter: cursor.key } : {}),
        }),
        { abortSignal: ctx.signal },
      ),
    );
    for (const object of listing.Contents ?? []) {
      const key = object.Key;
      if (key === undefined || key.endsWith('/')) continue;
      const format = formatOf(key, ctx.settings);
      if (!format) continue;
      if (lastModifiedWindow) {
        const modified = object.LastModified?.getTime();
        if (modified === undefined || modified < lastModifiedWindow.start || modified >= lastModifiedWindow.end) continue;
      }
      yield { key, format, from: { offset: 0, line: 0, record: 0, gzip: false } };
    }
    continuationToken = listing.IsTruncated ? listing.NextContinuationToken : undefined;
  } while (continuationToken);
}

/**
 * The format named by the key's extension (after a `.gz`), or the profile's `format` for every object.
 * Objects of no known extension (manifests, `_SUCCESS` markers) are not data and are passed over.
 */
export function formatOf(key: string, settings: S3Settings): S3Format | undefined {
  if (settings.format) return settings.format;
  let name = key.slice(key.lastIndexOf('/') + 1).toLowerCase();
  if (name.endsWith('.gz')) name = name.slice(0, -3);
  if (name.endsWith('.jsonl') || name.endsWith('.ndjson')) return 'jsonl';
  if (name.endsWith('.json')) return 'json';
  if (name.endsWith('.csv')) return 'csv';
  return undefined;
}

function isGzip(key: string, contentEncoding: string | undefined, settings: S3Settings): boolean {
  if (settings.compression === 'gzip') return true;
  if (settings.compression === 'none') return false;
  return key.toLowerCase().endsWith('.gz') || /\bgzip\b/i.test(contentEncoding ?? '');
}

/** Runs an SDK call; its failure becomes a SourceError, except an abort, which is passed on as it is. */
async function send<T>(ctx: ReadContext, what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (ctx.signal?.aborted) throw ctx.signal.reason;
    throw s3SourceError(err, what);
  }
}

interface OpenedObject {
  source: ByteSource;
  gzip: boolean;
  etag?: string;
}

/**
 * The decompressed content of an object from byte `from.offset` on. A plain object is asked for with a
 * Range GET from that offset; a compressed one cannot be entered in the middle, so it is read from its
 * start and the first `offset` decompressed bytes are dropped.
 */
async function openObject(ctx: ReadContext, key: string, from: ObjectPosition): Promise<OpenedObject> {
  const what = `Reading object '${key}' of bucket '${ctx.bucket}'`;
  const ranged = from.offset > 0 && !from.gzip;
  let response: GetObjectCommandOutput;
  try {
    response = await ctx.client.send(
      new ctx.sdk.GetObjectCommand({ Bucket: ctx.bucket, Key: key, ...(ranged ? { Range: `bytes=${from.offset}-` } : {}) }),
      { abortSignal: ctx.signal },
    );
  } catch (err) {
    if (ctx.signal?.aborted) throw ctx.signal.reason;
    // The cursor sits at the very end of the object: nothing of it is left to read.
    if (ranged && ((err as { name?: string }).name === 'InvalidRange' || (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 416)) {
      return { source: chunkByteSource(emptyChunks()), gzip: false, etag: from.etag };
    }
    throw s3SourceError(err, what);
  }
  const body = response.Body as Readable | undefined;
  const etag = response.ETag;
  if (from.offset > 0 && from.etag && etag && etag !== from.etag) {
    body?.destroy();
    throw new SourceError(
      'permanent',
      `${what} failed: the object changed since the read began (ETag ${from.etag}, now ${etag}), so the position to resume from no longer points into the same content.`,
    );
  }
  if (!body) return { source: chunkByteSource(emptyChunks()), gzip: false, etag };
  const gzip = from.offset > 0 ? from.gzip : isGzip(key, response.ContentEncoding, ctx.settings);
  // A server that ignores Range answers the whole object (200, no Content-Range): skip to the offset here.
  const skip = ranged && !response.ContentRange ? from.offset : gzip ? from.offset : 0;
  if (!gzip) return { source: chunkByteSource(body, skip, () => void body.destroy()), gzip, etag };
  const gunzip = createGunzip();
  // pipeline ties the two together: a reset body fails the gunzip stream with the body's own error.
  pipeline(body, gunzip, () => undefined);
  return {
    source: chunkByteSource(gunzip, skip, () => {
      gunzip.destroy();
      body.destroy();
    }),
    gzip,
    etag,
  };
}

async function* emptyChunks(): AsyncGenerator<Buffer> {}

interface PositionedRecord {
  record: SourceRecord;
  position: ObjectPosition;
}

/**
 * The records of one object from `target.from`, each with the position just after it. The object is
 * opened here and the generator returned owns it (closing it when done or returned early); it is one
 * generator, not one delegating to another, because every level costs time on each of a big object's
 * records.
 */
async function objectRecords(ctx: ReadContext, target: Target): Promise<AsyncGenerator<PositionedRecord>> {
  const { key, format, from } = target;
  const label = `object '${key}' of bucket '${ctx.bucket}'`;
  if (format === 'json' && from.offset > 0 && from.layout === undefined) {
    throw new SourceError('permanent', `The cursor into ${label} does not say whether its JSON is an array; it is not one the s3 source issued.`);
  }
  let header: string[] | undefined;
  if (format === 'csv' && from.offset > 0) {
    // Resumed inside a CSV object: its header is read again from the object's start.
    header = await readCsvHeader(ctx, await openObject(ctx, key, { ...from, offset: 0, line: 0, record: 0 }), label);
  }
  const opened = await openObject(ctx, key, from);
  const base: PositionBase = { gzip: opened.gzip, etag: opened.etag };
  return format === 'json' ? jsonRecords(ctx, opened.source, from, base, label) : lineRecords(ctx, opened.source, format, header, from, base, label);
}

type PositionBase = Pick<ObjectPosition, 'gzip' | 'etag'>;

/** The elements of a JSON array, or the values of a JSON document that holds them one after another. */
async function* jsonRecords(
  ctx: ReadContext,
  source: ByteSource,
  from: ObjectPosition,
  base: PositionBase,
  label: string,
): AsyncGenerator<PositionedRecord> {
  const reader = new JsonValueReader(source, { offset: from.offset, lines: from.line, index: from.record, layout: from.layout });
  try {
    for (;;) {
      let value;
      try {
        value = await reader.next();
      } catch (err) {
        if (err instanceof JsonStructureError) throw new SourceError('permanent', `The JSON of ${label} is malformed: ${err.message}.`);
        throw streamError(ctx, err, `Reading ${label}`);
      }
      if (!value) return;
      const where = reader.layout === 'array' ? `Element ${value.index} (line ${value.line})` : `The value on line ${value.line}`;
      const record = jsonObject(value.text, () => `${where} of ${label}`);
      const position = { gzip: base.gzip, etag: base.etag, offset: value.end, line: value.linesAtEnd, record: value.index, layout: reader.layout };
      yield { record, position };
    }
  } finally {
    await reader.close();
  }
}

/** JSON Lines, or CSV whose first row names the columns (`header` is given when resuming past it). */
async function* lineRecords(
  ctx: ReadContext,
  source: ByteSource,
  format: 'jsonl' | 'csv',
  header: string[] | undefined,
  from: ObjectPosition,
  base: PositionBase,
  label: string,
): AsyncGenerator<PositionedRecord> {
  const reader = new LineReader(source, from.offset, from.line);
  const what = `Reading ${label}`;
  let record = from.record;
  try {
    if (format === 'jsonl') {
      for (;;) {
        const line = await nextLine(ctx, reader, what);
        if (!line) return;
        if (line.text.trim() === '') continue;
        const value = jsonObject(line.text, () => `Line ${line.number} of ${label}`);
        yield { record: value, position: { gzip: base.gzip, etag: base.etag, offset: line.end, line: line.number, record: ++record, layout: undefined } };
      }
    }
    // Cursors always point past a data record, so only a read from the very start meets the header.
    const table = new CsvTable(header);
    for (;;) {
      const line = await nextLine(ctx, reader, what);
      if (!line) break;
      const value = csvLineRecord(table, line, label);
      if (!value) continue;
      yield { record: value, position: { gzip: base.gzip, etag: base.etag, offset: line.end, line: line.number, record: ++record, layout: undefined } };
    }
    if (table.pending) {
      throw new SourceError('permanent', `The CSV of ${label} ends inside a quoted value that starts on line ${table.recordLine}.`);
    }
  } finally {
    await reader.close();
  }
}

async function readCsvHeader(ctx: ReadContext, opened: OpenedObject, label: string): Promise<string[]> {
  const reader = new LineReader(opened.source);
  try {
    const table = new CsvTable();
    for (;;) {
      const line = await nextLine(ctx, reader, `Reading ${label}`);
      if (!line) throw new SourceError('permanent', `The CSV of ${label} has no header row any more; it changed since the read began.`);
      csvLineRecord(table, line, label);
      if (table.header) return table.header;
    }
  } finally {
    await reader.close();
  }
}

async function nextLine(ctx: ReadContext, reader: LineReader, what: string): Promise<Line | undefined> {
  try {
    return await reader.next();
  } catch (err) {
    throw streamError(ctx, err, what);
  }
}

function streamError(ctx: ReadContext, err: unknown, what: string): unknown {
  if (ctx.signal?.aborted) return ctx.signal.reason;
  return s3SourceError(err, what);
}

function jsonObject(text: string, where: () => string): SourceRecord {
  const tooDeep = jsonDepthProblem(text, where);
  if (tooDeep) throw new SourceError('permanent', tooDeep);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new SourceError('permanent', `${where()} is not valid JSON: ${(err as Error).message}`);
  }
  if (!isJsonObject(value)) throw new SourceError('permanent', `${where()} is not a JSON object.`);
  return value;
}

function encodeCursor(key: string, cursor: ObjectPosition): string {
  return JSON.stringify({
    key,
    offset: cursor.offset,
    line: cursor.line,
    record: cursor.record,
    gzip: cursor.gzip,
    ...(cursor.layout ? { layout: cursor.layout } : {}),
    ...(cursor.etag ? { etag: cursor.etag } : {}),
  });
}

function decodeCursor(text: string, prefix: string): S3Cursor {
  const c = decodeJsonCursor('s3', text, (c): S3Cursor | undefined => {
    const count = (n: unknown): n is number => isSafeInteger(n) && n >= 0;
    if (typeof c.key !== 'string' || !count(c.offset) || !count(c.line) || !count(c.record) || typeof c.gzip !== 'boolean') return undefined;
    const layout = c.layout === 'array' || c.layout === 'values' ? c.layout : undefined;
    if ((c.layout !== undefined && layout === undefined) || (c.etag !== undefined && typeof c.etag !== 'string')) return undefined;
    return { key: c.key, offset: c.offset, line: c.line, record: c.record, gzip: c.gzip, layout, etag: c.etag };
  });
  if (!c.key.startsWith(prefix)) {
    throw new SourceError('permanent', `The cursor names object '${c.key}', which is not under the prefix '${prefix}' of this read.`);
  }
  return c;
}
