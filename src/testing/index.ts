/**
 * `import { startProfileflow } from 'profileflow/testing'`: an isolated profileflow for a test suite,
 * started in the test's own process.
 *
 * Why in process rather than a child `profileflow serve`: no second Node start-up (the measured cost is
 * in docs/performance.md, "testing toolkit"), nothing to reap when a test runner is killed, and the
 * helpers below call the very objects the admin routes call (the store's reset, the FaultInjector
 * given to buildApp as `operator.faults`, the engine, the ManualClock) instead of going through HTTP:
 * typed arguments, errors thrown where the test can see them, and no operator credentials needed when
 * the service itself requires SigV4. The HTTP admin routes stay available on `endpoint` and act on the
 * same state. Other languages spawn `profileflow serve --port 0` instead (examples/pytest).
 *
 * Isolation: each instance has its own store (a temporary SQLite folder, or a PostgreSQL schema of its
 * own), engine, clock and fault rules. Two things are per process, as in `serve`: the id seed
 * (`seedIds`) and the synthetic source's memory of scripted fault attempts (keyed by connector profile
 * name, so give faulting profiles distinct names).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../server/app.js';
import { FaultInjector, type FaultRule } from '../server/faults.js';
import type { AuthSettings } from '../auth/caller.js';
import { type Clock, ManualClock, systemClock } from '../engine/clock.js';
import { Engine, type AdvanceResult, type EngineOptions } from '../engine/engine.js';
import { checkConnectorProfile } from '../connectors/profiles.js';
import { type ConnectorPolicy, loadConnectorPolicy } from '../connectors/policy.js';
import type { ConnectorProfile } from '../connectors/types.js';
import { loadConnectorProfiles } from '../cli/connector-profiles.js';
import { seedIds } from '../domain/ids.js';
import { openStore, type StoreConfig } from '../store/open-store.js';
import type { KeyStagingPolicy } from '../store/dialects/row-writers/sqlite-key-staging.js';
import type { KyselyStore } from '../store/kysely-store.js';

export type { FaultRule } from '../server/faults.js';
export type { AdvanceResult } from '../engine/engine.js';

/** A connector profile as the admin route takes it (`PUT /_profileflow/connector-profiles/{name}`). */
export interface ConnectorProfileInput {
  kind: string;
  /** Defaults to every ConnectorType for the `synthetic` and `files` kinds. */
  connectorTypes?: string[];
  settings?: Record<string, unknown>;
}

export interface StartProfileflowOptions {
  /** `sqlite` (default): a temporary folder, removed by stop(). `postgres`: a fresh schema, dropped by stop(). */
  backend?: 'sqlite' | 'postgres';
  /** Required for `postgres`, e.g. `postgres://postgres@127.0.0.1:5432/postgres`; any `?schema=` is replaced. */
  databaseUrl?: string;
  /** Default 127.0.0.1. The port is always 0 (a free one), so suites can run side by side. */
  host?: string;
  /**
   * `manual` (default): no step runs until `engine.advance()`, `engine.untilIdle()` or `waitForWorkflow`,
   * so a test sees the same states on every run. `auto`: steps run as they come due, as under `serve`.
   */
  engineMode?: 'auto' | 'manual';
  /** Further engine settings (pageSize, retry, …); `mode` and `connectorPolicy` come from the options above. */
  engine?: Partial<Omit<EngineOptions, 'mode' | 'connectorPolicy'>>;
  /** `system` (default) or `manual`: time moves only through `clock.set` / `clock.advance`. */
  clock?: 'system' | 'manual';
  /** Start time of a manual clock (ISO-8601 or epoch ms); default 2026-01-01T00:00:00Z, the same every run. */
  startTime?: string | number;
  /** Connector profiles declared at start and again after every full reset, like the config file's. */
  connectorProfiles?: Record<string, ConnectorProfileInput>;
  /**
   * The operator's connector policy (docs/security.md). Default: no `files` roots, the vendors' hosts
   * only, no private addresses. Give `fileRoots` to let `files` profiles read below those folders.
   */
  connectorPolicy?: { fileRoots?: string[]; allowHosts?: string[]; allowPrivateAddresses?: boolean; secretEnvPrefix?: string };
  /** Request authentication; default off (any credentials work, a 12-digit access key id is the account). */
  auth?: AuthSettings;
  /** Region of `clientConfig`; default us-east-1. */
  region?: string;
  /** Account of `clientConfig` (its access key id, with auth off); default 000000000000. */
  accountId?: string;
  /** Fastify's logger option; default off. */
  logger?: boolean | { level: string };
}

