import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { connectorFor } from '../../src/connectors/index.js';
import { maskSecrets } from '../../src/connectors/profiles.js';
import { ServiceNowConnector } from '../../src/connectors/servicenow/servicenow-connector.js';
import type { ReadRequest, SourcePage } from '../../src/connectors/types.js';
import { availableBackends } from '../helpers/backends.js';
import { assertReadThroughHolds, assertResumesFromEveryCursor, expectSourceError, flat, readAll, request } from '../helpers/connectors.js';
import { startServer } from '../helpers/server.js';
import { type Row, type ServiceNowServer, startServiceNowServer } from '../helpers/servicenow-server.js';
import { runSourceWorkflow } from '../helpers/workflows.js';
import { problemsOf } from '../../src/domain/problem.js';

const BASIC = { username: 'integration', password: 'pa55-w0rd!' };
const JAN1 = Date.UTC(2024, 0, 1);
const HOUR = 3_600_000;
const iso = (ms: number) => new Date(ms).toISOString();
const snTime = (ms: number) => iso(ms).slice(0, 19).replace('T', ' ');

/** 48 users, one every 30 minutes from 2024-01-01, with four pairs that share a second (ties broken by sys_id). */
function users(): Row[] {
  const rows: Row[] = [];
  for (let i = 0; i < 48; i++) {
    const at = JAN1 + Math.floor(i / 2) * HOUR + (i % 2 === 0 || i % 12 === 1 ? 0 : 30 * 60_000);
    rows.push({
      sys_id: (0xa000 + ((i * 7919) % 48)).toString(16).padStart(32, '0'),
      user_name: `user${i}`,
      email: `user${i}@example.com`,
      first_name: `First${i}`,
      sys_created_on: snTime(at - 86_400_000),
      sys_updated_on: snTime(at),
    });
  }
  return rows;
}

/** The rows the Table API would return for [start, end), in (sys_updated_on, sys_id) order. */
function expected(rows: Row[], start: number, end: number, field = 'sys_updated_on'): Row[] {
  return rows
    .filter((r) => r[field] >= snTime(start) && r[field] < snTime(end))
    .sort((a, b) => (a[field] === b[field] ? (a.sys_id < b.sys_id ? -1 : 1) : a[field] < b[field] ? -1 : 1));
}

const pick = (rows: Row[], fields: string[]) => rows.map((r) => Object.fromEntries(fields.map((f) => [f, r[f]])));

