import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { connectorFor } from '../../src/connectors/index.js';
import { maskSecrets } from '../../src/connectors/profiles.js';
import type { ReadRequest } from '../../src/connectors/types.js';
import { availableBackends } from '../helpers/backends.js';
import { assertReadThroughHolds, assertResumesFromEveryCursor, expectSourceError, flat, readAll, request } from '../helpers/connectors.js';
import { startServer } from '../helpers/server.js';
import { type Item, startZendeskServer, type ZendeskServer } from '../helpers/zendesk-server.js';
import { runSourceWorkflow } from '../helpers/workflows.js';
import { problemsOf } from '../../src/domain/problem.js';

const JAN1 = Date.UTC(2024, 0, 1);
const HOUR = 3_600_000;
const iso = (ms: number) => new Date(ms).toISOString();
const EMAIL = 'agent@acme.example';
const API_TOKEN = 'zd-api-token-6wiIBWbGkBMo1mRDMuVwkw1EPsNkeUj95PIz2akv';
const OAUTH_TOKEN = 'zd-oauth-token-e5d6f7';

/** `n` items one an hour from 2024-01-01, except that items 4k+1 share their predecessor's second. */
function items(n: number, extra: (i: number) => Record<string, unknown>): Item[] {
  return Array.from({ length: n }, (_, i) => {
    const hour = i % 4 === 1 ? i - 1 : i;
    return { id: 1000 + i, updated_at: iso(JAN1 + hour * HOUR).replace('.000', ''), created_at: iso(JAN1 - 86_400_000 + i * 1000).replace('.000', ''), ...extra(i) };
  });
}

const byTime = (list: Item[], start: number, end: number) =>
  list
    .filter((i) => Date.parse(i.updated_at) >= start && Date.parse(i.updated_at) < end)
    .sort((a, b) => Date.parse(a.updated_at) - Date.parse(b.updated_at) || a.id - b.id);

