/**
 * A loopback Salesforce that speaks the documented endpoints the salesforce connector uses, over an
 * in-memory record set: the OAuth 2.0 token endpoint (refresh_token and client_credentials grants),
 * sobjects describe, query / queryAll with nextRecordsUrl paging, COUNT(), Bulk API 2.0 query jobs with
 * CSV results paged by Sforce-Locator, and Salesforce's error bodies (`[{"message", "errorCode"}]`).
 * A tiny SOQL evaluator covers exactly the queries a connector sends: SELECT fields or COUNT(), FROM,
 * WHERE with AND / OR / parentheses and comparisons, ORDER BY. Every request is recorded so that tests
 * assert what the connector sent; faults can be scripted per request.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SObjectField {
  name: string;
  /** describe's field type: id, string, email, datetime, date, boolean, double, int, address, base64, … */
  type: string;
}

export interface SObject {
  name: string;
  fields: SObjectField[];
  /** Values as the REST API returns them (datetimes as 2024-01-01T10:00:00.000+0000). */
  records: Record<string, unknown>[];
}

export interface RecordedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: string;
}

export type Fault = { status: number; body?: unknown; headers?: Record<string, string> } | 'reset' | 'hang';

export interface SalesforceServerOptions {
  clientId?: string;
  clientSecret?: string;
  refreshToken?: string;
  /** The largest query batch the server returns, whatever the client asks (default 2,000). */
  maxBatchSize?: number;
  /** How many polls of a new bulk job answer InProgress before it is JobComplete (default 1). */
  jobPollsBeforeComplete?: number;
  /** Written before every nextRecordsUrl (default none: the path alone, as Salesforce answers it). */
  nextRecordsUrlPrefix?: string;
}

export interface SalesforceServer {
  url: string;
  requests: RecordedRequest[];
  objects: Map<string, SObject>;
  /** Access tokens issued so far, in order. */
  issuedTokens: string[];
  addObject(object: SObject): void;
  /** Every issued access token stops working (as when a session expires or an admin revokes it). */
  revokeTokens(): void;
  /** Every query locator is forgotten (as 15 minutes of inactivity would). */
  expireLocators(): void;
  /** Every bulk query job is deleted. */
  deleteJobs(): void;
  /** The next bulk job created fails with this message when polled. */
  failNextJob(errorMessage: string): void;
  /** The next `times` requests that `match` are answered with `fault` instead. */
  failNext(match: (r: RecordedRequest) => boolean, fault: Fault, times?: number): void;
  /** The SOQL of every recorded query, count and bulk job, in order (clearing `requests` clears it). */
  soql(): string[];
  /** Requests to the data API (not the token endpoint), in order. */
  apiRequests(): RecordedRequest[];
  close(): Promise<void>;
}

export const SF_CLIENT_ID = '3MVG9loopback.client';
export const SF_CLIENT_SECRET = 'loopback-client-secret-0123456789';
export const SF_REFRESH_TOKEN = '5Aep861loopback.refresh.token';

class SoqlError extends Error {
  constructor(
    readonly errorCode: string,
    message: string,
  ) {
    super(message);
  }
}

// ---------------------------------------------------------------------------------------------- SOQL

type Token = { kind: 'word' | 'punct' | 'string' | 'datetime' | 'number'; text: string; value?: unknown };

const DATETIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?(Z|[+-]\d{2}:\d{2})/;

function tokenize(soql: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < soql.length) {
    const c = soql[i];
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const rest = soql.slice(i);
    const dt = DATETIME.exec(rest);
    if (dt) {
      tokens.push({ kind: 'datetime', text: dt[0], value: Date.parse(dt[0]) });
      i += dt[0].length;
      continue;
    }
    if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_.]*/.exec(rest) as RegExpExecArray;
      tokens.push({ kind: 'word', text: m[0] });
      i += m[0].length;
      continue;
    }
    if (/[0-9]/.test(c)) {
      const m = /^\d+(\.\d+)?/.exec(rest) as RegExpExecArray;
      tokens.push({ kind: 'number', text: m[0], value: Number(m[0]) });
      i += m[0].length;
      continue;
    }
    if (c === "'") {
      let value = '';
      let j = i + 1;
      for (;;) {
        if (j >= soql.length) throw new SoqlError('MALFORMED_QUERY', `unterminated string literal at column ${i + 1}`);
        if (soql[j] === '\\') {
          value += soql[j + 1];
          j += 2;
          continue;
        }
        if (soql[j] === "'") break;
        value += soql[j++];
      }
      tokens.push({ kind: 'string', text: soql.slice(i, j + 1), value });
      i = j + 1;
      continue;
    }
    const op = /^(<=|>=|!=|<>|[=<>(),])/.exec(rest);
    if (op) {
      tokens.push({ kind: 'punct', text: op[0] });
      i += op[0].length;
      continue;
    }
    throw new SoqlError('MALFORMED_QUERY', `unexpected character '${c}' at column ${i + 1}`);
  }
  return tokens;
}

