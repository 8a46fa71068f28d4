import type { Kysely, Selectable } from 'kysely';
import type { Database, ObjectTypePurgesTable } from '../schema.js';
import type { ObjectTypePurge, ObjectTypePurgeRepository } from '../profile-types.js';
import type { Scope } from '../../domain/scope.js';

export class KyselyObjectTypePurgeRepository implements ObjectTypePurgeRepository {
  constructor(
    private readonly db: Kysely<Database>,
    /** PostgreSQL: a part locks its purge's row, so a DeleteDomain waits for the part in flight. */
    private readonly rowLocks: boolean,
  ) {}

  async record(scope: Scope, domainName: string, objectTypeName: string, deletedAt: number): Promise<void> {
    await this.db
      .insertInto('object_type_purges')
      .values({ ...rowOf(scope, domainName, objectTypeName), deleted_at: deletedAt, objects_after: null, objects_done: 0, profiles_after: null })
      .onConflict((oc) => oc.columns(['account_id', 'region', 'domain_name', 'object_type_name']).doNothing())
      .execute();
  }

  async of(scope: Scope, domainName: string, objectTypeName: string, lock = false): Promise<ObjectTypePurge | undefined> {
    const query = this.db.selectFrom('object_type_purges').selectAll().where((eb) => eb.and(rowOf(scope, domainName, objectTypeName)));
    // Locked, it passes over a row another runner's part holds, so that no caller waits on it.
    const row = await (lock && this.rowLocks ? query.forUpdate().skipLocked() : query).executeTakeFirst();
    return row && purgeOf(row);
  }

  async oldest(): Promise<ObjectTypePurge | undefined> {
    const row = await this.db.selectFrom('object_type_purges').selectAll().orderBy('deleted_at').limit(1).executeTakeFirst();
    return row && purgeOf(row);
  }

  async save(purge: ObjectTypePurge): Promise<void> {
    await this.db
      .updateTable('object_type_purges')
      .set({ objects_after: purge.objectsAfter, objects_done: purge.objectsDone ? 1 : 0, profiles_after: purge.profilesAfter })
      .where((eb) => eb.and(rowOf(purge.scope, purge.domainName, purge.objectTypeName)))
      .execute();
  }

  async finish(purge: ObjectTypePurge): Promise<void> {
    await this.db
      .deleteFrom('object_type_purges')
      .where((eb) => eb.and(rowOf(purge.scope, purge.domainName, purge.objectTypeName)))
      .execute();
  }

  async deleteOfDomain(scope: Scope, domainName: string): Promise<void> {
    await this.db.deleteFrom('object_type_purges').where('account_id', '=', scope.accountId).where('region', '=', scope.region).where('domain_name', '=', domainName).execute();
  }
}

/** The primary key of a purge's row. */
function rowOf(scope: Scope, domainName: string, objectTypeName: string) {
  return { account_id: scope.accountId, region: scope.region, domain_name: domainName, object_type_name: objectTypeName };
}

function purgeOf(row: Selectable<ObjectTypePurgesTable>): ObjectTypePurge {
  return {
    scope: { accountId: row.account_id, region: row.region },
    domainName: row.domain_name,
    objectTypeName: row.object_type_name,
    objectsAfter: row.objects_after,
    objectsDone: Number(row.objects_done) === 1,
    profilesAfter: row.profiles_after,
  };
}
