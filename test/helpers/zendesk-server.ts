/**
 * A Zendesk account on loopback with in-memory users, tickets and organizations, answering the
 * Incremental Export API as documented: cursor-based exports for tickets and users
 * (`/api/v2/incremental/{tickets|users}/cursor.json`, `start_time` then `cursor`, `per_page` up to 1000,
 * `after_cursor`, `after_url`, `end_of_stream`), the time-based export for organizations
 * (`/api/v2/incremental/organizations.json?start_time=`, `next_page`, `end_time`, `count`,
 * `end_of_stream`; a page ends on a second and the next page starts again at it, so items repeat).
 * Auth: `{email}/token:{api_token}` basic or an OAuth bearer token.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type Item = { id: number; updated_at: string } & Record<string, unknown>;

export interface ZendeskServerOptions {
  data: { users?: Item[]; tickets?: Item[]; organizations?: Item[] };
  email: string;
  apiToken: string;
  oauthToken?: string;
  /** Items per time-based page (Zendesk's is 1000). */
  timeBasedPageSize?: number;
}

export interface ZendeskRequest {
  path: string;
  query: Record<string, string>;
  headers: IncomingMessage['headers'];
}

export interface ScriptedAnswer {
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
}

export interface ZendeskServer {
  url: string;
  requests: ZendeskRequest[];
  failNext(...answers: ScriptedAnswer[]): void;
  close(): Promise<void>;
}

const sec = (iso: string) => Math.floor(Date.parse(iso) / 1000);

export async function startZendeskServer(options: ZendeskServerOptions): Promise<ZendeskServer> {
  const requests: ZendeskRequest[] = [];
  const faults: ScriptedAnswer[] = [];
  const sorted = (items: Item[] = []) =>
    [...items].sort((a, b) => sec(a.updated_at) - sec(b.updated_at) || a.id - b.id);

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const r: ZendeskRequest = { path: url.pathname, query: Object.fromEntries(url.searchParams), headers: req.headers };
    requests.push(r);
    const fault = faults.shift();
    if (fault) return send(res, fault.status, fault.body ?? '', fault.headers);
    if (!authorized(req.headers.authorization)) return send(res, 401, { error: "Couldn't authenticate you" });
    const base = `http://${req.headers.host}`;
    const cursorPath = /^\/api\/v2\/incremental\/(tickets|users)\/cursor\.json$/.exec(r.path);
    if (cursorPath) return cursorExport(cursorPath[1] as 'tickets' | 'users', r, base, res);
    if (r.path === '/api/v2/incremental/organizations.json') return timeExport(r, base, res);
    if (r.path === '/api/v2/incremental/organizations/cursor.json') return send(res, 404, { error: 'InvalidEndpoint', description: 'Not found' });
    send(res, 404, { error: 'InvalidEndpoint', description: 'Not found' });
  });

  function authorized(header: string | undefined): boolean {
    if (!header) return false;
    if (header.startsWith('Bearer ')) return options.oauthToken !== undefined && header.slice(7) === options.oauthToken;
    if (!header.startsWith('Basic ')) return false;
    return Buffer.from(header.slice(6), 'base64').toString('utf8') === `${options.email}/token:${options.apiToken}`;
  }

  function badStart(value: string | undefined): string | undefined {
    if (value === undefined || !/^\d+$/.test(value)) return 'start_time must be a Unix epoch time in seconds';
    if (Number(value) > Date.now() / 1000 - 60) return 'Too recent start_time. Use a start_time older than 1 minute';
    return undefined;
  }

  function cursorExport(object: 'tickets' | 'users', r: ZendeskRequest, base: string, res: ServerResponse): void {
    const items = sorted(options.data[object]);
    const perPage = Math.min(Number(r.query.per_page ?? 1000), 1000);
    let from: number;
    if (r.query.cursor !== undefined) {
      let position: { t: number; id: number };
      try {
        position = JSON.parse(Buffer.from(r.query.cursor, 'base64url').toString('utf8')) as { t: number; id: number };
      } catch {
        return send(res, 400, { error: 'InvalidPaginationParameter', description: 'cursor is invalid' });
      }
      from = items.findIndex((i) => sec(i.updated_at) > position.t || (sec(i.updated_at) === position.t && i.id > position.id));
      if (from === -1) from = items.length;
    } else {
      const problem = badStart(r.query.start_time);
      if (problem) return send(res, 400, { error: 'InvalidValue', description: problem });
      from = items.findIndex((i) => sec(i.updated_at) >= Number(r.query.start_time));
      if (from === -1) from = items.length;
    }
    const page = items.slice(from, from + perPage);
    const last = page[page.length - 1];
    const after = last
      ? Buffer.from(JSON.stringify({ t: sec(last.updated_at), id: last.id })).toString('base64url')
      : (r.query.cursor ?? Buffer.from(JSON.stringify({ t: Number(r.query.start_time) - 1, id: Number.MAX_SAFE_INTEGER })).toString('base64url'));
    send(res, 200, {
      [object]: page,
      after_url: `${base}${r.path}?cursor=${after}`,
      after_cursor: after,
      before_url: null,
      before_cursor: null,
      end_of_stream: from + perPage >= items.length,
    });
  }

  function timeExport(r: ZendeskRequest, base: string, res: ServerResponse): void {
    const problem = badStart(r.query.start_time);
    if (problem) return send(res, 400, { error: 'InvalidValue', description: problem });
    const limit = options.timeBasedPageSize ?? 1000;
    const start = Number(r.query.start_time);
    const page = sorted(options.data.organizations).filter((i) => sec(i.updated_at) >= start).slice(0, limit);
    const endTime = page.length ? sec(page[page.length - 1].updated_at) : start;
    send(res, 200, {
      organizations: page,
      next_page: `${base}${r.path}?start_time=${endTime}`,
      count: page.length,
      end_of_stream: page.length < limit,
      end_time: endTime,
    });
  }

  server.listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    failNext: (...answers) => faults.push(...answers),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
  res.end(typeof body === 'string' ? body : JSON.stringify(body));
}
