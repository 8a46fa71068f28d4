import { type Kysely, Migrator, sql } from 'kysely';
import type { DialectCapabilities } from './dialects/capabilities.js';
import { type RowWriters, rowWritersFor } from './dialects/row-writers/index.js';
import { KEY_INDEX_TABLES } from './dialects/row-writers/queries.js';
import { sqliteStatementsOf } from './dialects/sqlite-statements.js';
import { migrationProvider } from './migrations/index.js';
import { KyselyConnectorProfileRepository } from './repositories/connector-profiles.js';
import { KyselyDomainRepository } from './repositories/domains.js';
import { StatsLedger } from './repositories/domain-stats.js';
import { KyselyTagRepository } from './repositories/tags.js';
import { KyselyWorkflowRepository } from './repositories/workflows.js';
import { KyselyActivityRepository } from './repositories/activity.js';
import { KyselyWebhookOutboxRepository } from './repositories/webhook-outbox.js';
import { KyselyAccountConnectorProfileRepository, KyselyFlowRepository } from './repositories/appflow.js';
import { KyselyClientTokenRepository } from './repositories/client-tokens.js';
import { KyselyDomainPurgeRepository } from './repositories/domain-purges.js';
import { KyselyObjectTypePurgeRepository } from './repositories/object-type-purges.js';
import type { AccountConnectorProfileRepository, ClientTokenRepository, FlowRepository } from './appflow-types.js';
import type { ActivityRepository, WebhookOutboxRepository } from './activity-types.js';
import { type Database, STORE_TABLES } from './schema.js';
import { KyselyFlowRunRepository } from './repositories/flow-runs.js';
import type { FlowRunRepository } from './flow-run-types.js';
import { type StorageCondition, StorageMonitor } from './storage-condition.js';
import type { ConnectorProfileRepository, DomainPurgeRepository, DomainRepository, Store, TagRepository, TransactionOptions } from './types.js';
import { Turns } from './turns.js';
import type { WorkflowRepository } from './workflow-types.js';
import { KyselyIntegrationRepository } from './repositories/integrations.js';
import { KyselyProfileHistoryRepository } from './repositories/profile-history.js';
import { KyselyObjectTypeRepository } from './repositories/object-types.js';
import { KyselyProfileObjectRepository, KyselyProfileRepository } from './repositories/profile-objects.js';
import { analyzeTablesDue } from './dialects/postgres-statistics.js';
import type {
  IntegrationRepository,
  ObjectTypePurgeRepository,
  ObjectTypeRepository,
  ProfileHistoryRepository,
  ProfileObjectRepository,
  ProfileRepository,
} from './profile-types.js';

/** How many times a transaction PostgreSQL aborts for a conflict is run in all (KyselyStore.transaction). */
const TRANSACTION_ATTEMPTS = 3;

/**
 * How long a transaction waits for its turn (TransactionOptions.turn) before it gives up: as long as a
 * statement may run on PostgreSQL (the pool's query timeout), which is how long it could have waited at
 * the database's own lock before turns.
 */
export const TURN_WAIT_MS = 30_000;

/** SQLSTATE 40P01 (deadlock detected) and 40001 (serialization failure): the transaction may simply run again. */
function isConflictAbort(err: unknown): boolean {
  const code = (err as { code?: unknown } | undefined)?.code;
  return code === '40P01' || code === '40001';
}

/** The one Store implementation: the same queries on both dialects, differences as capability flags. */
export class KyselyStore implements Store {
  readonly domains: DomainRepository;
  readonly tags: TagRepository;
  readonly connectorProfiles: ConnectorProfileRepository;
  readonly workflows: WorkflowRepository;
  readonly objectTypes: ObjectTypeRepository;
  readonly profiles: ProfileRepository;
  readonly profileObjects: ProfileObjectRepository;
  readonly integrations: IntegrationRepository;
  readonly profileHistory: ProfileHistoryRepository;
  readonly activity: ActivityRepository;
  readonly webhookOutbox: WebhookOutboxRepository;
  readonly accountConnectorProfiles: AccountConnectorProfileRepository;
  readonly flows: FlowRepository;
  /** The ingestion write path this store uses (dialects/row-writers): tests name the one they expect. */
  readonly writers: RowWriters;
  readonly flowRuns: FlowRunRepository;
  readonly clientTokens: ClientTokenRepository;
  readonly domainPurges: DomainPurgeRepository;
  readonly objectTypePurges: ObjectTypePurgeRepository;
  /** Domain Stats changes, written just before this transaction commits (at once on the root store). */
  readonly stats: StatsLedger;
  private secret: Buffer | undefined;
  /** The turns transactions wait for before they start (TransactionOptions.turn); the root store's. */
  private readonly turns: Turns | undefined;
  /** How long a transaction waits for its turn; tests shorten it. */
  turnWaitMs = TURN_WAIT_MS;

