// Diagnostic, not a benchmark: the ingestion of bench/ingestion.ts run in-process (the service's store,
// engine and app from src/, no HTTP between them) on SQLite or PostgreSQL, printing the process's CPU
// seconds, wall seconds and the rows each history table holds. For A/B runs of one change, alternated on
// a loaded machine: the CPU of one process, without the spawn, the poller and the build.
// Run: node --import tsx bench/tools/ingest-ab.ts [--records 100000] [--backend sqlite|postgres]
//      [--page-size 2000] [--merge-at 500000 --slice 25000]
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { systemClock } from '../../src/engine/clock.js';
import { Engine } from '../../src/engine/engine.js';
import { buildApp } from '../../src/server/app.js';
import { openStore } from '../../src/store/open-store.js';
import { sql } from 'kysely';
import { cpuMsOf, parseFlags, PG_URL, withPgSchema } from '../lib/common.js';

const APP = `pf_ingest_ab_${process.pid}`;

const flags = parseFlags(process.argv.slice(2));
const N = Number(flags.records ?? 100_000);
const backend = (flags.backend ?? 'sqlite') as 'sqlite' | 'postgres';
const engineOptions: Record<string, unknown> = {};
if (flags['page-size']) engineOptions.pageSize = Number(flags['page-size']);
/** SQLite: when staged key index entries are merged (sqlite-key-staging.ts); the service's default otherwise. */
const keyStaging = flags['merge-at'] ? { mergeAt: Number(flags['merge-at']), sliceEntries: Number(flags.slice ?? 25_000) } : undefined;

async function run(config: Parameters<typeof openStore>[0]): Promise<void> {
  const store = await openStore(config);
  const engine = new Engine(store, systemClock, { mode: 'manual', ...engineOptions });
  const app = await buildApp({ store, engine });
  const headers = {
    authorization: 'AWS4-HMAC-SHA256 Credential=AKID/20250101/us-east-1/profile/aws4_request, SignedHeaders=host, Signature=00',
    'content-type': 'application/json',
  };
  const inject = async (method: 'POST' | 'PUT', url: string, body: unknown) => {
    const r = await app.inject({ method, url, headers, payload: JSON.stringify(body) });
    if (r.statusCode >= 300) throw new Error(`${url}: ${r.body}`);
  };
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
  const ioBefore = ownIo();
  const cpu = process.cpuUsage();
  const started = performance.now();
  const serverBefore = await serverCpuMs(store);
  await engine.runUntilIdle();
  const used = process.cpuUsage(cpu);
  const wall = (performance.now() - started) / 1000;
  const serverAfter = await serverCpuMs(store);
  const ioAfter = ownIo();
  let serverCpu = 0;
  for (const [pid, ms] of serverAfter) serverCpu += ms - (serverBefore.get(pid) ?? 0);
  const counts: Record<string, number> = {};
  for (const table of ['profiles', 'profile_objects', 'profile_history'] as const) {
    const r = await store.db.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    counts[table] = Number(r.n);
  }
  process.stdout.write(
    `${backend} ${N} records ${JSON.stringify({ ...engineOptions, ...(keyStaging ? { keyStaging } : {}) })}: ${wall.toFixed(1)} s wall, ${((used.user + used.system) / 1e6).toFixed(2)} s CPU, ` +
      `(user ${(used.user / 1e6).toFixed(2)}, sys ${(used.system / 1e6).toFixed(2)}), written ${Math.round((ioAfter.wchar - ioBefore.wchar) / 1e6)} MB, ` +
      `${Math.round(N / wall)} records/s, peak RSS ${Math.round(process.resourceUsage().maxRSS / 1024)} MB${backend === 'postgres' ? `, server backends ${(serverCpu / 1000).toFixed(2)} s CPU` : ''}; rows ${JSON.stringify(counts)}\n`,
  );
  await app.close();
  await store.close();
}

/** Bytes this process wrote through write(2) and friends (SQLite: its WAL and checkpoints). */
function ownIo(): { wchar: number } {
  const line = readFileSync('/proc/self/io', 'utf8').split('\n').find((l) => l.startsWith('wchar:'));
  return { wchar: Number(line?.split(/\s+/)[1] ?? 0) };
}

/**
 * PostgreSQL: CPU milliseconds of the server processes serving this process's connections (named by
 * application_name), read from /proc: the server runs on the same machine in the benchmarks.
 */
async function serverCpuMs(store: Awaited<ReturnType<typeof openStore>>): Promise<Map<number, number>> {
  const out = new Map<number, number>();
  if (backend !== 'postgres') return out;
  const { rows } = await sql<{ pid: number }>`select pid from pg_stat_activity where application_name = ${APP}`.execute(store.db);
  for (const { pid } of rows) {
    try {
      out.set(pid, cpuMsOf(pid));
    } catch {
      // a backend that ended meanwhile
    }
  }
  return out;
}

if (backend === 'sqlite') {
  const dir = mkdtempSync(`${tmpdir()}/pf-ingest-ab-`);
  try {
    await run({ backend: 'sqlite', dataDir: dir, keyStaging });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
} else {
  await withPgSchema('ingestab', (schema) => run({ backend: 'postgres', databaseUrl: `${PG_URL}${PG_URL.includes('?') ? '&' : '?'}application_name=${APP}`, schema }));
}
