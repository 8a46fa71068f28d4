/**
 * A ServiceNow instance on loopback, as much of it as the connector uses, with in-memory tables:
 * the Table API `GET /api/now/table/{table}` (sysparm_query with comparisons and ORDERBY, sysparm_fields,
 * sysparm_limit, sysparm_offset, X-Total-Count, the Link header) and `POST /oauth_token.do` (password and
 * refresh_token grants). Error bodies are ServiceNow's `{"error":{"message","detail"},"status":"failure"}`.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type Row = Record<string, string>;

export interface ScriptedAnswer {
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
}

export interface LoggedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: IncomingMessage['headers'];
  body: string;
}

export interface ServiceNowServerOptions {
  tables: Record<string, Row[]>;
  basic?: { username: string; password: string };
  oauth?: { clientId: string; clientSecret: string; username?: string; password?: string; refreshToken?: string; expiresIn?: number };
  /** Rows hidden as ACLs hide them: counted and paged over, but left out of the result. */
  hidden?: (row: Row) => boolean;
}

export interface ServiceNowServer {
  url: string;
  requests: LoggedRequest[];
  /** Table requests only. */
  tableRequests(): LoggedRequest[];
  /** Answers the next table requests with these, in order, before serving normally again. */
  failNext(...answers: ScriptedAnswer[]): void;
  /** Every access token issued so far stops working (refresh tokens keep working). */
  revokeAccessTokens(): void;
  tokensIssued(): number;
  close(): Promise<void>;
}

