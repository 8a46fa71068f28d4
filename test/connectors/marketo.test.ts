import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { subWindows } from '../../src/connectors/marketo/cursor.js';
import { MarketoConnector } from '../../src/connectors/marketo/marketo-connector.js';
import { maskSecrets } from '../../src/connectors/profiles.js';
import type { ReadRequest } from '../../src/connectors/types.js';
import { availableBackends } from '../helpers/backends.js';
import { assertReadThroughHolds, assertResumesFromEveryCursor, expectSourceError, flat, readAll, request } from '../helpers/connectors.js';
import { type Lead, type MarketoServer, startMarketoServer } from '../helpers/marketo-server.js';
import { startServer } from '../helpers/server.js';
import { runSourceWorkflow } from '../helpers/workflows.js';
import { problemsOf } from '../../src/domain/problem.js';

const JAN1 = Date.UTC(2024, 0, 1);
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');
const CLIENT_ID = 'a1b2c3d4-client';
const CLIENT_SECRET = 'mkto-secret-Zq8wP3';

/** 120 leads, one every 15 hours from 2024-01-01 (75 days), with values CSV must quote and nulls. */
function makeLeads(): Lead[] {
  return Array.from({ length: 120 }, (_, i) => ({
    id: 5000 + i,
    email: `lead${i}@example.com`,
    firstName: i % 7 === 0 ? `Ann, "Jr" ${i}` : i % 11 === 0 ? `Multi\nline ${i}` : `First${i}`,
    lastName: i % 5 === 0 ? null : `Last${i}`,
    createdAt: iso(JAN1 - 90 * DAY + i * DAY),
    updatedAt: iso(JAN1 + i * 15 * HOUR),
  }));
}

/** What the connector should deliver: CSV values are text, null stays null. */
function asRecords(leads: Lead[], fields: string[], field: 'updatedAt' | 'createdAt', start: number, end: number) {
  return leads
    .filter((l) => Date.parse(String(l[field])) >= start && Date.parse(String(l[field])) < end)
    .map((l) => Object.fromEntries(fields.map((f) => [f, l[f] === null ? null : String(l[f])])));
}

const SETTINGS_FIELDS = ['id', 'email', 'firstName', 'lastName', 'updatedAt'];

