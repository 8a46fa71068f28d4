import type { Kysely } from 'kysely';
import type { DialectCapabilities } from '../dialects/capabilities.js';
import type { SqliteStatements } from '../dialects/sqlite-statements.js';
import type { Database, ProfileHistoryTable } from '../schema.js';
import type { ProfileHistoryEntry, ProfileHistoryFilter, ProfileHistoryRepository } from '../types.js';
import type { Scope } from '../../domain/scope.js';
import { sql } from 'kysely';

/** Rows per multi-row statement: 12 columns × 1,000 stays under both dialects' parameter bounds. */
const ROWS_PER_STATEMENT = 1000;

/**
 * Why a correlated subquery: the text is copied inside the database, in the statement that finds the
 * records, so ingestion never reads an object's body to keep its history. The records are found through
 * the primary key's (…, profile_id) prefix; `content is null` and the action keep it to the one record
 * per object that lacks its Content.
 */
const KEEP_OBJECT_CONTENT =
  'update "profile_history" set "content" = (select o."object" from "profile_objects" o where o."account_id" = "profile_history"."account_id" ' +
  'and o."region" = "profile_history"."region" and o."domain_name" = "profile_history"."domain_name" ' +
  'and o."object_type_name" = "profile_history"."object_type_name" and o."unique_key" = "profile_history"."unique_key") ' +
  'where "account_id" = ? and "region" = ? and "domain_name" = ? and "profile_id" = ? and "object_type_name" = ? and "unique_key" = ? ' +
  'and "action_type" = \'INGESTED\' and "content" is null';

const INSERT_HISTORY =
  'insert into "profile_history" ("account_id", "region", "domain_name", "profile_id", "record_id", "object_type_name", ' +
  '"action_type", "unique_key", "content", "performed_by", "created_at", "updated_at") values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)';

