import { type Migration, sql } from 'kysely';
import type { AnyDb } from './index.js';

/**
 * The claim's two indexes: `workflows_runnable`, the workflows that may have a step to run, and
 * `workflow_steps_unfinished`, each workflow's steps not yet finished by step number. With them the
 * claim reads each runnable workflow and its next step, one seek each, whatever else is stored.
 *
 * Why: the claim takes only the first unfinished step of each workflow, and it went through every
 * pending step of every workflow, finding each one's first by reading the finished steps before it: its
 * cost grew with the square of a workflow's steps. With ten workflows of 1,000 steps, half of them done,
 * one claim took 0.5 s on SQLite (the engine's thread held throughout) and 1.3 s on PostgreSQL, and each
 * engine slot claims whenever it is free. Partial, so finished workflows and steps, nearly all of them
 * in time, are not in them. The conditions are literals, as the claim writes them: both dialects use a
 * partial index only for a query whose condition is seen to match it (test/store/workflow-repository.test.ts
 * reads the claim's plan).
 */
export const m020ClaimIndexes: Migration = {
  async up(db: AnyDb) {
    await sql`create index workflows_runnable on workflows (created_at)
      where deleted = 0 and status in ('NOT_STARTED', 'IN_PROGRESS')`.execute(db);
    await sql`create index workflow_steps_unfinished on workflow_steps (workflow_id, step_no)
      where status in ('NOT_STARTED', 'RETRY', 'IN_PROGRESS')`.execute(db);
  },
};
