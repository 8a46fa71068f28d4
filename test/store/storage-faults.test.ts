// A full disk and a read-only database, as the SQLite store meets them: the fault is named (in the error
// every log line prints, and in /_profileflow/health), the caller gets a plain 500, and the first write
// that commits after the fault clears returns health to ok. Before this, the log said only "cannot
// rollback - no transaction is active" and health said ok: these tests failed on that code.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { ManualClock } from '../../src/engine/clock.js';
import { Engine, errorBackoffMs, MAX_ERROR_BACKOFF_MS } from '../../src/engine/engine.js';
import { buildApp } from '../../src/server/app.js';
import type { KyselyStore } from '../../src/store/kysely-store.js';
import { openStore, SQLITE_FILE_NAME } from '../../src/store/open-store.js';
import { openPostgres, STATEMENT_TIMEOUT_MS } from '../../src/store/dialects/postgres.js';
import { postgresFaultOf, sqliteFaultOf, StorageFault, StorageMonitor } from '../../src/store/storage-condition.js';
import { availableBackends, dropSchema, POSTGRES_URL } from '../helpers/backends.js';

const HEADERS = {
  'content-type': 'application/json',
  authorization: 'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20250101/us-east-1/profile/aws4_request, SignedHeaders=host, Signature=0',
};

/** Holds the file to the pages it has: the next write that needs a new page fails with a genuine SQLITE_FULL. */
async function fillDisk(store: KyselyStore): Promise<void> {
  const { rows } = await sql<{ page_count: number }>`pragma page_count`.execute(store.db);
  await sql.raw(`pragma max_page_count = ${rows[0].page_count}`).execute(store.db);
}

async function freeDisk(store: KyselyStore): Promise<void> {
  await sql.raw('pragma max_page_count = 1073741823').execute(store.db);
}

async function health(app: FastifyInstance): Promise<Record<string, unknown>> {
  const response = await app.inject({ method: 'GET', url: '/_profileflow/health' });
  assert.equal(response.statusCode, 200);
  return response.json();
}

/** CreateProfile with a 1,000-character field: enough of them need new pages. */
function createProfile(app: FastifyInstance, domain: string, i: number) {
  return app.inject({
    method: 'POST',
    url: `/domains/${domain}/profiles`,
    headers: HEADERS,
    payload: JSON.stringify({ FirstName: `P${i}`, AdditionalInformation: 'x'.repeat(1000) }),
  });
}

