import type { Checked } from '../../domain/problem.js';
import { CsvSyntaxError, CsvWidthError } from '../shared/csv.js';
import { errorCode, pause, TokenCache } from '../shared/http.js';
import { encodeJsonCursor } from '../shared/json-cursor.js';
import { startRead, usableSettings } from '../shared/read-request.js';
import { type Connector, type ReadRequest, SourceError, type SourcePage, type SourceRecord } from '../types.js';
import { csvRecords } from './csv-stream.js';
import { decodeCursor, type Job, type MarketoCursor, marketoTime, subWindows } from './cursor.js';
import { MarketoApi } from './http.js';
import { checkMarketoSettings, type MarketoSettings } from './settings.js';

/**
 * Leads of a Marketo instance through the Bulk Lead Extract API: an export job per sub-window of at most
 * 31 days (the API's limit) filtered on updatedAt (createdAt when the flow's datetime field says so),
 * enqueued, polled until Completed, and its CSV file streamed. The cursor is (sub-window, export id,
 * byte offset), so a resumed read downloads the rest of the same file with a Range request instead of
 * exporting again. Jobs this process created are remembered per request, so a read retried after a
 * transient failure waits for the same job rather than queueing another.
 */
export class MarketoConnector implements Connector<MarketoSettings> {
  readonly kind = 'marketo';
  private readonly tokens: TokenCache;
  private readonly now: () => number;
  /** Export jobs created by this process: request key → exportId. */
  private readonly jobs = new Map<string, string>();

  constructor(options: { now?: () => number } = {}) {
    this.now = options.now ?? Date.now;
    this.tokens = new TokenCache(this.now);
  }

  parseSettings(settings: Record<string, unknown>): Checked<MarketoSettings> {
    return checkMarketoSettings(settings);
  }

  async *read(request: ReadRequest): AsyncIterable<SourcePage> {
    startRead(request);
    const api = this.api(request);
    if (request.object.toLowerCase() !== 'leads') {
      throw new SourceError('permanent', `Marketo object '${request.object.slice(0, 100)}' cannot be exported; the objects are leads.`);
    }
    const filterField = request.datetimeField === 'createdAt' ? 'createdAt' : 'updatedAt';
    const fields = [...new Set([...(request.fields.length ? request.fields : api.defaultFields), 'id', filterField])];
    const windows = subWindows(request.window.start.getTime(), request.window.end.getTime());
    const cursor = request.cursor === undefined ? { w: 0 } : decodeCursor(request.cursor, windows.length);

    let chunk: SourceRecord[] = [];
    for (let w = cursor.w; w < windows.length; w++) {
      const filter = { [filterField]: { startAt: marketoTime(windows[w].start), endAt: marketoTime(windows[w].end - 1000) } };
      const resume = w === cursor.w && cursor.e !== undefined ? { exportId: cursor.e, offset: cursor.o ?? 0, rows: cursor.n ?? 0, header: cursor.h } : undefined;
      const rows = this.exportRows(api, fields, filter, resume, request.signal);
      for await (const { record, job } of rows) {
        chunk.push(record);
        if (chunk.length === request.pageSize) {
          const at: MarketoCursor = { w, e: job.exportId, o: job.offset, n: job.rows, h: job.header };
          // An export file is in no particular order: only the sub-windows before this one are known to
          // be delivered in full.
          yield { records: chunk, cursor: encodeJsonCursor({ ...at }), ...(w > 0 ? { readThrough: new Date(windows[w].start) } : {}) };
          request.signal?.throwIfAborted();
          chunk = [];
        }
      }
      // A chunk that runs on into the next sub-window is delivered with that sub-window's position; one
      // left at the very end goes out with the position "after the last sub-window".
    }
    if (chunk.length > 0) yield { records: chunk, cursor: encodeJsonCursor({ w: windows.length }), readThrough: request.window.end };
  }