/** What `new CustomerProfilesClient(config)` (AWS SDK for JavaScript v3) takes. */
export interface ProfileflowClientConfig {
  endpoint: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  /** 1: a fault or throttling answer reaches the test as it is, never hidden by a retry. */
  maxAttempts: number;
}

export interface WaitForWorkflowOptions {
  /** Default 30000. */
  timeoutMs?: number;
  /** Poll interval when nothing was advanced (auto mode, or nothing due); default 20. */
  pollMs?: number;
  /** Ask as this account / region (default the instance's). */
  accountId?: string;
  region?: string;
}

/** GetWorkflow's answer, as the wire has it (timestamps as epoch seconds). */
export interface WorkflowView {
  WorkflowId: string;
  WorkflowType: string;
  Status: string;
  ErrorDescription?: string;
  StartDate?: number;
  LastUpdatedAt?: number;
  Attributes?: unknown;
  Metrics?: { AppflowIntegration?: { RecordsProcessed?: number; StepsCompleted?: number; TotalSteps?: number } };
}

export interface Profileflow {
  /** `http://127.0.0.1:<port>`: give it to any AWS client as its endpoint. */
  endpoint: string;
  region: string;
  accountId: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  /** For `new CustomerProfilesClient(clientConfig)`. */
  clientConfig: ProfileflowClientConfig;
  /** The same for another account (its 12-digit id becomes the access key id) or region. */
  clientConfigFor(options: { accountId?: string; region?: string }): ProfileflowClientConfig;
  /** The Fastify app, for `app.inject()`. */
  app: FastifyInstance;
  /** SQLite: the temporary folder holding profileflow.db (removed by stop()); PostgreSQL: undefined. */
  dataDir?: string;
  /** PostgreSQL: the schema of this instance (dropped by stop()); SQLite: undefined. */
  schema?: string;
  /** Stops the engine and the server, closes the store and removes its data (folder or schema). */
  stop(): Promise<void>;
  /** Empties every table, or only `accountId`'s rows (as `POST /_profileflow/reset`). Declared connector profiles come back after a full reset. */
  reset(accountId?: string): Promise<void>;
  /** WorkflowIds and ProfileIds become a repeatable sequence (null: random again). Per process. */
  seedIds(seed: string | number | null): void;
  clock: {
    now(): number;
    /** Manual clock only; a time outside 1970 to the year 9999 throws a RangeError naming it. */
    set(time: string | number): void;
    /** Manual clock only; a move past 1970 to the year 9999 throws a RangeError naming it. */
    advance(ms: number): void;
  };
  engine: {
    /** Runs up to `pages` pages of due work (default 1) and returns when they are committed. */
    advance(options?: { pages?: number }): Promise<AdvanceResult>;
    /** Runs everything due until nothing is. Steps waiting for a back-off need the clock moved first. */
    untilIdle(): Promise<AdvanceResult>;
  };
  faults: {
    /** Replaces every fault rule (as `PUT /_profileflow/faults`); a bad rule throws and changes nothing. */
    set(rules: Array<Partial<FaultRule> & { operation?: string }>): FaultRule[];
    clear(): void;
  };
  connectorProfiles: {
    /** Creates or replaces a profile, checked against the connector policy (as the admin route). */
    put(name: string, profile: ConnectorProfileInput): Promise<void>;
  };
  /**
   * Polls GetWorkflow until the workflow has `status`, advancing the engine between polls in manual mode.
   * Throws on the deadline, or at once when the workflow ends in another final status.
   */
  waitForWorkflow(domainName: string, workflowId: string, status: string, options?: WaitForWorkflowOptions): Promise<WorkflowView>;
}

