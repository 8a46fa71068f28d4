import { isJsonObject } from '../../domain/json-object.js';
import { type Checked, invalid, valid } from '../../domain/problem.js';
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
  trimBase,
  URL_RULE,
} from '../shared/http.js';
import { recordTimeMs } from '../shared/record-time.js';
import { checkSettings, type SettingRules } from '../shared/settings.js';
import { decodeJsonCursor, encodeJsonCursor, isSafeInteger } from '../shared/json-cursor.js';
import type { ConnectorPolicy } from '../policy.js';
import { startRead, usableSettings } from '../shared/read-request.js';
import { type Connector, type ReadRequest, SourceError, type SourcePage, type SourceRecord } from '../types.js';

/**
 * Settings of a `zendesk` connector profile: the account (`subdomain`, or `baseUrl` for another host),
 * and either an API token with the agent's `email` (basic auth as `{email}/token:{api_token}`) or an
 * OAuth access token (bearer). Secrets may be named by environment variables (`apiTokenEnv`, …).
 */
export interface ZendeskSettings {
  subdomain?: string;
  baseUrl?: string;
  email?: string;
  apiToken?: string;
  apiTokenEnv?: string;
  oauthToken?: string;
  oauthTokenEnv?: string;
  timeoutMs?: number;
}

const SETTINGS = {
  subdomain: {
    type: 'custom',
    parse: (v: unknown, name: string): Checked<string> =>
      typeof v === 'string' && /^[a-z0-9][a-z0-9-]{0,62}$/i.test(v) ? valid(v) : invalid(`Setting '${name}' must be a Zendesk subdomain such as 'acme'.`),
  },
  baseUrl: { ...URL_RULE, describe: 'the account URL, e.g. https://acme.zendesk.com' },
  email: { type: 'string', describe: "the agent's email address (with apiToken)" },
  apiToken: secretRule('a Zendesk API token'),
  apiTokenEnv: secretEnvRule('a Zendesk API token'),
  oauthToken: secretRule('an OAuth access token'),
  oauthTokenEnv: secretEnvRule('an OAuth access token'),
  timeoutMs: { type: 'integer', min: 1000, max: 600_000 },
} satisfies SettingRules;

/** What each Object is exported with (Zendesk documents cursor-based exports for tickets and users only). */
const OBJECTS: Record<string, { method: 'cursor' | 'time'; path: string; key: string }> = {
  tickets: { method: 'cursor', path: '/api/v2/incremental/tickets/cursor.json', key: 'tickets' },
  users: { method: 'cursor', path: '/api/v2/incremental/users/cursor.json', key: 'users' },
  organizations: { method: 'time', path: '/api/v2/incremental/organizations.json', key: 'organizations' },
};

const DEFAULT_TIME_FIELD = 'updated_at';
/** The cursor-based exports' largest per_page. */
const MAX_PER_PAGE = 1000;

/**
 * An export page: cursor-based from `st` (start_time) or after Zendesk's own cursor `c`; time-based
 * from start_time `t`, leaving out the items `x` (ids) already delivered at that very second, because a
 * time-based page starts again at the second the previous one ended in.
 */
type PageRef = { st: number } | { c: string } | { t: number; x: (string | number)[] };

/** Where a read resumes: item `s` of the page `p`, or nothing left (`done`). */
/**
 * `s` counts items into the page `p` as it was fetched with `n` items a page: the engine may read with
 * another page size when it resumes (pageSizeFor), and the same page fetched with another per_page holds
 * other items. Cursors written before `n` was kept name none, and are read with the current size.
 */
type ZendeskCursor = { p: PageRef; s: number; n?: number } | { done: true };

interface ExportPage {
  items: SourceRecord[];
  next?: PageRef;
  endOfStream: boolean;
}

/**
 * Users, tickets and organizations of a Zendesk account through the Incremental Export API: the
 * cursor-based export (`/api/v2/incremental/{object}/cursor.json?start_time=`, then `?cursor=` while
 * end_of_stream is false) for users and tickets, the time-based export
 * (`/api/v2/incremental/organizations.json?start_time=`) for organizations, which have no cursor-based
 * one. Exports run from the window's start up to the present, so the read stops at the first item
 * whose time is at or past the window's end.
 */
export class ZendeskConnector implements Connector<ZendeskSettings> {
  readonly kind = 'zendesk';