  /** The rows of one sub-window's export, each with the job position after it. */
  private async *exportRows(
    api: MarketoApi,
    fields: string[],
    filter: Record<string, { startAt: string; endAt: string }>,
    resume: Job | undefined,
    signal: AbortSignal | undefined,
  ): AsyncGenerator<{ record: SourceRecord; job: Job }> {
    const key = `${api.base}\u0000${api.clientId}\u0000${JSON.stringify({ fields, filter })}`;
    let job: Job;
    let skipRows = 0;
    if (resume) {
      job = resume;
      const status = await api.status(resume.exportId).catch((err: unknown) => {
        if (err instanceof SourceError && err.kind === 'permanent') return undefined;
        throw err;
      });
      if (status?.status !== 'Completed') {
        // The file is gone (files are kept seven days) or the job is not ours any more: export the
        // sub-window again and pass over the rows already delivered.
        skipRows = resume.rows;
        job = { exportId: await this.completedJob(api, key, fields, filter, signal, true), offset: 0, rows: 0 };
      }
    } else {
      job = { exportId: await this.completedJob(api, key, fields, filter, signal, false), offset: 0, rows: 0 };
    }
    const body = await api.file(job.exportId, job.offset);
    const header = job.offset > 0 ? job.header : undefined;
    if (job.offset > 0 && !header) throw new SourceError('permanent', `${api.what}: the cursor lacks the file's header.`);
    try {
      for await (const row of csvRecords(body, job.offset, `${api.what} file of export ${job.exportId}`, header)) {
        job = { ...job, offset: row.end, rows: job.rows + 1, header: row.header };
        if (skipRows > 0) {
          skipRows--;
          continue;
        }
        const record: SourceRecord = row.record;
        // Marketo writes an empty value as the text null.
        for (const column of row.header) if (record[column] === 'null') record[column] = null;
        yield { record, job };
      }
    } catch (err) {
      if (err instanceof CsvSyntaxError) throw new SourceError('permanent', err.message);
      if (err instanceof CsvWidthError) throw new SourceError('permanent', `${api.what}: a row of export ${job.exportId} has ${err.message}.`);
      if (signal?.aborted) throw signal.reason;
      if (err instanceof SourceError) throw err;
      throw new SourceError('transient', `${api.what}: the download of export ${job.exportId} broke off: ${(err as Error).message}.`);
    }
    this.jobs.delete(key);
  }

  /** Creates (or finds again) the export job for this request, enqueues it and waits for Completed. */
  private async completedJob(
    api: MarketoApi,
    key: string,
    fields: string[],
    filter: Record<string, unknown>,
    signal: AbortSignal | undefined,
    fresh: boolean,
  ): Promise<string> {
    let exportId = fresh ? undefined : this.jobs.get(key);
    let status = exportId ? await api.status(exportId).catch(() => undefined) : undefined;
    if (!exportId || !status || status.status === 'Failed' || status.status === 'Cancelled') {
      exportId = await api.create(fields, filter);
      this.jobs.set(key, exportId);
      status = { status: 'Created' };
    }
    if (status.status === 'Created') status = await api.enqueue(exportId);
    const deadline = this.now() + api.maxWaitMs;
    for (;;) {
      if (status.status === 'Completed') return exportId;
      if (status.status === 'Failed' || status.status === 'Cancelled') {
        this.jobs.delete(key);
        throw new SourceError('transient', `${api.what}: export job ${exportId} ended ${errorCode(status.status) ?? 'in a state it did not name'}.`);
      }
      if (this.now() >= deadline) {
        throw new SourceError('transient', `${api.what}: export job ${exportId} is still ${status.status} after ${api.maxWaitMs} ms; the next attempt waits for the same job.`);
      }
      await pause(api.pollIntervalMs, signal);
      status = await api.status(exportId);
    }
  }

  private api(request: ReadRequest): MarketoApi {
    const profile = request.profile;
    return new MarketoApi(profile.name, usableSettings(request, this), this.tokens, this.now, request.signal, request.policy);
  }
}