describe('servicenow connector', () => {
  const servicenow = connectorFor('servicenow')!;
  let sn: ServiceNowServer;
  let rows: Row[];
  before(async () => {
    rows = users();
    sn = await startServiceNowServer({
      tables: { sys_user: rows, empty_table: [] },
      basic: BASIC,
      oauth: { clientId: 'cid', clientSecret: 'csecret', ...BASIC, refreshToken: 'rt-initial', expiresIn: 1800 },
    });
  });
  after(() => sn.close());

  const basic = () => ({ instanceUrl: sn.url, ...BASIC });
  function req(overrides: Partial<Parameters<typeof request>[2]> = {}, settings: Record<string, unknown> = basic()): ReadRequest {
    return request('servicenow', settings, {
      start: iso(JAN1),
      end: iso(JAN1 + 24 * HOUR),
      connectorType: 'Servicenow',
      object: 'sys_user',
      ...overrides,
    });
  }
  const since = (n: number) => sn.tableRequests().slice(n);

  describe('Table API requests', () => {
    test('GET /api/now/table/{table} with basic auth, sysparm_query bounding sys_updated_on to the window (UTC), ordered, and sysparm_fields from the tasks', async () => {
      const n = sn.requests.length;
      const start = JAN1 + 2 * HOUR;
      const end = JAN1 + 5 * HOUR;
      const pages = await readAll(servicenow, req({ start: iso(start), end: iso(end), fields: ['email', 'user_name'] }));
      const sent = sn.requests.slice(n);
      assert.equal(sent.length, 1);
      assert.equal(sent[0].path, '/api/now/table/sys_user');
      assert.equal(sent[0].headers.authorization, `Basic ${Buffer.from('integration:pa55-w0rd!').toString('base64')}`);
      assert.equal(sent[0].headers.accept, 'application/json');
      assert.deepEqual(sent[0].query, {
        sysparm_query: 'sys_updated_on>=2024-01-01 02:00:00^sys_updated_on<2024-01-01 05:00:00^ORDERBYsys_updated_on^ORDERBYsys_id',
        sysparm_fields: 'email,user_name,sys_id,sys_updated_on',
        sysparm_limit: '100',
        sysparm_offset: '0',
        sysparm_display_value: 'false',
        sysparm_exclude_reference_link: 'true',
      });
      assert.deepEqual(flat(pages), pick(expected(rows, start, end), ['email', 'user_name', 'sys_id', 'sys_updated_on']));
    });

    test('without task fields every field is read (no sysparm_fields) and records arrive whole', async () => {
      const n = sn.tableRequests().length;
      const records = flat(await readAll(servicenow, req()));
      assert.equal(since(n)[0].query.sysparm_fields, undefined);
      assert.deepEqual(records, expected(rows, JAN1, JAN1 + 24 * HOUR));
      assert.equal(records.length, 48);
    });

    test('a record exactly at the window start is read and one exactly at its end is not; sub-second bounds round up to the next second', async () => {
      const at = JAN1 + 6 * HOUR; // two users were updated in this very second
      const times = async (start: number, end: number) =>
        flat(await readAll(servicenow, req({ start: iso(start), end: iso(end) }))).map((r) => r.sys_updated_on);
      assert.deepEqual(await times(at, at + 1000), [snTime(at), snTime(at)]);
      assert.deepEqual(await times(at - 1000, at), []);
      assert.deepEqual(await times(at + 1, at + 30 * 60_000), []);
      assert.deepEqual(await times(at - 500, at + 1), [snTime(at), snTime(at)]);
    });

    test("the flow's datetime field replaces sys_updated_on in the query, the order and the fields", async () => {
      const n = sn.tableRequests().length;
      const start = JAN1 - 24 * HOUR;
      const end = JAN1 - 20 * HOUR;
      const records = flat(await readAll(servicenow, req({ start: iso(start), end: iso(end), datetimeField: 'sys_created_on', fields: ['email'] })));
      const q = since(n)[0].query;
      assert.equal(q.sysparm_query, 'sys_created_on>=2023-12-31 00:00:00^sys_created_on<2023-12-31 04:00:00^ORDERBYsys_created_on^ORDERBYsys_id');
      assert.equal(q.sysparm_fields, 'email,sys_id,sys_created_on');
      assert.deepEqual(records, pick(expected(rows, start, end, 'sys_created_on'), ['email', 'sys_id', 'sys_created_on']));
    });

    test('an empty table or window yields no page', async () => {
      assert.deepEqual(await readAll(servicenow, req({ object: 'empty_table' })), []);
      assert.deepEqual(await readAll(servicenow, req({ start: iso(JAN1 + 100 * HOUR), end: iso(JAN1 + 101 * HOUR) })), []);
    });
  });

  describe('paging and resumption', () => {
    test('pages of sysparm_limit = pageSize, each asked from the last delivered key (time, then offset among records of that same second)', async () => {
      const n = sn.tableRequests().length;
      const pages = await readAll(servicenow, req({ pageSize: 5 }));
      assert.deepEqual(pages.map((p) => p.records.length), [5, 5, 5, 5, 5, 5, 5, 5, 5, 3]);
      assert.deepEqual(flat(pages), expected(rows, JAN1, JAN1 + 24 * HOUR));
      const sent = since(n);
      assert.equal(sent.length, 10, 'the Link header has no rel="next" on the last page, so no empty request follows');
      for (const r of sent) assert.equal(r.query.sysparm_limit, '5');
      // The second request starts at the time of the fifth record; records of that second already
      // delivered are skipped by offset.
      const fifth = pages[0].records[4];
      const tied = pages[0].records.filter((r) => r.sys_updated_on === fifth.sys_updated_on).length;
      assert.match(sent[1].query.sysparm_query, new RegExp(`^sys_updated_on>=${fifth.sys_updated_on}\\^`));
      assert.equal(sent[1].query.sysparm_offset, String(tied));
    });

    test('resuming from every page cursor yields exactly the records not yet delivered, at several page sizes', async () => {
      for (const pageSize of [2, 3, 7, 48, 100]) {
        const pages = await assertResumesFromEveryCursor(servicenow, req({ pageSize }));
        assert.equal(flat(pages).length, 48, `page size ${pageSize}`);
      }
    });

    test('each page says how far through the window it has read: the second of its last record (more of that second may follow), the window end on the last page', async () => {
      const timeOf = (rec: Record<string, unknown>) => Date.parse(`${(rec.sys_updated_on as string).replace(' ', 'T')}Z`);
      const r = req({ pageSize: 5 });
      const pages = await readAll(servicenow, r);
      assert.deepEqual(assertReadThroughHolds(pages, r.window, timeOf), [...pages.slice(0, -1).map((p) => timeOf(p.records.at(-1)!)), JAN1 + 24 * HOUR]);
      for (const pageSize of [1, 2, 3, 7, 48]) {
        const other = req({ pageSize });
        const all = await readAll(servicenow, other);
        assertReadThroughHolds(all, other.window, timeOf);
        assertReadThroughHolds(await readAll(servicenow, { ...other, cursor: all[0].cursor }), other.window, timeOf);
      }
    });

    test('the cursor is a key, not an offset: rows added before it or removed behind it do not shift a resumed read', async () => {
      const local = users();
      const server = await startServiceNowServer({ tables: { sys_user: local }, basic: BASIC });
      try {
        const r = { ...req({ pageSize: 10 }, { instanceUrl: server.url, ...BASIC }) };
        const pages = await readAll(servicenow, r);
        const remaining = flat(pages.slice(2));
        // Before resuming after page 2: a row inserted at an earlier time and one of the delivered rows deleted.
        local.push({ sys_id: '0'.repeat(32), sys_updated_on: snTime(JAN1), email: 'early@example.com', user_name: 'early', first_name: 'E', sys_created_on: snTime(JAN1) });
        local.splice(local.findIndex((row) => row.sys_id === pages[0].records[0].sys_id), 1);
        local.push({ sys_id: '1'.repeat(32), sys_updated_on: snTime(JAN1 + HOUR), email: 'early2@example.com', user_name: 'early2', first_name: 'E', sys_created_on: snTime(JAN1) });
        assert.deepEqual(flat(await readAll(servicenow, { ...r, cursor: pages[1].cursor })), remaining);
      } finally {
        await server.close();
      }
    });

    test('pages made short by ACLs do not end the read early: the Link header rel="next" says more rows follow', async () => {
      const server = await startServiceNowServer({ tables: { sys_user: users() }, basic: BASIC, hidden: (row) => Number(row.user_name.slice(4)) % 3 === 0 });
      try {
        const r = req({ pageSize: 4 }, { instanceUrl: server.url, ...BASIC });
        const pages = await assertResumesFromEveryCursor(servicenow, r);
        assert.deepEqual(flat(pages), expected(users(), JAN1, JAN1 + 24 * HOUR).filter((row) => Number(row.user_name.slice(4)) % 3 !== 0));
      } finally {
        await server.close();
      }
    });

    test('the estimate is the X-Total-Count of the window, asked with sysparm_limit=1', async () => {
      const n = sn.tableRequests().length;
      assert.equal(await servicenow.estimate?.(req({ start: iso(JAN1), end: iso(JAN1 + 6 * HOUR) })), expected(rows, JAN1, JAN1 + 6 * HOUR).length);
      assert.equal(since(n)[0].query.sysparm_limit, '1');
    });

    test('a cursor it did not issue is a permanent error', async () => {
      await expectSourceError(readAll(servicenow, req({ cursor: 'offset=5' })), 'permanent', 'not one the ServiceNow source issued');
      await expectSourceError(readAll(servicenow, req({ cursor: '{"t":"x"}' })), 'permanent', 'not one the ServiceNow source issued');
    });
  });

  describe('OAuth 2.0', () => {
    const oauthSettings = () => ({ instanceUrl: sn.url, clientId: 'cid', clientSecret: 'csecret', ...BASIC });

    test('password grant at /oauth_token.do, then Bearer tokens, cached across reads until they near expiry, then the refresh_token grant', async () => {
      let now = JAN1;
      const connector = new ServiceNowConnector({ now: () => now });
      const n = sn.requests.length;
      await readAll(connector, req({ pageSize: 20 }, oauthSettings()));
      await readAll(connector, req({ pageSize: 20 }, oauthSettings()));
      let sent = sn.requests.slice(n);
      const tokenCalls = sent.filter((r) => r.path === '/oauth_token.do');
      assert.equal(tokenCalls.length, 1, 'one token for both reads');
      assert.equal(tokenCalls[0].method, 'POST');
      assert.equal(tokenCalls[0].headers['content-type'], 'application/x-www-form-urlencoded');
      assert.deepEqual(Object.fromEntries(new URLSearchParams(tokenCalls[0].body)), {
        grant_type: 'password',
        username: 'integration',
        password: 'pa55-w0rd!',
        client_id: 'cid',
        client_secret: 'csecret',
      });
      const bearer = sent.filter((r) => r.path.startsWith('/api/now/table/')).map((r) => r.headers.authorization);
      assert.ok(bearer.length === 6 && new Set(bearer).size === 1 && bearer[0]?.startsWith('Bearer at-'));

      now += 1800 * 1000; // the token's expires_in has passed
      const m = sn.requests.length;
      await readAll(connector, req({ pageSize: 100 }, oauthSettings()));
      sent = sn.requests.slice(m);
      assert.equal(sent[0].path, '/oauth_token.do');
      const form = Object.fromEntries(new URLSearchParams(sent[0].body));
      assert.equal(form.grant_type, 'refresh_token');
      assert.match(form.refresh_token, /^rt-\d+$/);
      assert.notEqual(sent[1].headers.authorization, bearer[0]);
    });

    test('a refresh token alone is enough (refresh_token grant), and a revoked access token is replaced once after a 401', async () => {
      const connector = new ServiceNowConnector();
      const settings = { instanceUrl: sn.url, clientId: 'cid', clientSecret: 'csecret', refreshToken: 'rt-initial' };
      const n = sn.requests.length;
      assert.equal(flat(await readAll(connector, req({}, settings))).length, 48);
      assert.equal(new URLSearchParams(sn.requests[n].body).get('grant_type'), 'refresh_token');
      sn.revokeAccessTokens();
      const m = sn.requests.length;
      assert.equal(flat(await readAll(connector, req({}, settings))).length, 48);
      assert.deepEqual(sn.requests.slice(m).map((r) => r.path), ['/api/now/table/sys_user', '/oauth_token.do', '/api/now/table/sys_user']);
    });

    test('a refused client secret is a permanent error that names the grant but not the secret', async () => {
      const err = await expectSourceError(
        readAll(new ServiceNowConnector(), req({}, { ...oauthSettings(), clientSecret: 'wrong-secret-value' })),
        'permanent',
        'OAuth token endpoint',
        'password grant',
        'HTTP 401',
      );
      assert.ok(!err.message.includes('wrong-secret-value'));
      assert.ok(!err.message.includes(BASIC.password));
    });
  });

  describe('errors', () => {
    test('429 with Retry-After is transient and says how long the instance asked to wait', async () => {
      sn.failNext({ status: 429, headers: { 'retry-after': '7' }, body: { error: { message: 'Rate limit exceeded', detail: null }, status: 'failure' } });
      const err = await expectSourceError(readAll(servicenow, req()), 'transient', 'HTTP 429', 'Retry-After: 7 seconds');
      assert.equal(err.retryAfterMs, 7_000, 'the wait travels with the error for the engine');
    });

    test('5xx answers are transient, HTML bodies included, and their text is not quoted', async () => {
      sn.failNext({ status: 503, body: '<html><body>Instance hibernating</body></html>' });
      const html = await expectSourceError(readAll(servicenow, req()), 'transient', 'HTTP 503');
      assert.ok(!html.message.includes('Instance hibernating'));
      sn.failNext({ status: 500, body: { error: { message: 'Transaction cancelled: maximum execution time exceeded', detail: null }, status: 'failure' } });
      const json = await expectSourceError(readAll(servicenow, req()), 'transient', 'HTTP 500');
      assert.ok(!json.message.includes('maximum execution time'));
    });

    test('a failure on a later page comes after the pages before it were delivered, and the read resumes from their cursor', async () => {
      const pages: SourcePage[] = [];
      const iterator = servicenow.read(req({ pageSize: 10 }))[Symbol.asyncIterator]();
      pages.push((await iterator.next()).value);
      sn.failNext({ status: 502, body: 'Bad Gateway' });
      await expectSourceError(iterator.next(), 'transient', 'HTTP 502');
      const rest = flat(await readAll(servicenow, req({ pageSize: 10, cursor: pages[0].cursor })));
      assert.deepEqual([...pages[0].records, ...rest], expected(rows, JAN1, JAN1 + 24 * HOUR));
    });

    test('a wrong password (401) and a missing role (403) are permanent and never show the password', async () => {
      const err = await expectSourceError(readAll(servicenow, req({}, { instanceUrl: sn.url, username: 'integration', password: 'not-it' })), 'permanent', 'HTTP 401');
      assert.ok(!err.message.includes('not-it'));
      sn.failNext({ status: 403, body: { error: { message: 'Operation Failed', detail: 'ACL Exception Read Failed due to security constraints' }, status: 'failure' } });
      const acl = await expectSourceError(readAll(servicenow, req()), 'permanent', 'HTTP 403');
      assert.ok(!acl.message.includes('ACL Exception'));
    });

    test('an unknown table is a permanent error with the status; a name that is no table name is refused before any request', async () => {
      await expectSourceError(readAll(servicenow, req({ object: 'no_such_table' })), 'permanent', 'HTTP 400');
      const n = sn.requests.length;
      await expectSourceError(readAll(servicenow, req({ object: 'sys_user?sysparm_query=x' })), 'permanent', 'not a ServiceNow table name');
      assert.equal(sn.requests.length, n);
    });

    test('an instance that does not answer is transient', async () => {
      await expectSourceError(readAll(servicenow, req({}, { instanceUrl: 'http://127.0.0.1:1', ...BASIC })), 'transient', 'failed');
    });

    test('an aborted read stops with the abort reason', async () => {
      const controller = new AbortController();
      controller.abort(new Error('workflow deleted'));
      await assert.rejects(readAll(servicenow, req({ signal: controller.signal })), /workflow deleted/);
    });
  });

  describe('settings', () => {
    test('basic or OAuth settings pass; each kind of mistake is named', () => {
      const check = (s: Record<string, unknown>) => problemsOf(servicenow.parseSettings(s));
      assert.deepEqual(check({ instanceUrl: 'https://dev1.service-now.com', username: 'u', password: 'p' }), []);
      assert.deepEqual(check({ instanceUrl: 'https://dev1.service-now.com', username: 'u', passwordEnv: 'SN_PASSWORD' }), []);
      assert.deepEqual(check({ instanceUrl: 'https://dev1.service-now.com', clientId: 'c', clientSecretEnv: 'S', refreshTokenEnv: 'R' }), []);
      assert.match(check({ username: 'u', password: 'p' }).join(' '), /'instanceUrl' is required/);
      assert.match(check({ instanceUrl: 'ftp://x', username: 'u', password: 'p' }).join(' '), /http or https URL/);
      assert.match(check({ instanceUrl: 'https://x', username: 'u' }).join(' '), /Basic authentication needs/);
      assert.match(check({ instanceUrl: 'https://x', username: 'u', password: 'p', passwordEnv: 'P' }).join(' '), /exclude each other/);
      assert.match(check({ instanceUrl: 'https://x', clientId: 'c', username: 'u', password: 'p' }).join(' '), /clientSecret/);
      assert.match(check({ instanceUrl: 'https://x', clientId: 'c', clientSecret: 's' }).join(' '), /password grant.*refresh_token grant/);
      assert.match(check({ instanceUrl: 'https://x', username: 'u', password: 'p', pasword: 'typo' }).join(' '), /Unknown setting 'pasword'/);
    });

    test('secrets given through environment variables are read at request time; an unset variable is named, its value never', async () => {
      process.env.PROFILEFLOW_TEST_SN_PASSWORD = BASIC.password;
      try {
        const settings = { instanceUrl: sn.url, username: BASIC.username, passwordEnv: 'PROFILEFLOW_TEST_SN_PASSWORD' };
        assert.equal(flat(await readAll(servicenow, req({}, settings))).length, 48);
      } finally {
        delete process.env.PROFILEFLOW_TEST_SN_PASSWORD;
      }
      await expectSourceError(
        readAll(servicenow, req({}, { instanceUrl: sn.url, username: 'u', passwordEnv: 'PROFILEFLOW_TEST_SN_UNSET' })),
        'permanent',
        'PROFILEFLOW_TEST_SN_UNSET',
        'is not set',
      );
    });

    test('every secret setting is masked in what the admin routes show', () => {
      const masked = maskSecrets({ instanceUrl: 'https://x', username: 'u', password: 'p', clientId: 'c', clientSecret: 's', refreshToken: 'r', passwordEnv: 'E' });
      assert.deepEqual(masked, { instanceUrl: 'https://x', username: 'u', password: '***', clientId: 'c', clientSecret: '***', refreshToken: '***', passwordEnv: '***' });
    });
  });
});

