import type { Kysely } from 'kysely';
import type { Database, DomainsTable } from '../schema.js';
import type { DomainPurgeRepository, DomainRecord, DomainRepository, DomainStats } from '../types.js';
import type { ObjectTypePurgeRepository } from '../profile-types.js';
import type { Scope } from '../../domain/scope.js';
import type { StatsLedger } from './domain-stats.js';
import { CompiledReads } from './compiled-reads.js';
import { fromJson, toJson } from './json.js';

/**
 * Tables whose rows belong to a domain and go with it in its deletion's transaction, besides its
 * workflows' steps, which go first (DomainRepository.delete says why). The tables that grow with every
 * record ingested go after, a part at a time (purge-domain.ts): in one transaction, a domain of millions
 * of records held SQLite's only thread, and every request of every account, for minutes.
 */
const DOMAIN_CHILD_TABLES = ['workflows', 'object_types', 'integrations', 'domain_stats'] as const;

export class KyselyDomainRepository implements DomainRepository {
  private readonly reads: CompiledReads;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly ledger: StatsLedger,
    private readonly purges: DomainPurgeRepository,
    private readonly typePurges: ObjectTypePurgeRepository,
  ) {
    this.reads = new CompiledReads(db);
  }

  async create(scope: Scope, domain: DomainRecord): Promise<boolean> {
    const result = await this.db
      .insertInto('domains')
      .values(toRow(scope, domain))
      .onConflict((oc) => oc.columns(['account_id', 'region', 'domain_name']).doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0) === 1;
  }

  async get(scope: Scope, domainName: string): Promise<DomainRecord | undefined> {
    // Every operation on a domain's contents starts with this read: compiled once (compiled-reads.ts).
    const [row] = await this.reads.rows('get', { accountId: scope.accountId, region: scope.region, domainName }, (p) =>
      this.db.selectFrom('domains').selectAll().where('account_id', '=', p('accountId')).where('region', '=', p('region')).where('domain_name', '=', p('domainName')),
    );
    return row && fromRow(row);
  }

  async update(scope: Scope, domain: DomainRecord): Promise<boolean> {
    const { account_id, region, domain_name, created_at, ...changes } = toRow(scope, domain);
    const result = await this.db
      .updateTable('domains')
      .set(changes)
      .where('account_id', '=', account_id)
      .where('region', '=', region)
      .where('domain_name', '=', domain_name)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async delete(scope: Scope, domainName: string, deletedAt: number): Promise<boolean> {
    this.ledger.discard(scope, domainName);
    // The workflows' steps first: a page in flight locks its step row before anything else, so the
    // deletion waits here for it to commit, before it has deleted a row the page could then wait for.
    await this.deleteOfDomain('workflow_steps', scope, domainName);
    // The purge is told the key index's id of the domain before the id goes. The id is never given again,
    // so a domain created later under this name starts with an empty index however far the purge is.
    await this.purges.record(scope, domainName, deletedAt);
    // A type purge in flight holds its row (PostgreSQL): this waits for its part, whose rows the domain's
    // purge then takes with the rest.
    await this.typePurges.deleteOfDomain(scope, domainName);
    await this.db
      .deleteFrom('domain_ids')
      .where('account_id', '=', scope.accountId)
      .where('region', '=', scope.region)
      .where('domain_name', '=', domainName)
      .execute();
    for (const table of DOMAIN_CHILD_TABLES) await this.deleteOfDomain(table, scope, domainName);
    const result = await this.db
      .deleteFrom('domains')
      .where('account_id', '=', scope.accountId)
      .where('region', '=', scope.region)
      .where('domain_name', '=', domainName)
      .executeTakeFirst();
    return Number(result.numDeletedRows) === 1;
  }

  private async deleteOfDomain(table: 'workflow_steps' | (typeof DOMAIN_CHILD_TABLES)[number], scope: Scope, domainName: string): Promise<void> {
    await this.db
      .deleteFrom(table)
      .where('account_id', '=', scope.accountId)
      .where('region', '=', scope.region)
      .where('domain_name', '=', domainName)
      .execute();
  }

  async list(scope: Scope, afterName: string | undefined, limit: number): Promise<DomainRecord[]> {
    let query = this.db
      .selectFrom('domains')
      .selectAll()
      .where('account_id', '=', scope.accountId)
      .where('region', '=', scope.region);
    if (afterName !== undefined) query = query.where('domain_name', '>', afterName);
    const rows = await query.orderBy('domain_name').limit(limit).execute();
    return rows.map(fromRow);
  }

  /**
   * Read from the counters the repositories keep with every write (migration 006): one primary-key read
   * whatever the domain holds, instead of counting a million rows per GetDomain.
   */
  async stats(scope: Scope, domainName: string): Promise<DomainStats> {
    const row = await this.db
      .selectFrom('domain_stats')
      .select(['profile_count', 'object_count', 'total_size'])
      .where('account_id', '=', scope.accountId)
      .where('region', '=', scope.region)
      .where('domain_name', '=', domainName)
      .executeTakeFirst();
    const profileCount = Number(row?.profile_count ?? 0);
    return {
      ProfileCount: profileCount,
      // Profiles are metered while they exist; profileflow bills nothing, so the two counts agree.
      MeteringProfileCount: profileCount,
      ObjectCount: Number(row?.object_count ?? 0),
      TotalSize: Number(row?.total_size ?? 0),
    };
  }
}

function toRow(scope: Scope, d: DomainRecord): DomainsTable {
  return {
    account_id: scope.accountId,
    region: scope.region,
    domain_name: d.domainName,
    default_expiration_days: d.defaultExpirationDays ?? null,
    default_encryption_key: d.defaultEncryptionKey ?? null,
    dead_letter_queue_url: d.deadLetterQueueUrl ?? null,
    matching: toJson(d.matching),
    rule_based_matching: toJson(d.ruleBasedMatching),
    data_store: toJson(d.dataStore),
    created_at: d.createdAt,
    updated_at: d.updatedAt,
  };
}

function fromRow(row: DomainsTable): DomainRecord {
  return {
    domainName: row.domain_name,
    defaultExpirationDays: row.default_expiration_days ?? undefined,
    defaultEncryptionKey: row.default_encryption_key ?? undefined,
    deadLetterQueueUrl: row.dead_letter_queue_url ?? undefined,
    matching: fromJson(row.matching),
    ruleBasedMatching: fromJson(row.rule_based_matching),
    dataStore: fromJson(row.data_store),
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
}
