import { type Kysely, Migrator } from 'kysely';
import type { DialectCapabilities } from './dialects/capabilities.js';
import { migrationProvider } from './migrations/index.js';
import { KyselyDomainRepository } from './repositories/domains.js';
import { KyselyTagRepository } from './repositories/tags.js';
import type { Database } from './schema.js';
import type { DomainRepository, Store, TagRepository } from './types.js';

/** The one Store implementation: the same queries on both dialects, differences as capability flags. */
export class KyselyStore implements Store {
  readonly domains: DomainRepository;
  readonly tags: TagRepository;
  private secret: Buffer | undefined;

  constructor(
    readonly db: Kysely<Database>,
    readonly capabilities: DialectCapabilities,
    private readonly root?: KyselyStore,
  ) {
    this.domains = new KyselyDomainRepository(db);
    this.tags = new KyselyTagRepository(db);
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
    const migrator = new Migrator({ db: this.db, provider: migrationProvider });
    const { error, results } = await migrator.migrateToLatest();
    if (error) throw error instanceof Error ? error : new Error(String(error));
    return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
  }

  async close(): Promise<void> {
    if (!this.root) await this.db.destroy();
  }
}