type Expr =
  | { op: 'and' | 'or'; left: Expr; right: Expr }
  | { op: 'cmp'; field: string; cmp: string; literal: Token };

export interface ParsedQuery {
  count: boolean;
  fields: string[];
  object: string;
  where?: Expr;
  orderBy: { field: string; desc: boolean }[];
}

export function parseSoql(soql: string): ParsedQuery {
  const tokens = tokenize(soql);
  let p = 0;
  const peek = () => tokens[p];
  const isWord = (w: string) => peek()?.kind === 'word' && peek().text.toUpperCase() === w;
  const expectWord = (w: string) => {
    if (!isWord(w)) throw new SoqlError('MALFORMED_QUERY', `unexpected token: '${peek()?.text ?? '<end>'}', expected ${w}`);
    p++;
  };
  const expectPunct = (t: string) => {
    if (peek()?.kind !== 'punct' || peek().text !== t) {
      throw new SoqlError('MALFORMED_QUERY', `unexpected token: '${peek()?.text ?? '<end>'}', expected '${t}'`);
    }
    p++;
  };
  const ident = () => {
    const t = peek();
    if (t?.kind !== 'word') throw new SoqlError('MALFORMED_QUERY', `unexpected token: '${t?.text ?? '<end>'}'`);
    p++;
    return t.text;
  };

  expectWord('SELECT');
  let count = false;
  const fields: string[] = [];
  if (isWord('COUNT') && tokens[p + 1]?.text === '(') {
    p += 2;
    expectPunct(')');
    count = true;
  } else {
    fields.push(ident());
    while (peek()?.text === ',') {
      p++;
      fields.push(ident());
    }
  }
  expectWord('FROM');
  const object = ident();
  let where: Expr | undefined;
  if (isWord('WHERE')) {
    p++;
    const orExpr = (): Expr => {
      let left = andExpr();
      while (isWord('OR')) {
        p++;
        left = { op: 'or', left, right: andExpr() };
      }
      return left;
    };
    const andExpr = (): Expr => {
      let left = atom();
      while (isWord('AND')) {
        p++;
        left = { op: 'and', left, right: atom() };
      }
      return left;
    };
    const atom = (): Expr => {
      if (peek()?.text === '(') {
        p++;
        const e = orExpr();
        expectPunct(')');
        return e;
      }
      const field = ident();
      const cmp = peek();
      if (cmp?.kind !== 'punct' || !['=', '!=', '<>', '<', '<=', '>', '>='].includes(cmp.text)) {
        throw new SoqlError('MALFORMED_QUERY', `unexpected token: '${cmp?.text ?? '<end>'}' after ${field}`);
      }
      p++;
      const literal = peek();
      if (!literal || literal.kind === 'punct') throw new SoqlError('MALFORMED_QUERY', `a value must follow '${field} ${cmp.text}'`);
      p++;
      return { op: 'cmp', field, cmp: cmp.text, literal };
    };
    where = orExpr();
  }
  const orderBy: { field: string; desc: boolean }[] = [];
  if (isWord('ORDER')) {
    p++;
    expectWord('BY');
    for (;;) {
      const field = ident();
      let desc = false;
      if (isWord('ASC')) p++;
      else if (isWord('DESC')) {
        p++;
        desc = true;
      }
      orderBy.push({ field, desc });
      if (peek()?.text !== ',') break;
      p++;
    }
  }
  if (p < tokens.length) throw new SoqlError('MALFORMED_QUERY', `unexpected token: '${tokens[p].text}'`);
  return { count, fields, object, where, orderBy };
}

