import type { Migration } from 'kysely';
import type { AnyDb } from './index.js';

/**
 * The AppFlow slice's state, keyed like every account resource by (account_id, region):
 * - `account_connector_profiles`: profiles an account created through AppFlow's CreateConnectorProfile.
 *   A table of their own rather than an account_id column on `connector_profiles`: the operator's
 *   profiles keep their one-column key (a nullable account would need a partial unique index on each
 *   dialect to keep operator names unique), `store.reset(accountId)` finds these rows by their
 *   account_id like any other account table, and an operator profile and an account's profile of the
 *   same name can both exist (the account's wins for that account).
 * - `flows`: AppFlow flows whose destination is Customer Profiles, created through CreateFlow or by
 *   Customer Profiles itself (PutIntegration with a FlowDefinition, a completed integration workflow).
 */
export const m009Appflow: Migration = {
  async up(db: AnyDb) {
    await db.schema
      .createTable('account_connector_profiles')
      .addColumn('account_id', 'text', (c) => c.notNull())
      .addColumn('region', 'text', (c) => c.notNull())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('connector_type', 'text', (c) => c.notNull())
      .addColumn('connection_mode', 'text', (c) => c.notNull())
      .addColumn('kms_arn', 'text')
      .addColumn('properties', 'text', (c) => c.notNull())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('connector_types', 'text', (c) => c.notNull())
      .addColumn('settings', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('account_connector_profiles_pk', ['account_id', 'region', 'name'])
      .execute();
    await db.schema
      .createTable('flows')
      .addColumn('account_id', 'text', (c) => c.notNull())
      .addColumn('region', 'text', (c) => c.notNull())
      .addColumn('flow_name', 'text', (c) => c.notNull())
      .addColumn('flow_arn', 'text', (c) => c.notNull())
      .addColumn('description', 'text')
      .addColumn('kms_arn', 'text')
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('trigger_config', 'text', (c) => c.notNull())
      .addColumn('source_config', 'text', (c) => c.notNull())
      .addColumn('connector_type', 'text', (c) => c.notNull())
      .addColumn('connector_profile_name', 'text')
      .addColumn('destination_config', 'text', (c) => c.notNull())
      .addColumn('domain_name', 'text', (c) => c.notNull())
      .addColumn('object_type_name', 'text')
      .addColumn('tasks', 'text', (c) => c.notNull())
      .addColumn('metadata_catalog_config', 'text')
      .addColumn('created_by', 'text', (c) => c.notNull())
      .addColumn('last_updated_by', 'text', (c) => c.notNull())
      .addColumn('workflow_id', 'text')
      .addColumn('integration_uri', 'text')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('flows_pk', ['account_id', 'region', 'flow_name'])
      .execute();
    // DeleteConnectorProfile asks whether any flow still reads the profile.
    await db.schema
      .createIndex('flows_by_connector_profile')
      .on('flows')
      .columns(['account_id', 'region', 'connector_profile_name'])
      .execute();
  },
};
