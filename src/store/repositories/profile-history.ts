import type { Kysely } from 'kysely';
import type { RowWriters } from '../dialects/row-writers/index.js';
import { chunks, VALUES_PER_IN_LIST } from '../dialects/row-writers/queries.js';
import type { Database, ProfileHistoryTable, ProfileObjectsTable, ProfilesTable } from '../schema.js';
import { PROFILE_RECORD_TYPE, profileContent } from '../../domain/profile-history.js';
import type { HeldRecordsOf, ProfileHistoryEntry, ProfileHistoryFilter, ProfileHistoryRepository, ProfileMerge, ScopedProfileMerge } from '../types.js';
import type { Scope } from '../../domain/scope.js';
import { withRowLock } from './row-lock.js';

export class KyselyProfileHistoryRepository implements ProfileHistoryRepository {
  constructor(
    private readonly db: Kysely<Database>,
    /** The write path of this store's backend (dialects/row-writers): ingestion writes a record per object. */
    private readonly writers: RowWriters,
    /** PostgreSQL: rows about to be rewritten are read FOR UPDATE (concurrent writers exist). */
    private readonly lockRows: boolean,
  ) {}

  async add(scope: Scope, domainName: string, entries: readonly ProfileHistoryEntry[]): Promise<void> {
    if (entries.length > 0) await this.writers.history.insert(scope, domainName, entries);
  }

  async addMerge(scope: Scope, merge: ProfileMerge): Promise<void> {
    await this.db
      .insertInto('profile_merges')
      .values({
        account_id: scope.accountId,
        region: scope.region,
        domain_name: merge.domainName,
        merge_id: merge.mergeId,
        main_profile_id: merge.mainProfileId,
        merged_profile_ids: JSON.stringify(merge.mergedProfileIds),
        merged_at: merge.mergedAt,
      })
      .execute();
  }

  async mergedSince(since: number, after: { mergedAt: number; mergeId: string } | undefined, limit: number): Promise<ScopedProfileMerge[]> {
    let q = this.db.selectFrom('profile_merges').selectAll().where('merged_at', '>=', since);
    if (after) {
      q = q.where((eb) => eb.or([eb('merged_at', '>', after.mergedAt), eb.and([eb('merged_at', '=', after.mergedAt), eb('merge_id', '>', after.mergeId)])]));
    }
    const rows = await q.orderBy('merged_at').orderBy('merge_id').limit(limit).execute();
    return rows.map((row) => ({
      scope: { accountId: row.account_id, region: row.region },
      merge: {
        mergeId: row.merge_id,
        domainName: row.domain_name,
        mainProfileId: row.main_profile_id,
        mergedProfileIds: JSON.parse(row.merged_profile_ids) as string[],
        mergedAt: Number(row.merged_at),
      },
    }));
  }

  async keepIngestedRecords(scope: Scope, domainName: string, of: HeldRecordsOf): Promise<void> {
    if ('profileIds' in of && of.profileIds.length === 0) return;
    await this.writers.history.keepIngestedRecords(scope, domainName, of);
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
    const rows = (await q.orderBy('record_id').limit(limit).execute()).map(fromRow);
    // The records the profile's rows hold (its CREATED record, its objects' INGESTED records) that pass
    // the same filters, each in its place by Id.
    const held = (await this.heldRecords(scope, domainName, profileId, { filter, afterRecordId, limit })).filter(
      (e) => passes(e, filter) && (afterRecordId === undefined || e.recordId > afterRecordId),
    );
    if (held.length === 0) return rows;
    return [...rows, ...held].sort((a, b) => (a.recordId < b.recordId ? -1 : a.recordId > b.recordId ? 1 : 0)).slice(0, limit);
  }

  /**
   * The records the profile's rows hold: the CREATED record of its row (migration 015) and the INGESTED
   * records of its objects' rows (018); with `recordId`, only that one; with a filter, at most `limit` of
   * the objects' records after `afterRecordId`, narrowed by the filters SQL can apply.
   */
  private async heldRecords(
    scope: Scope,
    domainName: string,
    profileId: string,
    which: { recordId: string } | { filter: ProfileHistoryFilter; afterRecordId: string | undefined; limit: number },
  ): Promise<ProfileHistoryEntry[]> {
    const out: ProfileHistoryEntry[] = [];
    const recordId = 'recordId' in which ? which.recordId : undefined;
    const created = await this.heldCreatedRecord(scope, domainName, profileId, recordId);
    if (created) out.push(created);
    if ('filter' in which && which.filter.actionType !== undefined && which.filter.actionType !== 'INGESTED') return out;
    if (created && recordId !== undefined) return out;
    let q = this.db
      .selectFrom('profile_objects')
      .select(['profile_id', 'object_type_name', 'unique_key', 'object', 'ingested_record_id', 'ingested_by', 'updated_at'])
      .where('account_id', '=', scope.accountId)
      .where('region', '=', scope.region)
      .where('domain_name', '=', domainName)
      .where('profile_id', '=', profileId)
      .where('ingested_record_id', 'is not', null);
    if (recordId !== undefined) q = q.where('ingested_record_id', '=', recordId);
    if ('filter' in which) {
      const { filter, afterRecordId, limit } = which;
      q = q.where('updated_at', '>=', filter.notBefore);
      if (filter.objectTypeName !== undefined) q = q.where('object_type_name', '=', filter.objectTypeName);
      if (filter.performedBy !== undefined) q = q.where('ingested_by', '=', filter.performedBy);
      if (afterRecordId !== undefined) q = q.where('ingested_record_id', '>', afterRecordId);
      q = q.orderBy('ingested_record_id').limit(limit);
    }
    for (const row of await q.execute()) out.push(heldIngestedRecord(row));
    return out;
  }

