import { type Checked, invalid } from '../../domain/problem.js';
import {
  basicAuth,
  checkSecretPair,
  httpFetch,
  httpStatusError,
  readJson,
  readText,
  resolveSecret,
  secretEnvRule,
  secretRule,
  errorCode,
  TokenCache,
  trimBase,
  URL_RULE,
  type CachedToken,
} from '../shared/http.js';
import { checkSettings, type SettingRules } from '../shared/settings.js';
import { decodeJsonCursor, encodeJsonCursor, isSafeInteger } from '../shared/json-cursor.js';
import type { ConnectorPolicy } from '../policy.js';
import { startRead, usableSettings } from '../shared/read-request.js';
import { type Connector, type ReadRequest, SourceError, type SourcePage, type SourceRecord } from '../types.js';

/**
 * Settings of a `servicenow` connector profile. Basic auth with `username` + `password`; OAuth 2.0 when
 * `clientId` is given, with the password grant (`username` + `password`) or the refresh_token grant
 * (`refreshToken`). Every secret may instead be named by an environment variable (`passwordEnv`, …).
 */
export interface ServiceNowSettings {
  instanceUrl: string;
  username?: string;
  password?: string;
  passwordEnv?: string;
  clientId?: string;
  clientSecret?: string;
  clientSecretEnv?: string;
  refreshToken?: string;
  refreshTokenEnv?: string;
  /** Largest sysparm_limit asked for (ServiceNow's own default cap is 10000). */
  maxPageSize?: number;
  timeoutMs?: number;
}

const SETTINGS = {
  instanceUrl: { ...URL_RULE, required: true, describe: 'the instance URL, e.g. https://dev12345.service-now.com' },
  username: { type: 'string' },
  password: secretRule("the integration user's password"),
  passwordEnv: secretEnvRule("the integration user's password"),
  clientId: { type: 'string', describe: 'the OAuth client id of an Application Registry entry' },
  clientSecret: secretRule('the OAuth client secret'),
  clientSecretEnv: secretEnvRule('the OAuth client secret'),
  refreshToken: secretRule('an OAuth refresh token'),
  refreshTokenEnv: secretEnvRule('an OAuth refresh token'),
  maxPageSize: { type: 'integer', min: 1, max: 10_000 },
  timeoutMs: { type: 'integer', min: 1000, max: 600_000 },
} satisfies SettingRules;

const DEFAULT_TIME_FIELD = 'sys_updated_on';
const DEFAULT_MAX_PAGE = 10_000;
/** ServiceNow table names: letters, digits, underscores (scoped tables: x_vendor_app_table). */
const TABLE_NAME = /^[A-Za-z0-9_$]{1,80}$/;
const FIELD_NAME = /^[A-Za-z0-9_$.]{1,200}$/;

/**
 * Where a read resumes: after the record (t, id) in the order (time field, sys_id); `n` records with
 * time exactly `t` were delivered, which is the offset into the `time >= t` query where the rest begin.
 */
interface ServiceNowCursor {
  t: string;
  id: string;
  n: number;
}

/**
 * Records of a ServiceNow table through the Table API (GET /api/now/table/{table}). The window is an
 * encoded query on sys_updated_on (or the flow's datetime field), ordered by it and by sys_id, so that
 * the cursor can be a key (last time, last sys_id) instead of an offset that shifts when rows change.
 * Times go to the query in ServiceNow's internal form `YYYY-MM-DD HH:mm:ss` (UTC, as the Table API
 * returns them with sysparm_display_value=false).
 */
export class ServiceNowConnector implements Connector<ServiceNowSettings> {
  readonly kind = 'servicenow';
  private readonly tokens: TokenCache;
  private readonly now: () => number;

  /** `now` is the clock token expiry is measured with (tests drive it). */
  constructor(options: { now?: () => number } = {}) {
    this.now = options.now ?? Date.now;
    this.tokens = new TokenCache(this.now);
  }

  parseSettings(settings: Record<string, unknown>): Checked<ServiceNowSettings> {
    const checked = checkSettings(settings, SETTINGS);
    if (!checked.ok) return checked;
    // Combinations are judged on the stored members, where a null counts as given.
    const problems: string[] = [];
    problems.push(...checkSecretPair(settings, 'password', false), ...checkSecretPair(settings, 'clientSecret', false), ...checkSecretPair(settings, 'refreshToken', false));
    const hasPassword = settings.password !== undefined || settings.passwordEnv !== undefined;
    const hasSecret = settings.clientSecret !== undefined || settings.clientSecretEnv !== undefined;
    const hasRefresh = settings.refreshToken !== undefined || settings.refreshTokenEnv !== undefined;
    if (settings.clientId === undefined) {
      if (settings.username === undefined || !hasPassword) {
        problems.push("Basic authentication needs 'username' and 'password' (or 'passwordEnv'); for OAuth give 'clientId'.");
      }
      if (hasSecret || hasRefresh) problems.push("Settings 'clientSecret' and 'refreshToken' need 'clientId'.");
    } else {
      if (!hasSecret) problems.push("OAuth needs 'clientSecret' (or 'clientSecretEnv') with 'clientId'.");
      if (!hasRefresh && (settings.username === undefined || !hasPassword)) {
        problems.push("OAuth needs 'username' and 'password' (password grant) or 'refreshToken' (refresh_token grant).");
      }
    }
    return problems.length ? invalid(...problems) : checked;
  }

