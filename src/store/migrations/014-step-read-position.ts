import type { Migration } from 'kysely';
import type { AnyDb } from './index.js';

/**
 * How far a step has got, beside RecordsProcessed (which alone cannot say): `read_through`, epoch
 * milliseconds before which every record of the step's window has been read (written with the cursor,
 * by the page checkpoint, when the source can tell), and `records_estimate`, the count the source gave
 * for the window before the read began. Both nullable: a step recorded before they existed, or one whose
 * source can tell neither, has none.
 */
export const m014StepReadPosition: Migration = {
  async up(db: AnyDb) {
    await db.schema.alterTable('workflow_steps').addColumn('read_through', 'bigint').execute();
    await db.schema.alterTable('workflow_steps').addColumn('records_estimate', 'bigint').execute();
  },
};