  /** The CREATED record the profile's row holds (migration 015), or, with `recordId`, only that one. */
  private async heldCreatedRecord(scope: Scope, domainName: string, profileId: string, recordId: string | undefined): Promise<ProfileHistoryEntry | undefined> {
    let q = this.db
      .selectFrom('profiles')
      .select(['profile_id', 'attributes', 'created_record_id', 'created_by', 'created_at'])
      .where('account_id', '=', scope.accountId)
      .where('region', '=', scope.region)
      .where('domain_name', '=', domainName)
      .where('profile_id', '=', profileId)
      .where('created_record_id', 'is not', null);
    if (recordId !== undefined) q = q.where('created_record_id', '=', recordId);
    const row = await q.executeTakeFirst();
    return row && heldRecord(row);
  }

  async keepCreatedRecords(scope: Scope, domainName: string, profileIds: readonly string[]): Promise<void> {
    const entries: ProfileHistoryEntry[] = [];
    for (const ids of chunks([...new Set(profileIds)].sort(), VALUES_PER_IN_LIST)) {
      const q = this.db
        .selectFrom('profiles')
        .select(['profile_id', 'attributes', 'created_record_id', 'created_by', 'created_at'])
        .where('account_id', '=', scope.accountId)
        .where('region', '=', scope.region)
        .where('domain_name', '=', domainName)
        .where('profile_id', 'in', ids)
        .where('created_record_id', 'is not', null)
        .orderBy('profile_id');
      // Two transactions changing one profile at once (PostgreSQL): the second waits here for the first
      // to commit, then reads the row the first left, which holds no record any more. No stronger than
      // no-key-update (RowLock): FOR UPDATE waited for the key-share hold of a page holding the profile
      // while that page waited for this writer's own no-key-update lock (a DeleteProfileObjectType scrub
      // reading its profiles), a deadlock.
      for (const row of await withRowLock(q, 'no-key-update', this.lockRows).execute()) entries.push(heldRecord(row));
    }
    if (entries.length === 0) return;
    await this.add(scope, domainName, entries);
    for (const ids of chunks(entries.map((e) => e.profileId), VALUES_PER_IN_LIST)) {
      await this.db
        .updateTable('profiles')
        .set({ created_record_id: null, created_by: null })
        .where('account_id', '=', scope.accountId)
        .where('region', '=', scope.region)
        .where('domain_name', '=', domainName)
        .where('profile_id', 'in', ids)
        .execute();
    }
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
    return row ? fromRow(row) : (await this.heldRecords(scope, domainName, profileId, { recordId }))[0];
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
    const held = await this.db
      .updateTable('profiles')
      .set({ created_record_id: null, created_by: null })
      .where('account_id', '=', scope.accountId)
      .where('region', '=', scope.region)
      .where('domain_name', '=', domainName)
      .where('profile_id', 'in', [...new Set(profileIds)])
      .where('created_record_id', 'is not', null)
      .where('created_at', '<', before)
      .executeTakeFirst();
    const heldIngested = await this.db
      .updateTable('profile_objects')
      .set({ ingested_record_id: null, ingested_by: null })
      .where('account_id', '=', scope.accountId)
      .where('region', '=', scope.region)
      .where('domain_name', '=', domainName)
      .where('profile_id', 'in', [...new Set(profileIds)])
      .where('ingested_record_id', 'is not', null)
      .where('updated_at', '<', before)
      .executeTakeFirst();
    return Number(result.numDeletedRows) + Number(held.numUpdatedRows) + Number(heldIngested.numUpdatedRows);
  }
}

/** A CREATED record as the profile's row holds it: its Id and PerformedBy, the row's time and attributes. */
function heldRecord(row: Pick<ProfilesTable, 'profile_id' | 'attributes' | 'created_record_id' | 'created_by' | 'created_at'>): ProfileHistoryEntry {
  const at = Number(row.created_at);
  return {
    recordId: row.created_record_id as string,
    profileId: row.profile_id,
    objectTypeName: PROFILE_RECORD_TYPE,
    actionType: 'CREATED',
    content: profileContent(row.profile_id, JSON.parse(row.attributes) as Record<string, unknown>),
    performedBy: row.created_by as string,
    createdAt: at,
    updatedAt: at,
  };
}

/** An INGESTED record as the object's row holds it: its Id and PerformedBy, the row's time and object. */
function heldIngestedRecord(
  row: Pick<ProfileObjectsTable, 'profile_id' | 'object_type_name' | 'unique_key' | 'object' | 'ingested_record_id' | 'ingested_by' | 'updated_at'>,
): ProfileHistoryEntry {
  const at = Number(row.updated_at);
  return {
    recordId: row.ingested_record_id as string,
    profileId: row.profile_id,
    objectTypeName: row.object_type_name,
    actionType: 'INGESTED',
    uniqueKey: row.unique_key,
    content: row.object,
    performedBy: row.ingested_by as string,
    createdAt: at,
    updatedAt: at,
  };
}

/** The list's filters, applied to a record read from a profile's or an object's row. */
function passes(e: ProfileHistoryEntry, filter: ProfileHistoryFilter): boolean {
  return (
    e.createdAt >= filter.notBefore &&
    (filter.objectTypeName === undefined || filter.objectTypeName === e.objectTypeName) &&
    (filter.actionType === undefined || filter.actionType === e.actionType) &&
    (filter.performedBy === undefined || filter.performedBy === e.performedBy)
  );
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
