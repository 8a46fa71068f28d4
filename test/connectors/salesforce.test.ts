import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { connectorFor } from '../../src/connectors/index.js';
import { checkConnectorProfile, maskSecrets } from '../../src/connectors/profiles.js';
import { SourceError, type ReadRequest } from '../../src/connectors/types.js';
import { assertReadThroughHolds, assertResumesFromEveryCursor, expectSourceError, flat, readAll, request } from '../helpers/connectors.js';
import {
  type RecordedRequest,
  SF_CLIENT_ID,
  SF_CLIENT_SECRET,
  SF_REFRESH_TOKEN,
  type SalesforceServer,
  type SalesforceServerOptions,
  startSalesforceServer,
} from '../helpers/salesforce-server.js';
import { problemsOf } from '../../src/domain/problem.js';

const salesforce = connectorFor('salesforce')!;

const SECRET_ENV = 'PF_TEST_SF_CLIENT_SECRET';
const REFRESH_ENV = 'PF_TEST_SF_REFRESH_TOKEN';
process.env[SECRET_ENV] = SF_CLIENT_SECRET;
process.env[REFRESH_ENV] = SF_REFRESH_TOKEN;

const T0 = Date.UTC(2024, 0, 1);
const HOUR = 3_600_000;
const DAY = { start: '2024-01-01T00:00:00Z', end: '2024-01-02T00:00:00Z' };

/** A datetime as the REST API writes it. */
const sfTime = (ms: number) => new Date(ms).toISOString().replace('Z', '+0000');
/** 18-character Ids whose order differs from the records' insertion order. */
const accountId = (n: number) => `001${String(n).padStart(12, '0')}AAA`;

const ACCOUNT_FIELDS = [
  { name: 'Id', type: 'id' },
  { name: 'Name', type: 'string' },
  { name: 'Industry', type: 'string' },
  { name: 'AnnualRevenue', type: 'double' },
  { name: 'IsDeleted', type: 'boolean' },
  { name: 'LastModifiedDate', type: 'datetime' },
  { name: 'SystemModstamp', type: 'datetime' },
  { name: 'BillingAddress', type: 'address' },
  { name: 'BillingCity', type: 'string' },
  { name: 'Logo__c', type: 'base64' },
];

/**
 * 20 accounts on 2024-01-01, three to an hour (so times tie and Id decides), records 6, 12 and 18
 * deleted, plus one just before the day and one exactly at its end.
 */
function accounts(): Record<string, unknown>[] {
  const records: Record<string, unknown>[] = [];
  for (let i = 1; i <= 22; i++) {
    const time = i === 21 ? T0 - 1 : i === 22 ? T0 + 24 * HOUR : T0 + Math.floor(i / 3) * HOUR;
    records.push({
      Id: accountId(((i * 7) % 23) + 1),
      Name: i === 5 ? 'Wayne, "Bruce"\nEnterprises' : `Account ${i}`,
      Industry: i % 2 ? 'Retail' : null,
      AnnualRevenue: i * 1000.5,
      IsDeleted: i % 6 === 0,
      LastModifiedDate: sfTime(time),
      SystemModstamp: sfTime(time + 30 * 60_000),
      BillingAddress: { city: 'Lyon', country: 'FR' },
      BillingCity: 'Lyon',
      Logo__c: 'aGVsbG8=',
    });
  }
  return records;
}

const byKeyset = (field: string) => (a: Record<string, unknown>, b: Record<string, unknown>) =>
  Date.parse(a[field] as string) - Date.parse(b[field] as string) || ((a.Id as string) < (b.Id as string) ? -1 : 1);

/** The records a window read should deliver, in (time, Id) order, with the given fields. */
function expected(
  fields: string[],
  options: { includeDeleted?: boolean; timeField?: string; start?: number; end?: number } = {},
): Record<string, unknown>[] {
  const timeField = options.timeField ?? 'LastModifiedDate';
  const start = options.start ?? T0;
  const end = options.end ?? T0 + 24 * HOUR;
  return accounts()
    .filter((r) => (options.includeDeleted || r.IsDeleted !== true) && Date.parse(r[timeField] as string) >= start && Date.parse(r[timeField] as string) < end)
    .sort(byKeyset(timeField))
    .map((r) => Object.fromEntries(fields.map((f) => [f, r[f] ?? null])));
}

const ids = (records: Record<string, unknown>[]) => records.map((r) => r.Id);

async function withServer(fn: (sf: SalesforceServer) => Promise<void>, options: SalesforceServerOptions = {}): Promise<void> {
  const sf = await startSalesforceServer(options);
  sf.addObject({ name: 'Account', fields: ACCOUNT_FIELDS, records: accounts() });
  try {
    await fn(sf);
  } finally {
    await sf.close();
  }
}

let profiles = 0;
function settings(sf: SalesforceServer, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    instanceUrl: sf.url,
    apiVersion: '60.0',
    auth: { flow: 'client_credentials', clientId: SF_CLIENT_ID, clientSecretEnv: SECRET_ENV },
    bulkPollIntervalMs: 0,
    ...overrides,
  };
}

/** A read of Account over 2024-01-01 by a profile of its own (access tokens are cached per profile). */
function req(sf: SalesforceServer, overrides: Partial<Parameters<typeof request>[2]> = {}, s: Record<string, unknown> = {}): ReadRequest {
  profiles += 1;
  return request('salesforce', settings(sf, s), {
    ...DAY,
    fields: ['Name', 'Industry'],
    profile: { name: `sf-${process.pid}-${profiles}` },
    ...overrides,
  });
}

/** A controller aborted when the server receives the `n`th poll of a bulk job's state (the poll is then answered as usual). */
function abortOnPoll(sf: SalesforceServer, n: number): { controller: AbortController; polls: () => number } {
  const controller = new AbortController();
  let polls = 0;
  sf.failNext(
    (x) => {
      if (x.method === 'GET' && /\/jobs\/query\/750\d+$/.test(x.path) && ++polls === n) controller.abort();
      return false;
    },
    'reset',
  );
  return { controller, polls: () => polls };
}