for (const backend of await availableBackends()) {
  describe(`servicenow workflow end to end [${backend}]`, () => {
    test('CreateIntegrationWorkflow over a ServiceNow table runs to COMPLETE with RecordsProcessed equal to the rows in its batches', async (t) => {
      const rows = users();
      const sn = await startServiceNowServer({ tables: { sys_user: rows }, basic: BASIC });
      const s = await startServer(backend, { engine: { pageSize: 7 } });
      t.after(async () => {
        await s.close();
        await sn.close();
      });
      const { shownProfile, workflow: out } = await runSourceWorkflow(s, {
        domain: 'sn-e2e',
        objectType: 'SnUser',
        idField: 'sys_id',
        kind: 'servicenow',
        connectorType: 'Servicenow',
        settings: { instanceUrl: sn.url, ...BASIC },
        sourceProperties: { ServiceNow: { Object: 'sys_user' } },
        batches: [
          { StartTime: new Date(JAN1), EndTime: new Date(JAN1 + 12 * HOUR) },
          { StartTime: new Date(JAN1 + 12 * HOUR), EndTime: new Date(JAN1 + 24 * HOUR) },
        ],
      });
      assert.equal(shownProfile.settings.password, '***');
      assert.equal(out.Status, 'COMPLETE', out.ErrorDescription);
      assert.equal(out.Metrics?.AppflowIntegration?.RecordsProcessed, rows.length);
      assert.equal(out.Metrics?.AppflowIntegration?.StepsCompleted, 2);
      const reads = sn.tableRequests().filter((r) => r.query.sysparm_limit !== '1');
      const fieldsAsked = new Set(reads.map((r) => r.query.sysparm_fields));
      assert.deepEqual([...fieldsAsked], ['sys_id,email,sys_updated_on'], 'the fields the tasks name, plus the time field');
    });
  });
}