  async estimate(request: ReadRequest): Promise<number | undefined> {
    const session = this.session(request);
    const query = windowQuery(session.timeField, snDate(ceilSecond(request.window.start)), snDate(ceilSecond(request.window.end)));
    const response = await session.get({ sysparm_query: query, sysparm_fields: 'sys_id', sysparm_limit: '1' });
    await readText(session.what, response, request.signal);
    const total = response.headers.get('x-total-count');
    return total !== null && /^\d+$/.test(total) ? Number(total) : undefined;
  }

  async *read(request: ReadRequest): AsyncIterable<SourcePage> {
    startRead(request);
    const session = this.session(request);
    let cursor = request.cursor === undefined ? undefined : decodeCursor(request.cursor);
    const startText = snDate(ceilSecond(request.window.start));
    const endText = snDate(ceilSecond(request.window.end));
    const limit = Math.min(request.pageSize, session.maxPageSize);
    const tf = session.timeField;
    const fields = request.fields.length === 0 ? undefined : [...new Set([...request.fields, 'sys_id', tf])];
    for (const f of fields ?? []) {
      if (!FIELD_NAME.test(f)) throw new SourceError('permanent', `The field '${f.slice(0, 100)}' is not a ServiceNow field name.`);
    }
    // Rows hidden by ACLs or inserted behind the cursor can make a full page deliver nothing new; the
    // extra offset then moves past them instead of asking for the same page again.
    let extra = 0;
    for (;;) {
      const from = cursor ? cursor.t : startText;
      if (from >= endText) return;
      const params: Record<string, string> = {
        sysparm_query: windowQuery(tf, from, endText),
        sysparm_limit: String(limit),
        sysparm_offset: String((cursor?.n ?? 0) + extra),
        sysparm_display_value: 'false',
        sysparm_exclude_reference_link: 'true',
      };
      if (fields) params.sysparm_fields = fields.join(',');
      const response = await session.get(params);
      const body = (await readJson(session.what, response, request.signal)) as { result?: unknown };
      if (!Array.isArray(body?.result)) {
        throw new SourceError('transient', `${session.what} answered without a result list.`);
      }
      const rows = body.result as SourceRecord[];
      const records: SourceRecord[] = [];
      let next = cursor;
      for (const row of rows) {
        const t = String(row[tf] ?? '');
        const id = String(row.sys_id ?? '');
        if (next && (t < next.t || (t === next.t && id <= next.id))) continue;
        if (t < startText || t >= endText) continue;
        records.push(row);
        next = next && next.t === t ? { t, id, n: next.n + 1 } : { t, id, n: 1 };
      }
      const link = response.headers.get('link');
      // The Link header's rel="next" is what tells that more rows follow: a page may hold fewer rows than
      // sysparm_limit when ACLs hide some. Without the header, a short page is the last.
      const more = link === null ? rows.length >= limit : /<[^>]*>\s*;\s*rel="?next"?/i.test(link);
      // Taking a record sets `next`, so it is defined whenever records are.
      if (records.length > 0 && next) {
        cursor = next;
        extra = 0;
        const readThrough = more ? snTime(next.t) : request.window.end;
        yield { records, cursor: encodeJsonCursor({ ...next }), ...(readThrough ? { readThrough } : {}) };
        request.signal?.throwIfAborted();
      } else {
        // The instance passed over `limit` rows (visible or not) without one new record.
        extra += limit;
      }
      if (!more) return;
    }
  }

  private session(request: ReadRequest) {
    const profile = request.profile;
    const s = usableSettings(request, this);
    if (!TABLE_NAME.test(request.object)) {
      throw new SourceError('permanent', `The object '${request.object.slice(0, 100)}' is not a ServiceNow table name.`);
    }
    const base = trimBase(s.instanceUrl);
    const what = `ServiceNow table '${request.object}' of connector profile '${profile.name}'`;
    const timeoutMs = s.timeoutMs;
    const signal = request.signal;
    const policy = request.policy;
    const tokens = this.tokens;
    const now = this.now;
    const tokenKey = `${base}\u0000${s.clientId ?? ''}\u0000${s.username ?? ''}`;

    const authorization = async (): Promise<string> => {
      if (s.clientId === undefined) {
        return basicAuth(s.username ?? '', resolveSecret(profile.name, s, 'password') ?? '');
      }
      const token = await tokens.get(tokenKey, (previous) => fetchToken(profile.name, base, s, previous, now, timeoutMs, signal, policy));
      return `Bearer ${token}`;
    };

    const get = async (params: Record<string, string>): Promise<Response> => {
      const url = `${base}/api/now/table/${encodeURIComponent(request.object)}?${new URLSearchParams(params).toString()}`;
      for (let attempt = 1; ; attempt++) {
        const auth = await authorization();
        const response = await httpFetch(what, url, { headers: { accept: 'application/json', authorization: auth }, timeoutMs, signal, policy });
        if (response.ok) return response;
        const detail = errorDetail(await readText(what, response, signal).catch(() => ''));
        // An OAuth token can be revoked before it expires: fetch a new one once before giving up.
        if (response.status === 401 && s.clientId !== undefined && attempt === 1) {
          tokens.invalidate(tokenKey, auth.slice('Bearer '.length));
          continue;
        }
        throw httpStatusError(what, response, detail);
      }
    };

    return { what, get, timeField: request.datetimeField || DEFAULT_TIME_FIELD, maxPageSize: s.maxPageSize ?? DEFAULT_MAX_PAGE };
  }
}

