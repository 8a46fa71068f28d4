/**
 * A Marketo instance on loopback with in-memory leads: the identity endpoint
 * (`GET /identity/oauth/token?grant_type=client_credentials&client_id&client_secret`) and the Bulk Lead
 * Extract API (`create.json` with fields, format and one createdAt/updatedAt filter of at most 31 days,
 * `enqueue.json`, `status.json` moving Created → Queued → Processing → Completed one poll at a time, and
 * `file.json` as CSV with Range support). Errors come as Marketo's 200 envelope
 * `{requestId, success:false, errors:[{code, message}]}`; bearer tokens can be expired or revoked to
 * exercise 601/602.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type Lead = Record<string, string | number | null>;

export interface MarketoRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: IncomingMessage['headers'];
  body: string;
}

export interface ScriptedAnswer {
  status?: number;
  headers?: Record<string, string>;
  /** A JSON body; `errors` alone makes Marketo's failure envelope. */
  body?: unknown;
  errors?: { code: string; message: string }[];
}

export interface MarketoServerOptions {
  leads: Lead[];
  clientId: string;
  clientSecret: string;
  /** Status polls a queued job needs before it is Completed (default 2: Processing, then Completed). */
  pollsToComplete?: number;
  /** Answer file.json with the whole file even when a Range is asked for. */
  ignoreRange?: boolean;
  expiresIn?: number;
}

interface ExportJob {
  exportId: string;
  fields: string[];
  field: 'createdAt' | 'updatedAt';
  startAt: string;
  endAt: string;
  status: string;
  polls: number;
  file?: Buffer;
}

export interface MarketoServer {
  url: string;
  requests: MarketoRequest[];
  jobs: Map<string, ExportJob>;
  /** Answers the next bulk requests matching `path` (a substring) with these, in order. */
  failNext(path: string, ...answers: ScriptedAnswer[]): void;
  /** Tokens issued so far answer 602 (expired) from now on. */
  expireTokens(): void;
  /** Export jobs are forgotten, as after their seven-day retention. */
  forgetJobs(): void;
  /** Makes every job that is polled from now on end Failed with this message. */
  failJobs(message: string | undefined): void;
  onRequest?: (r: MarketoRequest) => void;
  close(): Promise<void>;
}