describe('marketo connector', () => {
  const leads = makeLeads();
  let mk: MarketoServer;
  let marketo: MarketoConnector;
  before(async () => {
    mk = await startMarketoServer({ leads, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET });
    marketo = new MarketoConnector();
  });
  after(() => mk.close());

  const settings = (extra: Record<string, unknown> = {}) => ({ endpoint: mk.url, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, pollIntervalMs: 0, ...extra });
  function req(overrides: Partial<Parameters<typeof request>[2]> = {}, s: Record<string, unknown> = settings()): ReadRequest {
    return request('marketo', s, { start: iso(JAN1), end: iso(JAN1 + 10 * DAY), connectorType: 'Marketo', object: 'leads', ...overrides });
  }
  const since = (n: number) => mk.requests.slice(n);
  const creates = () => mk.requests.filter((r) => r.path.endsWith('/create.json')).length;

  describe('bulk lead extract', () => {
    test('identity token, then create.json with the task fields and an updatedAt filter, enqueue.json, status.json until Completed, file.json as CSV', async () => {
      const connector = new MarketoConnector();
      const n = mk.requests.length;
      const fields = ['email', 'firstName', 'lastName'];
      const records = flat(await readAll(connector, req({ fields })));
      const sent = since(n);
      assert.deepEqual(sent.map((r) => `${r.method} ${r.path.replace(/[0-9a-f-]{36}/, '{exportId}')}`), [
        'GET /identity/oauth/token',
        'POST /bulk/v1/leads/export/create.json',
        'POST /bulk/v1/leads/export/{exportId}/enqueue.json',
        'GET /bulk/v1/leads/export/{exportId}/status.json',
        'GET /bulk/v1/leads/export/{exportId}/status.json',
        'GET /bulk/v1/leads/export/{exportId}/file.json',
      ]);
      assert.deepEqual(sent[0].query, { grant_type: 'client_credentials', client_id: CLIENT_ID, client_secret: CLIENT_SECRET });
      for (const r of sent.slice(1)) {
        assert.match(r.headers.authorization ?? '', /^Bearer .+:ab$/, 'the token goes in the Authorization header, not the query');
        assert.equal(r.query.access_token, undefined);
      }
      assert.equal(sent[1].headers['content-type'], 'application/json');
      assert.deepEqual(JSON.parse(sent[1].body), {
        fields: ['email', 'firstName', 'lastName', 'id', 'updatedAt'],
        format: 'CSV',
        filter: { updatedAt: { startAt: '2024-01-01T00:00:00Z', endAt: '2024-01-10T23:59:59Z' } },
      });
      assert.equal(sent[5].headers.range, undefined);
      assert.deepEqual(records, asRecords(leads, ['email', 'firstName', 'lastName', 'id', 'updatedAt'], 'updatedAt', JAN1, JAN1 + 10 * DAY));
      assert.equal(records.length, 16);
      assert.ok(records.some((r) => r.lastName === null), 'null values arrive as null');
      assert.ok(records.some((r) => String(r.firstName).includes('"Jr"')), 'quoted values arrive unquoted');
      assert.ok(records.some((r) => String(r.firstName).includes('\n')), 'line breaks inside quotes are kept');
    });

    test("without task fields the profile's fields are exported; createdAt as the flow's datetime field filters on createdAt", async () => {
      const n = mk.requests.length;
      const start = JAN1 - 80 * DAY;
      const end = JAN1 - 60 * DAY;
      const records = flat(await readAll(marketo, req({ start: iso(start), end: iso(end), datetimeField: 'createdAt' }, settings({ fields: SETTINGS_FIELDS }))));
      const create = since(n).find((r) => r.path.endsWith('/create.json'));
      assert.deepEqual(JSON.parse(create?.body ?? '{}'), {
        fields: [...SETTINGS_FIELDS, 'createdAt'],
        format: 'CSV',
        filter: { createdAt: { startAt: iso(start), endAt: iso(end - 1000) } },
      });
      assert.deepEqual(records, asRecords(leads, [...SETTINGS_FIELDS, 'createdAt'], 'createdAt', start, end));
    });

    test('a window longer than 31 days is read as consecutive sub-windows of at most 31 days, in one read, none overlapping', async () => {
      const n = mk.requests.length;
      const end = JAN1 + 75 * DAY;
      const records = flat(await readAll(marketo, req({ end: iso(end), fields: ['email'] })));
      const filters = since(n)
        .filter((r) => r.path.endsWith('/create.json'))
        .map((r) => (JSON.parse(r.body) as { filter: { updatedAt: { startAt: string; endAt: string } } }).filter.updatedAt);
      assert.deepEqual(filters, [
        { startAt: '2024-01-01T00:00:00Z', endAt: '2024-01-31T23:59:59Z' },
        { startAt: '2024-02-01T00:00:00Z', endAt: '2024-03-02T23:59:59Z' },
        { startAt: '2024-03-03T00:00:00Z', endAt: '2024-03-15T23:59:59Z' },
      ]);
      assert.deepEqual(records, asRecords(leads, ['email', 'id', 'updatedAt'], 'updatedAt', JAN1, end));
      assert.equal(records.length, 120);
      assert.deepEqual(subWindows(JAN1 + 1, JAN1 + 1), [], 'an empty window needs no export');
    });
  });

  describe('paging and resumption', () => {
    test('resuming from every cursor downloads the rest of the same export file with a Range request, across sub-windows, at several page sizes', async () => {
      for (const pageSize of [7, 16, 50]) {
        const r = req({ end: iso(JAN1 + 75 * DAY), pageSize, fields: ['email', 'firstName'] });
        const pages = await readAll(marketo, r);
        assert.equal(flat(pages).length, 120);
        const createsBefore = creates();
        const n = mk.requests.length;
        await assertResumesFromEveryCursor(marketo, r);
        // assertResumesFromEveryCursor reads the whole window once more (3 exports), then resumes.
        assert.equal(creates() - createsBefore, 3 + countNewExportsOnResume(pages), 'a cursor inside an export file never exports that sub-window again');
        const ranged = since(n).filter((q) => q.path.endsWith('/file.json') && q.headers.range);
        assert.ok(ranged.length > 0 && ranged.every((q) => /^bytes=\d+-$/.test(q.headers.range ?? '')));
      }
    });

    test('a page says how far through the window it has read by whole sub-windows (an export file has no order): the start of its sub-window, the window end on the last page', async () => {
      const end = JAN1 + 75 * DAY;
      const timeOf = (rec: Record<string, unknown>) => Date.parse(rec.updatedAt as string);
      const r = req({ end: iso(end), pageSize: 16, fields: ['email'] });
      const pages = await readAll(marketo, r);
      const positions = assertReadThroughHolds(pages, r.window, timeOf, 16);
      const feb1 = Date.UTC(2024, 1, 1);
      const mar3 = Date.UTC(2024, 2, 3);
      // Pages in the first sub-window know nothing past the window's start, so they say nothing.
      assert.deepEqual([...new Set(positions)], [undefined, feb1, mar3, end]);
      // Each page is placed by the sub-window its last record came from.
      const subWindowStart = (t: number) => (t < feb1 ? undefined : t < mar3 ? feb1 : mar3);
      assert.deepEqual(positions, pages.map((p, i) => (i === pages.length - 1 ? end : subWindowStart(timeOf(p.records.at(-1)!)))));
      for (const pageSize of [7, 50]) {
        const other = req({ end: iso(end), pageSize, fields: ['email'] });
        const all = await readAll(marketo, other);
        assertReadThroughHolds(all, other.window, timeOf, pageSize);
        assertReadThroughHolds(await readAll(marketo, { ...other, cursor: all[2].cursor }), other.window, timeOf, pageSize);
      }
    });

    test('a server that ignores Range still resumes at the right record (the bytes before the cursor are passed over)', async () => {
      const server = await startMarketoServer({ leads, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, ignoreRange: true });
      try {
        await assertResumesFromEveryCursor(new MarketoConnector(), req({ pageSize: 5, fields: ['email', 'firstName'] }, { ...settings(), endpoint: server.url }));
      } finally {
        await server.close();
      }
    });

    test('a cursor whose export file is gone (past the seven-day retention) exports the sub-window again and passes over the rows already read', async () => {
      const connector = new MarketoConnector();
      const r = req({ pageSize: 6, fields: ['email'] });
      const pages = await readAll(connector, r);
      mk.forgetJobs();
      const createsBefore = creates();
      const rest = flat(await readAll(connector, { ...r, cursor: pages[0].cursor }));
      assert.deepEqual(rest, flat(pages.slice(1)));
      assert.ok(creates() > createsBefore, 'the sub-window was exported again');
    });

    test('a cursor it did not issue is a permanent error', async () => {
      await expectSourceError(readAll(marketo, req({ cursor: 'abc' })), 'permanent', 'not one the Marketo source issued');
      await expectSourceError(readAll(marketo, req({ cursor: '{"w":9}' })), 'permanent', 'not one the Marketo source issued');
    });
  });

  describe('tokens', () => {
    test('the token is cached across reads and fetched again when it nears expiry', async () => {
      let now = JAN1;
      const connector = new MarketoConnector({ now: () => now });
      const identity = () => mk.requests.filter((r) => r.path === '/identity/oauth/token').length;
      const before = identity();
      await readAll(connector, req());
      await readAll(connector, req());
      assert.equal(identity() - before, 1);
      now += 3599 * 1000;
      await readAll(connector, req());
      assert.equal(identity() - before, 2);
    });

    test('601/602 (token invalid or expired) fetch a new token and retry the call once; a second refusal is permanent', async () => {
      const connector = new MarketoConnector();
      await readAll(connector, req());
      mk.expireTokens();
      const n = mk.requests.length;
      assert.equal(flat(await readAll(connector, req())).length, 16);
      const paths = since(n).map((r) => r.path.replace(/[0-9a-f-]{36}/, 'X'));
      assert.deepEqual(paths.slice(0, 3), ['/bulk/v1/leads/export/create.json', '/identity/oauth/token', '/bulk/v1/leads/export/create.json']);
      mk.failNext('/create.json', { errors: [{ code: '601', message: 'Access token invalid' }] }, { errors: [{ code: '601', message: 'Access token invalid' }] });
      const refused = await expectSourceError(readAll(connector, req({ end: iso(JAN1 + 11 * DAY) })), 'permanent', 'Marketo error 601');
      assert.ok(!refused.message.includes('Access token invalid'), 'Marketo\'s message is answer text, not quoted');
    });

    test('refused client credentials are permanent and the secret is never in the message', async () => {
      const err = await expectSourceError(readAll(new MarketoConnector(), req({}, settings({ clientSecret: 'not-the-secret' }))), 'permanent', 'HTTP 401');
      assert.ok(!err.message.includes('not-the-secret') && !err.message.includes(CLIENT_SECRET));
    });
  });

  describe('errors', () => {
    for (const [code, message] of [
      ['606', 'Max rate limit 100 exceeded with in 20 secs'],
      ['607', 'Daily quota reached'],
      ['615', 'Concurrent access limit reached'],
    ]) {
      test(`error ${code} (${message}) is transient`, async () => {
        mk.failNext('/create.json', { errors: [{ code, message }] });
        await expectSourceError(readAll(marketo, req()), 'transient', `Marketo error ${code}`);
      });
    }

    test('1029 on enqueue (too many jobs in queue) is transient, and the retried read enqueues the job it already created', async () => {
      const connector = new MarketoConnector();
      mk.failNext('/enqueue.json', { errors: [{ code: '1029', message: 'Too many jobs in queue' }] });
      await expectSourceError(readAll(connector, req({ end: iso(JAN1 + 12 * DAY) })), 'transient', 'Marketo error 1029');
      const before = creates();
      assert.equal(flat(await readAll(connector, req({ end: iso(JAN1 + 12 * DAY) }))).length, 20);
      assert.equal(creates(), before, 'no second export job');
    });

    test('any other Marketo error is permanent and names its code, not its message', async () => {
      mk.failNext('/create.json', { errors: [{ code: '1035', message: 'Unsupported filter type for target subscription: updatedAt' }] });
      const err = await expectSourceError(readAll(marketo, req()), 'permanent', 'Marketo error 1035');
      assert.ok(!err.message.includes('Unsupported filter type'));
    });

    test('HTTP 5xx and 429 are transient with the Retry-After', async () => {
      mk.failNext('/create.json', { status: 503, body: 'Service Unavailable', headers: { 'retry-after': '20' } });
      const err = await expectSourceError(readAll(marketo, req()), 'transient', 'HTTP 503', 'Retry-After: 20 seconds');
      assert.equal(err.retryAfterMs, 20_000);
      mk.failNext('/status.json', { status: 429, body: '', headers: { 'retry-after': '5' } });
      await expectSourceError(readAll(new MarketoConnector(), req()), 'transient', 'HTTP 429');
    });

    test('a Failed export job is transient, without its error message; a job still running after maxWaitMs is transient too', async () => {
      mk.failJobs('Internal error while writing the file');
      try {
        const err = await expectSourceError(readAll(new MarketoConnector(), req()), 'transient', 'ended Failed');
        assert.ok(!err.message.includes('Internal error while writing'));
      } finally {
        mk.failJobs(undefined);
      }
      const slow = await startMarketoServer({ leads, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, pollsToComplete: 1000 });
      try {
        await expectSourceError(readAll(new MarketoConnector(), req({}, { ...settings(), endpoint: slow.url, maxWaitMs: 0 })), 'transient', 'still Queued');
      } finally {
        await slow.close();
      }
    });

    test('polling honours the abort signal at once, whatever the poll interval', async () => {
      const controller = new AbortController();
      // The job is enqueued, then the read waits a poll interval of ten minutes: the abort comes meanwhile.
      mk.onRequest = (r) => {
        if (r.path.endsWith('/enqueue.json')) setImmediate(() => controller.abort(new Error('workflow deleted')));
      };
      try {
        await assert.rejects(readAll(new MarketoConnector(), req({ signal: controller.signal }, settings({ pollIntervalMs: 600_000 }))), /workflow deleted/);
      } finally {
        mk.onRequest = undefined;
      }
    });

    test('only leads can be exported', async () => {
      await expectSourceError(readAll(marketo, req({ object: 'opportunities' })), 'permanent', "'opportunities'", 'leads');
    });
  });

  describe('settings', () => {
    test('endpoint, client id and a client secret are required; mistakes are named', () => {
      const check = (s: Record<string, unknown>) => problemsOf(marketo.parseSettings(s));
      assert.deepEqual(check({ endpoint: 'https://123-ABC-456.mktorest.com', clientId: 'c', clientSecretEnv: 'MKTO_SECRET' }), []);
      assert.match(check({ clientId: 'c', clientSecret: 's' }).join(' '), /'endpoint' is required/);
      assert.match(check({ endpoint: 'https://x', clientId: 'c' }).join(' '), /'clientSecret' or 'clientSecretEnv' is required/);
      assert.match(check({ endpoint: 'https://x', clientId: 'c', clientSecret: 's', pollIntervalMs: -1 }).join(' '), /pollIntervalMs/);
      assert.match(check({ endpoint: 'https://x', clientId: 'c', clientSecret: 's', fields: [] }).join(' '), /'fields' must be a non-empty list/);
    });

    test('the client secret is masked in what the admin routes show', () => {
      assert.deepEqual(maskSecrets({ endpoint: 'https://x', clientId: 'c', clientSecret: 's', clientSecretEnv: 'E' }), { endpoint: 'https://x', clientId: 'c', clientSecret: '***', clientSecretEnv: '***' });
    });
  });
});

