import { type Kysely, Migrator, sql } from 'kysely';
import type { DialectCapabilities } from './dialects/capabilities.js';
import { migrationProvider } from './migrations/index.js';
import { KyselyConnectorProfileRepository } from './repositories/connector-profiles.js';
import { KyselyDomainRepository } from './repositories/domains.js';
import { KyselyTagRepository } from './repositories/tags.js';
import { KyselyWorkflowRepository } from './repositories/workflows.js';
import type { Database } from './schema.js';
import type { ConnectorProfileRepository, DomainRepository, Store, TagRepository } from './types.js';
import type { WorkflowRepository } from './workflow-types.js';
import { KyselyIntegrationRepository } from './repositories/integrations.js';
import { KyselyObjectTypeRepository } from './repositories/object-types.js';
import { KyselyProfileObjectRepository, KyselyProfileRepository } from './repositories/profile-objects.js';
import type {
  IntegrationRepository,
  ObjectTypeRepository,
  ProfileObjectRepository,
  ProfileRepository,
} from './profile-types.js';

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
  private secret: Buffer | undefined;

  constructor(
    readonly db: Kysely<Database>,
    readonly capabilities: DialectCapabilities,
    private readonly root?: KyselyStore,
  ) {
    this.domains = new KyselyDomainRepository(db);
    this.tags = new KyselyTagRepository(db);
    this.connectorProfiles = new KyselyConnectorProfileRepository(db);
    this.workflows = new KyselyWorkflowRepository(db, capabilities);
    this.objectTypes = new KyselyObjectTypeRepository(db);
    this.profiles = new KyselyProfileRepository(db);
    this.profileObjects = new KyselyProfileObjectRepository(db);
    this.integrations = new KyselyIntegrationRepository(db);
  }

  get backend(): 'sqlite' | 'postgres' {
    return this.capabilities.name;
  }

  async transaction<T>(work: (store: Store) => Promise<T>): Promise<T> {
    if (this.root) return work(this); // already inside one
    return this.db.transaction().execute((trx) => work(new KyselyStore(trx, this.capabilities, this)));
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

  async migrate(): Promise<string[]> {
    // Kysely looks for its own bookkeeping tables in every schema unless told which one: with a second
    // profileflow schema in the same database it would find the other's tables, skip creating its own
    // and fail. The schema in force is the one the connection's search_path selects.
    const migrationTableSchema =
      this.capabilities.name === 'postgres'
        ? (await sql<{ schema: string }>`select current_schema() as schema`.execute(this.db)).rows[0]?.schema
        : undefined;
    const migrator = new Migrator({ db: this.db, provider: migrationProvider, migrationTableSchema });
    const { error, results } = await migrator.migrateToLatest();
    if (error) throw error instanceof Error ? error : new Error(String(error));
    return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
  }

  async close(): Promise<void> {
    if (!this.root) await this.db.destroy();
  }
}
