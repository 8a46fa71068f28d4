import { type Kysely, type RawBuilder, type Selectable, sql } from 'kysely';
import type { Database, DomainPurgesTable } from '../schema.js';
import type { DomainPurge, DomainPurgeRepository, PurgePosition } from '../types.js';
import type { Scope } from '../../domain/scope.js';
import { KEY_INDEX_TABLES } from '../dialects/row-writers/queries.js';

/**
 * The tables whose rows a domain gathers with every record it ingests: removed after DeleteDomain, a
 * bounded part at a time, each with the primary key columns after the part that names the domain.
 * Everything else of a domain is small and goes in DeleteDomain's own transaction.
 */
const BY_NAME: ReadonlyArray<{ table: keyof Database; rest: readonly string[] }> = [
  { table: 'profile_objects', rest: ['object_type_name', 'unique_key'] },
  { table: 'profile_history', rest: ['profile_id', 'record_id'] },
  { table: 'profile_extra_keys', rest: ['profile_id', 'key_name', 'key_value'] },
  { table: 'profile_merges', rest: ['merge_id'] },
  { table: 'profiles', rest: ['profile_id'] },
];
const BY_ID_REST = ['key_name', 'key_value', 'profile_id'] as const;

export class KyselyDomainPurgeRepository implements DomainPurgeRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: 'sqlite' | 'postgres',
  ) {}

  async record(scope: Scope, domainName: string, deletedAt: number): Promise<void> {
    // The key index's id, read before its row goes with the domain; null when the domain never had one.
    await sql`
      insert into domain_purges (account_id, region, domain_name, domain_id, deleted_at)
      values (${scope.accountId}, ${scope.region}, ${domainName},
        (select domain_id from domain_ids where account_id = ${scope.accountId} and region = ${scope.region} and domain_name = ${domainName}),
        ${deletedAt})
      on conflict (account_id, region, domain_name) do nothing`.execute(this.db);
  }

  async of(scope: Scope, domainName: string): Promise<DomainPurge | undefined> {
    const row = await this.db
      .selectFrom('domain_purges')
      .selectAll()
      .where('account_id', '=', scope.accountId)
      .where('region', '=', scope.region)
      .where('domain_name', '=', domainName)
      .executeTakeFirst();
    return row && purgeOf(row);
  }

  async oldest(): Promise<DomainPurge | undefined> {
    const row = await this.db.selectFrom('domain_purges').selectAll().orderBy('deleted_at').limit(1).executeTakeFirst();
    return row && purgeOf(row);
  }

  async removeSome(purge: DomainPurge, limit: number, from?: PurgePosition): Promise<{ removed: number; position?: PurgePosition }> {
    let parts = [...this.parts(purge)];
    const resumeAt = from ? parts.findIndex((p) => p.table === from.table) : -1;
    if (resumeAt >= 0) parts = parts.slice(resumeAt);
    for (const part of parts) {
      const table = sql.table(part.table);
      if (this.dialect === 'sqlite') {
        // By primary key (some of these tables have no rowid); SQLite's B-trees drop deleted entries at once.
        const result = await sql`delete from ${table} where ${part.where} and (${columns(part.rest)}) in (select ${columns(part.rest)} from ${table} where ${part.where} limit ${limit})`.execute(this.db);
        const removed = Number(result.numAffectedRows ?? 0n);
        if (removed > 0) return { removed };
        continue;
      }
      // PostgreSQL keeps a deleted row's index entries until a vacuum, so each part starts after the last
      // key the one before it took: from the start of the domain every time, 300,000 records took 578 s
      // instead of 3. Rows another node is deleting are passed over rather than waited for.
      const after = from && from.table === part.table ? sql` and (${columns(part.rest)}) > (${sql.join(from.after.map((v) => sql`${v}`))})` : sql``;
      const picked = await sql<Record<string, string>>`
        select ctid, ${columns(part.rest)} from ${table} where ${part.where}${after}
        order by ${columns(part.rest)} limit ${limit} for update skip locked`.execute(this.db);
      if (picked.rows.length === 0) continue;
      await sql`delete from ${table} where ctid = any(${picked.rows.map((r) => r.ctid)}::tid[])`.execute(this.db);
      const last = picked.rows[picked.rows.length - 1];
      return { removed: picked.rows.length, position: { table: part.table, after: part.rest.map((c) => last[c]) } };
    }
    return { removed: 0 };
  }

  async finish(purge: DomainPurge): Promise<boolean> {
    // Without SKIP LOCKED: a row another node is deleting, uncommitted, still counts, so a purge is never
    // called done while a part of it could yet roll back.
    for (const part of this.parts(purge)) {
      const left = await sql`select 1 as one from ${sql.table(part.table)} where ${part.where} limit 1`.execute(this.db);
      if (left.rows.length > 0) return false;
    }
    await this.db
      .deleteFrom('domain_purges')
      .where('account_id', '=', purge.scope.accountId)
      .where('region', '=', purge.scope.region)
      .where('domain_name', '=', purge.domainName)
      .execute();
    return true;
  }

  private *parts(purge: DomainPurge): Generator<{ table: string; where: RawBuilder<unknown>; rest: readonly string[] }> {
    if (purge.domainId !== null) {
      for (const table of KEY_INDEX_TABLES) yield { table, where: sql`domain_id = ${purge.domainId}`, rest: BY_ID_REST };
    }
    const { accountId, region } = purge.scope;
    for (const { table, rest } of BY_NAME) {
      yield { table, where: sql`account_id = ${accountId} and region = ${region} and domain_name = ${purge.domainName}`, rest };
    }
  }
}

function columns(names: readonly string[]): RawBuilder<unknown> {
  return sql.join(names.map((n) => sql.ref(n)));
}

function purgeOf(row: Selectable<DomainPurgesTable>): DomainPurge {
  return { scope: { accountId: row.account_id, region: row.region }, domainName: row.domain_name, domainId: row.domain_id === null ? null : Number(row.domain_id) };
}
