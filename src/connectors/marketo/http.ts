import type { ConnectorPolicy } from '../policy.js';
import { errorCode, httpFetch, httpStatusError, readJson, readText, resolveSecret, type TokenCache, trimBase } from '../shared/http.js';
import { SourceError } from '../types.js';
import { DEFAULT_FIELDS, DEFAULT_MAX_WAIT_MS, DEFAULT_POLL_MS, type MarketoSettings } from './settings.js';

/**
 * Marketo error codes that pass (Marketo REST "Error Codes"): 604 request timed out, 606 rate limit,
 * 607 daily quota, 608 API temporarily unavailable, 611 system error, 615 concurrent access limit,
 * 713 transient error, 1029 too many jobs in queue / export daily quota exceeded.
 */
const TRANSIENT_CODES = new Set(['604', '606', '607', '608', '611', '615', '713', '1029']);
/** 601 access token invalid, 602 access token expired: a fresh token is fetched and the call made again once. */
const TOKEN_CODES = new Set(['601', '602']);

export interface JobStatus {
  status: string;
  errorMsg?: string;
}

/** The REST calls, with Marketo's `{success:false, errors:[{code,message}]}` envelope read as errors. */
export class MarketoApi {
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
    private readonly settings: MarketoSettings,
    private readonly tokens: TokenCache,
    private readonly now: () => number,
    private readonly signal: AbortSignal | undefined,
    private readonly policy: ConnectorPolicy | undefined,
  ) {
    this.base = trimBase(settings.endpoint);
    this.identity = trimBase(settings.identityEndpoint ?? settings.endpoint);
    this.clientId = settings.clientId;
    this.what = `Marketo leads export of connector profile '${profileName}'`;
    this.defaultFields = settings.fields ?? DEFAULT_FIELDS;
    this.pollIntervalMs = settings.pollIntervalMs ?? DEFAULT_POLL_MS;
    this.maxWaitMs = settings.maxWaitMs ?? DEFAULT_MAX_WAIT_MS;
    this.timeoutMs = settings.timeoutMs;
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
    return body.result;
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
