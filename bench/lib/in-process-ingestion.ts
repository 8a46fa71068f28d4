// The ingestion of bench/ingestion.ts set up in-process, for the diagnostics in bench/tools/ (ingest-ab.ts,
// sql-timings.ts): the service's app on a given store and engine, and what a PostgreSQL server spent for it.
import { sql } from 'kysely';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { DEFAULT_ENGINE_OPTIONS, type Engine } from '../../src/engine/engine.js';
import { buildApp } from '../../src/server/app.js';
import { DEFAULT_KEY_STAGING, type KeyStagingPolicy } from '../../src/store/dialects/row-writers/sqlite-key-staging.js';
import type { KyselyStore } from '../../src/store/kysely-store.js';
import type { StoreConfig } from '../../src/store/open-store.js';
import { cpuMsOf, PG_URL, withPgSchema } from './common.js';

export const INJECT_HEADERS = {
  authorization: 'AWS4-HMAC-SHA256 Credential=AKID/20250101/us-east-1/profile/aws4_request, SignedHeaders=host, Signature=00',
  'content-type': 'application/json',
};

/**
 * bench/ingestion.ts's workflow: a synthetic connector profile, a domain, a Contact type of 6 fields and 2
 * keys, and one workflow of 10 daily batches of `records / 10` records each, created through the app.
 * `sourceDelayMs` makes the source wait that long before each page, as a source across a network does.
 * Answers the app, for the caller to close once the engine has run.
 */
export async function createIngestionWorkflow(store: KyselyStore, engine: Engine, records: number, options: { sourceDelayMs?: number } = {}) {
  const app = await buildApp({ store, engine });
  const inject = async (method: 'POST' | 'PUT', url: string, body: unknown) => {
    const r = await app.inject({ method, url, headers: INJECT_HEADERS, payload: JSON.stringify(body) });
    if (r.statusCode >= 300) throw new Error(`${url}: ${r.body}`);
  };
  await inject('PUT', '/_profileflow/connector-profiles/s', { kind: 'synthetic', settings: { recordsPerDay: records / 10, seed: 7, pageDelayMs: options.sourceDelayMs ?? 0 } });
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
  await inject('POST', '/domains/d/workflows/integrations', ingestionWorkflowRequest('flow1', 's'));
  return app;
}

/**
 * CreateIntegrationWorkflow's body for the Contact type over 10 daily batches from 2025-01-01, reading
 * `connectorProfile` under the flow `flowName`.
 */
export function ingestionWorkflowRequest(flowName: string, connectorProfile: string): Record<string, unknown> {
  const S = Date.UTC(2025, 0, 1) / 1000;
  return {
    WorkflowType: 'APPFLOW_INTEGRATION',
    ObjectTypeName: 'Contact',
    RoleArn: 'arn:aws:iam::123456789012:role/r',
    IntegrationConfig: {
      AppflowIntegration: {
        FlowDefinition: {
          FlowName: flowName,
          KmsArn: 'arn:aws:kms:us-east-1:123456789012:key/k',
          SourceFlowConfig: { ConnectorType: 'Salesforce', ConnectorProfileName: connectorProfile, SourceConnectorProperties: { Salesforce: { Object: 'Contact' } } },
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
  };
}

/**
 * PostgreSQL: CPU milliseconds of the server processes serving the connections named `application`
 * (application_name), read from /proc: the server runs on the same machine in the benchmarks.
 */
export async function serverCpuMs(store: KyselyStore, application: string): Promise<Map<number, number>> {
  const out = new Map<number, number>();
  const { rows } = await sql<{ pid: number }>`select pid from pg_stat_activity where application_name = ${application}`.execute(store.db);
  for (const { pid } of rows) {
    try {
      out.set(pid, cpuMsOf(pid));
    } catch {
      // a backend that ended meanwhile
    }
  }
  return out;
}

/**
 * The auto engine's statistics loop (src/engine/engine.ts), for a manual engine run in process: without
 * it, a PostgreSQL server with autovacuum off plans a page's look-ups on statistics of empty tables, and
 * the objects' look-up walks the domain through the by-profile index. `stop` answers the tables analyzed.
 */
export function startStatisticsLoop(store: KyselyStore): { stop(): Promise<string[]> } {
  const stopped = new AbortController();
  const analyzed: string[] = [];
  const loop = (async () => {
    while (!stopped.signal.aborted) {
      await sleep(DEFAULT_ENGINE_OPTIONS.statisticsIntervalMs, undefined, { signal: stopped.signal }).catch(() => undefined);
      if (!stopped.signal.aborted) analyzed.push(...(await store.refreshStatistics()));
    }
  })();
  return {
    async stop() {
      stopped.abort();
      await loop;
      return analyzed;
    },
  };
}

/** Runs `work` on the config of a store of its own: a fresh SQLite data dir, or a PostgreSQL schema, removed afterwards. */
export async function onScratchStore<T>(backend: 'sqlite' | 'postgres', name: string, work: (config: StoreConfig) => Promise<T>): Promise<T> {
  if (backend === 'postgres') return withPgSchema(name.replace(/[^a-z0-9]/g, ''), (schema) => work({ backend: 'postgres', databaseUrl: PG_URL, schema }));
  const dir = mkdtempSync(`${tmpdir()}/pf-${name}-`);
  try {
    return await work({ backend: 'sqlite', dataDir: dir });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The staged key index's policy from `--recent-at`, `--merge-at` and `--slice` (sqlite-key-staging.ts),
 * each defaulting to the service's; undefined when none is given.
 */
export function keyStagingFromFlags(flags: Record<string, string | true>): KeyStagingPolicy | undefined {
  if (!flags['recent-at'] && !flags['merge-at'] && !flags.slice) return undefined;
  const given = (name: string, fallback: number) => (flags[name] ? Number(flags[name]) : fallback);
  return {
    recentAt: given('recent-at', DEFAULT_KEY_STAGING.recentAt),
    mergeAt: given('merge-at', DEFAULT_KEY_STAGING.mergeAt),
    sliceEntries: given('slice', DEFAULT_KEY_STAGING.sliceEntries),
  };
}