  /** Sees every query of this store and its transactions; without one given, nothing is classified. */
  readonly monitor: StorageMonitor;

  constructor(
    readonly db: Kysely<Database>,
    readonly capabilities: DialectCapabilities,
    private readonly root?: KyselyStore,
    monitor?: StorageMonitor,
  ) {
    this.monitor = root?.monitor ?? monitor ?? new StorageMonitor(() => undefined);
    this.turns = root ? undefined : new Turns();
    this.stats = new StatsLedger(db, root !== undefined);
    this.tags = new KyselyTagRepository(db);
    this.connectorProfiles = new KyselyConnectorProfileRepository(db);
    this.workflows = new KyselyWorkflowRepository(db, capabilities);
    this.objectTypes = new KyselyObjectTypeRepository(db, capabilities.skipLocked);
    // A transaction's store on SQLite writes ingestion rows through prepared statements on the raw
    // connection (dialects/sqlite-statements.ts says why only there).
    const writers = rowWritersFor(db, capabilities, root ? sqliteStatementsOf(root.db) : undefined);
    this.writers = writers;
    this.profiles = new KyselyProfileRepository(db, this.stats, writers, capabilities.skipLocked);
    this.profileObjects = new KyselyProfileObjectRepository(db, this.stats, writers);
    this.integrations = new KyselyIntegrationRepository(db);
    this.profileHistory = new KyselyProfileHistoryRepository(db, writers, capabilities.skipLocked);
    this.activity = new KyselyActivityRepository(db);
    this.webhookOutbox = new KyselyWebhookOutboxRepository(db);
    this.accountConnectorProfiles = new KyselyAccountConnectorProfileRepository(db);
    this.flows = new KyselyFlowRepository(db, capabilities.skipLocked);
    this.flowRuns = new KyselyFlowRunRepository(db, capabilities);
    this.clientTokens = new KyselyClientTokenRepository(db, capabilities.skipLocked);
    this.domainPurges = new KyselyDomainPurgeRepository(db, capabilities.name);
    this.objectTypePurges = new KyselyObjectTypePurgeRepository(db, capabilities.skipLocked);
    this.domains = new KyselyDomainRepository(db, this.stats, this.domainPurges, this.objectTypePurges);
  }

  /**
   * Every table of the store (STORE_TABLES) that the catalog shows exists is state to empty; only the
   * page-token secret (tokens issued before the reset must still verify as tokens, then find nothing)
   * stays, and another application's tables in a shared schema are not the store's to touch.
   * Why the workflow and flow-run tables first, locked on PostgreSQL: a worker commits a page (objects,
   * then the cursor) in one transaction that locks its step or run row first (holdStep, holdRun). Taking
   * those tables first waits for such a transaction to end and keeps new ones out until the reset
   * commits, before the reset holds any row a page would wait for (an object type, a profile);
   * afterwards a page finds its row gone, so no page lands after the reset.
   */
  async reset(accountId?: string): Promise<string[]> {
    if (this.root) throw new Error('reset() runs in a transaction of its own.');
    const stored = await this.tableNames();
    const tables = accountId === undefined ? stored : await this.accountTableNames(stored);
    const first = ['workflow_steps', 'workflows', 'flow_runs'].filter((t) => tables.includes(t));
    const ordered = [...first, ...tables.filter((t) => !first.includes(t)).sort()];
    // The key index names its domains by id (migration 012): an account's entries go first, found
    // through the ids it is about to lose, its deleted domains' still being purged among them.
    const keyTables = accountId !== undefined && stored.includes('domain_ids') ? KEY_INDEX_TABLES.filter((t) => stored.includes(t)) : [];
    await this.db.transaction().execute(async (trx) => {
      if (this.capabilities.name === 'postgres' && first.length) {
        await sql`LOCK TABLE ${sql.join(first.map((t) => sql.table(t)))} IN EXCLUSIVE MODE`.execute(trx);
      }
      for (const table of keyTables) {
        const purging = stored.includes('domain_purges') ? sql` UNION ALL SELECT domain_id FROM domain_purges WHERE account_id = ${accountId}` : sql``;
        await sql`DELETE FROM ${sql.table(table)} WHERE domain_id IN (SELECT domain_id FROM domain_ids WHERE account_id = ${accountId}${purging})`.execute(trx);
      }
      for (const table of ordered) {
        if (accountId !== undefined) await sql`DELETE FROM ${sql.table(table)} WHERE account_id = ${accountId}`.execute(trx);
        else if (table === 'settings') await trx.deleteFrom('settings').where('key', '!=', 'page_token_secret').execute();
        else await sql`DELETE FROM ${sql.table(table)}`.execute(trx);
      }
    });
    return [...keyTables, ...ordered];
  }

