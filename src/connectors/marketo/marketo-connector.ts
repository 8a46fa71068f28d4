import { CsvSyntaxError, CsvWidthError } from '../shared/csv.js';
import {
  checkSecretPair,
  httpFetch,
  httpStatusError,
  pause,
  readJson,
  readText,
  resolveSecret,
  secretRules,
  errorCode,
  TokenCache,
  trimBase,
  URL_RULE,
} from '../shared/http.js';
import { checkSettings, type SettingRules } from '../shared/settings.js';
import { decodeJsonCursor, encodeJsonCursor } from '../shared/json-cursor.js';
import type { ConnectorPolicy } from '../policy.js';
import { startRead, usableSettings } from '../shared/read-request.js';
import { type Connector, type ReadRequest, SourceError, type SourcePage, type SourceRecord } from '../types.js';
import { csvRecords } from './csv-stream.js';

/**
 * Settings of a `marketo` connector profile: the REST endpoint (Admin > Web Services, e.g.
 * https://123-ABC-456.mktorest.com), the identity endpoint when it differs, a LaunchPoint service's
 * client id and secret (or `clientSecretEnv`), the lead fields read when a flow's tasks name none, and
 * how export jobs are waited for.
 */
export interface MarketoSettings {
  endpoint: string;
  identityEndpoint?: string;
  clientId: string;
  clientSecret?: string;
  clientSecretEnv?: string;
  fields?: string[];
  pollIntervalMs?: number;
  maxWaitMs?: number;
  timeoutMs?: number;
}

const SETTINGS: SettingRules = {
  endpoint: { ...URL_RULE, required: true, describe: 'the REST API endpoint, e.g. https://123-ABC-456.mktorest.com' },
  identityEndpoint: { ...URL_RULE, describe: 'the identity endpoint when it is not the REST endpoint' },
  clientId: { type: 'string', required: true, describe: "the LaunchPoint service's client id" },
  ...secretRules('clientSecret', "the LaunchPoint service's client secret"),
  fields: { type: 'string-list' },
  pollIntervalMs: { type: 'integer', min: 0, max: 600_000 },
  maxWaitMs: { type: 'integer', min: 0, max: 86_400_000 },
  timeoutMs: { type: 'integer', min: 1000, max: 600_000 },
};

const DEFAULT_FIELDS = ['id', 'email', 'firstName', 'lastName', 'createdAt', 'updatedAt'];
const DEFAULT_POLL_MS = 30_000;
const DEFAULT_MAX_WAIT_MS = 6 * 3_600_000;
/** "Max Time Span for Date Range Filter (createdAt or updatedAt): 31 days" (Marketo Bulk Extract limits). */
export const MAX_FILTER_SPAN_MS = 31 * 86_400_000;

/**
 * Marketo error codes that pass (Marketo REST "Error Codes"): 604 request timed out, 606 rate limit,
 * 607 daily quota, 608 API temporarily unavailable, 611 system error, 615 concurrent access limit,
 * 713 transient error, 1029 too many jobs in queue / export daily quota exceeded.
 */
const TRANSIENT_CODES = new Set(['604', '606', '607', '608', '611', '615', '713', '1029']);
/** 601 access token invalid, 602 access token expired: a fresh token is fetched and the call made again once. */
const TOKEN_CODES = new Set(['601', '602']);

/**
 * Where a read resumes: sub-window `w` of the window; when `e` is set, inside that sub-window's export
 * job `e` after byte `o` of its file, `n` rows read, with the file's header `h`.
 */
interface MarketoCursor {
  w: number;
  e?: string;
  o?: number;
  n?: number;
  h?: string[];
}

interface Job {
  exportId: string;
  /** Resume inside the file: byte offset, rows already read, header. */
  offset: number;
  rows: number;
  header?: string[];
}

/**
 * Leads of a Marketo instance through the Bulk Lead Extract API: an export job per sub-window of at most
 * 31 days (the API's limit) filtered on updatedAt (createdAt when the flow's datetime field says so),
 * enqueued, polled until Completed, and its CSV file streamed. The cursor is (sub-window, export id,
 * byte offset), so a resumed read downloads the rest of the same file with a Range request instead of
 * exporting again. Jobs this process created are remembered per request, so a read retried after a
 * transient failure waits for the same job rather than queueing another.
 */
export class MarketoConnector implements Connector {
  readonly kind = 'marketo';
  private readonly tokens: TokenCache;
  private readonly now: () => number;
  /** Export jobs created by this process: request key → exportId. */
  private readonly jobs = new Map<string, string>();

  constructor(options: { now?: () => number } = {}) {
    this.now = options.now ?? Date.now;
    this.tokens = new TokenCache(this.now);
  }