describe('zendesk connector', () => {
  const zendesk = connectorFor('zendesk')!;
  let zd: ZendeskServer;
  const users = items(30, (i) => ({ name: `User ${i}`, email: `user${i}@example.com`, role: 'end-user' }));
  const tickets = items(20, (i) => ({ subject: `Ticket ${i}`, status: 'open', generated_timestamp: Math.floor(JAN1 / 1000) + i * 3600 }));
  const organizations = items(25, (i) => ({ name: `Org ${i}`, domain_names: [`org${i}.example`] }));
  before(async () => {
    zd = await startZendeskServer({ data: { users, tickets, organizations }, email: EMAIL, apiToken: API_TOKEN, oauthToken: OAUTH_TOKEN, timeBasedPageSize: 4 });
  });
  after(() => zd.close());

  const apiSettings = () => ({ baseUrl: zd.url, email: EMAIL, apiToken: API_TOKEN });
  function req(overrides: Partial<Parameters<typeof request>[2]> = {}, settings: Record<string, unknown> = apiSettings()): ReadRequest {
    return request('zendesk', settings, { start: iso(JAN1), end: iso(JAN1 + 40 * HOUR), connectorType: 'Zendesk', object: 'users', ...overrides });
  }
  const since = (n: number) => zd.requests.slice(n);

  describe('cursor-based export (users, tickets)', () => {
    test('start_time (Unix seconds) and per_page on the first request, then ?cursor=after_cursor while end_of_stream is false, with {email}/token:{api_token} basic auth', async () => {
      const n = zd.requests.length;
      const records = flat(await readAll(zendesk, req({ pageSize: 12 })));
      assert.deepEqual(records, byTime(users, JAN1, JAN1 + 40 * HOUR));
      const sent = since(n);
      assert.equal(sent.length, 3);
      assert.equal(sent[0].path, '/api/v2/incremental/users/cursor.json');
      assert.deepEqual(sent[0].query, { start_time: String(JAN1 / 1000), per_page: '12' });
      assert.equal(sent[0].headers.authorization, `Basic ${Buffer.from(`${EMAIL}/token:${API_TOKEN}`).toString('base64')}`);
      assert.ok(sent[1].query.cursor && sent[1].query.start_time === undefined);
      assert.notEqual(sent[1].query.cursor, sent[2].query.cursor);
    });

    test('the read stops at the window end: items updated at or after it are not delivered and no further page is asked for', async () => {
      const n = zd.requests.length;
      const start = JAN1 + 3 * HOUR;
      const end = JAN1 + 9 * HOUR;
      const records = flat(await readAll(zendesk, req({ start: iso(start), end: iso(end), pageSize: 2 })));
      assert.deepEqual(records, byTime(users, start, end));
      assert.ok(records.some((r) => r.updated_at === iso(start).replace('.000', '')), 'an item exactly at the start is in');
      assert.equal(since(n).length, 4, 'pages of 2 from 03:00: the fourth page holds the first item at 09:00, and the read stops there');
    });

    test('tickets with an OAuth bearer token', async () => {
      const n = zd.requests.length;
      const records = flat(await readAll(zendesk, req({ object: 'tickets' }, { baseUrl: zd.url, oauthToken: OAUTH_TOKEN })));
      assert.deepEqual(records, byTime(tickets, JAN1, JAN1 + 40 * HOUR));
      assert.equal(since(n)[0].path, '/api/v2/incremental/tickets/cursor.json');
      assert.equal(since(n)[0].headers.authorization, `Bearer ${OAUTH_TOKEN}`);
    });

    test('resuming from every page cursor yields exactly the records not yet delivered, at several page sizes and windows', async () => {
      for (const pageSize of [1, 3, 5, 100]) {
        await assertResumesFromEveryCursor(zendesk, req({ pageSize }));
        await assertResumesFromEveryCursor(zendesk, req({ pageSize, start: iso(JAN1 + 5 * HOUR), end: iso(JAN1 + 17 * HOUR) }));
      }
      await assertResumesFromEveryCursor(zendesk, req({ pageSize: 4, object: 'tickets' }));
    });

    test('a cursor resumed with another page size, as the engine may resume it, yields exactly the records not yet delivered', async (t) => {
      // Read by created_at, which every third user has before the window: pages end mid-export-page.
      const mixed = items(40, (i) => ({ name: `Mixed ${i}` })).map((item, i) => ({ ...item, created_at: iso(i % 3 === 0 ? JAN1 - 240 * HOUR : JAN1 + i * HOUR).replace('.000', '') }));
      const server = await startZendeskServer({ data: { users: mixed }, email: EMAIL, apiToken: API_TOKEN });
      t.after(() => server.close());
      const settings = { baseUrl: server.url, email: EMAIL, apiToken: API_TOKEN };
      for (const [from, to] of [[10, 3], [3, 10], [7, 1]]) {
        const pages = await assertResumesFromEveryCursor(zendesk, req({ pageSize: from, datetimeField: 'created_at' }, settings), { pageSize: to });
        assert.ok(pages.length > 2, `pages of ${from}`);
      }
      for (const [from, to] of [[10, 3], [3, 10]]) await assertResumesFromEveryCursor(zendesk, req({ object: 'organizations', pageSize: from }), { pageSize: to });
    });
  });

  describe('read position', () => {
    const timeOf = (rec: Record<string, unknown>) => Date.parse(rec.updated_at as string);

    test('each page says how far through the window the export has got: the second of the last item passed, the window end once the read is over', async () => {
      const r = req({ pageSize: 4 });
      const pages = await readAll(zendesk, r);
      assert.deepEqual(assertReadThroughHolds(pages, r.window, timeOf), [...pages.slice(0, -1).map((p) => timeOf(p.records.at(-1)!)), JAN1 + 40 * HOUR]);
      for (const object of ['users', 'tickets', 'organizations']) {
        for (const pageSize of [1, 3, 7]) {
          for (const [start, end] of [[JAN1, JAN1 + 40 * HOUR], [JAN1 + 5 * HOUR, JAN1 + 17 * HOUR]]) {
            const other = req({ object, pageSize, start: iso(start), end: iso(end) });
            const all = await readAll(zendesk, other);
            // A full last page may be followed by the first item past the window, which ends the read
            // without another page.
            assertReadThroughHolds(all, other.window, timeOf, pageSize);
            if (all.length > 1) assertReadThroughHolds(await readAll(zendesk, { ...other, cursor: all[0].cursor }), other.window, timeOf, pageSize);
          }
        }
      }
    });

    test('with another datetime field than updated_at, which the export is not ordered by, no page claims a position before the last', async () => {
      const r = req({ pageSize: 4, datetimeField: 'created_at', start: iso(JAN1 - 86_400_000), end: iso(JAN1) });
      const pages = await readAll(zendesk, r);
      assert.ok(pages.length > 1);
      assert.deepEqual(pages.map((p) => p.readThrough?.getTime()), [...pages.slice(0, -1).map(() => undefined), JAN1]);
    });
  });

  describe('time-based export (organizations)', () => {
    test('organizations use /api/v2/incremental/organizations.json?start_time=, paging by end_time, and the items a page boundary repeats are delivered once', async () => {
      const n = zd.requests.length;
      const records = flat(await readAll(zendesk, req({ object: 'organizations', pageSize: 100 })));
      assert.deepEqual(records, byTime(organizations, JAN1, JAN1 + 40 * HOUR));
      assert.equal(new Set(records.map((r) => r.id)).size, records.length, 'no duplicates');
      const sent = since(n);
      assert.equal(sent[0].path, '/api/v2/incremental/organizations.json');
      assert.deepEqual(sent[0].query, { start_time: String(JAN1 / 1000) });
      for (let i = 1; i < sent.length; i++) assert.ok(Number(sent[i].query.start_time) >= Number(sent[i - 1].query.start_time));
      assert.ok(sent.length > 6, 'pages of 4 items');
    });

    test('resuming from every page cursor yields exactly the records not yet delivered', async () => {
      for (const pageSize of [1, 2, 3, 7]) {
        await assertResumesFromEveryCursor(zendesk, req({ object: 'organizations', pageSize }));
        await assertResumesFromEveryCursor(zendesk, req({ object: 'organizations', pageSize, start: iso(JAN1 + 4 * HOUR), end: iso(JAN1 + 13 * HOUR) }));
      }
    });

    test('an object without an incremental export is a permanent error naming the ones there are', async () => {
      await expectSourceError(readAll(zendesk, req({ object: 'groups' })), 'permanent', "'groups'", 'tickets, users, organizations');
    });

    test('a cursor it did not issue is a permanent error', async () => {
      await expectSourceError(readAll(zendesk, req({ cursor: 'MTU4MDc1Mzc5OC4wfHw0MzJ8' })), 'permanent', 'not one the Zendesk source issued');
      await expectSourceError(readAll(zendesk, req({ cursor: '{"p":{},"s":0}' })), 'permanent', 'not one the Zendesk source issued');
    });
  });

  describe('errors', () => {
    test('429 with Retry-After is transient and carries the wait; 5xx is transient', async () => {
      zd.failNext({ status: 429, headers: { 'retry-after': '93' }, body: 'Rate limit for incremental exports exceeded' });
      const limited = await expectSourceError(readAll(zendesk, req()), 'transient', 'HTTP 429', 'Retry-After: 93 seconds');
      assert.equal(limited.retryAfterMs, 93_000);
      zd.failNext({ status: 503, headers: { 'retry-after': '10' }, body: { error: 'DatabaseUnavailable' } });
      const down = await expectSourceError(readAll(zendesk, req()), 'transient', 'HTTP 503', 'DatabaseUnavailable');
      assert.equal(down.retryAfterMs, 10_000);
    });

    test('a wrong API token (401) and a forbidden export (403) are permanent; the token never shows', async () => {
      const err = await expectSourceError(readAll(zendesk, req({}, { ...apiSettings(), apiToken: 'wrong-token-value' })), 'permanent', 'HTTP 401');
      assert.ok(!err.message.includes('wrong-token-value') && !err.message.includes(API_TOKEN));
      zd.failNext({ status: 403, body: { error: { title: 'Forbidden', message: 'You do not have access to this page. Please contact the account owner of this help desk for further help.' } } });
      await expectSourceError(readAll(zendesk, req()), 'permanent', 'HTTP 403', 'Forbidden');
    });

    test('a start_time Zendesk refuses (400) is permanent with its code, not its description', async () => {
      const soon = Date.now() + 3_600_000;
      const err = await expectSourceError(readAll(zendesk, req({ start: iso(soon), end: iso(soon + HOUR) })), 'permanent', 'HTTP 400', 'InvalidValue');
      assert.ok(!err.message.includes('Too recent start_time'));
    });

    test('a failure after some pages leaves their cursor to resume from', async () => {
      const iterator = zendesk.read(req({ pageSize: 5 }))[Symbol.asyncIterator]();
      const first = (await iterator.next()).value;
      zd.failNext({ status: 500, body: 'oops' });
      await expectSourceError(iterator.next(), 'transient', 'HTTP 500');
      const rest = flat(await readAll(zendesk, req({ pageSize: 5, cursor: first.cursor })));
      assert.deepEqual([...first.records, ...rest], byTime(users, JAN1, JAN1 + 40 * HOUR));
    });
  });

  describe('settings', () => {
    test('an account and exactly one way to authenticate are required; mistakes are named', () => {
      const check = (s: Record<string, unknown>) => problemsOf(zendesk.parseSettings(s));
      assert.deepEqual(check({ subdomain: 'acme', email: 'a@b.c', apiTokenEnv: 'ZD_TOKEN' }), []);
      assert.deepEqual(check({ baseUrl: 'https://acme.zendesk.com', oauthToken: 't' }), []);
      assert.match(check({ email: 'a@b.c', apiToken: 't' }).join(' '), /one of 'subdomain' and 'baseUrl'/);
      assert.match(check({ subdomain: 'acme', apiToken: 't' }).join(' '), /'email' is required/);
      assert.match(check({ subdomain: 'acme', email: 'a@b.c', apiToken: 't', oauthToken: 'o' }).join(' '), /Give one of 'apiToken'/);
      assert.match(check({ subdomain: 'acme.zendesk.com/x', oauthToken: 'o' }).join(' '), /Zendesk subdomain/);
    });

    test('tokens are masked in what the admin routes show, and an unset token variable is named', async () => {
      assert.deepEqual(maskSecrets({ subdomain: 'acme', email: 'e', apiToken: 't', oauthTokenEnv: 'V' }), { subdomain: 'acme', email: 'e', apiToken: '***', oauthTokenEnv: '***' });
      await expectSourceError(readAll(zendesk, req({}, { baseUrl: zd.url, oauthTokenEnv: 'PROFILEFLOW_TEST_ZD_UNSET' })), 'permanent', 'PROFILEFLOW_TEST_ZD_UNSET');
    });
  });
});

