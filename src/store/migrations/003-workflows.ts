import type { Migration } from 'kysely';
import type { AnyDb } from './index.js';

export const m003Workflows: Migration = {
  async up(db: AnyDb) {
    await db.schema
      .createTable('workflows')
      .addColumn('workflow_id', 'text', (c) => c.primaryKey())
      .addColumn('account_id', 'text', (c) => c.notNull())
      .addColumn('region', 'text', (c) => c.notNull())
      .addColumn('domain_name', 'text', (c) => c.notNull())
      .addColumn('workflow_type', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('error_description', 'text')
      .addColumn('object_type_name', 'text', (c) => c.notNull())
      .addColumn('connector_type', 'text', (c) => c.notNull())
      .addColumn('connector_profile_name', 'text', (c) => c.notNull())
      .addColumn('role_arn', 'text', (c) => c.notNull())
      .addColumn('definition', 'text', (c) => c.notNull())
      .addColumn('records_processed', 'bigint', (c) => c.notNull().defaultTo(0))
      .addColumn('steps_completed', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('total_steps', 'integer', (c) => c.notNull())
      .addColumn('deleted', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('started_at', 'bigint')
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .execute();
    // ListWorkflows walks newest first within a domain, with or without a Status filter: one index each
    // keeps every page a short range scan even at a million workflows.
    await db.schema
      .createIndex('workflows_by_created')
      .on('workflows')
      .columns(['account_id', 'region', 'domain_name', 'created_at', 'workflow_id'])
      .execute();
    await db.schema
      .createIndex('workflows_by_status')
      .on('workflows')
      .columns(['account_id', 'region', 'domain_name', 'status', 'created_at', 'workflow_id'])
      .execute();

    await db.schema
      .createTable('workflow_steps')
      .addColumn('workflow_id', 'text', (c) => c.notNull())
      .addColumn('step_no', 'integer', (c) => c.notNull())
      .addColumn('account_id', 'text', (c) => c.notNull())
      .addColumn('region', 'text', (c) => c.notNull())
      .addColumn('domain_name', 'text', (c) => c.notNull())
      .addColumn('flow_name', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('execution_message', 'text', (c) => c.notNull())
      .addColumn('records_processed', 'bigint', (c) => c.notNull().defaultTo(0))
      .addColumn('window_start', 'bigint', (c) => c.notNull())
      .addColumn('window_end', 'bigint', (c) => c.notNull())
      .addColumn('cursor', 'text')
      .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('run_after', 'bigint', (c) => c.notNull())
      .addColumn('lease_owner', 'text')
      .addColumn('lease_expires_at', 'bigint')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('workflow_steps_pk', ['workflow_id', 'step_no'])
      .execute();
    // The claim query looks for runnable steps across all workflows.
    await db.schema.createIndex('workflow_steps_runnable').on('workflow_steps').columns(['status', 'run_after']).execute();
  },
};
