import type { Migration } from 'kysely';
import type { AnyDb } from './index.js';

/**
 * Connector profiles belong to whoever runs the service, not to one AWS account: a flow in any account
 * and region names its source by ConnectorProfileName, and the operator decides what that name reads.
 * Hence no (account_id, region) in the key, unlike every other table.
 */
export const m004ConnectorProfiles: Migration = {
  async up(db: AnyDb) {
    await db.schema
      .createTable('connector_profiles')
      .addColumn('name', 'text', (c) => c.primaryKey())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('connector_types', 'text', (c) => c.notNull())
      .addColumn('settings', 'text', (c) => c.notNull())
      .addColumn('source', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .execute();
  },
};
