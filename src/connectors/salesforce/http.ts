import { createHash } from 'node:crypto';
import { errorCode, httpFetch, type HttpOptions, readText, resolveSecret, retryAfterOption, type SecretSettings, TokenCache } from '../shared/http.js';
import type { ConnectorPolicy } from '../policy.js';
import { SourceError, type SourceErrorOptions, type SourceFailureKind } from '../types.js';
import type { ResolvedSettings } from './settings.js';

/**
 * Salesforce's REST error body is a list of `{message, errorCode}` (REST API developer guide, "Status
 * Codes and Error Responses"); its OAuth endpoint answers `{error, error_description}` instead.
 */
interface SalesforceFault {
  errorCode: string;
  message: string;
}

/** Error codes a retry can mend; everything else Salesforce names is a problem with the request. */
const TRANSIENT_CODES = new Set(['REQUEST_LIMIT_EXCEEDED', 'SERVER_UNAVAILABLE', 'UNABLE_TO_LOCK_ROW']);
/** "Your query request was running for too long": the window is narrowed by splitting it. */
const TOO_LARGE_CODES = new Set(['QUERY_TIMEOUT', 'EXCEEDED_MAX_SIZE_REQUEST']);
const TRANSIENT_STATUSES = new Set([429, 500, 502, 503, 504]);

/**
 * Access tokens per (profile, instance, credentials), shared by every read of the process. Salesforce's
 * token answer has no expires_in (the session lasts as the org's policy says), so a token is used until
 * Salesforce refuses it with 401 INVALID_SESSION_ID, which invalidates it.
 */
const tokens = new TokenCache();

export interface SalesforceResponse {
  status: number;
  headers: Headers;
  text: string;
}

/**
 * One profile's view of an org: authenticated requests with the cached access token, one refresh and
 * retry when Salesforce answers 401 (INVALID_SESSION_ID: the token expired or was revoked), and every
 * failure translated into a SourceError whose kind tells the engine what to do.
 */
export class SalesforceHttp {
  private readonly cacheKey: string;

  constructor(
    private readonly profileName: string,
    private readonly settings: ResolvedSettings,
    private readonly signal: AbortSignal | undefined,
    private readonly policy?: ConnectorPolicy,
  ) {
    // The key covers the credentials, so a profile replaced with other credentials never reuses a token
    // minted for the old ones; hashed so that no secret sits in a map key.
    this.cacheKey = createHash('sha256')
      .update(JSON.stringify([profileName, settings.instanceUrl, settings.auth]))
      .digest('hex');
  }

  get apiBase(): string {
    return `/services/data/v${this.settings.apiVersion}`;
  }

  /**
   * The same org and token cache, but requests bounded by a fresh `timeoutMs` signal of their own
   * instead of the read's: for the clean-up a cancelled read still owes Salesforce (aborting its job).
   */
  detached(timeoutMs: number): SalesforceHttp {
    return new SalesforceHttp(this.profileName, { ...this.settings, requestTimeoutMs: timeoutMs }, AbortSignal.timeout(timeoutMs), this.policy);
  }

  /** An API request; `what` names it in error messages ("the query of Account"). */
  async request(
    method: string,
    path: string,
    what: string,
    options: { body?: unknown; headers?: Record<string, string>; accept?: string } = {},
  ): Promise<SalesforceResponse> {
    const response = await this.send(method, path, what, options);
    return { status: response.status, headers: response.headers, text: await readText(this.where(what), response, this.signal) };
  }

  /**
   * An API request whose successful body is left unread, for the caller to stream with `streamBody`:
   * the request timeout bounds the wait for the headers only (a body read at the engine's pace may take
   * longer), and each chunk must then come within it.
   */
  async stream(method: string, path: string, what: string, options: { accept?: string } = {}): Promise<Response> {
    return this.send(method, path, what, { ...options, timeoutCovers: 'headers' });
  }

  /** How `what` is named in transport failures: which org, which call. */
  where(what: string): string {
    return `Salesforce at ${new URL(this.settings.instanceUrl).origin} for ${what}`;
  }

  private async send(
    method: string,
    path: string,
    what: string,
    options: { body?: unknown; headers?: Record<string, string>; accept?: string; timeoutCovers?: HttpOptions['timeoutCovers'] },
  ): Promise<Response> {
    let token = await this.token();
    for (let attempt = 1; ; attempt++) {
      const headers: Record<string, string> = {
        authorization: `Bearer ${token}`,
        accept: options.accept ?? 'application/json',
        ...options.headers,
      };
      if (options.body !== undefined) headers['content-type'] = 'application/json';
      const response = await this.fetch(`${this.settings.instanceUrl}${path}`, what, {
        method,
        headers,
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
        timeoutCovers: options.timeoutCovers,
      });
      if (response.ok) return response;
      const text = await readText(this.where(what), response, this.signal);
      if (response.status === 401 && attempt === 1) {
        // The token expired or was revoked: mint another (unless a concurrent read already did) and retry once.
        token = await this.token(token);
        continue;
      }
      if (response.status === 401) {
        const fault = parseFault(text);
        throw new SourceError(
          'permanent',
          `Salesforce refused a freshly issued access token of connector profile '${this.profileName}' for ${what}` +
            `${fault ? ` (${fault.errorCode})` : ''}; check the connected app and the user's API permission.`,
        );
      }
      throw apiError({ status: response.status, headers: response.headers, text }, what);
    }
  }