  /** The tables among `stored` with an account_id column, from the catalog for the same reason as tableNames. */
  private async accountTableNames(stored: readonly string[]): Promise<string[]> {
    const rows =
      this.capabilities.name === 'postgres'
        ? await sql<{ name: string }>`select table_name as name from information_schema.columns
            where table_schema = current_schema() and column_name = 'account_id'`.execute(this.db)
        : await sql<{ name: string }>`select m.name as name from sqlite_master m, pragma_table_info(m.name) c
            where m.type = 'table' and c.name = 'account_id'`.execute(this.db);
    return rows.rows.map((r) => r.name).filter((name) => stored.includes(name));
  }

  private async tableNames(): Promise<string[]> {
    const rows =
      this.capabilities.name === 'postgres'
        ? await sql<{ name: string }>`select table_name as name from information_schema.tables
            where table_schema = current_schema() and table_type = 'BASE TABLE'`.execute(this.db)
        : await sql<{ name: string }>`select name from sqlite_master where type = 'table' and name not like 'sqlite_%'`.execute(this.db);
    return rows.rows.map((r) => r.name).filter((name) => Object.hasOwn(STORE_TABLES, name));
  }

  get backend(): 'sqlite' | 'postgres' {
    return this.capabilities.name;
  }

  get statementsRunElsewhere(): boolean {
    return this.capabilities.statementsRunElsewhere;
  }

  /**
   * Runs `work` in a transaction, and runs it again, up to TRANSACTION_ATTEMPTS times in all, when
   * PostgreSQL aborts it for conflicting with another transaction (a deadlock, a serialization failure):
   * nothing of the aborted attempt stayed, and the caller should get its answer rather than an internal
   * error. `work` therefore does nothing outside the transaction it is given that a second run would
   * repeat.
   */
  async transaction<T>(work: (store: Store) => Promise<T>, options?: TransactionOptions): Promise<T> {
    if (this.root) return work(this); // already inside one
    // The turn is kept through the attempts: a retry goes before whatever queued meanwhile.
    if (options?.turn !== undefined && this.turns) {
      return this.turns.run(options.turn, () => this.attempts(work), { waitMs: this.turnWaitMs, signal: options.signal, whileWaiting: options.whileWaiting });
    }
    return this.attempts(work);
  }

  /** Transactions waiting for their turn (TransactionOptions.turn) on this store. */
  get waitingForTurn(): number {
    return (this.root ?? this).turns?.waiting ?? 0;
  }

  private async attempts<T>(work: (store: Store) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.db.transaction().execute(async (trx) => {
          const store = new KyselyStore(trx, this.capabilities, this);
          const result = await work(store);
          await store.stats.flush();
          return result;
        });
      } catch (err) {
        if (attempt < TRANSACTION_ATTEMPTS && this.capabilities.name === 'postgres' && isConflictAbort(err)) {
          // A short random pause, so that the two sides of a deadlock do not meet again at once.
          await new Promise((resolve) => setTimeout(resolve, 5 + Math.random() * 20 * attempt));
          continue;
        }
        // The ingestion statements (dialects/sqlite-statements.ts) run on the raw connection, past the
        // monitored driver: their faults are classified here.
        throw this.monitor.observe(err);
      }
    }
  }

  async refreshStatistics(): Promise<string[]> {
    if (this.capabilities.name !== 'postgres' || this.root) return [];
    return analyzeTablesDue(this.db);
  }

  condition(): StorageCondition {
    return this.monitor.condition();
  }

  async pageTokenSecret(): Promise<Buffer> {
    if (this.root) return this.root.pageTokenSecret();
    if (!this.secret) {
      const row = await this.db
        .selectFrom('settings')
        .select('value')
        .where('key', '=', 'page_token_secret')
        .executeTakeFirstOrThrow();
      this.secret = Buffer.from(row.value, 'base64');
    }
    return this.secret;
  }

  /** `db`: a connection of its own for the migrations (PostgreSQL's has no statement timeout); the store's by default. */
  async migrate(db: Kysely<Database> = this.db): Promise<string[]> {
    // Kysely looks for its own bookkeeping tables in every schema unless told which one: with a second
    // profileflow schema in the same database it would find the other's tables, skip creating its own
    // and fail. The schema in force is the one the connection's search_path selects.
    const migrationTableSchema =
      this.capabilities.name === 'postgres'
        ? (await sql<{ schema: string }>`select current_schema() as schema`.execute(db)).rows[0]?.schema
        : undefined;
    const migrator = new Migrator({ db, provider: migrationProvider, migrationTableSchema });
    const { error, results } = await migrator.migrateToLatest();
    if (error) throw error instanceof Error ? error : new Error(String(error));
    return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
  }

  async close(): Promise<void> {
    if (!this.root) await this.db.destroy();
  }
}