describe('storage faults on SQLite', () => {
  let dir: string;
  let file: string;
  let store: KyselyStore;
  let app: FastifyInstance;
  const logged: string[] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pf-storage-faults-'));
    file = join(dir, SQLITE_FILE_NAME);
    store = await openStore({ backend: 'sqlite', dataDir: dir });
    store.monitor.onChange((c, detail) => logged.push(c.status === 'ok' ? 'ok' : detail!));
    app = await buildApp({ store });
    const created = await app.inject({ method: 'POST', url: '/domains/faults', headers: HEADERS, payload: JSON.stringify({ DefaultExpirationDays: 30 }) });
    assert.equal(created.statusCode, 200, created.body);
  });
  after(async () => {
    await app.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('a full disk: the store throws a fault naming the file (not the masking rollback error), health is degraded, callers get a plain 500', async () => {
    assert.deepEqual((await health(app)).status, 'ok');
    await fillDisk(store);
    let answer;
    for (let i = 0; i < 200; i++) {
      answer = await createProfile(app, 'faults', i);
      if (answer.statusCode !== 200) break;
    }
    assert.equal(answer!.statusCode, 500, 'a write failed once the file could not grow');
    assert.equal(answer!.headers['x-amzn-errortype'], 'InternalServerException');
    assert.ok(!answer!.body.includes(dir) && !/SQLITE|disk/i.test(answer!.body), `no paths or internals in ${answer!.body}`);

    const body = await health(app);
    assert.equal(body.status, 'degraded');
    assert.equal(body.reason, 'the disk holding the database is full', 'no path on the open health route');
    assert.equal(body.backend, 'sqlite');
    assert.ok(typeof body.version === 'string');

    // The error itself, as the request and engine log lines print it: the disk-full error, not the rollback's.
    const err = await store
      .transaction(async (tx) => {
        const db = (tx as KyselyStore).db;
        for (let i = 0; i < 100; i++) await sql`insert into settings (key, value) values (${`filler-${i}`}, ${'y'.repeat(2000)})`.execute(db);
      })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    assert.ok(err instanceof StorageFault, `a StorageFault, got ${String(err)}`);
    assert.equal(err.kind, 'full');
    assert.match(err.message, /the disk holding .*profileflow\.db is full \(SQLITE_FULL: database or disk is full\)/);
    assert.equal((err.cause as { code?: string }).code, 'SQLITE_FULL');
    assert.deepEqual(logged, [`the disk holding ${file} is full`], 'one change logged, however many writes failed');

    // What commits on a full disk too proves nothing: a transaction that only reads (the engine's idle
    // claim every poll), a write that changes no row, a transaction whose one write changes none.
    await store.transaction(async (tx) => void (await (tx as KyselyStore).db.selectFrom('domains').select('domain_name').execute()));
    await store.db.updateTable('settings').set({ value: 'x' }).where('key', '=', 'no-such-setting').execute();
    await store.transaction(async (tx) => void (await (tx as KyselyStore).db.deleteFrom('settings').where('key', '=', 'no-such-setting').execute()));
    assert.equal((await health(app)).status, 'degraded', 'nothing was written: the disk is still full');
    assert.equal(logged.length, 1);
  });

  test('space comes back: the next write that commits returns health to ok, without a restart', async () => {
    await freeDisk(store);
    assert.equal((await health(app)).status, 'degraded', 'reads alone do not clear a full disk');
    const answer = await createProfile(app, 'faults', 1000);
    assert.equal(answer.statusCode, 200, answer.body);
    assert.deepEqual(await health(app), { status: 'ok', version: (await health(app)).version, backend: 'sqlite' });
    assert.deepEqual(logged.at(-1), 'ok');
  });

  test('a read-only database (SQLITE_READONLY): named as read-only in health; cleared by the next write', async () => {
    // query_only makes SQLite refuse writes with SQLITE_READONLY, the code a read-only file or mount gives.
    await sql`pragma query_only = ON`.execute(store.db);
    const answer = await createProfile(app, 'faults', 2000);
    assert.equal(answer.statusCode, 500);
    const body = await health(app);
    assert.equal(body.status, 'degraded');
    assert.equal(body.reason, 'the disk or folder holding the database is read-only');
    assert.equal(logged.at(-1), `the disk or folder holding ${file} is read-only`);
    await sql`pragma query_only = OFF`.execute(store.db);
    assert.equal((await createProfile(app, 'faults', 2001)).statusCode, 200);
    assert.equal((await health(app)).status, 'ok');
  });

  test('the engine on a full disk: the step is given back, not failed, and completes with exact totals once space returns', async () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 15));
    const engine = new Engine(store, clock, { mode: 'manual', pageSize: 50 });
    const engineApp = await buildApp({ store, clock, engine });
    try {
      const put = await engineApp.inject({
        method: 'PUT',
        url: '/_profileflow/connector-profiles/full-disk',
        headers: { 'content-type': 'application/json' },
        payload: JSON.stringify({ kind: 'synthetic', connectorTypes: ['Salesforce'], settings: { recordsPerDay: 500, seed: 3 } }),
      });
      assert.ok(put.statusCode < 300, put.body);
      const objectType = await engineApp.inject({
        method: 'PUT',
        url: '/domains/faults/object-types/Contact',
        headers: HEADERS,
        payload: JSON.stringify({
          Description: 'contacts',
          AllowProfileCreation: true,
          Fields: {
            Id: { Source: '_source.Id', Target: '_custom.Id', ContentType: 'STRING' },
            Email: { Source: '_source.Email', Target: '_profile.EmailAddress', ContentType: 'EMAIL_ADDRESS' },
          },
          Keys: { Id: [{ StandardIdentifiers: ['UNIQUE', 'PROFILE'], FieldNames: ['Id'] }] },
        }),
      });
      assert.equal(objectType.statusCode, 200, objectType.body);
      const created = await engineApp.inject({
        method: 'POST',
        url: '/domains/faults/workflows/integrations',
        headers: HEADERS,
        payload: JSON.stringify({
          WorkflowType: 'APPFLOW_INTEGRATION',
          ObjectTypeName: 'Contact',
          RoleArn: 'arn:aws:iam::123456789012:role/ingest',
          IntegrationConfig: {
            AppflowIntegration: {
              FlowDefinition: {
                FlowName: 'full-disk-flow',
                KmsArn: 'arn:aws:kms:us-east-1:123456789012:key/abcd-1234',
                SourceFlowConfig: {
                  ConnectorType: 'Salesforce',
                  ConnectorProfileName: 'full-disk',
                  SourceConnectorProperties: { Salesforce: { Object: 'Contact' } },
                },
                Tasks: [{ TaskType: 'Map', SourceFields: ['Id'], DestinationField: 'Id', ConnectorOperator: { Salesforce: 'NO_OP' } }],
                TriggerConfig: { TriggerType: 'OnDemand' },
              },
              Batches: [{ StartTime: Date.UTC(2025, 0, 1) / 1000, EndTime: Date.UTC(2025, 0, 2) / 1000 }],
            },
          },
        }),
      });
      assert.equal(created.statusCode, 200, created.body);
      const workflowId = created.json().WorkflowId as string;

      await fillDisk(store);
      for (let attempt = 0; attempt < 3; attempt++) {
        const err = await engine.advance({ pages: 100 }).then(
          () => undefined,
          (e: unknown) => e,
        );
        assert.ok(err instanceof StorageFault && err.kind === 'full', `attempt ${attempt}: the step run fails with the disk-full fault, got ${String(err)}`);
        clock.advance(60_000); // past the lease, in case giving the step back could not be written either
      }
      const during = await engineApp.inject({ method: 'GET', url: `/domains/faults/workflows/${workflowId}`, headers: HEADERS });
      assert.notEqual(during.json().Status, 'FAILED', 'a full disk is not the source failing');

      await freeDisk(store);
      await engine.runUntilIdle();
      const done = await engineApp.inject({ method: 'GET', url: `/domains/faults/workflows/${workflowId}`, headers: HEADERS });
      assert.equal(done.json().Status, 'COMPLETE', done.body);
      assert.equal(done.json().Metrics?.AppflowIntegration?.RecordsProcessed, 500);
      assert.equal((await health(app)).status, 'ok');
    } finally {
      await engine.stop();
      await engineApp.close();
    }
  });

  test('engine slots wait longer after each error in a row, up to 30 s', () => {
    assert.deepEqual([1, 2, 3, 4].map((n) => errorBackoffMs(500, n)), [500, 1000, 2000, 4000]);
    assert.equal(errorBackoffMs(500, 50), MAX_ERROR_BACKOFF_MS);
  });

  test('a damaged file stays degraded until a restart; other errors are left alone', () => {
    const monitor = new StorageMonitor(sqliteFaultOf('/d/profileflow.db'));
    const constraint = Object.assign(new Error('UNIQUE constraint failed'), { code: 'SQLITE_CONSTRAINT_PRIMARYKEY' });
    assert.equal(monitor.observe(constraint), constraint);
    assert.equal(monitor.condition().status, 'ok');
    const fault = monitor.observe(Object.assign(new Error('database disk image is malformed'), { code: 'SQLITE_CORRUPT' }));
    assert.ok(fault instanceof StorageFault && fault.kind === 'damaged');
    monitor.wrote();
    assert.deepEqual(monitor.condition(), { status: 'degraded', reason: 'the database is damaged; stop the service and run profileflow doctor' });
  });

  test('PostgreSQL: a lost connection is degraded until any query answers; a full disk until a write commits', () => {
    const monitor = new StorageMonitor(postgresFaultOf('db:5432/app'));
    const logged: (string | undefined)[] = [];
    monitor.onChange((_c, detail) => logged.push(detail));
    monitor.observe(new Error('Connection terminated unexpectedly'));
    monitor.observe(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }));
    assert.deepEqual(monitor.condition(), { status: 'degraded', reason: 'the PostgreSQL server cannot be reached' });
    assert.deepEqual(logged, ['the PostgreSQL server db:5432/app cannot be reached'], 'the log names the server; one line for two faults');
    monitor.answered();
    assert.equal(monitor.condition().status, 'ok');
    monitor.observe(Object.assign(new Error('could not extend file'), { code: '53100' }));
    monitor.answered();
    assert.equal(monitor.condition().status, 'degraded', 'a read does not prove the disk has room');
    monitor.wrote();
    assert.equal(monitor.condition().status, 'ok');
  });
});

