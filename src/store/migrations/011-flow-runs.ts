import { type Migration, sql } from 'kysely';
import type { AnyDb } from './index.js';

/**
 * Flow runs, the second kind of leased work (after workflow steps), and the schedule state of flows.
 * - `flow_runs`: one row per AppFlow flow run (ExecutionRecord), moved by the lease machine
 *   (store/lease.ts) in AppFlow's ExecutionStatus values: InProgress holds or waits for a lease;
 *   CancelStarted waits for its holder to stop at its next page; Successful, Error and Canceled are final.
 * - `flows` gains what a schedule needs: the next tick a run is due for, the watermark (end of the last
 *   successful window, where an incremental run starts), when the flow was activated, the end of the
 *   history its workflow loaded, failures in a row, and its trigger type (so the scheduler reads only
 *   scheduled flows). Existing rows get their trigger type from the stored TriggerConfig text.
 */
export const m011FlowRuns: Migration = {
  async up(db: AnyDb) {
    await db.schema
      .createTable('flow_runs')
      .addColumn('account_id', 'text', (c) => c.notNull())
      .addColumn('region', 'text', (c) => c.notNull())
      .addColumn('flow_name', 'text', (c) => c.notNull())
      .addColumn('execution_id', 'text', (c) => c.notNull())
      .addColumn('domain_name', 'text', (c) => c.notNull())
      .addColumn('trigger_type', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('lease_owner', 'text')
      .addColumn('lease_expires_at', 'bigint')
      .addColumn('run_after', 'bigint', (c) => c.notNull())
      .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('cursor', 'text')
      .addColumn('window_start', 'bigint', (c) => c.notNull())
      .addColumn('window_end', 'bigint', (c) => c.notNull())
      .addColumn('records_processed', 'bigint', (c) => c.notNull().defaultTo(0))
      .addColumn('records_dropped', 'bigint', (c) => c.notNull().defaultTo(0))
      .addColumn('dropped_by_reason', 'text', (c) => c.notNull().defaultTo('{}'))
      .addColumn('error_message', 'text')
      .addColumn('started_at', 'bigint')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .addColumn('ended_at', 'bigint')
      .addPrimaryKeyConstraint('flow_runs_pk', ['account_id', 'region', 'flow_name', 'execution_id'])
      .execute();
    // At most one active run per flow, whatever creates it (a scheduler on each node, StartFlow, a
    // signal): the second insert meets this index and inserts nothing.
    await db.schema
      .createIndex('flow_runs_one_active')
      .on('flow_runs')
      .columns(['account_id', 'region', 'flow_name'])
      .unique()
      .where(sql.ref('status'), 'in', ['InProgress', 'CancelStarted'])
      .execute();
    // The claim looks for due runs; the history (DescribeFlowExecutionRecords) reads newest first.
    await db.schema.createIndex('flow_runs_due').on('flow_runs').columns(['status', 'run_after']).execute();
    await db.schema.createIndex('flow_runs_by_flow').on('flow_runs').columns(['account_id', 'region', 'flow_name', 'created_at']).execute();

    await db.schema.alterTable('flows').addColumn('trigger_type', 'text', (c) => c.notNull().defaultTo('OnDemand')).execute();
    await db.schema.alterTable('flows').addColumn('next_run_at', 'bigint').execute();
    await db.schema.alterTable('flows').addColumn('watermark', 'bigint').execute();
    await db.schema.alterTable('flows').addColumn('activated_at', 'bigint').execute();
    await db.schema.alterTable('flows').addColumn('history_end', 'bigint').execute();
    await db.schema.alterTable('flows').addColumn('consecutive_failures', 'integer', (c) => c.notNull().defaultTo(0)).execute();
    for (const type of ['Scheduled', 'Event']) {
      await db
        .updateTable('flows')
        .set({ trigger_type: type })
        .where('trigger_config', 'like', `%"triggerType":"${type}"%`)
        .execute();
    }
  },
};
