import type { Migration } from 'kysely';
import type { AnyDb } from './index.js';

/**
 * Records a step read but did not ingest (dropped by a FlowDefinition task or rejected by the object
 * type), counted apart from records_processed, which counts only records that reached the domain.
 * A default of 0 makes the column right for every step recorded before it existed.
 */
export const m005StepDroppedRecords: Migration = {
  async up(db: AnyDb) {
    await db.schema
      .alterTable('workflow_steps')
      .addColumn('records_dropped', 'bigint', (c) => c.notNull().defaultTo(0))
      .execute();
  },
};