function fieldOf(object: SObject, name: string): SObjectField {
  const f = object.fields.find((x) => x.name.toLowerCase() === name.toLowerCase());
  if (!f) {
    throw new SoqlError(
      'INVALID_FIELD',
      `\n${name}\n^\nERROR at Row:1:Column:8\nNo such column '${name}' on entity '${object.name}'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names.`,
    );
  }
  return f;
}

const isTimeType = (type: string) => type === 'datetime' || type === 'date';

function timeOf(value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}

function compare(a: unknown, b: unknown, type: string): number {
  if (isTimeType(type)) return (timeOf(a) as number) - (timeOf(b) as number);
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  const x = String(a);
  const y = String(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

function checkExpr(object: SObject, e: Expr): void {
  if (e.op !== 'cmp') {
    checkExpr(object, e.left);
    checkExpr(object, e.right);
    return;
  }
  const f = fieldOf(object, e.field);
  if (f.type === 'datetime' && e.literal.kind !== 'datetime') {
    throw new SoqlError(
      'INVALID_FIELD',
      `\n${e.field} ${e.cmp} ${e.literal.text}\n^\nERROR at Row:1:Column:1\nvalue of filter criterion for field '${f.name}' must be of type dateTime and should not be enclosed in quotes`,
    );
  }
  if ((f.type === 'id' || f.type === 'string' || f.type === 'email') && e.literal.kind !== 'string') {
    throw new SoqlError('INVALID_FIELD', `value of filter criterion for field '${f.name}' must be of type ${f.type} and should be enclosed in quotes`);
  }
}

function matches(object: SObject, e: Expr, record: Record<string, unknown>): boolean {
  if (e.op !== 'cmp') {
    return e.op === 'and'
      ? matches(object, e.left, record) && matches(object, e.right, record)
      : matches(object, e.left, record) || matches(object, e.right, record);
  }
  const f = fieldOf(object, e.field);
  const value = record[f.name];
  if (value === null || value === undefined) return false;
  const c = compare(value, e.literal.kind === 'datetime' ? e.literal.text : e.literal.value, f.type);
  switch (e.cmp) {
    case '=':
      return c === 0;
    case '!=':
    case '<>':
      return c !== 0;
    case '<':
      return c < 0;
    case '<=':
      return c <= 0;
    case '>':
      return c > 0;
    default:
      return c >= 0;
  }
}

interface Evaluated {
  object: SObject;
  /** Canonical names of the selected fields. */
  fields: string[];
  rows: Record<string, unknown>[];
  count: boolean;
}

function evaluate(objects: Map<string, SObject>, soql: string, all: boolean): Evaluated {
  const q = parseSoql(soql);
  const object = [...objects.values()].find((o) => o.name.toLowerCase() === q.object.toLowerCase());
  if (!object) {
    throw new SoqlError(
      'INVALID_TYPE',
      `\nFROM ${q.object}\n^\nERROR at Row:1:Column:1\nsObject type '${q.object}' is not supported. If you are attempting to use a custom object, be sure to append the '__c' after the entity name. Please reference your WSDL or the describe call for the appropriate names.`,
    );
  }
  const fields = q.fields.map((f) => fieldOf(object, f).name);
  if (q.where) checkExpr(object, q.where);
  const order = q.orderBy.map((o) => ({ field: fieldOf(object, o.field), desc: o.desc }));
  let rows = object.records.filter((r) => (all || r.IsDeleted !== true) && (!q.where || matches(object, q.where, r)));
  if (order.length) {
    rows = [...rows].sort((a, b) => {
      for (const o of order) {
        const x = a[o.field.name];
        const y = b[o.field.name];
        // Salesforce sorts nulls first in ascending order.
        const c = x == null ? (y == null ? 0 : -1) : y == null ? 1 : compare(x, y, o.field.type);
        if (c !== 0) return o.desc ? -c : c;
      }
      return 0;
    });
  }
  return { object, fields, rows, count: q.count };
}

// ---------------------------------------------------------------------------------------------- server

interface Locator {
  object: SObject;
  fields: string[];
  rows: Record<string, unknown>[];
  all: boolean;
}

interface Job {
  id: string;
  operation: 'query' | 'queryAll';
  query: string;
  evaluated: Evaluated;
  polls: number;
  failWith?: string;
  aborted: boolean;
}

export async function startSalesforceServer(options: SalesforceServerOptions = {}): Promise<SalesforceServer> {
  const clientId = options.clientId ?? SF_CLIENT_ID;
  const clientSecret = options.clientSecret ?? SF_CLIENT_SECRET;
  const refreshToken = options.refreshToken ?? SF_REFRESH_TOKEN;
  const maxBatch = options.maxBatchSize ?? 2000;
  const pollsBeforeComplete = options.jobPollsBeforeComplete ?? 1;

  const requests: RecordedRequest[] = [];
  const objects = new Map<string, SObject>();
  const validTokens = new Set<string>();
  const issuedTokens: string[] = [];
  const locators = new Map<string, Locator>();
  const jobs = new Map<string, Job>();
  const faults: { match: (r: RecordedRequest) => boolean; fault: Fault; remaining: number }[] = [];
  const hanging = new Set<ServerResponse>();
  let nextJobFailure: string | undefined;
  let counter = 0;
  let url = '';

  const send = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    res.writeHead(status, { 'content-type': typeof body === 'string' ? 'text/csv' : 'application/json;charset=UTF-8', ...headers });
    res.end(text);
  };
  const fault = (res: ServerResponse, status: number, errorCode: string, message: string) =>
    send(res, status, [{ message, errorCode }]);

  const restRecord = (object: SObject, fields: string[], row: Record<string, unknown>, version: string) => {
    const out: Record<string, unknown> = {
      attributes: { type: object.name, url: `/services/data/v${version}/sobjects/${object.name}/${String(row.Id)}` },
    };
    for (const f of fields) out[f] = row[f] ?? null;
    return out;
  };

  const queryPage = (res: ServerResponse, version: string, id: string, offset: number, batch: number) => {
    const loc = locators.get(id) as Locator;
    const rows = loc.rows.slice(offset, offset + batch);
    const end = offset + rows.length;
    const body: Record<string, unknown> = {
      totalSize: loc.rows.length,
      done: end >= loc.rows.length,
      records: rows.map((r) => restRecord(loc.object, loc.fields, r, version)),
    };
    if (end < loc.rows.length) body.nextRecordsUrl = `${options.nextRecordsUrlPrefix ?? ''}/services/data/v${version}/${loc.all ? 'queryAll' : 'query'}/${id}-${end}`;
    send(res, 200, body);
  };

  const batchSizeOf = (req: RecordedRequest) => {
    const m = /batchSize=(\d+)/.exec(String(req.headers['sforce-query-options'] ?? ''));
    const asked = m ? Math.min(2000, Math.max(200, Number(m[1]))) : 2000;
    return Math.min(asked, maxBatch);
  };

  const csvValue = (field: SObjectField, value: unknown) => {
    if (value === null || value === undefined) return '';
    let text = String(value);
    // Bulk API 2.0 writes datetimes in ISO-8601 with Z, where the REST API writes +0000.
    if (field.type === 'datetime') text = new Date(Date.parse(text)).toISOString();
    return `"${text.replace(/"/g, '""')}"`;
  };

  const handle = (req: IncomingMessage, res: ServerResponse, r: RecordedRequest) => {
    for (const f of faults) {
      if (f.remaining > 0 && f.match(r)) {
        f.remaining--;
        if (f.fault === 'reset') {
          req.socket.destroy();
          return;
        }
        if (f.fault === 'hang') {
          hanging.add(res);
          return;
        }
        send(res, f.fault.status, f.fault.body ?? '', f.fault.headers);
        return;
      }
    }

    if (r.path === '/services/oauth2/token' && r.method === 'POST') {
      const form = new URLSearchParams(r.body);
      const grant = form.get('grant_type');
      if (grant !== 'refresh_token' && grant !== 'client_credentials') {
        return send(res, 400, { error: 'unsupported_grant_type', error_description: 'grant type not supported' });
      }
      if (form.get('client_id') !== clientId || form.get('client_secret') !== clientSecret) {
        return send(res, 400, { error: 'invalid_client', error_description: 'invalid client credentials' });
      }
      if (grant === 'refresh_token' && form.get('refresh_token') !== refreshToken) {
        return send(res, 400, { error: 'invalid_grant', error_description: 'expired access/refresh token' });
      }
      const token = `00D000000000001!AQ${randomBytes(12).toString('hex')}`;
      validTokens.add(token);
      issuedTokens.push(token);
      return send(res, 200, {
        access_token: token,
        instance_url: url,
        id: `${url}/id/00D000000000001EAA/005000000000001AAA`,
        token_type: 'Bearer',
        issued_at: String(Date.now()),
        signature: randomBytes(8).toString('base64'),
        scope: 'api',
      });
    }

    const api = /^\/services\/data\/v(\d{2,3}\.0)(\/.*)$/.exec(r.path);
    if (!api) return fault(res, 404, 'NOT_FOUND', 'The requested resource does not exist');
    const auth = String(r.headers.authorization ?? '');
    if (!auth.startsWith('Bearer ') || !validTokens.has(auth.slice(7))) {
      return fault(res, 401, 'INVALID_SESSION_ID', 'Session expired or invalid');
    }
    const [, version, rest] = api;

    try {
      let m: RegExpExecArray | null;
      if (r.method === 'GET' && (m = /^\/sobjects\/([^/]+)\/describe\/?$/.exec(rest))) {
        const object = [...objects.values()].find((o) => o.name.toLowerCase() === m![1].toLowerCase());
        if (!object) return fault(res, 404, 'NOT_FOUND', 'The requested resource does not exist');
        return send(res, 200, {
          name: object.name,
          label: object.name,
          queryable: true,
          fields: object.fields.map((f) => ({ name: f.name, type: f.type, label: f.name, nillable: f.name !== 'Id' })),
        });
      }
      if (r.method === 'GET' && (m = /^\/(query|queryAll)\/?$/.exec(rest))) {
        const all = m[1] === 'queryAll';
        const q = r.query.get('q') ?? '';
        const e = evaluate(objects, q, all);
        if (e.count) return send(res, 200, { totalSize: e.rows.length, done: true, records: [] });
        const id = `01g${(++counter).toString(16).padStart(12, '0')}`;
        locators.set(id, { object: e.object, fields: e.fields, rows: e.rows, all });
        return queryPage(res, version, id, 0, batchSizeOf(r));
      }
      if (r.method === 'GET' && (m = /^\/(query|queryAll)\/([A-Za-z0-9]+)-(\d+)$/.exec(rest))) {
        if (!locators.has(m[2])) return fault(res, 400, 'INVALID_QUERY_LOCATOR', 'invalid query locator');
        return queryPage(res, version, m[2], Number(m[3]), batchSizeOf(r));
      }
      if (r.method === 'POST' && rest === '/jobs/query') {
        let body: Record<string, unknown>;
        try {
          body = JSON.parse(r.body) as Record<string, unknown>;
        } catch {
          return fault(res, 400, 'JSON_PARSER_ERROR', 'The request body is not valid JSON.');
        }
        if (body.operation !== 'query' && body.operation !== 'queryAll') {
          return fault(res, 400, 'INVALIDJOB', `Invalid operation: ${String(body.operation)}`);
        }
        const query = String(body.query ?? '');
        const e = evaluate(objects, query, body.operation === 'queryAll');
        if (e.count) return fault(res, 400, 'INVALIDJOB', 'Aggregate queries are not supported by Bulk API 2.0.');
        const id = `750${(++counter).toString().padStart(12, '0')}`;
        jobs.set(id, { id, operation: body.operation, query, evaluated: e, polls: 0, failWith: nextJobFailure, aborted: false });
        nextJobFailure = undefined;
        return send(res, 200, jobInfo(jobs.get(id) as Job, 'UploadComplete', version));
      }
      if ((m = /^\/jobs\/query\/([A-Za-z0-9]+)$/.exec(rest)) && (r.method === 'GET' || r.method === 'PATCH')) {
        const job = jobs.get(m[1]);
        if (!job) return fault(res, 404, 'NOT_FOUND', 'The requested resource does not exist');
        if (r.method === 'PATCH') {
          job.aborted = true;
          return send(res, 200, jobInfo(job, 'Aborted', version));
        }
        job.polls++;
        return send(res, 200, jobInfo(job, stateOf(job), version));
      }
      if (r.method === 'GET' && (m = /^\/jobs\/query\/([A-Za-z0-9]+)\/results$/.exec(rest))) {
        const job = jobs.get(m[1]);
        if (!job) return fault(res, 404, 'NOT_FOUND', 'The requested resource does not exist');
        if (stateOf(job) !== 'JobComplete') {
          return fault(res, 412, 'JOB_NOT_COMPLETE', `can only download query results of successfully completed bulk job. Current status: ${stateOf(job)}`);
        }
        const locator = r.query.get('locator');
        const offset = locator ? Number(Buffer.from(locator, 'base64').toString('utf8')) : 0;
        if (!Number.isSafeInteger(offset) || offset < 0) return fault(res, 400, 'INVALID_LOCATOR', `Invalid locator: ${locator}`);
        const maxRecords = Number(r.query.get('maxRecords') ?? 10_000);
        const { evaluated } = job;
        const rows = evaluated.rows.slice(offset, offset + maxRecords);
        const end = offset + rows.length;
        const fields = evaluated.fields.map((f) => fieldOf(evaluated.object, f));
        const lines = [fields.map((f) => `"${f.name}"`).join(',')];
        for (const row of rows) lines.push(fields.map((f) => csvValue(f, row[f.name])).join(','));
        const next = end < evaluated.rows.length ? Buffer.from(String(end)).toString('base64').replace(/=+$/, '') : 'null';
        return send(res, 200, `${lines.join('\n')}\n`, {
          'sforce-locator': next,
          'sforce-numberofrecords': String(rows.length),
        });
      }
      return fault(res, 404, 'NOT_FOUND', 'The requested resource does not exist');
    } catch (err) {
      if (err instanceof SoqlError) return fault(res, 400, err.errorCode, err.message);
      throw err;
    }
  };

  const stateOf = (job: Job): string => {
    if (job.aborted) return 'Aborted';
    if (job.polls <= pollsBeforeComplete) return 'InProgress';
    return job.failWith ? 'Failed' : 'JobComplete';
  };
  const jobInfo = (job: Job, state: string, version: string) => ({
    id: job.id,
    operation: job.operation,
    object: job.evaluated.object.name,
    createdById: '005000000000001AAA',
    createdDate: '2024-01-01T00:00:00.000+0000',
    systemModstamp: '2024-01-01T00:00:00.000+0000',
    state,
    concurrencyMode: 'Parallel',
    contentType: 'CSV',
    apiVersion: Number(version),
    lineEnding: 'LF',
    columnDelimiter: 'COMMA',
    ...(state === 'Failed' ? { errorMessage: job.failWith } : {}),
    ...(state === 'JobComplete' ? { numberRecordsProcessed: job.evaluated.rows.length } : {}),
  });

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const parsed = new URL(req.url ?? '/', 'http://localhost');
      const r: RecordedRequest = {
        method: req.method ?? 'GET',
        path: parsed.pathname,
        query: parsed.searchParams,
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      requests.push(r);
      try {
        handle(req, res, r);
      } catch (err) {
        send(res, 500, [{ message: (err as Error).message, errorCode: 'UNKNOWN_EXCEPTION' }]);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url,
    requests,
    objects,
    issuedTokens,
    addObject: (object) => objects.set(object.name, object),
    revokeTokens: () => validTokens.clear(),
    expireLocators: () => locators.clear(),
    deleteJobs: () => jobs.clear(),
    failNextJob: (message) => {
      nextJobFailure = message;
    },
    failNext: (match, f, times = 1) => faults.push({ match, fault: f, remaining: times }),
    soql: () =>
      requests.flatMap((r) => {
        if (r.method === 'GET' && /^\/services\/data\/v[\d.]+\/(query|queryAll)\/?$/.test(r.path)) return [r.query.get('q') ?? ''];
        if (r.method === 'POST' && /^\/services\/data\/v[\d.]+\/jobs\/query$/.test(r.path)) {
          try {
            return [String((JSON.parse(r.body) as { query?: unknown }).query)];
          } catch {
            return [];
          }
        }
        return [];
      }),
    apiRequests: () => requests.filter((r) => r.path.startsWith('/services/data/')),
    close: async () => {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