for (const backend of await availableBackends()) {
  describe(`zendesk workflow end to end [${backend}]`, () => {
    test('CreateIntegrationWorkflow over Zendesk users runs to COMPLETE with RecordsProcessed equal to the users in its batches', async (t) => {
      const users = items(48, (i) => ({ name: `User ${i}`, email: `user${i}@example.com` }));
      const zd = await startZendeskServer({ data: { users }, email: EMAIL, apiToken: API_TOKEN });
      const s = await startServer(backend, { engine: { pageSize: 10 } });
      t.after(async () => {
        await s.close();
        await zd.close();
      });
      const { shownText, workflow: out } = await runSourceWorkflow(s, {
        domain: 'zd-e2e',
        objectType: 'ZdUser',
        idField: 'id',
        kind: 'zendesk',
        connectorType: 'Zendesk',
        settings: { baseUrl: zd.url, email: EMAIL, apiToken: API_TOKEN },
        sourceProperties: { Zendesk: { Object: 'users' } },
        batches: [
          { StartTime: new Date(JAN1), EndTime: new Date(JAN1 + 24 * HOUR) },
          { StartTime: new Date(JAN1 + 24 * HOUR), EndTime: new Date(JAN1 + 48 * HOUR) },
        ],
      });
      assert.ok(!shownText.includes(API_TOKEN), 'the admin route masks the token');
      assert.equal(out.Status, 'COMPLETE', out.ErrorDescription);
      assert.equal(out.Metrics?.AppflowIntegration?.RecordsProcessed, users.length);
      assert.equal(out.Metrics?.AppflowIntegration?.StepsCompleted, 2);
    });
  });
}