export class KyselyProfileHistoryRepository implements ProfileHistoryRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly capabilities: DialectCapabilities,
    /** Set on a SQLite transaction's store: ingestion writes a record per object, as prepared statements. */
    private readonly statements?: SqliteStatements,
  ) {}

  async add(scope: Scope, domainName: string, entries: readonly ProfileHistoryEntry[]): Promise<void> {
    if (entries.length === 0) return;
    if (this.statements) {
      const insert = this.statements.get(INSERT_HISTORY);
      for (const e of entries) {
        insert.run(
          scope.accountId, scope.region, domainName, e.profileId, e.recordId, e.objectTypeName, e.actionType,
          e.uniqueKey ?? null, e.content ?? null, e.performedBy, e.createdAt, e.updatedAt,
        );
      }
      return;
    }
    if (this.capabilities.arrayParameters) {
      // Why arrays: a batch of ingested objects is a record each; as arrays it is one statement per
      // 5,000 records with a fixed number of parameters, like the key index's insert.
      for (let i = 0; i < entries.length; i += ROWS_PER_STATEMENT * 5) {
        const b = entries.slice(i, i + ROWS_PER_STATEMENT * 5);
        await sql`insert into profile_history (account_id, region, domain_name, profile_id, record_id, object_type_name,
            action_type, unique_key, content, performed_by, created_at, updated_at)
          select ${scope.accountId}, ${scope.region}, ${domainName}, * from unnest(${b.map((e) => e.profileId)}::text[],
            ${b.map((e) => e.recordId)}::text[], ${b.map((e) => e.objectTypeName)}::text[], ${b.map((e) => e.actionType)}::text[],
            ${b.map((e) => e.uniqueKey ?? null)}::text[], ${b.map((e) => e.content ?? null)}::text[],
            ${b.map((e) => e.performedBy)}::text[], ${b.map((e) => e.createdAt)}::int8[], ${b.map((e) => e.updatedAt)}::int8[])`.execute(this.db);
      }
      return;
    }
    for (let i = 0; i < entries.length; i += ROWS_PER_STATEMENT) {
      await this.db
        .insertInto('profile_history')
        .values(entries.slice(i, i + ROWS_PER_STATEMENT).map((e) => toRow(scope, domainName, e)))
        .execute();
    }
  }

  async keepObjectContent(
    scope: Scope,
    domainName: string,
    refs: readonly { profileId: string; objectTypeName: string; uniqueKey: string }[],
  ): Promise<void> {
    if (refs.length === 0) return;
    if (this.statements) {
      const keep = this.statements.get(KEEP_OBJECT_CONTENT);
      for (const r of refs) keep.run(scope.accountId, scope.region, domainName, r.profileId, r.objectTypeName, r.uniqueKey);
      return;
    }
    for (const r of refs) {
      await sql`update profile_history set content = ${objectText()}
        where account_id = ${scope.accountId} and region = ${scope.region} and domain_name = ${domainName}
          and profile_id = ${r.profileId} and object_type_name = ${r.objectTypeName} and unique_key = ${r.uniqueKey}
          and action_type = 'INGESTED' and content is null`.execute(this.db);
    }
  }

  async keepProfilesContent(scope: Scope, domainName: string, profileIds: readonly string[]): Promise<void> {
    if (profileIds.length === 0) return;
    await sql`update profile_history set content = ${objectText()}
      where account_id = ${scope.accountId} and region = ${scope.region} and domain_name = ${domainName}
        and profile_id in (${sql.join([...new Set(profileIds)])}) and action_type = 'INGESTED' and content is null`.execute(this.db);
  }

  async keepObjectTypeContent(scope: Scope, domainName: string, objectTypeName: string): Promise<void> {
    await sql`update profile_history set content = ${objectText()}
      where account_id = ${scope.accountId} and region = ${scope.region} and domain_name = ${domainName}
        and object_type_name = ${objectTypeName} and action_type = 'INGESTED' and content is null`.execute(this.db);
  }

  async list(
    scope: Scope,
    domainName: string,
    profileId: string,
    filter: ProfileHistoryFilter,
    afterRecordId: string | undefined,
    limit: number,
  ): Promise<ProfileHistoryEntry[]> {
    let q = this.db
      .selectFrom('profile_history')
      .selectAll()
      .where('account_id', '=', scope.accountId)
      .where('region', '=', scope.region)
      .where('domain_name', '=', domainName)
      .where('profile_id', '=', profileId)
      .where('created_at', '>=', filter.notBefore);
    if (filter.objectTypeName !== undefined) q = q.where('object_type_name', '=', filter.objectTypeName);
    if (filter.actionType !== undefined) q = q.where('action_type', '=', filter.actionType);
    if (filter.performedBy !== undefined) q = q.where('performed_by', '=', filter.performedBy);
    if (afterRecordId !== undefined) q = q.where('record_id', '>', afterRecordId);
    const rows = await q.orderBy('record_id').limit(limit).execute();
    return rows.map(fromRow);
  }

  async get(scope: Scope, domainName: string, profileId: string, recordId: string): Promise<ProfileHistoryEntry | undefined> {
    const row = await this.db
      .selectFrom('profile_history')
      .selectAll()
      .where('account_id', '=', scope.accountId)
      .where('region', '=', scope.region)
      .where('domain_name', '=', domainName)
      .where('profile_id', '=', profileId)
      .where('record_id', '=', recordId)
      .executeTakeFirst();
    return row && fromRow(row);
  }

  async purge(scope: Scope, domainName: string, profileIds: readonly string[], before: number): Promise<number> {
    if (profileIds.length === 0) return 0;
    const result = await this.db
      .deleteFrom('profile_history')
      .where('account_id', '=', scope.accountId)
      .where('region', '=', scope.region)
      .where('domain_name', '=', domainName)
      .where('profile_id', 'in', [...new Set(profileIds)])
      .where('created_at', '<', before)
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}

/** The stored text of the object a history row is about (KEEP_OBJECT_CONTENT's subquery). */
function objectText() {
  return sql`(select o.object from profile_objects o where o.account_id = profile_history.account_id
    and o.region = profile_history.region and o.domain_name = profile_history.domain_name
    and o.object_type_name = profile_history.object_type_name and o.unique_key = profile_history.unique_key)`;
}

function toRow(scope: Scope, domainName: string, e: ProfileHistoryEntry): ProfileHistoryTable {
  return {
    account_id: scope.accountId,
    region: scope.region,
    domain_name: domainName,
    profile_id: e.profileId,
    record_id: e.recordId,
    object_type_name: e.objectTypeName,
    action_type: e.actionType,
    unique_key: e.uniqueKey ?? null,
    content: e.content ?? null,
    performed_by: e.performedBy,
    created_at: e.createdAt,
    updated_at: e.updatedAt,
  };
}

function fromRow(row: ProfileHistoryTable): ProfileHistoryEntry {
  return {
    recordId: row.record_id,
    profileId: row.profile_id,
    objectTypeName: row.object_type_name,
    actionType: row.action_type,
    uniqueKey: row.unique_key ?? undefined,
    content: row.content ?? undefined,
    performedBy: row.performed_by,
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
}
