import type { Kysely } from 'kysely';
import { objectTypeArn } from '../../domain/arns.js';
import type { Database, ObjectTypesTable } from '../schema.js';
import type { ObjectTypeRecord, ObjectTypeRepository, RowLock } from '../types.js';
import { withRowLock } from './row-lock.js';
import type { Scope } from '../../domain/scope.js';

/** The definition column holds every member but the name and the times. */
type Definition = Omit<ObjectTypeRecord, 'objectTypeName' | 'createdAt' | 'updatedAt'>;

export class KyselyObjectTypeRepository implements ObjectTypeRepository {
  constructor(
    private readonly db: Kysely<Database>,
    /** The backend has concurrent writers: reads take the locks they are asked for. */
    private readonly rowLocks: boolean,
  ) {}

  async put(scope: Scope, domainName: string, record: ObjectTypeRecord): Promise<void> {
    const row = toRow(scope, domainName, record);
    await this.db
      .insertInto('object_types')
      .values(row)
      .onConflict((oc) =>
        oc
          .columns(['account_id', 'region', 'domain_name', 'object_type_name'])
          .doUpdateSet({ definition: row.definition, updated_at: row.updated_at }),
      )
      .execute();
  }

  async get(scope: Scope, domainName: string, objectTypeName: string, lock?: RowLock): Promise<ObjectTypeRecord | undefined> {
    const query = this.db
      .selectFrom('object_types')
      .selectAll()
      .where('account_id', '=', scope.accountId)
      .where('region', '=', scope.region)
      .where('domain_name', '=', domainName)
      .where('object_type_name', '=', objectTypeName);
    const row = await withRowLock(query, lock, this.rowLocks).executeTakeFirst();
    return row && fromRow(row);
  }

  async delete(scope: Scope, domainName: string, objectTypeName: string): Promise<boolean> {
    const result = await this.db
      .deleteFrom('object_types')
      .where('account_id', '=', scope.accountId)
      .where('region', '=', scope.region)
      .where('domain_name', '=', domainName)
      .where('object_type_name', '=', objectTypeName)
      .executeTakeFirst();
    // Exact ARN, not the tag repository's prefix removal: the type has no child resources.
    await this.db
      .deleteFrom('tags')
      .where('account_id', '=', scope.accountId)
      .where('region', '=', scope.region)
      .where('resource_arn', '=', objectTypeArn(scope, domainName, objectTypeName))
      .execute();
    return Number(result.numDeletedRows) === 1;
  }

  async list(scope: Scope, domainName: string, afterName: string | undefined, limit: number): Promise<ObjectTypeRecord[]> {
    let query = this.db
      .selectFrom('object_types')
      .selectAll()
      .where('account_id', '=', scope.accountId)
      .where('region', '=', scope.region)
      .where('domain_name', '=', domainName);
    if (afterName !== undefined) query = query.where('object_type_name', '>', afterName);
    const rows = await query.orderBy('object_type_name').limit(limit).execute();
    return rows.map(fromRow);
  }

  async all(scope: Scope, domainName: string): Promise<ObjectTypeRecord[]> {
    const rows = await this.db
      .selectFrom('object_types')
      .selectAll()
      .where('account_id', '=', scope.accountId)
      .where('region', '=', scope.region)
      .where('domain_name', '=', domainName)
      .orderBy('object_type_name')
      .execute();
    return rows.map(fromRow);
  }
}

function toRow(scope: Scope, domainName: string, record: ObjectTypeRecord): ObjectTypesTable {
  const { objectTypeName, createdAt, updatedAt, ...definition } = record;
  return {
    account_id: scope.accountId,
    region: scope.region,
    domain_name: domainName,
    object_type_name: objectTypeName,
    definition: JSON.stringify(definition satisfies Definition),
    created_at: createdAt,
    updated_at: updatedAt,
  };
}

function fromRow(row: ObjectTypesTable): ObjectTypeRecord {
  const definition = JSON.parse(row.definition) as Definition;
  return {
    objectTypeName: row.object_type_name,
    ...definition,
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
}