const DEFAULT_START = Date.UTC(2026, 0, 1);
const FINAL = new Set(['COMPLETE', 'FAILED', 'CANCELLED']);

/** Starts an isolated profileflow on a free loopback port. */
export async function startProfileflow(options: StartProfileflowOptions = {}): Promise<Profileflow> {
  return (await startProfileflowParts(options)).profileflow;
}

/**
 * What profileflow's own test suite adds to the public options: objects that the public options name
 * by value (a clock the test drives itself, a policy already loaded, such as the suite's, whose empty
 * secret prefix no config file may give) and a SQLite store in memory. Not part of the documented API.
 * @internal
 */
export interface SuiteOptions {
  clock?: Clock;
  connectorPolicy?: ConnectorPolicy;
  /** SQLite only: the store in memory instead of a temporary folder (nothing to write or remove). */
  sqliteInMemory?: boolean;
  /** SQLite only: when staged key index entries are merged (tests make merges frequent). */
  sqliteKeyStaging?: KeyStagingPolicy;
}

/**
 * The instance and the store and engine behind it, for profileflow's own suite, whose store and engine
 * tests reach below the API. It starts through the same path as `startProfileflow`.
 * @internal
 */
export interface ProfileflowParts {
  profileflow: Profileflow;
  store: KyselyStore;
  engine: Engine;
}

/** @internal See `SuiteOptions`. */
export async function startProfileflowParts(options: StartProfileflowOptions = {}, suite: SuiteOptions = {}): Promise<ProfileflowParts> {
  const region = options.region ?? 'us-east-1';
  const accountId = options.accountId ?? '000000000000';
  const policy = suite.connectorPolicy ?? policyOf(options.connectorPolicy);
  const declared = checkProfiles(options.connectorProfiles ?? {}, policy);

  const opened = await openFreshStore(options, suite.sqliteInMemory === true, suite.sqliteKeyStaging);
  const { store } = opened;
  let engine: Engine | undefined;
  let app: FastifyInstance | undefined;
  try {
    const clock: Clock = suite.clock ?? (options.clock === 'manual' ? new ManualClock(timeOf(options.startTime ?? DEFAULT_START)) : systemClock);
    const declare = () => loadConnectorProfiles(store, declared, clock);
    await declare();
    engine = new Engine(store, clock, { ...options.engine, mode: options.engineMode ?? 'manual', connectorPolicy: policy });
    // Given to buildApp so the helpers and PUT /_profileflow/faults change the same rules.
    const faults = new FaultInjector();
    app = await buildApp({
      store,
      clock,
      engine,
      connectorPolicy: policy,
      auth: options.auth,
      logger: options.logger ?? false,
      operator: { faults, afterReset: declare },
    });
    const endpoint = await app.listen({ host: options.host ?? '127.0.0.1', port: 0 });
    engine.start();
    const profileflow = instance({ options, endpoint, region, accountId, app, engine, store, clock, faults, policy, declare, opened });
    return { profileflow, store, engine };
  } catch (err) {
    await engine?.stop().catch(() => undefined);
    await app?.close().catch(() => undefined);
    await opened.dispose().catch(() => undefined);
    throw err;
  }
}

interface Parts {
  options: StartProfileflowOptions;
  endpoint: string;
  region: string;
  accountId: string;
  app: FastifyInstance;
  engine: Engine;
  store: KyselyStore;
  clock: Clock;
  faults: FaultInjector;
  policy: ConnectorPolicy;
  declare: () => Promise<void>;
  opened: { dispose: () => Promise<void>; dataDir?: string; schema?: string };
}