/** Resuming from a cursor inside an export reuses its file; one at a sub-window's start exports that sub-window. */
function countNewExportsOnResume(pages: { cursor: string }[]): number {
  let n = 0;
  for (let i = 0; i < pages.length; i++) {
    const c = JSON.parse(pages[i].cursor) as { w: number; e?: string };
    // A resumed read exports every sub-window after the cursor's, plus the cursor's own when it has no export yet.
    n += 3 - c.w - (c.e === undefined ? 0 : 1);
  }
  return n;
}

for (const backend of await availableBackends()) {
  describe(`marketo workflow end to end [${backend}]`, () => {
    test('CreateIntegrationWorkflow over Marketo leads runs to COMPLETE with RecordsProcessed equal to the leads in its batches', async (t) => {
      const leads = makeLeads();
      const mk = await startMarketoServer({ leads, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET });
      const s = await startServer(backend, { engine: { pageSize: 9 } });
      t.after(async () => {
        await s.close();
        await mk.close();
      });
      process.env.PROFILEFLOW_TEST_MKTO_SECRET = CLIENT_SECRET;
      t.after(() => {
        delete process.env.PROFILEFLOW_TEST_MKTO_SECRET;
      });
      const { workflow: out } = await runSourceWorkflow(s, {
        domain: 'mk-e2e',
        objectType: 'MktoLead',
        idField: 'id',
        kind: 'marketo',
        connectorType: 'Marketo',
        settings: { endpoint: mk.url, clientId: CLIENT_ID, clientSecretEnv: 'PROFILEFLOW_TEST_MKTO_SECRET', pollIntervalMs: 0 },
        sourceProperties: { Marketo: { Object: 'leads' } },
        // 40 days and 35 days: the first batch is longer than Marketo's 31-day filter limit.
        batches: [
          { StartTime: new Date(JAN1), EndTime: new Date(JAN1 + 40 * DAY) },
          { StartTime: new Date(JAN1 + 40 * DAY), EndTime: new Date(JAN1 + 75 * DAY) },
        ],
      });
      assert.equal(out.Status, 'COMPLETE', out.ErrorDescription);
      assert.equal(out.Metrics?.AppflowIntegration?.RecordsProcessed, leads.length);
      for (const r of mk.requests.filter((q) => q.path.endsWith('/create.json'))) {
        const f = (JSON.parse(r.body) as { filter: { updatedAt: { startAt: string; endAt: string } } }).filter.updatedAt;
        assert.ok(Date.parse(f.endAt) - Date.parse(f.startAt) <= 31 * DAY, 'every export filter spans at most 31 days');
      }
    });
  });
}