  parseSettings(settings: Record<string, unknown>): Checked<ZendeskSettings> {
    const checked = checkSettings(settings, SETTINGS);
    if (!checked.ok) return checked;
    // Combinations are judged on the stored members, where a null counts as given.
    const problems: string[] = [];
    if ((settings.subdomain === undefined) === (settings.baseUrl === undefined)) {
      problems.push("Give one of 'subdomain' and 'baseUrl'.");
    }
    problems.push(...checkSecretPair(settings, 'apiToken', false), ...checkSecretPair(settings, 'oauthToken', false));
    const hasApi = settings.apiToken !== undefined || settings.apiTokenEnv !== undefined;
    const hasOauth = settings.oauthToken !== undefined || settings.oauthTokenEnv !== undefined;
    if (hasApi === hasOauth) problems.push("Give one of 'apiToken' (with 'email') and 'oauthToken' (or their *Env forms).");
    if (hasApi && settings.email === undefined) problems.push("Setting 'email' is required with 'apiToken'.");
    return problems.length ? invalid(...problems) : checked;
  }

  async *read(request: ReadRequest): AsyncIterable<SourcePage> {
    startRead(request);
    const profile = request.profile;
    const s = usableSettings(request, this);
    const object = Object.hasOwn(OBJECTS, request.object) ? OBJECTS[request.object] : undefined;
    if (!object) {
      throw new SourceError(
        'permanent',
        `Zendesk object '${request.object.slice(0, 100)}' cannot be exported; the objects are ${Object.keys(OBJECTS).join(', ')}.`,
      );
    }
    const base = s.baseUrl ? trimBase(s.baseUrl) : `https://${s.subdomain}.zendesk.com`;
    const what = `Zendesk ${request.object} export of connector profile '${profile.name}'`;
    const authorization = authHeader(profile.name, s);
    const timeField = request.datetimeField || DEFAULT_TIME_FIELD;
    const start = request.window.start.getTime();
    const end = request.window.end.getTime();

    const decoded = request.cursor === undefined ? undefined : decodeCursor(request.cursor);
    if (decoded && 'done' in decoded) return;
    // start_time is inclusive ("on or after") and in whole seconds.
    let ref: PageRef = decoded?.p ?? (object.method === 'cursor' ? { st: Math.floor(start / 1000) } : { t: Math.floor(start / 1000), x: [] });
    let skip = decoded?.s ?? 0;
    const perPage = Math.min(request.pageSize, MAX_PER_PAGE);
    // The page the cursor points into is fetched as it was then; the pages after it with the size asked now.
    let fetchSize = decoded?.n ?? perPage;
    let chunk: SourceRecord[] = [];
    // The exports are in updated_at order, by the second: once an item is passed, every item of an
    // earlier second has been. Another time field says nothing about how far the export has got.
    const ordered = timeField === DEFAULT_TIME_FIELD;
    let readThrough: Date | undefined;
    const done = (): SourcePage => ({ records: chunk, cursor: encodeJsonCursor({ done: true }), readThrough: request.window.end });

    for (;;) {
      const page = await fetchPage(what, base, object, ref, fetchSize, authorization, s.timeoutMs, request.signal, request.policy);
      const fetchedWith = fetchSize;
      fetchSize = perPage;
      const seen = 'x' in ref ? new Set(ref.x.map(String)) : undefined;
      for (let i = skip; i < page.items.length; i++) {
        const item = page.items[i];
        const time = recordTimeMs(item[timeField]);
        if (time !== undefined && time >= end) {
          if (chunk.length > 0) yield done();
          return;
        }
        const duplicate = seen?.has(String(item.id)) ?? false;
        if (time !== undefined && time >= start && !duplicate) chunk.push(item);
        const second = ordered && time !== undefined ? Math.floor(time / 1000) * 1000 : start;
        if (second > start && (!readThrough || second > readThrough.getTime())) readThrough = new Date(second);
        if (chunk.length === request.pageSize) {
          const last = i + 1 === page.items.length;
          const cursor: ZendeskCursor = last && page.endOfStream ? { done: true } : last && page.next ? { p: page.next, s: 0 } : { p: ref, s: i + 1, n: fetchedWith };
          if ('done' in cursor) yield done();
          else yield { records: chunk, cursor: encodeJsonCursor(cursor), ...(readThrough ? { readThrough } : {}) };
          request.signal?.throwIfAborted();
          chunk = [];
        }
      }
      if (page.endOfStream || !page.next) {
        if (chunk.length > 0) yield done();
        return;
      }
      if (sameRef(page.next, ref)) {
        throw new SourceError(
          'permanent',
          `${what}: more items than one page holds share the second ${'t' in ref ? ref.t : '?'}, so the time-based export cannot move past it.`,
        );
      }
      ref = page.next;
      skip = 0;
    }
  }
}

