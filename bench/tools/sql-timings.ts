// Diagnostic, not a benchmark: runs the ingestion of bench/ingestion.ts in-process on SQLite (the
// service's store, engine and app from src/, a Kysely log hook on the connection) and prints the time
// spent in each kind of SQL statement, COMMIT included. This is how the ingestion findings in
// docs/performance.md were broken down. Extra arguments are PRAGMAs to try (`"cache_size = -65536"`).
// Run: node --import tsx bench/tools/sql-timings.ts [records=50000] [pragma …]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Sqlite from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { systemClock } from '../../src/engine/clock.js';
import { Engine } from '../../src/engine/engine.js';
import { buildApp } from '../../src/server/app.js';
import { sqliteCapabilities } from '../../src/store/dialects/sqlite.js';
import { KyselyStore } from '../../src/store/kysely-store.js';
import type { Database } from '../../src/store/schema.js';

const N = Number(process.argv[2] ?? 50_000);
const dir = mkdtempSync(join(tmpdir(), 'pf-sql-timings-'));
// The pragmas of src/store/dialects/sqlite.ts, on a handle whose Kysely instance has a log hook.
const database = new Sqlite(join(dir, 'profileflow.db'));
database.pragma('journal_mode = WAL');
database.pragma('synchronous = NORMAL');
database.pragma('foreign_keys = ON');
database.pragma('wal_autocheckpoint = 16384');
for (const p of process.argv.slice(3)) database.pragma(p);

const stats = new Map<string, { n: number; ms: number }>();
const db = new Kysely<Database>({
  dialect: new SqliteDialect({ database }),
  log(e) {
    const key = e.query.sql.replace(/\(\?(, \?)*\)(, \(\?(, \?)*\))*/g, '(…)').slice(0, 90);
    const s = stats.get(key) ?? { n: 0, ms: 0 };
    s.n++;
    s.ms += e.queryDurationMillis;
    stats.set(key, s);
  },
});
const store = new KyselyStore(db, sqliteCapabilities);
await store.migrate();
const engine = new Engine(store, systemClock, { mode: 'manual' });
const app = await buildApp({ store, engine });
const headers = {
  authorization: 'AWS4-HMAC-SHA256 Credential=AKID/20250101/us-east-1/profile/aws4_request, SignedHeaders=host, Signature=00',
  'content-type': 'application/json',
};
async function inject(method: 'POST' | 'PUT', url: string, body: unknown) {
  const r = await app.inject({ method, url, headers, payload: JSON.stringify(body) });
  if (r.statusCode >= 300) throw new Error(`${url}: ${r.body}`);
}
await inject('PUT', '/_profileflow/connector-profiles/s', { kind: 'synthetic', settings: { recordsPerDay: N / 10, seed: 7 } });
await inject('POST', '/domains/d', { DefaultExpirationDays: 365 });
const f = (s: string, t: string, ty = 'STRING') => ({ Source: `_source.${s}`, Target: t, ContentType: ty });
await inject('PUT', '/domains/d/object-types/Contact', {
  Description: 'c',
  AllowProfileCreation: true,
  Fields: {
    Id: f('Id', '_custom.Id'),
    FirstName: f('FirstName', '_profile.FirstName'),
    LastName: f('LastName', '_profile.LastName'),
    Email: f('Email', '_profile.EmailAddress', 'EMAIL_ADDRESS'),
    Phone: f('Phone', '_profile.PhoneNumber', 'PHONE_NUMBER'),
    City: f('City', '_profile.Address.City'),
  },
  Keys: { Id: [{ StandardIdentifiers: ['UNIQUE'], FieldNames: ['Id'] }], Email: [{ StandardIdentifiers: ['PROFILE'], FieldNames: ['Email'] }] },
});
const S = Date.UTC(2025, 0, 1) / 1000;
await inject('POST', '/domains/d/workflows/integrations', {
  WorkflowType: 'APPFLOW_INTEGRATION',
  ObjectTypeName: 'Contact',
  RoleArn: 'arn:aws:iam::123456789012:role/r',
  IntegrationConfig: {
    AppflowIntegration: {
      FlowDefinition: {
        FlowName: 'flow1',
        KmsArn: 'arn:aws:kms:us-east-1:123456789012:key/k',
        SourceFlowConfig: { ConnectorType: 'Salesforce', ConnectorProfileName: 's', SourceConnectorProperties: { Salesforce: { Object: 'Contact' } } },
        Tasks: ['Id', 'FirstName', 'LastName', 'Email', 'Phone', 'City'].map((x) => ({
          TaskType: 'Map',
          SourceFields: [x],
          DestinationField: x,
          ConnectorOperator: { Salesforce: 'NO_OP' },
        })),
        TriggerConfig: { TriggerType: 'OnDemand' },
      },
      Batches: Array.from({ length: 10 }, (_, i) => ({ StartTime: S + i * 86400, EndTime: S + (i + 1) * 86400 })),
    },
  },
});
stats.clear();
const cpu = process.cpuUsage();
const started = performance.now();
await engine.runUntilIdle();
const used = process.cpuUsage(cpu);
const wall = performance.now() - started;
process.stdout.write(
  `${N} records: ${(wall / 1000).toFixed(1)} s wall, ${((used.user + used.system) / 1e6).toFixed(1)} s CPU, ${Math.round(N / (wall / 1000))} records/s\n`,
);
const total = [...stats.values()].reduce((a, s) => a + s.ms, 0);
process.stdout.write(`time in SQL statements: ${Math.round(total)} ms\n`);
for (const [k, s] of [...stats.entries()].sort((a, b) => b[1].ms - a[1].ms).slice(0, 12)) {
  process.stdout.write(`${String(Math.round(s.ms)).padStart(7)} ms ${String(s.n).padStart(6)} × ${k}\n`);
}
const keys = database.prepare('select key_name, count(*) as n from profile_keys group by 1').all();
process.stdout.write(`profile_keys rows by key name: ${JSON.stringify(keys)}\n`);
await app.close();
await store.close();
rmSync(dir, { recursive: true, force: true });