const queriesOf = (sf: SalesforceServer) => sf.apiRequests().filter((r) => /\/(query|queryAll)\/?$/.test(r.path));
const isQuery = (r: RecordedRequest) => /\/services\/data\/v60\.0\/(query|queryAll)/.test(r.path);

describe('salesforce connector', () => {
  describe('settings', () => {
    test('both OAuth flows are accepted, with secrets inline or through environment variables', () => {
      const base = { instanceUrl: 'https://acme.my.salesforce.com' };
      assert.deepEqual(
        problemsOf(salesforce.parseSettings({ ...base, auth: { flow: 'client_credentials', clientId: 'id', clientSecretEnv: 'SF_SECRET' } })),
        [],
      );
      const refresh = {
        ...base,
        apiVersion: '61.0',
        bulkThreshold: 5,
        bulkPollIntervalMs: 100,
        auth: { flow: 'refresh_token', tokenUrl: 'https://login.salesforce.com/services/oauth2/token', clientId: 'id', clientSecret: 's', refreshTokenEnv: 'SF_REFRESH' },
      };
      assert.deepEqual(salesforce.parseSettings(refresh), { ok: true, value: refresh }, 'the settings come back as they were stored, typed');
      assert.deepEqual(salesforce.parseSettings({ ...refresh, requestTimeoutMs: null }), { ok: true, value: refresh }, 'a null setting is an absent one');
    });

    test('unusable settings are refused with a sentence per problem', () => {
      const problems = (s: Record<string, unknown>) => problemsOf(salesforce.parseSettings(s)).join(' | ');
      assert.match(problems({ auth: { flow: 'client_credentials', clientId: 'x', clientSecret: 'y' } }), /'instanceUrl' is required/);
      assert.match(problems({ instanceUrl: 'ftp://x', auth: { flow: 'client_credentials', clientId: 'x', clientSecret: 'y' } }), /http or https URL/);
      assert.match(problems({ instanceUrl: 'https://x', apiVersion: 'v60', auth: { flow: 'client_credentials', clientId: 'x', clientSecret: 'y' } }), /API version such as "60.0"/);
      assert.match(problems({ instanceUrl: 'https://x', auth: { flow: 'password', clientId: 'x' } }), /'auth.flow' must be "refresh_token" or "client_credentials"/);
      assert.match(problems({ instanceUrl: 'https://x', auth: { flow: 'refresh_token', clientId: 'x', clientSecret: 'y' } }), /'refreshTokenEnv'.*or 'refreshToken'/);
      assert.match(
        problems({ instanceUrl: 'https://x', auth: { flow: 'client_credentials', clientId: 'x', clientSecret: 'y', clientSecretEnv: 'Y' } }),
        /either 'clientSecret' or 'clientSecretEnv', not both/,
      );
      assert.match(problems({ instanceUrl: 'https://x', auth: { flow: 'client_credentials', clientId: 'x', clientSecretEnv: 'bad name' } }), /environment variable name/);
      assert.match(problems({ instanceUrl: 'https://x', auth: { flow: 'client_credentials', clientId: 'x', clientSecret: 'y', refreshToken: 'r' } }), /unknown member 'refreshToken'/);
      assert.match(problems({ instanceUrl: 'https://x', auth: { flow: 'client_credentials', clientId: 'x', clientSecret: 'y' }, bulkThreshold: 0 }), /'bulkThreshold' must be between 1/);
      assert.match(problems({ instanceUrl: 'https://x', auth: { flow: 'client_credentials', clientId: 'x', clientSecret: 'y' }, user: 'u' }), /Unknown setting 'user'/);
    });

    test('a profile answered by the admin routes masks every credential of either flow', () => {
      const checked = checkConnectorProfile('crm', {
        kind: 'salesforce',
        connectorTypes: ['Salesforce'],
        settings: {
          instanceUrl: 'https://acme.my.salesforce.com',
          auth: { flow: 'refresh_token', clientId: 'public-id', clientSecret: 'TOP-SECRET', refreshToken: 'REFRESH-SECRET' },
        },
      });
      assert.deepEqual(checked.problems, []);
      const shown = JSON.stringify(maskSecrets(checked.profile!.settings));
      assert.ok(!shown.includes('TOP-SECRET') && !shown.includes('REFRESH-SECRET'), shown);
      assert.match(shown, /"clientSecret":"\*\*\*"/);
      assert.match(shown, /"refreshToken":"\*\*\*"/);
      assert.match(shown, /"clientId":"public-id"/);
      const viaEnv = maskSecrets({ auth: { clientSecretEnv: 'SF_SECRET', refreshTokenEnv: 'SF_REFRESH' } });
      assert.deepEqual(viaEnv, { auth: { clientSecretEnv: '***', refreshTokenEnv: '***' } });
      assert.match(checkConnectorProfile('crm', { kind: 'salesforce', settings: {} }).problems.join(' '), /'connectorTypes' is required/);
    });
  });

  describe('REST query', () => {
    test('counts, then selects the Tasks fields plus Id and the time field over [start, end), ordered by time then Id', () =>
      withServer(async (sf) => {
        const pages = await readAll(salesforce, req(sf));
        assert.deepEqual(sf.soql(), [
          'SELECT COUNT() FROM Account WHERE LastModifiedDate >= 2024-01-01T00:00:00Z AND LastModifiedDate < 2024-01-02T00:00:00Z',
          'SELECT Id, Name, Industry, LastModifiedDate FROM Account WHERE LastModifiedDate >= 2024-01-01T00:00:00Z AND LastModifiedDate < 2024-01-02T00:00:00Z ORDER BY LastModifiedDate, Id',
        ]);
        const records = flat(pages);
        assert.deepEqual(records, expected(['Id', 'Name', 'Industry', 'LastModifiedDate']));
        assert.equal(records.length, 17, '20 on the day, 3 deleted; the one before and the one at the end are outside');
        assert.ok(records.every((r) => !('attributes' in r)), 'the attributes member is dropped');
        const [count, query] = queriesOf(sf);
        assert.equal(count.headers.authorization, `Bearer ${sf.issuedTokens[0]}`);
        assert.equal(query.headers.authorization, `Bearer ${sf.issuedTokens[0]}`);
        assert.equal(query.headers['sforce-query-options'], 'batchSize=200');
        assert.equal(sf.issuedTokens.length, 1);
      }));

    test('values stay as Salesforce returns them: numbers, booleans, null and its datetime text', () =>
      withServer(async (sf) => {
        const [first] = flat(await readAll(salesforce, req(sf, { fields: ['AnnualRevenue', 'IsDeleted', 'Industry'] })));
        const source = expected(['Id', 'AnnualRevenue', 'IsDeleted', 'Industry', 'LastModifiedDate'])[0];
        assert.deepEqual(first, source);
        assert.equal(typeof first.AnnualRevenue, 'number');
        assert.equal(first.IsDeleted, false);
        assert.match(first.LastModifiedDate as string, /^2024-01-01T00:00:00\.000\+0000$/);
      }));

    test('EnableDynamicFieldUpdate, or Tasks naming no field, selects every field describe lists except compound and base64 ones', () =>
      withServer(async (sf) => {
        for (const overrides of [{ enableDynamicFieldUpdate: true }, { fields: [] }]) {
          sf.requests.length = 0;
          const records = flat(await readAll(salesforce, req(sf, overrides)));
          assert.ok(sf.apiRequests().some((r) => r.path === '/services/data/v60.0/sobjects/Account/describe'));
          const all = ['Id', 'Name', 'Industry', 'AnnualRevenue', 'IsDeleted', 'LastModifiedDate', 'SystemModstamp', 'BillingCity'];
          assert.equal(sf.soql().at(-1)?.split(' FROM ')[0], `SELECT ${all.join(', ')}`);
          assert.deepEqual(records, expected(all));
        }
      }));

    test('the Tasks fields alone do not trigger a describe', () =>
      withServer(async (sf) => {
        await readAll(salesforce, req(sf));
        assert.ok(!sf.apiRequests().some((r) => r.path.includes('/describe')));
      }));

    test('IncludeDeletedRecords reads with queryAll, which returns the deleted records too', () =>
      withServer(async (sf) => {
        const records = flat(await readAll(salesforce, req(sf, { includeDeleted: true })));
        assert.deepEqual(queriesOf(sf).map((r) => r.path), ['/services/data/v60.0/queryAll', '/services/data/v60.0/queryAll']);
        assert.deepEqual(records, expected(['Id', 'Name', 'Industry', 'LastModifiedDate'], { includeDeleted: true }));
        assert.equal(records.length, 20);
      }));

    test('the flow\'s DatetimeTypeFieldName decides the window and the order', () =>
      withServer(async (sf) => {
        const records = flat(await readAll(salesforce, req(sf, { datetimeField: 'SystemModstamp' })));
        assert.match(sf.soql()[1], /WHERE SystemModstamp >= 2024-01-01T00:00:00Z AND SystemModstamp < 2024-01-02T00:00:00Z ORDER BY SystemModstamp, Id$/);
        assert.match(sf.soql()[1], /^SELECT Id, Name, Industry, SystemModstamp FROM/);
        assert.deepEqual(records, expected(['Id', 'Name', 'Industry', 'SystemModstamp'], { timeField: 'SystemModstamp' }));
      }));

    test('window bounds with milliseconds keep them; an empty window yields no page', () =>
      withServer(async (sf) => {
        const records = flat(await readAll(salesforce, req(sf, { start: '2024-01-01T00:59:59.500Z', end: '2024-01-01T02:00:00.001Z' })));
        assert.match(sf.soql()[1], /LastModifiedDate >= 2024-01-01T00:59:59\.500Z AND LastModifiedDate < 2024-01-01T02:00:00\.001Z/);
        assert.deepEqual(records, expected(['Id', 'Name', 'Industry', 'LastModifiedDate'], { start: T0 + HOUR - 500, end: T0 + 2 * HOUR + 1 }));
        assert.deepEqual(await readAll(salesforce, req(sf, { start: '2025-01-01T00:00:00Z', end: '2025-01-02T00:00:00Z' })), []);
      }));

    test('batches are followed along nextRecordsUrl, without query parameters, and re-cut into pages', () =>
      withServer(
        async (sf) => {
          const pages = await readAll(salesforce, req(sf, { pageSize: 3 }));
          assert.deepEqual(pages.map((p) => p.records.length), [3, 3, 3, 3, 3, 2]);
          assert.deepEqual(flat(pages), expected(['Id', 'Name', 'Industry', 'LastModifiedDate']));
          const follow = sf.apiRequests().filter((r) => /\/query\/01g[0-9a-f]+-\d+$/.test(r.path));
          assert.deepEqual(follow.map((r) => r.path.replace(/01g[0-9a-f]+/, 'L')), [
            '/services/data/v60.0/query/L-4',
            '/services/data/v60.0/query/L-8',
            '/services/data/v60.0/query/L-12',
            '/services/data/v60.0/query/L-16',
          ]);
          assert.ok(follow.every((r) => [...r.query.keys()].length === 0));
        },
        { maxBatchSize: 4 },
      ));

    test('resuming from any page cursor yields exactly the records not yet delivered, at every page size', () =>
      withServer(
        async (sf) => {
          for (const pageSize of [1, 2, 3, 4, 5, 8, 50]) {
            const pages = await assertResumesFromEveryCursor(salesforce, req(sf, { pageSize }));
            assert.deepEqual(flat(pages), expected(['Id', 'Name', 'Industry', 'LastModifiedDate']));
          }
          await assertResumesFromEveryCursor(salesforce, req(sf, { pageSize: 2, includeDeleted: true, datetimeField: 'SystemModstamp' }));
        },
        { maxBatchSize: 4 },
      ));

    test('each page says how far through the window it has read: its last record\'s time (ties with a greater Id may follow), the window end on the last page', () =>
      withServer(
        async (sf) => {
          const r = req(sf, { pageSize: 3 });
          const pages = await readAll(salesforce, r);
          const timeOf = (rec: Record<string, unknown>) => Date.parse(rec.LastModifiedDate as string);
          assert.deepEqual(assertReadThroughHolds(pages, r.window, timeOf), [...pages.slice(0, -1).map((p) => timeOf(p.records.at(-1)!)), T0 + 24 * HOUR]);
          for (const pageSize of [1, 2, 4, 5]) {
            const other = req(sf, { pageSize });
            assertReadThroughHolds(await readAll(salesforce, other), other.window, timeOf);
            const resumed = await readAll(salesforce, { ...other, cursor: (await readAll(salesforce, other))[1].cursor });
            assertReadThroughHolds(resumed, other.window, timeOf);
          }
        },
        { maxBatchSize: 4 },
      ));

    test('a cursor at a batch end resumes along its nextRecordsUrl; once the locator expired, by a keyset query', () =>
      withServer(
        async (sf) => {
          const r = req(sf, { pageSize: 4 });
          const pages = await readAll(salesforce, r);
          const rest = flat(pages.slice(1));
          assert.ok(JSON.parse(pages[0].cursor).next, 'the first page ends where the first batch ends');

          sf.requests.length = 0;
          assert.deepEqual(flat(await readAll(salesforce, { ...r, cursor: pages[0].cursor })), rest);
          assert.equal(sf.soql().length, 0, 'no new query: the locator continued the old one');

          sf.expireLocators();
          sf.requests.length = 0;
          assert.deepEqual(flat(await readAll(salesforce, { ...r, cursor: pages[0].cursor })), rest);
          const last = pages[0].records[3];
          const at = (last.LastModifiedDate as string).replace('.000+0000', 'Z');
          assert.equal(
            sf.soql()[0],
            `SELECT Id, Name, Industry, LastModifiedDate FROM Account WHERE LastModifiedDate >= 2024-01-01T00:00:00Z AND LastModifiedDate < 2024-01-02T00:00:00Z ` +
              `AND (LastModifiedDate > ${at} OR (LastModifiedDate = ${at} AND Id > '${String(last.Id)}')) ORDER BY LastModifiedDate, Id`,
          );
        },
        { maxBatchSize: 4 },
      ));

    test('a nextRecordsUrl that is no query locator of the data API is not followed: keyset queries continue the read in full pages', () =>
      withServer(
        async (sf) => {
          const pages = await assertResumesFromEveryCursor(salesforce, req(sf, { pageSize: 3 }));
          assert.deepEqual(pages.map((p) => p.records.length), [3, 3, 3, 3, 3, 2], 'no short page where a batch ended');
          assert.deepEqual(flat(pages), expected(['Id', 'Name', 'Industry', 'LastModifiedDate']));
          assert.ok(pages.every((p) => JSON.parse(p.cursor).next === undefined), 'no cursor carries the foreign URL');
          assert.ok(sf.requests.every((r) => !r.path.includes('evil')));
          assert.ok(sf.soql().some((q) => q.includes(' AND (LastModifiedDate > ')), 'a batch was continued past its last keyset');
        },
        { maxBatchSize: 4, nextRecordsUrlPrefix: 'https://evil.example' },
      ));

    test('a cursor it did not issue, or one pointing elsewhere, is a permanent error', () =>
      withServer(async (sf) => {
        await expectSourceError(readAll(salesforce, req(sf, { cursor: 'garbage' })), 'permanent', 'cursor');
        const forged = JSON.stringify({ v: 1, m: 'rest', t: T0, id: "x' OR Name != '", next: undefined });
        await expectSourceError(readAll(salesforce, req(sf, { cursor: forged })), 'permanent', 'cursor');
        const elsewhere = JSON.stringify({ v: 1, m: 'rest', t: T0, id: accountId(1), next: 'https://evil.example/steal' });
        await expectSourceError(readAll(salesforce, req(sf, { cursor: elsewhere })), 'permanent', 'cursor');
        assert.ok(!sf.requests.some((r) => r.path.includes('evil')));
      }));

    test('object and field names are checked against the API-name pattern, so nothing can be injected into SOQL', () =>
      withServer(async (sf) => {
        await expectSourceError(readAll(salesforce, req(sf, { object: 'Account WHERE Name != null' })), 'permanent', "object name 'Account WHERE Name != null'");
        await expectSourceError(readAll(salesforce, req(sf, { fields: ['Name', 'Id FROM User --'] })), 'permanent', "field name 'Id FROM User --'");
        await expectSourceError(readAll(salesforce, req(sf, { datetimeField: "LastModifiedDate >= 2000-01-01T00:00:00Z OR Name != ''" })), 'permanent', 'field name');
        assert.equal(sf.apiRequests().length, 0, 'refused before anything was sent');
      }));
  });

  describe('OAuth 2.0', () => {
    test('client credentials: the token request carries the grant, the client id and the secret read from the environment; the token is cached', () =>
      withServer(async (sf) => {
        const r = req(sf);
        await readAll(salesforce, r);
        await readAll(salesforce, r);
        const grants = sf.requests.filter((x) => x.path === '/services/oauth2/token');
        assert.equal(grants.length, 1, 'one token for both reads of the profile');
        assert.equal(grants[0].headers['content-type'], 'application/x-www-form-urlencoded');
        assert.deepEqual(Object.fromEntries(new URLSearchParams(grants[0].body)), {
          grant_type: 'client_credentials',
          client_id: SF_CLIENT_ID,
          client_secret: SF_CLIENT_SECRET,
        });
        assert.ok(sf.apiRequests().every((x) => x.headers.authorization === `Bearer ${sf.issuedTokens[0]}`));
      }));

    test('refresh token flow, at an explicit tokenUrl', () =>
      withServer(async (sf) => {
        const auth = {
          flow: 'refresh_token',
          tokenUrl: `${sf.url}/services/oauth2/token`,
          clientId: SF_CLIENT_ID,
          clientSecretEnv: SECRET_ENV,
          refreshTokenEnv: REFRESH_ENV,
        };
        const records = flat(await readAll(salesforce, req(sf, {}, { auth })));
        assert.equal(records.length, 17);
        const grant = sf.requests.find((x) => x.path === '/services/oauth2/token');
        assert.deepEqual(Object.fromEntries(new URLSearchParams(grant?.body)), {
          grant_type: 'refresh_token',
          client_id: SF_CLIENT_ID,
          client_secret: SF_CLIENT_SECRET,
          refresh_token: SF_REFRESH_TOKEN,
        });
      }));

    test('an expired or revoked token (401 INVALID_SESSION_ID) is replaced once and the request retried', () =>
      withServer(
        async (sf) => {
          const r = req(sf, { pageSize: 4 });
          const pages: Record<string, unknown>[][] = [];
          for await (const page of salesforce.read(r)) {
            pages.push(page.records);
            if (pages.length === 2) sf.revokeTokens();
          }
          assert.deepEqual(pages.flat(), expected(['Id', 'Name', 'Industry', 'LastModifiedDate']));
          assert.equal(sf.issuedTokens.length, 2);
          const refused = sf.apiRequests().filter((x) => x.headers.authorization === `Bearer ${sf.issuedTokens[0]}`);
          const retried = sf.apiRequests().at(-1);
          assert.equal(retried?.headers.authorization, `Bearer ${sf.issuedTokens[1]}`);
          assert.ok(refused.length >= 3, 'the count, the query and the locator pages before the revocation used the first token');
        },
        { maxBatchSize: 4 },
      ));

    test('a 401 even after a fresh token fails permanently, naming Salesforce\'s errorCode', () =>
      withServer(async (sf) => {
        sf.failNext(isQuery, { status: 401, body: [{ message: 'Session expired or invalid', errorCode: 'INVALID_SESSION_ID' }] }, 2);
        const err = await expectSourceError(readAll(salesforce, req(sf)), 'permanent', 'INVALID_SESSION_ID');
        assert.ok(!err.message.includes('Session expired or invalid'), 'Salesforce\'s message is answer text, not quoted');
        assert.equal(sf.issuedTokens.length, 2);
      }));

    test('invalid_grant and invalid_client fail permanently with the cause and never echo a secret', () =>
      withServer(async (sf) => {
        const badRefresh = { flow: 'refresh_token', clientId: SF_CLIENT_ID, clientSecret: SF_CLIENT_SECRET, refreshToken: 'revoked-refresh-token' };
        const e1 = await expectSourceError(readAll(salesforce, req(sf, {}, { auth: badRefresh })), 'permanent', 'invalid_grant');
        const badClient = { flow: 'client_credentials', clientId: SF_CLIENT_ID, clientSecret: 'wrong-secret-value' };
        const e2 = await expectSourceError(readAll(salesforce, req(sf, {}, { auth: badClient })), 'permanent', 'invalid_client');
        for (const e of [e1, e2]) {
          for (const secret of [SF_CLIENT_SECRET, 'revoked-refresh-token', 'wrong-secret-value']) assert.ok(!e.message.includes(secret), e.message);
        }
        assert.equal(sf.apiRequests().length, 0);
      }));

    test('a secret environment variable that is not set is a permanent error naming the variable', () =>
      withServer(async (sf) => {
        const auth = { flow: 'client_credentials', clientId: SF_CLIENT_ID, clientSecretEnv: 'PF_TEST_SF_UNSET_VARIABLE' };
        await expectSourceError(readAll(salesforce, req(sf, {}, { auth })), 'permanent', 'PF_TEST_SF_UNSET_VARIABLE', 'is not set');
      }));

    test('a token endpoint that is down is transient', () =>
      withServer(async (sf) => {
        sf.failNext((x) => x.path === '/services/oauth2/token', { status: 503, body: 'Service Unavailable' });
        await expectSourceError(readAll(salesforce, req(sf)), 'transient', 'HTTP 503');
        assert.equal(flat(await readAll(salesforce, req(sf))).length, 17, 'the failed grant is not cached');
      }));
  });

  describe('failures', () => {
    const transient: [string, Parameters<SalesforceServer['failNext']>[1], string][] = [
      ['REQUEST_LIMIT_EXCEEDED', { status: 403, body: [{ message: 'TotalRequests Limit exceeded.', errorCode: 'REQUEST_LIMIT_EXCEEDED' }] }, '(REQUEST_LIMIT_EXCEEDED)'],
      ['503', { status: 503, body: [{ message: 'Server unavailable', errorCode: 'SERVER_UNAVAILABLE' }] }, 'HTTP 503'],
      ['500', { status: 500, body: [{ message: 'An unexpected error occurred', errorCode: 'UNKNOWN_EXCEPTION' }] }, 'UNKNOWN_EXCEPTION'],
      ['502', { status: 502, body: 'Bad Gateway' }, 'HTTP 502'],
      ['504', { status: 504, body: 'Gateway Timeout' }, 'HTTP 504'],
      ['a connection reset', 'reset', 'Could not reach Salesforce'],
      ['a request that never answers', 'hang', 'did not answer'],
    ];
    for (const [name, fault, message] of transient) {
      test(`${name} is transient, and the read succeeds once Salesforce recovers`, () =>
        withServer(async (sf) => {
          sf.failNext(isQuery, fault);
          await expectSourceError(readAll(salesforce, req(sf, {}, { requestTimeoutMs: 500 })), 'transient', message);
          assert.equal(flat(await readAll(salesforce, req(sf))).length, 17);
        }));
    }

    test('unknown fields and objects, and malformed queries, are permanent with the errorCode Salesforce sent (not its message)', () =>
      withServer(async (sf) => {
        const field = await expectSourceError(readAll(salesforce, req(sf, { fields: ['Name', 'Revenue__c'] })), 'permanent', 'HTTP 400', "INVALID_FIELD");
        assert.ok(!field.message.includes('No such column'));
        await expectSourceError(readAll(salesforce, req(sf, { object: 'Acount' })), 'permanent', 'INVALID_TYPE');
        await expectSourceError(readAll(salesforce, req(sf, { object: 'Acount', enableDynamicFieldUpdate: true })), 'permanent', 'describe of Acount', 'NOT_FOUND');
        sf.failNext(isQuery, { status: 400, body: [{ message: "unexpected token: 'FORM'", errorCode: 'MALFORMED_QUERY' }] });
        await expectSourceError(readAll(salesforce, req(sf)), 'permanent', '(MALFORMED_QUERY)');
        await expectSourceError(readAll(salesforce, req(sf, { datetimeField: 'Name' })), 'permanent', 'INVALID_FIELD');
      }));

    test('QUERY_TIMEOUT is too-large, so the engine splits the window; in estimate() too', () =>
      withServer(async (sf) => {
        const timeout = { status: 400, body: [{ message: 'Your query request was running for too long.', errorCode: 'QUERY_TIMEOUT' }] };
        sf.failNext((x) => isQuery(x) && !x.query.get('q')?.includes('COUNT()'), timeout);
        await expectSourceError(readAll(salesforce, req(sf)), 'too-large', 'QUERY_TIMEOUT');
        sf.failNext(isQuery, timeout);
        await expectSourceError(salesforce.estimate!(req(sf)), 'too-large', 'QUERY_TIMEOUT');
      }));

    test('a read aborted by its signal stops at once, without a SourceError', () =>
      withServer(async (sf) => {
        const controller = new AbortController();
        sf.failNext(
          (x) => {
            if (isQuery(x)) controller.abort();
            return false;
          },
          'reset',
        );
        await assert.rejects(readAll(salesforce, req(sf, { signal: controller.signal })), (err: Error) => {
          assert.ok(!(err instanceof SourceError), String(err));
          assert.equal(err.name, 'AbortError');
          return true;
        });
      }));
  });

  describe('estimate and Bulk API 2.0', () => {
    const bulk = { bulkThreshold: 10 };

    test('estimate() is SELECT COUNT() over the window, and the read that follows does not count again', () =>
      withServer(async (sf) => {
        const r = req(sf, { includeDeleted: true });
        assert.equal(await salesforce.estimate!(r), 20);
        assert.deepEqual(sf.soql(), [
          'SELECT COUNT() FROM Account WHERE LastModifiedDate >= 2024-01-01T00:00:00Z AND LastModifiedDate < 2024-01-02T00:00:00Z',
        ]);
        assert.equal(queriesOf(sf)[0].path, '/services/data/v60.0/queryAll');
        await readAll(salesforce, r);
        assert.equal(sf.soql().filter((q) => q.includes('COUNT()')).length, 1);
      }));

    test('a window holding bulkThreshold records or more is read with a query job, polled to JobComplete, its CSV followed along Sforce-Locator', () =>
      withServer(
        async (sf) => {
          const pages = await readAll(salesforce, req(sf, { pageSize: 5 }, { ...bulk, bulkResultsMaxRecords: 5 }));
          const create = sf.apiRequests().find((x) => x.method === 'POST' && x.path === '/services/data/v60.0/jobs/query');
          assert.ok(create);
          assert.equal(create.headers['content-type'], 'application/json');
          assert.deepEqual(JSON.parse(create.body), {
            operation: 'query',
            query:
              'SELECT Id, Name, Industry, LastModifiedDate FROM Account WHERE LastModifiedDate >= 2024-01-01T00:00:00Z AND LastModifiedDate < 2024-01-02T00:00:00Z ORDER BY LastModifiedDate, Id',
            contentType: 'CSV',
            columnDelimiter: 'COMMA',
            lineEnding: 'LF',
          });
          const jobId = JSON.parse(pages[0].cursor).job as string;
          assert.ok(jobId, 'the cursor names the job');
          const polls = sf.apiRequests().filter((x) => x.path === `/services/data/v60.0/jobs/query/${jobId}`);
          assert.equal(polls.length, 3, 'polled while InProgress (twice), then JobComplete');
          const results = sf.apiRequests().filter((x) => x.path.endsWith('/results'));
          assert.deepEqual(
            results.map((x) => [x.query.get('maxRecords'), x.query.get('locator')]),
            [['5', null], ['5', 'NQ'], ['5', 'MTA'], ['5', 'MTU']],
          );
          assert.ok(results.every((x) => x.headers.accept === 'text/csv'));

          assert.deepEqual(pages.map((p) => p.records.length), [5, 5, 5, 2]);
          const rest = expected(['Id', 'Name', 'Industry', 'LastModifiedDate']);
          assert.deepEqual(
            flat(pages),
            rest.map((r) => ({
              Id: r.Id,
              Name: r.Name,
              Industry: r.Industry ?? '',
              LastModifiedDate: new Date(Date.parse(r.LastModifiedDate as string)).toISOString(),
            })),
            'CSV values as text, null as empty; the quoted comma, quotes and line break survive',
          );
          assert.ok(flat(pages).some((r) => r.Name === 'Wayne, "Bruce"\nEnterprises'));
        },
        { jobPollsBeforeComplete: 2 },
      ));

    test('below bulkThreshold the REST query is used', () =>
      withServer(async (sf) => {
        await readAll(salesforce, req(sf, {}, { bulkThreshold: 18 }));
        assert.ok(!sf.apiRequests().some((x) => x.path.includes('/jobs/')));
      }));

    test('IncludeDeletedRecords makes the job a queryAll', () =>
      withServer(async (sf) => {
        const records = flat(await readAll(salesforce, req(sf, { includeDeleted: true }, bulk)));
        const create = sf.apiRequests().find((x) => x.method === 'POST');
        assert.equal(JSON.parse(create?.body ?? '{}').operation, 'queryAll');
        assert.equal(records.length, 20);
      }));

    test('resuming from any bulk cursor yields exactly the records not yet delivered, at every page size', () =>
      withServer(async (sf) => {
        for (const pageSize of [1, 2, 3, 7, 17, 100]) {
          const pages = await assertResumesFromEveryCursor(salesforce, req(sf, { pageSize }, bulk));
          assert.deepEqual(ids(flat(pages)), ids(expected(['Id'])));
        }
        assert.equal(sf.apiRequests().filter((x) => x.method === 'POST').length, 6, 'resumes reuse the job: one job per page size');
      }));

    test('a bulk read says how far through the window each page has read, as the REST one does', () =>
      withServer(async (sf) => {
        const timeOf = (rec: Record<string, unknown>) => Date.parse(rec.LastModifiedDate as string);
        for (const pageSize of [1, 3, 7, 100]) {
          const r = req(sf, { pageSize }, { ...bulk, bulkResultsMaxRecords: 4 });
          const pages = await readAll(salesforce, r);
          assert.ok(sf.apiRequests().some((x) => x.method === 'POST' && /\/jobs\/query$/.test(x.path)), 'read with a query job');
          const positions = assertReadThroughHolds(pages, r.window, timeOf);
          assert.deepEqual(positions, [...pages.slice(0, -1).map((p) => timeOf(p.records.at(-1)!)), T0 + 24 * HOUR]);
        }
      }));

    test('a resume whose job is gone starts a new job past the cursor\'s keyset', () =>
      withServer(async (sf) => {
        const r = req(sf, { pageSize: 4 }, bulk);
        const pages = await readAll(salesforce, r);
        sf.deleteJobs();
        sf.requests.length = 0;
        const rest = flat(await readAll(salesforce, { ...r, cursor: pages[1].cursor }));
        assert.deepEqual(rest, flat(pages.slice(2)));
        const create = sf.apiRequests().find((x) => x.method === 'POST');
        const last = pages[1].records[3];
        const at = (last.LastModifiedDate as string).replace('.000Z', 'Z');
        assert.ok(
          (JSON.parse(create?.body ?? '{}').query as string).endsWith(
            `AND (LastModifiedDate > ${at} OR (LastModifiedDate = ${at} AND Id > '${String(last.Id)}')) ORDER BY LastModifiedDate, Id`,
          ),
        );
        await assertResumesFromEveryCursor(salesforce, { ...r, cursor: pages[0].cursor });
      }));

    test('a failed job is too-large when Salesforce timed the query out, transient at an org limit, permanent otherwise, with its code', () =>
      withServer(async (sf) => {
        sf.failNextJob('QUERY_TIMEOUT: Your query request was running for too long.');
        await expectSourceError(readAll(salesforce, req(sf, {}, bulk)), 'too-large', 'failed (QUERY_TIMEOUT)');
        sf.failNextJob('INVALID_FIELD: No such column');
        await expectSourceError(readAll(salesforce, req(sf, {}, bulk)), 'permanent', 'failed (INVALID_FIELD)');
        sf.failNextJob('REQUEST_LIMIT_EXCEEDED: TotalRequests Limit exceeded.');
        await expectSourceError(readAll(salesforce, req(sf, {}, bulk)), 'transient', 'REQUEST_LIMIT_EXCEEDED');
      }));

    test('a job that outlives bulkJobTimeoutMs is aborted and the read fails transiently', () =>
      withServer(
        async (sf) => {
          await expectSourceError(readAll(salesforce, req(sf, {}, { ...bulk, bulkJobTimeoutMs: 1, bulkPollIntervalMs: 5 })), 'transient', 'did not complete within 1 ms');
          assert.ok(sf.apiRequests().some((x) => x.method === 'PATCH' && JSON.parse(x.body).state === 'Aborted'));
        },
        { jobPollsBeforeComplete: 1_000_000 },
      ));

    test('polling ends at once when the read\'s signal is aborted', () =>
      withServer(
        async (sf) => {
          const { controller, polls } = abortOnPoll(sf, 3);
          await assert.rejects(readAll(salesforce, req(sf, { signal: controller.signal }, { ...bulk, bulkPollIntervalMs: 1 })), { name: 'AbortError' });
          assert.equal(polls(), 3);
        },
        { jobPollsBeforeComplete: 1_000_000 },
      ));

    const resultsRequests = (sf: SalesforceServer) =>
      sf.apiRequests().filter((x) => x.path.endsWith('/results')).map((x) => [x.query.get('maxRecords'), x.query.get('locator')]);

    test('results are asked for in sets of bulkResultsMaxRecords (default 50,000), not one request a page', () =>
      withServer(async (sf) => {
        const pages = await readAll(salesforce, req(sf, { pageSize: 2 }, bulk));
        assert.deepEqual(resultsRequests(sf), [['50000', null]], 'one request holds all 17 records');
        assert.deepEqual(pages.map((p) => p.records.length), [2, 2, 2, 2, 2, 2, 2, 2, 1]);
        assert.deepEqual(ids(flat(pages)), ids(expected(['Id'])));
        assert.deepEqual(JSON.parse(pages.at(-1)!.cursor).loc, null, 'the last page says the results are exhausted');
      }));

    test('pages are cut across result sets, and every cursor resumes exactly: inside a set it re-reads that set, at its end it names the next', () =>
      withServer(async (sf) => {
        const r = req(sf, { pageSize: 5 }, { ...bulk, bulkResultsMaxRecords: 7 });
        const pages = await readAll(salesforce, r);
        assert.deepEqual(pages.map((p) => p.records.length), [5, 5, 5, 2], 'full pages although sets hold 7');
        assert.deepEqual(resultsRequests(sf), [['7', null], ['7', 'Nw'], ['7', 'MTQ']]);
        assert.deepEqual(pages.map((p) => JSON.parse(p.cursor).loc), ['', 'Nw', 'MTQ', null], 'each names the set holding its last record');
        assert.deepEqual(ids(flat(pages)), ids(expected(['Id'])));

        sf.requests.length = 0;
        assert.deepEqual(flat(await readAll(salesforce, { ...r, cursor: pages[1].cursor })), flat(pages.slice(2)));
        assert.deepEqual(resultsRequests(sf), [['7', 'Nw'], ['7', 'MTQ']], 'the set holding record 10 is read again, records 8 to 10 dropped');

        for (const [pageSize, maxRecords] of [[7, 7], [3, 7], [4, 2], [1, 3], [17, 5], [100, 4]]) {
          const again = await assertResumesFromEveryCursor(salesforce, req(sf, { pageSize }, { ...bulk, bulkResultsMaxRecords: maxRecords }));
          assert.deepEqual(ids(flat(again)), ids(expected(['Id'])), `page size ${pageSize}, sets of ${maxRecords}`);
        }

        const atSetEnd = await readAll(salesforce, req(sf, { pageSize: 7 }, { ...bulk, bulkResultsMaxRecords: 7 }));
        assert.deepEqual(atSetEnd.map((p) => JSON.parse(p.cursor).loc), ['Nw', 'MTQ', null], 'a page that ends a set names the next set');
        sf.requests.length = 0;
        await readAll(salesforce, { ...r, cursor: atSetEnd[0].cursor });
        assert.deepEqual(resultsRequests(sf).map(([, loc]) => loc), ['Nw', 'MTQ'], 'no set is read twice');
      }));

    test('a result set that breaks off is transient and delivers nothing past the break', () =>
      withServer(async (sf) => {
        sf.failNext((x) => x.path.endsWith('/results'), { status: 200, body: '"Id","Name","Industry","LastModifiedDate"\n"001000000000002AAA","unterminated', headers: { 'sforce-locator': 'null' } });
        await expectSourceError(readAll(salesforce, req(sf, { pageSize: 100 }, bulk)), 'transient', 'end inside a quoted value');
      }));

    test('a read cancelled while its job runs aborts the job with PATCH {"state":"Aborted"}, on a signal of its own', () =>
      withServer(
        async (sf) => {
          const { controller } = abortOnPoll(sf, 2);
          await assert.rejects(readAll(salesforce, req(sf, { signal: controller.signal }, { ...bulk, bulkPollIntervalMs: 1 })), { name: 'AbortError' });
          const create = sf.apiRequests().find((x) => x.method === 'POST' && x.path.endsWith('/jobs/query'));
          assert.ok(create);
          const patches = sf.apiRequests().filter((x) => x.method === 'PATCH');
          assert.equal(patches.length, 1, 'one abort');
          const job = patches[0].path.split('/').at(-1);
          assert.match(job ?? '', /^750\d+$/);
          assert.equal(patches[0].path, `/services/data/v60.0/jobs/query/${job}`);
          assert.deepEqual(JSON.parse(patches[0].body), { state: 'Aborted' });
          assert.equal(patches[0].headers['content-type'], 'application/json');
          assert.equal(patches[0].headers.authorization, `Bearer ${sf.issuedTokens[0]}`);
          assert.ok(!sf.apiRequests().some((x) => x.path.endsWith('/results')), 'no result was asked for');
        },
        { jobPollsBeforeComplete: 1_000_000 },
      ));

    test('a read cancelled after its job completed leaves the job alone (a resume reads it)', () =>
      withServer(async (sf) => {
        const controller = new AbortController();
        const r = req(sf, { pageSize: 5, signal: controller.signal }, bulk);
        await assert.rejects(
          (async () => {
            for await (const _page of salesforce.read(r)) controller.abort();
          })(),
          { name: 'AbortError' },
        );
        assert.ok(!sf.apiRequests().some((x) => x.method === 'PATCH'));
      }));
  });

  describe('shared HTTP behaviour', () => {
    test('a redirect is refused as permanent (the instance URL is wrong) and the token never follows it', () =>
      withServer(async (sf) => {
        sf.failNext(isQuery, { status: 302, body: '', headers: { location: `${sf.url}/elsewhere` } });
        await expectSourceError(readAll(salesforce, req(sf)), 'permanent', 'redirect (HTTP 302)');
        assert.ok(!sf.requests.some((x) => x.path === '/elsewhere'));
      }));

    test('a transient failure carries the Retry-After Salesforce sent as retryAfterMs', () =>
      withServer(async (sf) => {
        sf.failNext(isQuery, { status: 503, body: [{ message: 'Server unavailable', errorCode: 'SERVER_UNAVAILABLE' }], headers: { 'retry-after': '12' } });
        const err = await expectSourceError(readAll(salesforce, req(sf)), 'transient', 'HTTP 503');
        assert.equal(err.retryAfterMs, 12_000);
        sf.failNext(isQuery, { status: 503, body: [{ message: 'Server unavailable', errorCode: 'SERVER_UNAVAILABLE' }] });
        assert.equal((await expectSourceError(readAll(salesforce, req(sf)), 'transient')).retryAfterMs, undefined);
        sf.failNext((x) => x.path === '/services/oauth2/token', { status: 429, body: 'slow down', headers: { 'retry-after': '3' } });
        assert.equal((await expectSourceError(readAll(salesforce, req(sf)), 'transient', 'HTTP 429')).retryAfterMs, 3_000);
      }));

    test('URLs carrying a user name or password are refused', () => {
      const auth = { flow: 'client_credentials', clientId: 'x', clientSecret: 'y' };
      assert.match(problemsOf(salesforce.parseSettings({ instanceUrl: 'https://me:pw@acme.my.salesforce.com', auth })).join(' '), /'instanceUrl' must not carry a user name or password/);
      assert.match(
        problemsOf(salesforce.parseSettings({ instanceUrl: 'https://acme.my.salesforce.com', auth: { ...auth, tokenUrl: 'https://me@login.salesforce.com/services/oauth2/token' } })).join(' '),
        /'auth.tokenUrl' must not carry a user name or password/,
      );
    });
  });
});