  validateSettings(settings: Record<string, unknown>): string[] {
    const problems = checkSettings(settings, SETTINGS);
    if (problems.length) return problems;
    return checkSecretPair(settings, 'clientSecret', true);
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
          yield { records: chunk, cursor: encodeJsonCursor({ ...at }) };
          request.signal?.throwIfAborted();
          chunk = [];
        }
      }
      // A chunk that runs on into the next sub-window is delivered with that sub-window's position; one
      // left at the very end goes out with the position "after the last sub-window".
    }
    if (chunk.length > 0) yield { records: chunk, cursor: encodeJsonCursor({ w: windows.length }) };
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
    const settings = usableSettings<Record<string, unknown>>(request, (s) => this.validateSettings(s));
    return new MarketoApi(profile.name, settings, this.tokens, this.now, request.signal, request.policy);
  }
}

interface JobStatus {
  status: string;
  errorMsg?: string;
}

/** The REST calls, with Marketo's `{success:false, errors:[{code,message}]}` envelope read as errors. */
class MarketoApi {
  readonly base: string;
  readonly clientId: string;
  readonly what: string;
  readonly defaultFields: string[];
  readonly pollIntervalMs: number;
  readonly maxWaitMs: number;
  private readonly identity: string;
  private readonly timeoutMs?: number;

  constructor(
    private readonly profileName: string,
    private readonly settings: Record<string, unknown>,
    private readonly tokens: TokenCache,
    private readonly now: () => number,
    private readonly signal: AbortSignal | undefined,
    private readonly policy: ConnectorPolicy | undefined,
  ) {
    const s = settings as unknown as MarketoSettings;
    this.base = trimBase(s.endpoint);
    this.identity = trimBase(s.identityEndpoint ?? s.endpoint);
    this.clientId = s.clientId;
    this.what = `Marketo leads export of connector profile '${profileName}'`;
    this.defaultFields = s.fields ?? DEFAULT_FIELDS;
    this.pollIntervalMs = s.pollIntervalMs ?? DEFAULT_POLL_MS;
    this.maxWaitMs = s.maxWaitMs ?? DEFAULT_MAX_WAIT_MS;
    this.timeoutMs = s.timeoutMs;
  }

  async create(fields: string[], filter: Record<string, unknown>): Promise<string> {
    const result = await this.call('POST', '/bulk/v1/leads/export/create.json', { fields, format: 'CSV', filter });
    const exportId = (result[0] as { exportId?: unknown } | undefined)?.exportId;
    if (typeof exportId !== 'string' || exportId === '') throw new SourceError('transient', `${this.what}: create.json answered without an exportId.`);
    return exportId;
  }

  async enqueue(exportId: string): Promise<JobStatus> {
    return statusOf(await this.call('POST', `/bulk/v1/leads/export/${encodeURIComponent(exportId)}/enqueue.json`));
  }

  async status(exportId: string): Promise<JobStatus> {
    return statusOf(await this.call('GET', `/bulk/v1/leads/export/${encodeURIComponent(exportId)}/status.json`));
  }

  /** GET file.json from byte `offset` (a Range request), as a stream positioned at that byte. */
  async file(exportId: string, offset: number): Promise<ReadableStream<Uint8Array>> {
    const path = `/bulk/v1/leads/export/${encodeURIComponent(exportId)}/file.json`;
    const response = await this.send('GET', path, undefined, offset > 0 ? { range: `bytes=${offset}-` } : {});
    if (response.status === 416) {
      await response.body?.cancel();
      return new ReadableStream<Uint8Array>({ start: (controller) => controller.close() });
    }
    const type = response.headers.get('content-type') ?? '';
    if (type.includes('json')) {
      // Errors come as the JSON envelope; a CSV file never does.
      this.envelope(await readJson(this.what, response, this.signal));
    }
    if (!response.body) throw new SourceError('transient', `${this.what}: file.json answered without a body.`);
    if (offset > 0 && response.status === 200) return skipBytes(response.body, offset);
    return response.body;
  }

  private async call(method: string, path: string, body?: unknown): Promise<unknown[]> {
    const response = await this.send(method, path, body);
    return this.envelope(await readJson(this.what, response, this.signal));
  }