export async function startMarketoServer(options: MarketoServerOptions): Promise<MarketoServer> {
  const requests: MarketoRequest[] = [];
  const faults: { path: string; answer: ScriptedAnswer }[] = [];
  const jobs = new Map<string, ExportJob>();
  const live = new Set<string>();
  const expired = new Set<string>();
  let failJobs: string | undefined;
  let issued = 0;

  const api: MarketoServer = {
    url: '',
    requests,
    jobs,
    failNext: (path, ...answers) => faults.push(...answers.map((answer) => ({ path, answer }))),
    expireTokens: () => {
      for (const t of live) expired.add(t);
      live.clear();
    },
    forgetJobs: () => jobs.clear(),
    failJobs: (message) => (failJobs = message),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };

  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const r: MarketoRequest = { method: req.method ?? 'GET', path: url.pathname, query: Object.fromEntries(url.searchParams), headers: req.headers, body };
      requests.push(r);
      api.onRequest?.(r);
      handle(r, res);
    });
  });

  const envelope = (res: ServerResponse, errors: { code: string; message: string }[]) =>
    json(res, 200, { requestId: `${randomUUID().slice(0, 4)}#${Date.now().toString(16)}`, success: false, errors });
  const ok = (res: ServerResponse, result: unknown[]) => json(res, 200, { requestId: `${randomUUID().slice(0, 4)}#0`, success: true, result });

  function handle(r: MarketoRequest, res: ServerResponse): void {
    if (r.path === '/identity/oauth/token') {
      if (r.method !== 'GET' || r.query.grant_type !== 'client_credentials' || r.query.client_id !== options.clientId || r.query.client_secret !== options.clientSecret) {
        return json(res, 401, { error: 'unauthorized', error_description: 'Bad client credentials' });
      }
      issued++;
      const token = `${randomUUID()}:ab`;
      live.add(token);
      return json(res, 200, { access_token: token, token_type: 'bearer', expires_in: options.expiresIn ?? 3599, scope: 'api@example.com' });
    }
    const fault = faults.findIndex((f) => r.path.includes(f.path));
    if (fault !== -1) {
      const { answer } = faults.splice(fault, 1)[0];
      if (answer.errors) return envelope(res, answer.errors);
      return json(res, answer.status ?? 200, answer.body ?? '', answer.headers);
    }
    const auth = r.headers.authorization ?? '';
    const token = auth.startsWith('Bearer ') ? auth.slice(7) : '';
    if (expired.has(token)) return envelope(res, [{ code: '602', message: 'Access token expired' }]);
    if (!live.has(token)) return envelope(res, [{ code: '601', message: 'Access token invalid' }]);

    if (r.method === 'POST' && r.path === '/bulk/v1/leads/export/create.json') return create(r, res);
    const m = /^\/bulk\/v1\/leads\/export\/([^/]+)\/(enqueue|status|file)\.json$/.exec(r.path);
    if (!m) return json(res, 404, '');
    const job = jobs.get(m[1]);
    if (!job) return envelope(res, [{ code: '1003', message: `Export '${m[1]}' not found` }]);
    if (m[2] === 'enqueue' && r.method === 'POST') {
      if (job.status !== 'Created') return envelope(res, [{ code: '1029', message: `Export '${job.exportId}' is already queued` }]);
      job.status = 'Queued';
      return ok(res, [statusOf(job)]);
    }
    if (m[2] === 'status' && r.method === 'GET') {
      if (job.status === 'Queued' || job.status === 'Processing') {
        job.polls++;
        if (failJobs !== undefined) job.status = 'Failed';
        else if (job.polls >= (options.pollsToComplete ?? 2)) complete(job);
        else job.status = 'Processing';
      }
      return ok(res, [{ ...statusOf(job), ...(job.status === 'Failed' ? { errorMsg: failJobs } : {}) }]);
    }
    if (m[2] === 'file' && r.method === 'GET') {
      if (job.status !== 'Completed' || !job.file) return envelope(res, [{ code: '1029', message: `Export '${job.exportId}' is not completed` }]);
      const range = /^bytes=(\d+)-$/.exec(r.headers.range ?? '');
      if (range && !options.ignoreRange) {
        const from = Number(range[1]);
        if (from >= job.file.length) {
          res.writeHead(416, { 'content-range': `bytes */${job.file.length}` });
          return void res.end();
        }
        res.writeHead(206, { 'content-type': 'text/csv', 'content-range': `bytes ${from}-${job.file.length - 1}/${job.file.length}` });
        return void res.end(job.file.subarray(from));
      }
      res.writeHead(200, { 'content-type': 'text/csv', 'content-length': String(job.file.length) });
      return void res.end(job.file);
    }
    json(res, 404, '');
  }

  function create(r: MarketoRequest, res: ServerResponse): void {
    let input: { fields?: string[]; format?: string; filter?: Record<string, { startAt?: string; endAt?: string }> };
    try {
      input = JSON.parse(r.body) as typeof input;
    } catch {
      return envelope(res, [{ code: '609', message: 'Invalid JSON' }]);
    }
    const filters = Object.keys(input.filter ?? {});
    if (!Array.isArray(input.fields) || input.fields.length === 0) return envelope(res, [{ code: '1003', message: 'fields cannot be empty' }]);
    if (filters.length !== 1 || !['createdAt', 'updatedAt'].includes(filters[0])) return envelope(res, [{ code: '1003', message: 'One filter type is required' }]);
    const f = filters[0] as 'createdAt' | 'updatedAt';
    const { startAt, endAt } = input.filter?.[f] ?? {};
    const s = Date.parse(startAt ?? '');
    const e = Date.parse(endAt ?? '');
    if (!/T\d{2}:\d{2}:\d{2}Z$/.test(startAt ?? '') || !/T\d{2}:\d{2}:\d{2}Z$/.test(endAt ?? '') || Number.isNaN(s) || Number.isNaN(e) || e < s) {
      return envelope(res, [{ code: '1003', message: 'Invalid date range' }]);
    }
    if (e - s > 31 * 86_400_000) return envelope(res, [{ code: '1003', message: 'Date range must be 31 days or fewer' }]);
    const exportId = randomUUID();
    jobs.set(exportId, { exportId, fields: input.fields, field: f, startAt: startAt as string, endAt: endAt as string, status: 'Created', polls: 0 });
    ok(res, [{ exportId, format: input.format ?? 'CSV', status: 'Created', createdAt: new Date().toISOString() }]);
  }

  function complete(job: ExportJob): void {
    const s = Date.parse(job.startAt);
    const e = Date.parse(job.endAt);
    const rows = options.leads.filter((l) => {
      const t = Date.parse(String(l[job.field]));
      return t >= s && t <= e;
    });
    const lines = [job.fields.map(csv).join(','), ...rows.map((l) => job.fields.map((f) => csv(l[f] ?? null)).join(','))];
    job.file = Buffer.from(`${lines.join('\n')}\n`, 'utf8');
    job.status = 'Completed';
  }

  server.listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', resolve));
  api.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  Object.defineProperty(api, 'issued', { get: () => issued });
  return api;
}

function statusOf(job: ExportJob) {
  return { exportId: job.exportId, format: 'CSV', status: job.status, createdAt: '2024-06-01T00:00:00Z', ...(job.file ? { numberOfRecords: job.file.toString().split('\n').length - 2, fileSize: job.file.length } : {}) };
}

/** Marketo's CSV: null as the text null, quotes around values with commas, quotes or line breaks. */
function csv(v: string | number | null | undefined): string {
  if (v === null || v === undefined) return 'null';
  const text = String(v);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json;charset=UTF-8', ...headers });
  res.end(typeof body === 'string' ? body : JSON.stringify(body));
}