// Before, a statement that ran 30 s met the client's read timeout, which is also how a server that no
// longer answers shows: it was called unreachable, health said degraded, and the engine handed the page
// back without counting, forever. Now the server cancels the statement first (57014), an error of that
// statement alone; and migrations, which may rightly run for minutes, run on a connection with no limit.
if ((await availableBackends()).includes('postgres')) {
  describe('a slow statement on PostgreSQL', () => {
    const schema = `pf_test_slow_${process.pid}_${randomBytes(4).toString('hex')}`;
    after(() => dropSchema(schema));

    test('the server cancels it at the statement timeout: an error of the statement, and the server still counts as reachable', async () => {
      const monitor = new StorageMonitor(postgresFaultOf('127.0.0.1:5432/postgres'));
      const db = await openPostgres({ url: POSTGRES_URL, schema, monitor, statementTimeoutMs: 200 });
      try {
        await assert.rejects(sql`select pg_sleep(2)`.execute(db), (err: Error & { code?: string }) => {
          assert.equal(err.code, '57014');
          assert.match(err.message, /statement timeout/);
          assert.ok(!(err instanceof StorageFault));
          return true;
        });
        assert.deepEqual(monitor.condition(), { status: 'ok' });
        assert.equal((await sql<{ ok: number }>`select 1 as ok`.execute(db)).rows[0].ok, 1, 'the connection serves the next statement');
      } finally {
        await db.destroy();
      }
    });

    test('the service runs with a 25 s statement timeout, and its migrations with none', async () => {
      const service = await openPostgres({ url: POSTGRES_URL, schema });
      const migrations = await openPostgres({ url: POSTGRES_URL, schema, purpose: 'migrations' });
      try {
        const setting = async (db: typeof service) => (await sql<{ statement_timeout: string }>`show statement_timeout`.execute(db)).rows[0].statement_timeout;
        assert.equal(STATEMENT_TIMEOUT_MS, 25_000);
        assert.equal(await setting(service), '25s');
        assert.equal(await setting(migrations), '0');
        assert.equal((await sql<{ schema: string }>`select current_schema() as schema`.execute(migrations)).rows[0].schema, schema);
      } finally {
        await service.destroy();
        await migrations.destroy();
      }
    });

    test('a service statement timeout of none, or not below the 30 s read timeout, is refused before any connection', async () => {
      for (const statementTimeoutMs of [0, -1, 30_000, 60_000, Number.NaN]) {
        await assert.rejects(openPostgres({ url: POSTGRES_URL, schema, statementTimeoutMs }), /statement timeout/, String(statementTimeoutMs));
      }
      const db = await openPostgres({ url: POSTGRES_URL, schema, statementTimeoutMs: 29_999 });
      await db.destroy();
    });
  });
}