/** POST /oauth_token.do: the refresh_token grant when a refresh token is known, else the password grant. */
async function fetchToken(
  profileName: string,
  base: string,
  s: ServiceNowSettings,
  previous: CachedToken | undefined,
  now: () => number,
  timeoutMs: number | undefined,
  signal: AbortSignal | undefined,
  policy: ConnectorPolicy | undefined,
): Promise<CachedToken> {
  const what = `The ServiceNow OAuth token endpoint of connector profile '${profileName}'`;
  const clientSecret = resolveSecret(profileName, s, 'clientSecret') ?? '';
  const refreshToken = previous?.refreshToken ?? resolveSecret(profileName, s, 'refreshToken');
  const password = s.username !== undefined ? resolveSecret(profileName, s, 'password') : undefined;
  const grants: Record<string, string>[] = [];
  if (refreshToken) grants.push({ grant_type: 'refresh_token', refresh_token: refreshToken });
  if (password !== undefined && s.username !== undefined) grants.push({ grant_type: 'password', username: s.username, password });
  let failure: SourceError | undefined;
  for (const grant of grants) {
    const body = new URLSearchParams({ ...grant, client_id: s.clientId ?? '', client_secret: clientSecret }).toString();
    const response = await httpFetch(what, `${base}/oauth_token.do`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body,
      timeoutMs,
      signal,
      policy,
    });
    if (!response.ok) {
      const detail = errorDetail(await readText(what, response, signal).catch(() => ''));
      failure = httpStatusError(`${what} (${grant.grant_type} grant)`, response, detail);
      // A refused refresh token falls back to the password grant; anything else is final.
      if (failure.kind === 'permanent' && grant.grant_type === 'refresh_token' && grants.length > 1) continue;
      throw failure;
    }
    const json = (await readJson(what, response, signal)) as Record<string, unknown>;
    if (typeof json.access_token !== 'string' || json.access_token === '') {
      throw new SourceError('permanent', `${what} answered without an access_token.`);
    }
    const expiresIn = typeof json.expires_in === 'number' ? json.expires_in : Number(json.expires_in ?? 1800);
    return {
      token: json.access_token,
      expiresAt: now() + (Number.isFinite(expiresIn) ? expiresIn : 1800) * 1000,
      refreshToken: typeof json.refresh_token === 'string' ? json.refresh_token : refreshToken,
    };
  }
  throw failure ?? new SourceError('permanent', `${what}: no grant is configured.`);
}

/**
 * ServiceNow's error code: `error.message` of `{"error":{"message","detail"},"status":"failure"}` when it
 * is one word, or OAuth's `error` (`invalid_grant`). Sentences and details are answer text, which stays
 * out of step messages.
 */
function errorDetail(text: string): string {
  try {
    const body = JSON.parse(text) as { error?: { message?: unknown } | string };
    if (typeof body.error === 'object' && body.error !== null) return errorCode(body.error.message) ?? '';
    if (typeof body.error === 'string') return errorCode(body.error) ?? '';
  } catch {
    // not JSON
  }
  return '';
}

function windowQuery(tf: string, from: string, end: string): string {
  return `${tf}>=${from}^${tf}<${end}^ORDERBY${tf}^ORDERBYsys_id`;
}

/** ServiceNow's internal date-time form, in UTC. */
export function snDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
}

/**
 * The instant of a time the Table API returned (`YYYY-MM-DD HH:mm:ss`, UTC). The read is ordered by time,
 * then sys_id, so after a record of time t every record of an earlier second has been delivered (more of
 * second t may follow). Undefined for a value of another form.
 */
function snTime(text: string): Date | undefined {
  if (!/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/.test(text)) return undefined;
  const ms = Date.parse(`${text.replace(' ', 'T')}Z`);
  return Number.isNaN(ms) ? undefined : new Date(ms);
}

/**
 * ServiceNow times are whole seconds, so a record at second s lies in [start, end) exactly when
 * ceil(start) <= s < ceil(end).
 */
function ceilSecond(d: Date): number {
  return Math.ceil(d.getTime() / 1000) * 1000;
}

function decodeCursor(text: string): ServiceNowCursor {
  return decodeJsonCursor('ServiceNow', text, (c) =>
    typeof c.t === 'string' && typeof c.id === 'string' && isSafeInteger(c.n) && c.n >= 1 ? { t: c.t, id: c.id, n: c.n } : undefined,
  );
}
