import type { Kysely } from 'kysely';
import type { ActivityRepository, ChangeCursor, StepChange, WorkflowChange } from '../activity-types.js';
import type { Database } from '../schema.js';
import type { WorkflowStatus } from '../workflow-types.js';
import { fromWorkflowRow } from './workflows.js';

/**
 * The operator's cross-account reads. Why `updated_at ≥ since` with a keyset rather than a change
 * sequence: every engine and API write already stamps updated_at, so polling it sees the writes of every
 * process (a `profileflow worker` included) without touching the write paths; the indexes of migration
 * 008 keep each poll a range scan. Callers dedupe, because a row stays ≥ `since` for a while.
 */
export class KyselyActivityRepository implements ActivityRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async changedWorkflows(since: number, after: ChangeCursor | undefined, limit: number): Promise<WorkflowChange[]> {
    let q = this.db.selectFrom('workflows').selectAll().where('updated_at', '>=', since);
    if (after) {
      q = q.where((eb) =>
        eb.or([
          eb('updated_at', '>', after.updatedAt),
          eb.and([eb('updated_at', '=', after.updatedAt), eb('workflow_id', '>', after.workflowId)]),
        ]),
      );
    }
    const rows = await q.orderBy('updated_at').orderBy('workflow_id').limit(limit).execute();
    return rows.map((row) => ({
      scope: { accountId: row.account_id, region: row.region },
      workflow: fromWorkflowRow(row),
      deleted: Number(row.deleted) === 1,
    }));
  }

  async changedSteps(since: number, after: ChangeCursor | undefined, limit: number): Promise<StepChange[]> {
    let q = this.db.selectFrom('workflow_steps').selectAll().where('updated_at', '>=', since);
    if (after) {
      const stepNo = after.stepNo ?? 0;
      q = q.where((eb) =>
        eb.or([
          eb('updated_at', '>', after.updatedAt),
          eb.and([eb('updated_at', '=', after.updatedAt), eb('workflow_id', '>', after.workflowId)]),
          eb.and([eb('updated_at', '=', after.updatedAt), eb('workflow_id', '=', after.workflowId), eb('step_no', '>', stepNo)]),
        ]),
      );
    }
    const rows = await q.orderBy('updated_at').orderBy('workflow_id').orderBy('step_no').limit(limit).execute();
    return rows.map((row) => ({
      scope: { accountId: row.account_id, region: row.region },
      domainName: row.domain_name,
      workflowId: row.workflow_id,
      stepNo: Number(row.step_no),
      flowName: row.flow_name,
      status: row.status as WorkflowStatus,
      executionMessage: row.execution_message,
      recordsProcessed: Number(row.records_processed),
      windowStart: Number(row.window_start),
      windowEnd: Number(row.window_end),
      ...(row.read_through === null ? {} : { readThrough: Number(row.read_through) }),
      attempts: Number(row.attempts),
      updatedAt: Number(row.updated_at),
    }));
  }

  async workflowById(workflowId: string): Promise<WorkflowChange | undefined> {
    const row = await this.db.selectFrom('workflows').selectAll().where('workflow_id', '=', workflowId).executeTakeFirst();
    return row && { scope: { accountId: row.account_id, region: row.region }, workflow: fromWorkflowRow(row), deleted: Number(row.deleted) === 1 };
  }

  async stepCountsByStatus(): Promise<Record<string, number>> {
    const rows = await this.db
      .selectFrom('workflow_steps as s')
      .innerJoin('workflows as w', 'w.workflow_id', 's.workflow_id')
      .where('w.deleted', '=', 0)
      .select((eb) => ['s.status', eb.fn.countAll().as('n')])
      .groupBy('s.status')
      .execute();
    return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
  }

  async workflowCountsByStatus(): Promise<Record<string, number>> {
    const rows = await this.db
      .selectFrom('workflows')
      .where('deleted', '=', 0)
      .select((eb) => ['status', eb.fn.countAll().as('n')])
      .groupBy('status')
      .execute();
    return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
  }

  async recordsProcessed(): Promise<number> {
    const row = await this.db
      .selectFrom('workflows')
      .where('deleted', '=', 0)
      .select((eb) => eb.fn.sum<number | string | null>('records_processed').as('n'))
      .executeTakeFirst();
    return Number(row?.n ?? 0);
  }
}