function instance(p: Parts): Profileflow {
  const { app, engine, store, clock, faults } = p;
  const clientConfigFor = (o: { accountId?: string; region?: string }): ProfileflowClientConfig => ({
    endpoint: p.endpoint,
    region: o.region ?? p.region,
    credentials: { accessKeyId: o.accountId ?? p.accountId, secretAccessKey: 'test' },
    maxAttempts: 1,
  });
  const clientConfig = clientConfigFor({});
  const manualClock = () => {
    if (!(clock instanceof ManualClock)) throw new Error("The clock is the system clock; start with { clock: 'manual' } to move it.");
    return clock;
  };
  let stopped: Promise<void> | undefined;

  return {
    endpoint: p.endpoint,
    region: p.region,
    accountId: p.accountId,
    credentials: clientConfig.credentials,
    clientConfig,
    clientConfigFor,
    app,
    dataDir: p.opened.dataDir,
    schema: p.opened.schema,
    stop() {
      stopped ??= (async () => {
        await engine.stop();
        await app.close();
        await p.opened.dispose();
      })();
      return stopped;
    },
    async reset(accountId) {
      if (accountId !== undefined && !/^\d{12}$/.test(accountId)) throw new Error(`accountId must be a 12-digit account id, got '${accountId}'.`);
      await store.reset(accountId);
      if (accountId === undefined) await p.declare();
      engine.wake();
    },
    seedIds(seed) {
      seedIds(seed === null ? undefined : String(seed));
      faults.reseed();
    },
    clock: {
      now: () => clock.now(),
      set(time) {
        manualClock().set(timeOf(time));
        engine.wake();
      },
      advance(ms) {
        if (!Number.isFinite(ms) || ms < 0) throw new Error(`advance takes milliseconds, 0 or more; got ${ms}.`);
        manualClock().advance(ms);
        engine.wake();
      },
    },
    engine: {
      advance: (o = {}) => engine.advance({ pages: o.pages ?? 1 }),
      untilIdle: () => engine.runUntilIdle(),
    },
    faults: {
      set: (rules) => faults.replace(rules),
      clear: () => faults.clear(),
    },
    connectorProfiles: {
      async put(name, profile) {
        const [checked] = checkProfiles({ [name]: profile }, p.policy);
        await store.connectorProfiles.put(checked, 'api', clock.now());
      },
    },
    async waitForWorkflow(domainName, workflowId, status, o = {}) {
      const timeoutMs = o.timeoutMs ?? 30_000;
      const deadline = performance.now() + timeoutMs;
      const manual = engine.options.mode === 'manual';
      const auth = authHeaders(o.accountId ?? p.accountId, o.region ?? p.region);
      let last: WorkflowView | undefined;
      for (;;) {
        // Through the AWS route (inject: no socket), so the answer is exactly what GetWorkflow says.
        const res = await app.inject({
          method: 'GET',
          url: `/domains/${encodeURIComponent(domainName)}/workflows/${encodeURIComponent(workflowId)}`,
          headers: auth,
        });
        if (res.statusCode !== 200) {
          throw new Error(`GetWorkflow ${domainName}/${workflowId} answered ${res.statusCode} ${res.headers['x-amzn-errortype'] ?? ''}: ${res.body}`);
        }
        last = res.json() as WorkflowView;
        if (last.Status === status) return last;
        if (FINAL.has(last.Status)) {
          throw new Error(`Workflow ${workflowId} ended ${last.Status}${last.ErrorDescription ? ` (${last.ErrorDescription})` : ''} while waiting for ${status}.`);
        }
        if (performance.now() >= deadline) break;
        const moved = manual ? (await engine.advance({ pages: 1 })).steps.length > 0 : false;
        if (!moved) await delay(Math.min(o.pollMs ?? 20, Math.max(0, deadline - performance.now())));
      }
      const m = last?.Metrics?.AppflowIntegration;
      throw new Error(
        `Workflow ${workflowId} is still ${last?.Status} (${m?.StepsCompleted ?? 0}/${m?.TotalSteps ?? 0} steps) after ${timeoutMs} ms, waiting for ${status}.` +
          (manual && clock instanceof ManualClock ? ' A step waiting for a retry back-off needs clock.advance().' : ''),
      );
    },
  };
}