  /** GET/POST that answers JSON. */
  async json<T>(method: string, path: string, what: string, body?: unknown, headers?: Record<string, string>): Promise<T> {
    const response = await this.request(method, path, what, { body, headers });
    try {
      return JSON.parse(response.text) as T;
    } catch {
      throw new SourceError('transient', `Salesforce answered ${what} with a body that is not JSON.`);
    }
  }

  /**
   * The cached access token, or a new one when there is none or the cached one is `stale`. Only the
   * read holding the stale token drops it; concurrent reads share the one grant that replaces it, and a
   * failed grant is not cached (the next read asks again: an operator may have fixed the secret).
   */
  private token(stale?: string): Promise<string> {
    if (stale !== undefined) tokens.invalidate(this.cacheKey, stale);
    return tokens.get(this.cacheKey, async () => ({ token: await this.requestToken(), expiresAt: Number.POSITIVE_INFINITY }));
  }

  private async requestToken(): Promise<string> {
    const auth = this.settings.auth;
    const tokenUrl = auth.tokenUrl ?? `${this.settings.instanceUrl}/services/oauth2/token`;
    const form = new URLSearchParams({ grant_type: auth.flow, client_id: auth.clientId });
    form.set('client_secret', this.secret(auth, 'clientSecret'));
    if (auth.flow === 'refresh_token') form.set('refresh_token', this.secret(auth, 'refreshToken'));
    const what = `the OAuth ${auth.flow} grant at ${tokenUrl}`;
    const response = await this.fetch(tokenUrl, what, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: form.toString(),
    });
    const text = await readText(this.where(what), response, this.signal);
    let body: Record<string, unknown> | undefined;
    try {
      body = JSON.parse(text) as Record<string, unknown>;
    } catch {
      body = undefined;
    }
    if (response.status >= 500 || response.status === 429) {
      throw new SourceError('transient', `Salesforce answered ${what} with HTTP ${response.status}.`, retryAfterOption(response.headers));
    }
    if (response.status !== 200 || typeof body?.access_token !== 'string' || body.access_token === '') {
      // invalid_grant (a revoked or expired refresh token), invalid_client (a wrong id or secret)…: no
      // retry mends these, an operator must.
      // Only the OAuth error code is shown: error_description is answer text, which stays out of step messages.
      const code = errorCode(body?.error) ?? `HTTP ${response.status}`;
      throw new SourceError('permanent', `Salesforce refused ${what} for connector profile '${this.profileName}' (${code}).`);
    }
    return body.access_token;
  }

  /** A secret of the `auth` setting, inline or from the environment variable its `…Env` member names. */
  private secret<N extends 'clientSecret' | 'refreshToken'>(auth: SecretSettings<N>, member: N): string {
    return resolveSecret(this.profileName, auth, member, 'auth.') as string;
  }

  /**
   * The shared fetch (request timeout, the read's signal, transport failures as transient errors, a
   * redirect refused as permanent: the instance URL is wrong, which no retry mends).
   */
  private fetch(url: string, what: string, init: Omit<HttpOptions, 'timeoutMs' | 'signal'>): Promise<Response> {
    const where = `Salesforce at ${new URL(url).origin} for ${what}`;
    return httpFetch(where, url, {
      ...init,
      timeoutMs: this.settings.requestTimeoutMs,
      signal: this.signal,
      policy: this.policy,
      unreachable: (cause) => `Could not reach ${where}: ${cause}.`,
    });
  }
}

export function parseFault(text: string): SalesforceFault | undefined {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return undefined;
  }
  const first = Array.isArray(body) ? body[0] : body;
  if (typeof first !== 'object' || first === null) return undefined;
  const f = first as Record<string, unknown>;
  const code = errorCode(f.errorCode);
  if (code) return { errorCode: code, message: typeof f.message === 'string' ? f.message : '' };
  return undefined;
}

/** A failed API call: Salesforce's errorCode (when it sent one) travels with the SourceError. */
export class SalesforceApiError extends SourceError {
  constructor(
    kind: SourceFailureKind,
    message: string,
    readonly status: number,
    readonly errorCode: string | undefined,
    options: SourceErrorOptions = {},
  ) {
    super(kind, message, options);
  }
}

/**
 * A non-success answer of the API as a SourceError naming the status and Salesforce's errorCode; its
 * message is answer text, which stays out of step messages.
 */
export function apiError(response: SalesforceResponse, what: string): SalesforceApiError {
  const fault = parseFault(response.text);
  let kind: SourceFailureKind;
  if (fault && TOO_LARGE_CODES.has(fault.errorCode)) kind = 'too-large';
  else if (fault && TRANSIENT_CODES.has(fault.errorCode)) kind = 'transient';
  else if (TRANSIENT_STATUSES.has(response.status)) kind = 'transient';
  else kind = response.status >= 500 ? 'transient' : 'permanent';
  const cause = fault ? ` (${fault.errorCode})` : '';
  const retry = kind === 'transient' ? retryAfterOption(response.headers) : {};
  return new SalesforceApiError(kind, `Salesforce answered ${what} with HTTP ${response.status}${cause}.`, response.status, fault?.errorCode, retry);
}