  /** One request with a bearer token; a 601/602 answer gets a fresh token and one more try. */
  private async send(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Response> {
    for (let attempt = 1; ; attempt++) {
      const token = await this.token();
      const response = await httpFetch(this.what, `${this.base}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          accept: 'application/json',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...headers,
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        timeoutMs: this.timeoutMs,
        signal: this.signal,
        policy: this.policy,
      });
      // 416: a resumed download that starts at the file's end (the last page ended with the file).
      if (response.status === 416 && headers.range) return response;
      if (!response.ok) {
        await readText(this.what, response, this.signal).catch(() => '');
        throw httpStatusError(this.what, response, '');
      }
      if (attempt === 1 && (response.headers.get('content-type') ?? '').includes('json')) {
        // Peek at the envelope for a token error without consuming the caller's body.
        const copy = response.clone();
        const json = (await readJson(this.what, copy, this.signal)) as { success?: unknown; errors?: { code?: unknown }[] };
        if (json.success === false && json.errors?.some((e) => TOKEN_CODES.has(String(e.code)))) {
          this.tokens.invalidate(this.tokenKey(), token);
          continue;
        }
      }
      return response;
    }
  }

  private envelope(json: unknown): unknown[] {
    const body = json as { success?: unknown; errors?: { code?: unknown; message?: unknown }[]; result?: unknown };
    if (body?.success === false || !Array.isArray(body?.result)) {
      const errors = Array.isArray(body?.errors) ? body.errors : [];
      const first = errors[0] ?? {};
      // Marketo's codes are numbers ('606'); its messages stay out of step messages like any answer text.
      const code = String(first.code ?? 'none');
      const shown = /^\d{1,8}$/.test(code) ? code : (errorCode(code) ?? 'with an unreadable code');
      const message = `${this.what}: Marketo error ${shown}${errors.length > 1 ? ` (and ${errors.length - 1} more)` : ''}.`;
      if (TRANSIENT_CODES.has(code)) throw new SourceError('transient', message);
      if (TOKEN_CODES.has(code)) throw new SourceError('permanent', `${message} A freshly fetched token was refused too.`);
      throw new SourceError('permanent', message);
    }
    return body.result as unknown[];
  }

  private tokenKey(): string {
    return `${this.identity}\u0000${this.clientId}`;
  }

  private token(): Promise<string> {
    return this.tokens.get(this.tokenKey(), async () => {
      const what = `The Marketo identity endpoint of connector profile '${this.profileName}'`;
      const params = new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: this.clientId,
        client_secret: resolveSecret(this.profileName, this.settings, 'clientSecret') as string,
      });
      const response = await httpFetch(what, `${this.identity}/identity/oauth/token?${params.toString()}`, {
        headers: { accept: 'application/json' },
        timeoutMs: this.timeoutMs,
        signal: this.signal,
        policy: this.policy,
      });
      const text = await readText(what, response, this.signal);
      if (!response.ok) throw httpStatusError(what, response, identityError(text));
      let json: { access_token?: unknown; expires_in?: unknown };
      try {
        json = JSON.parse(text) as typeof json;
      } catch {
        throw new SourceError('transient', `${what} answered with a body that is not JSON.`);
      }
      if (typeof json.access_token !== 'string' || json.access_token === '') throw new SourceError('permanent', `${what} answered without an access_token.`);
      const expiresIn = Number(json.expires_in ?? 3600);
      return { token: json.access_token, expiresAt: this.now() + (Number.isFinite(expiresIn) ? expiresIn : 3600) * 1000 };
    });
  }
}

function statusOf(result: unknown[]): JobStatus {
  const r = (result[0] ?? {}) as { status?: unknown; errorMsg?: unknown };
  return { status: String(r.status ?? 'unknown'), errorMsg: typeof r.errorMsg === 'string' ? r.errorMsg : undefined };
}

/** The identity endpoint's OAuth error code (`{"error"}`); its description is answer text and stays out. */
function identityError(text: string): string {
  try {
    return errorCode((JSON.parse(text) as { error?: unknown }).error) ?? '';
  } catch {
    return '';
  }
}

/** A body that ignored the Range header, with its first `n` bytes dropped. */
function skipBytes(body: ReadableStream<Uint8Array>, n: number): ReadableStream<Uint8Array> {
  let left = n;
  return body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        if (left >= chunk.byteLength) {
          left -= chunk.byteLength;
          return;
        }
        controller.enqueue(chunk.subarray(left));
        left = 0;
      },
    }),
  );
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
function marketoTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function decodeCursor(text: string, windows: number): MarketoCursor {
  return decodeJsonCursor('Marketo', text, (c) => {
    const ok =
      Number.isSafeInteger(c.w) &&
      (c.w as number) >= 0 &&
      (c.w as number) <= windows &&
      (c.e === undefined ||
        (typeof c.e === 'string' &&
          Number.isSafeInteger(c.o) &&
          (c.o as number) > 0 &&
          Number.isSafeInteger(c.n) &&
          Array.isArray(c.h) &&
          c.h.every((h) => typeof h === 'string')));
    return ok ? (c as unknown as MarketoCursor) : undefined;
  });
}