async function fetchPage(
  what: string,
  base: string,
  object: { method: 'cursor' | 'time'; path: string; key: string },
  ref: PageRef,
  perPage: number,
  authorization: string,
  timeoutMs: number | undefined,
  signal: AbortSignal | undefined,
  policy: ConnectorPolicy | undefined,
): Promise<ExportPage> {
  const params = new URLSearchParams();
  if ('c' in ref) params.set('cursor', ref.c);
  else params.set('start_time', String('st' in ref ? ref.st : ref.t));
  if (object.method === 'cursor') params.set('per_page', String(perPage));
  const response = await httpFetch(what, `${base}${object.path}?${params.toString()}`, {
    headers: { accept: 'application/json', authorization },
    timeoutMs,
    signal,
    policy,
  });
  if (!response.ok) throw httpStatusError(what, response, errorDetail(await readText(what, response, signal).catch(() => '')));
  const body = (await readJson(what, response, signal)) as Record<string, unknown>;
  const items = body[object.key];
  if (!Array.isArray(items)) throw new SourceError('transient', `${what} answered without a '${object.key}' list.`);
  const endOfStream = body.end_of_stream === true;
  let next: PageRef | undefined;
  if (object.method === 'cursor') {
    if (typeof body.after_cursor === 'string' && body.after_cursor !== '') next = { c: body.after_cursor };
  } else if (typeof body.end_time === 'number') {
    // The next page starts at end_time, the second of this page's last item: items of that second seen
    // here (and on earlier pages starting at the same second) are left out there.
    const endTime = body.end_time;
    const carried = 't' in ref && ref.t === endTime ? ref.x : [];
    const atEnd = (items as SourceRecord[])
      .filter((item) => {
        const t = recordTimeMs(item.updated_at);
        return t !== undefined && Math.floor(t / 1000) === endTime;
      })
      .map((item) => item.id as string | number);
    next = { t: endTime, x: [...new Set([...carried, ...atEnd])] };
  }
  return { items: items as SourceRecord[], next, endOfStream };
}

function sameRef(a: PageRef, b: PageRef): boolean {
  return 't' in a && 't' in b && a.t === b.t && a.x.length === b.x.length;
}

function authHeader(profileName: string, settings: ZendeskSettings): string {
  const oauth = resolveSecret(profileName, settings, 'oauthToken');
  if (oauth !== undefined) return `Bearer ${oauth}`;
  return basicAuth(`${settings.email ?? ''}/token`, resolveSecret(profileName, settings, 'apiToken') ?? '');
}

/**
 * Zendesk's error code: `{"error":"RecordNotFound",…}` or `{"error":{"title":"Forbidden",…}}`. Its
 * descriptions and messages are answer text, which stays out of step messages.
 */
function errorDetail(text: string): string {
  try {
    const e = (JSON.parse(text) as { error?: unknown }).error;
    if (typeof e === 'string') return errorCode(e) ?? '';
    if (typeof e === 'object' && e !== null) return errorCode((e as { title?: unknown }).title) ?? '';
  } catch {
    // not JSON
  }
  return '';
}

function decodeCursor(text: string): ZendeskCursor {
  return decodeJsonCursor<ZendeskCursor>('Zendesk', text, (c) => {
    if (c.done === true) return { done: true };
    const p = isJsonObject(c.p) ? pageRefOf(c.p) : undefined;
    if (!p || !isSafeInteger(c.s) || c.s < 0) return undefined;
    if (c.n === undefined) return { p, s: c.s };
    if (!isSafeInteger(c.n) || c.n < 1 || c.n > MAX_PER_PAGE) return undefined;
    return { p, s: c.s, n: c.n };
  });
}

/** The page a cursor names, in the order fetchPage reads its members: Zendesk's cursor, start_time, time-based. */
function pageRefOf(p: Record<string, unknown>): PageRef | undefined {
  if (typeof p.c === 'string' && p.c !== '') return { c: p.c };
  if (isSafeInteger(p.st)) return { st: p.st };
  if (!isSafeInteger(p.t) || !Array.isArray(p.x)) return undefined;
  const x: (string | number)[] = [];
  for (const v of p.x) {
    if (typeof v !== 'string' && typeof v !== 'number') return undefined;
    x.push(v);
  }
  return { t: p.t, x };
}