/**
 * With auth off the caller comes from the credential scope of the Authorization header (account from a
 * 12-digit access key id, region from the scope); no signature is checked.
 * With auth sigv4 the test must poll through a signing client instead (the SDK).
 */
function authHeaders(accountId: string, region: string): Record<string, string> {
  return {
    authorization: `AWS4-HMAC-SHA256 Credential=${accountId}/20260101/${region}/profile/aws4_request, SignedHeaders=host;x-amz-date, Signature=${'0'.repeat(64)}`,
    'x-amz-date': '20260101T000000Z',
  };
}

function timeOf(time: string | number): number {
  const t = typeof time === 'number' ? time : Date.parse(time);
  if (!Number.isFinite(t)) throw new Error(`Not a time: '${String(time)}' (give an ISO-8601 date-time or epoch milliseconds).`);
  return t;
}

function policyOf(raw: StartProfileflowOptions['connectorPolicy']): ConnectorPolicy {
  const loaded = loadConnectorPolicy(raw ?? {});
  if (!loaded.policy) throw new Error(`connectorPolicy: ${loaded.problems.join(' ')}`);
  return loaded.policy;
}

function checkProfiles(profiles: Record<string, ConnectorProfileInput>, policy: ConnectorPolicy): ConnectorProfile[] {
  return Object.entries(profiles).map(([name, body]) => {
    const checked = checkConnectorProfile(name, body, policy);
    if (!checked.profile) throw new Error(`Connector profile '${name}': ${checked.problems.join(' ')}`);
    return checked.profile;
  });
}

/** A migrated, empty store of its own, and how to remove it again. */
async function openFreshStore(
  options: StartProfileflowOptions,
  inMemory: boolean,
  keyStaging: KeyStagingPolicy | undefined,
): Promise<{ store: KyselyStore; dispose: () => Promise<void>; dataDir?: string; schema?: string }> {
  if ((options.backend ?? 'sqlite') === 'sqlite' && inMemory) {
    const store = await openStore({ backend: 'sqlite', dataDir: '', file: ':memory:', keyStaging });
    return { store, dispose: () => store.close() };
  }
  if ((options.backend ?? 'sqlite') === 'sqlite') {
    const dataDir = mkdtempSync(join(tmpdir(), 'profileflow-test-'));
    try {
      const store = await openStore({ backend: 'sqlite', dataDir, keyStaging });
      return {
        store,
        dataDir,
        dispose: async () => {
          await store.close();
          rmSync(dataDir, { recursive: true, force: true });
        },
      };
    } catch (err) {
      rmSync(dataDir, { recursive: true, force: true });
      throw err;
    }
  }
  if (!options.databaseUrl) throw new Error("backend 'postgres' needs databaseUrl (postgres://user@host:5432/db).");
  const url = new URL(options.databaseUrl);
  url.searchParams.delete('schema');
  const databaseUrl = url.toString();
  const schema = `pf_testing_${process.pid}_${randomBytes(4).toString('hex')}`;
  const config: StoreConfig = { backend: 'postgres', databaseUrl, schema, poolSize: 4 };
  const dropSchema = async () => {
    // Under the migration lock, so that no other process's migration is scanning the schema as it goes.
    const { withMigrationLock } = await import('../store/dialects/postgres.js');
    const { default: pg } = await import('pg');
    await withMigrationLock(databaseUrl, async () => {
      const client = new pg.Client({ connectionString: databaseUrl });
      await client.connect();
      try {
        await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      } finally {
        await client.end();
      }
    });
  };
  let store: KyselyStore;
  try {
    store = await openStore(config);
  } catch (err) {
    await dropSchema().catch(() => undefined);
    throw err;
  }
  return {
    store,
    schema,
    dispose: async () => {
      await store.close();
      await dropSchema();
    },
  };
}