export async function startServiceNowServer(options: ServiceNowServerOptions): Promise<ServiceNowServer> {
  const requests: LoggedRequest[] = [];
  const faults: ScriptedAnswer[] = [];
  const access = new Set<string>();
  const refresh = new Set<string>(options.oauth?.refreshToken ? [options.oauth.refreshToken] : []);
  let issued = 0;

  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const logged: LoggedRequest = { method: req.method ?? 'GET', path: url.pathname, query: Object.fromEntries(url.searchParams), headers: req.headers, body };
      requests.push(logged);
      try {
        handle(logged, url, res);
      } catch (err) {
        send(res, 500, { error: { message: (err as Error).message, detail: null }, status: 'failure' });
      }
    });
  });

  function handle(r: LoggedRequest, url: URL, res: ServerResponse): void {
    if (r.method === 'POST' && r.path === '/oauth_token.do') return token(r, res);
    const m = /^\/api\/now\/table\/([^/]+)$/.exec(r.path);
    if (r.method !== 'GET' || !m) return send(res, 400, { error: { message: 'Requested URI does not represent any resource', detail: null }, status: 'failure' });
    const fault = faults.shift();
    if (fault) return send(res, fault.status, fault.body ?? '', fault.headers);
    if (!authorized(r.headers.authorization)) {
      return send(res, 401, { error: { message: 'User Not Authenticated', detail: 'Required to provide Auth information' }, status: 'failure' });
    }
    const table = options.tables[decodeURIComponent(m[1])];
    if (!table) return send(res, 400, { error: { message: `Invalid table ${decodeURIComponent(m[1])}`, detail: null }, status: 'failure' });
    const { filters, order } = parseQuery(r.query.sysparm_query ?? '');
    const matched = table.filter((row) => filters.every((f) => f(row)));
    matched.sort((a, b) => {
      for (const { field, desc } of order) {
        const x = a[field] ?? '';
        const y = b[field] ?? '';
        if (x !== y) return (x < y ? -1 : 1) * (desc ? -1 : 1);
      }
      return 0;
    });
    const limit = r.query.sysparm_limit === undefined ? 10_000 : Number(r.query.sysparm_limit);
    const offset = Number(r.query.sysparm_offset ?? 0);
    const slice = matched.slice(offset, offset + limit).filter((row) => !options.hidden?.(row));
    const fields = r.query.sysparm_fields ? r.query.sysparm_fields.split(',') : undefined;
    const result = slice.map((row) => (fields ? Object.fromEntries(fields.map((f) => [f, row[f] ?? ''])) : { ...row }));
    const link = (o: number, rel: string) => {
      const u = new URL(url.href);
      u.host = r.headers.host ?? u.host;
      u.searchParams.set('sysparm_offset', String(o));
      u.searchParams.set('sysparm_limit', String(limit));
      return `<${u.href}>;rel="${rel}"`;
    };
    const links = [link(0, 'first')];
    if (offset > 0) links.push(link(Math.max(0, offset - limit), 'prev'));
    if (offset + limit < matched.length) links.push(link(offset + limit, 'next'));
    links.push(link(Math.max(0, Math.floor((matched.length - 1) / limit) * limit), 'last'));
    send(res, 200, { result }, { 'x-total-count': String(matched.length), link: links.join(',') });
  }

  function authorized(header: string | undefined): boolean {
    if (!header) return false;
    if (header.startsWith('Bearer ')) return access.has(header.slice(7));
    if (header.startsWith('Basic ') && options.basic) {
      return Buffer.from(header.slice(6), 'base64').toString('utf8') === `${options.basic.username}:${options.basic.password}`;
    }
    return false;
  }

  function token(r: LoggedRequest, res: ServerResponse): void {
    const form = new URLSearchParams(r.body);
    const o = options.oauth;
    const deny = () => send(res, 401, { error_description: 'access_denied', error: 'server_error' });
    if (!o || form.get('client_id') !== o.clientId || form.get('client_secret') !== o.clientSecret) return deny();
    const grant = form.get('grant_type');
    if (grant === 'password') {
      if (form.get('username') !== o.username || form.get('password') !== o.password) return deny();
    } else if (grant === 'refresh_token') {
      if (!refresh.has(form.get('refresh_token') ?? '')) return deny();
    } else {
      return send(res, 400, { error_description: 'unsupported_grant_type', error: 'invalid_request' });
    }
    issued++;
    const at = `at-${issued}`;
    const rt = `rt-${issued}`;
    access.add(at);
    refresh.add(rt);
    send(res, 200, { access_token: at, refresh_token: rt, scope: 'useraccount', token_type: 'Bearer', expires_in: o.expiresIn ?? 1799 });
  }

  server.listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    tableRequests: () => requests.filter((r) => r.path.startsWith('/api/now/table/')),
    failNext: (...answers) => faults.push(...answers),
    revokeAccessTokens: () => access.clear(),
    tokensIssued: () => issued,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The encoded-query subset the connector uses: `a>=v`, `a<v`, `a>v`, `a<=v`, `a=v`, `a!=v`, ORDERBY / ORDERBYDESC, joined by ^. */
function parseQuery(q: string): { filters: ((row: Row) => boolean)[]; order: { field: string; desc: boolean }[] } {
  const filters: ((row: Row) => boolean)[] = [];
  const order: { field: string; desc: boolean }[] = [];
  for (const part of q.split('^').filter((p) => p !== '')) {
    if (part.startsWith('ORDERBYDESC')) order.push({ field: part.slice(11), desc: true });
    else if (part.startsWith('ORDERBY')) order.push({ field: part.slice(7), desc: false });
    else {
      const m = /^([A-Za-z0-9_.$]+)(>=|<=|!=|>|<|=)(.*)$/.exec(part);
      if (!m) throw new Error(`Unsupported query term ${part}`);
      const [, field, op, value] = m;
      filters.push((row) => {
        const v = row[field] ?? '';
        switch (op) {
          case '>=': return v >= value;
          case '<=': return v <= value;
          case '>': return v > value;
          case '<': return v < value;
          case '!=': return v !== value;
          default: return v === value;
        }
      });
    }
  }
  return { filters, order };
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json;charset=UTF-8', ...headers });
  res.end(text);
}
