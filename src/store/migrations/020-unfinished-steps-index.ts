import { type Migration, sql } from 'kysely';
import type { AnyDb } from './index.js';

/**
 * `workflow_steps_unfinished`: each workflow's steps not yet finished, by step number, so the claim finds
 * a workflow's next step with one seek.
 *
 * Why: the claim takes only the first unfinished step of each workflow, and finding it read every
 * finished step before it. The claim looks at every pending step, so its cost grew with the square of a
 * workflow's steps: with ten workflows of 1,000 steps, half of them done, one claim took 0.5 s on SQLite
 * (the engine's thread held throughout) and 1.3 s on PostgreSQL, and each engine slot claims whenever it
 * is free. Partial, so finished steps, nearly all of them in time, are not in it. The statuses are
 * literals, as the claim writes them: both dialects use a partial index only for a query whose condition
 * is seen to match it (test/store/workflow-repository.test.ts reads the claim's plan).
 */
export const m020UnfinishedStepsIndex: Migration = {
  async up(db: AnyDb) {
    await sql`create index workflow_steps_unfinished on workflow_steps (workflow_id, step_no)
      where status in ('NOT_STARTED', 'RETRY', 'IN_PROGRESS')`.execute(db);
  },
};
