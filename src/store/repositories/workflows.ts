import type { Kysely, Selectable } from 'kysely';
import type { DialectCapabilities } from '../dialects/capabilities.js';
import type { Database, WorkflowStepsTable, WorkflowsTable } from '../schema.js';
import type { Scope } from '../../domain/scope.js';
import type {
  ClaimedStep,
  NewStep,
  StepKey,
  WorkflowFilter,
  WorkflowListItem,
  WorkflowRecord,
  WorkflowSummary,
  WorkflowRepository,
  WorkflowStatus,
  WorkflowStepRecord,
  WorkflowStepSummary,
} from '../workflow-types.js';

/** Steps still to run (or running): the rest — COMPLETE, FAILED, SPLIT, CANCELLED — are final. */
const ACTIVE_STEP_STATUSES: WorkflowStatus[] = ['NOT_STARTED', 'RETRY', 'IN_PROGRESS'];
const RUNNABLE_WORKFLOW_STATUSES: WorkflowStatus[] = ['NOT_STARTED', 'IN_PROGRESS'];

export class KyselyWorkflowRepository implements WorkflowRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly capabilities: DialectCapabilities,
  ) {}

  async create(scope: Scope, workflow: WorkflowRecord, steps: NewStep[]): Promise<boolean> {
    // Workflow ids are unique across accounts (random ones never meet; seeded ones repeat after every
    // re-seed): an id already taken inserts nothing, and the caller draws another rather than failing.
    const inserted = await this.db
      .insertInto('workflows')
      .values(toWorkflowRow(scope, workflow))
      .onConflict((oc) => oc.column('workflow_id').doNothing())
      .executeTakeFirst();
    if (Number(inserted.numInsertedOrUpdatedRows ?? 0n) === 0) return false;
    if (steps.length === 0) return true;
    const rows = steps.map((s, i) => newStepRow(scope, workflow.domainName, workflow.workflowId, i + 1, s, workflow.createdAt));
    // Bound the statement size: SQLite allows 32766 parameters, PostgreSQL 65535.
    for (let i = 0; i < rows.length; i += 500) await this.db.insertInto('workflow_steps').values(rows.slice(i, i + 500)).execute();
    return true;
  }

  async get(scope: Scope, domainName: string, workflowId: string): Promise<WorkflowSummary | undefined> {
    // Summary columns: no API answer shows the stored FlowDefinition (~1 KB), which was read and parsed
    // here for nothing; the engine reads it through its claims.
    const row = await this.db
      .selectFrom('workflows')
      .select(SUMMARY_COLUMNS)
      .where('account_id', '=', scope.accountId)
      .where('region', '=', scope.region)
      .where('domain_name', '=', domainName)
      .where('workflow_id', '=', workflowId)
      .where('deleted', '=', 0)
      .executeTakeFirst();
    return row && fromSummaryRow(row);
  }

  async list(
    scope: Scope,
    domainName: string,
    filter: WorkflowFilter,
    after: [number, string] | undefined,
    limit: number,
  ): Promise<WorkflowSummary[]> {
    const rows = await this.listRows(scope, domainName, filter, after, limit, SUMMARY_COLUMNS);
    return rows.map(fromSummaryRow);
  }

  async listItems(
    scope: Scope,
    domainName: string,
    filter: WorkflowFilter,
    after: [number, string] | undefined,
    limit: number,
  ): Promise<WorkflowListItem[]> {
    // Nine columns rather than the summary's fifteen: the driver builds one object per row with every
    // column selected, and the row read is most of a 100-item ListWorkflows.
    const rows = await this.listRows(scope, domainName, filter, after, limit, ITEM_COLUMNS);
    return rows.map(fromItemRow);
  }

  /** One query for both list shapes: newest first, filtered, keyset after `after`. */
  private async listRows<C extends keyof WorkflowsTable>(
    scope: Scope,
    domainName: string,
    filter: WorkflowFilter,
    after: [number, string] | undefined,
    limit: number,
    columns: readonly C[],
  ): Promise<Pick<Selectable<WorkflowsTable>, C>[]> {
    // Why never selectAll: the FlowDefinition (about 1 KB a row) is most of a row's bytes and no list
    // shows it; reading it made up half of a 100-item ListWorkflows's CPU (docs/performance.md).
    let q = this.db
      .selectFrom('workflows')
      .select(columns as readonly (keyof WorkflowsTable)[])
      .where('account_id', '=', scope.accountId)
      .where('region', '=', scope.region)
      .where('domain_name', '=', domainName)
      .where('deleted', '=', 0);
    if (filter.status) q = q.where('status', '=', filter.status);
    if (filter.workflowType) q = q.where('workflow_type', '=', filter.workflowType);
    if (filter.createdFrom !== undefined) q = q.where('created_at', '>=', filter.createdFrom);
    if (filter.createdTo !== undefined) q = q.where('created_at', '<=', filter.createdTo);
    if (after) {
      // Why a row value rather than `created_at < ? OR (created_at = ? AND workflow_id < ?)`: with the OR,
      // SQLite bounds the index range by the domain only and skips the rows already returned one by one,
      // so page n cost O(n) (measured: bench/control-plane.ts, the walk at 1,000,000 workflows). A row
      // value is a range bound on (created_at, workflow_id) on both SQLite (3.15+) and PostgreSQL.
      const [createdAt, workflowId] = after;
      q = q.where((eb) => eb(eb.refTuple('created_at', 'workflow_id'), '<', eb.tuple(createdAt, workflowId)));
    }
    const rows = await q.orderBy('created_at', 'desc').orderBy('workflow_id', 'desc').limit(limit).execute();
    return rows as unknown as Pick<Selectable<WorkflowsTable>, C>[];
  }

  async listSteps(scope: Scope, workflowId: string, after: number | undefined, limit: number): Promise<WorkflowStepSummary[]> {
    // Why not selectAll: the driver builds one object per row with every column, and half of the 19 were
    // never shown (cursor, lease, retry state); a 100-step page read in 0.22 ms instead of 0.48 ms of CPU.
    let q = this.db
      .selectFrom('workflow_steps')
      .select(STEP_SUMMARY_COLUMNS)
      .where('account_id', '=', scope.accountId)
      .where('region', '=', scope.region)
      .where('workflow_id', '=', workflowId);
    if (after !== undefined) q = q.where('step_no', '>', after);
    const rows = await q.orderBy('step_no').limit(limit).execute();
    return rows.map(fromStepSummaryRow);
  }

  async markDeleted(scope: Scope, domainName: string, workflowId: string, now: number): Promise<'missing' | 'running' | 'idle'> {
    const result = await this.db
      .updateTable('workflows')
      .set({ deleted: 1, status: 'CANCELLED', updated_at: now })
      .where('account_id', '=', scope.accountId)
      .where('region', '=', scope.region)
      .where('domain_name', '=', domainName)
      .where('workflow_id', '=', workflowId)
      .where('deleted', '=', 0)
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) === 0) return 'missing';
    const held = await this.db
      .selectFrom('workflow_steps')
      .select('step_no')
      .where('workflow_id', '=', workflowId)
      .where('status', '=', 'IN_PROGRESS')
      .where('lease_expires_at', '>', now)
      .executeTakeFirst();
    return held ? 'running' : 'idle';
  }

  async purge(workflowId: string): Promise<void> {
    await this.db.deleteFrom('workflow_steps').where('workflow_id', '=', workflowId).execute();
    await this.db.deleteFrom('workflows').where('workflow_id', '=', workflowId).execute();
  }

  /**
   * Why this query: a step is runnable when it is the first unfinished step of a live workflow (steps
   * of one workflow run in order), its back-off has passed, and nobody holds a live lease on it (an
   * expired lease is how a crashed worker's step is taken over — the reaper is this condition).
   * On PostgreSQL `FOR UPDATE OF s SKIP LOCKED` lets many workers claim at once without ever taking the
   * same step (graphile-worker's pattern); SQLite serialises writers, so one transaction suffices.
   */
  async claim(owner: string, now: number, leaseMs: number): Promise<ClaimedStep | undefined> {
    return this.db.transaction().execute(async (trx) => {
      let q = trx
        .selectFrom('workflow_steps as s')
        .innerJoin('workflows as w', 'w.workflow_id', 's.workflow_id')
        .selectAll('s')
        .where('w.deleted', '=', 0)
        .where('w.status', 'in', RUNNABLE_WORKFLOW_STATUSES)
        .where('s.status', 'in', ACTIVE_STEP_STATUSES)
        .where('s.run_after', '<=', now)
        .where((eb) => eb.or([eb('s.lease_expires_at', 'is', null), eb('s.lease_expires_at', '<=', now)]))
        .where((eb) =>
          eb(
            's.step_no',
            '=',
            eb
              .selectFrom('workflow_steps as s2')
              .select((e) => e.fn.min('s2.step_no').as('first'))
              .whereRef('s2.workflow_id', '=', 's.workflow_id')
              .where('s2.status', 'in', ACTIVE_STEP_STATUSES),
          ),
        )
        .orderBy('s.run_after')
        .orderBy('w.created_at')
        .limit(1);
      if (this.capabilities.skipLocked) q = q.forUpdate('s').skipLocked();
      const row = await q.executeTakeFirst();
      if (!row) return undefined;
      const tookOver = row.status === 'IN_PROGRESS' && row.lease_owner !== null;
      await trx
        .updateTable('workflow_steps')
        .set({ status: 'IN_PROGRESS', lease_owner: owner, lease_expires_at: now + leaseMs, updated_at: now })
        .where('workflow_id', '=', row.workflow_id)
        .where('step_no', '=', row.step_no)
        .execute();
      await trx
        .updateTable('workflows')
        .set({ status: 'IN_PROGRESS', started_at: now, updated_at: now })
        .where('workflow_id', '=', row.workflow_id)
        .where('status', '=', 'NOT_STARTED')
        .execute();
      const workflow = await trx
        .selectFrom('workflows')
        .selectAll()
        .where('workflow_id', '=', row.workflow_id)
        .executeTakeFirstOrThrow();
      const step = fromStepRow({ ...row, status: 'IN_PROGRESS', lease_owner: owner, lease_expires_at: now + leaseMs, updated_at: now });
      return {
        scope: { accountId: workflow.account_id, region: workflow.region },
        workflow: fromWorkflowRow(workflow),
        step,
        tookOver,
      };
    });
  }

  async recordPage(
    owner: string,
    key: StepKey,
    cursor: string,
    records: number,
    message: string,
    now: number,
    leaseMs: number,
    dropped = 0,
  ): Promise<boolean> {
    const result = await this.ownedStep(owner, key)
      .set((eb) => ({
        cursor,
        records_processed: eb('records_processed', '+', records),
        records_dropped: eb('records_dropped', '+', dropped),
        execution_message: message,
        lease_expires_at: now + leaseMs,
        updated_at: now,
      }))
      .where(({ exists, selectFrom }) =>
        exists(selectFrom('workflows').select('workflow_id').where('workflow_id', '=', key.workflowId).where('deleted', '=', 0)),
      )
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) === 0) return false;
    await this.db
      .updateTable('workflows')
      .set((eb) => ({ records_processed: eb('records_processed', '+', records), updated_at: now }))
      .where('workflow_id', '=', key.workflowId)
      .execute();
    return true;
  }

  async heartbeat(owner: string, key: StepKey, now: number, leaseMs: number): Promise<boolean> {
    const result = await this.ownedStep(owner, key).set({ lease_expires_at: now + leaseMs }).executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async release(owner: string, key: StepKey, now: number): Promise<boolean> {
    const result = await this.ownedStep(owner, key)
      .set({ lease_owner: null, lease_expires_at: null, updated_at: now })
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async complete(owner: string, key: StepKey, message: string, now: number): Promise<{ owned: boolean; workflowComplete: boolean }> {
    return this.inTransaction(async (db) => {
      const result = await db.ownedStep(owner, key).set(db.finalStep('COMPLETE', message, now)).executeTakeFirst();
      if (Number(result.numUpdatedRows) === 0) return { owned: false, workflowComplete: false };
      const remaining = await db.db
        .selectFrom('workflow_steps')
        .select('step_no')
        .where('workflow_id', '=', key.workflowId)
        .where('status', 'in', ACTIVE_STEP_STATUSES)
        .executeTakeFirst();
      await db.db
        .updateTable('workflows')
        .set((eb) => ({
          steps_completed: eb('steps_completed', '+', 1),
          updated_at: now,
          ...(remaining ? {} : { status: 'COMPLETE' }),
        }))
        .where('workflow_id', '=', key.workflowId)
        .execute();
      return { owned: true, workflowComplete: !remaining };
    });
  }

  async retryLater(owner: string, key: StepKey, attempts: number, runAfter: number, message: string, now: number): Promise<boolean> {
    const result = await this.ownedStep(owner, key)
      .set({
        status: 'RETRY',
        attempts,
        run_after: runAfter,
        execution_message: message,
        lease_owner: null,
        lease_expires_at: null,
        updated_at: now,
      })
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) === 0) return false;
    await this.db.updateTable('workflows').set({ updated_at: now }).where('workflow_id', '=', key.workflowId).execute();
    return true;
  }

  async fail(owner: string, key: StepKey, message: string, errorDescription: string, now: number): Promise<boolean> {
    return this.inTransaction(async (db) => {
      const result = await db.ownedStep(owner, key).set(db.finalStep('FAILED', message, now)).executeTakeFirst();
      if (Number(result.numUpdatedRows) === 0) return false;
      await db.db
        .updateTable('workflow_steps')
        .set({
          status: 'CANCELLED',
          execution_message: `Not run: step ${key.stepNo} failed and stopped the workflow.`,
          updated_at: now,
        })
        .where('workflow_id', '=', key.workflowId)
        .where('status', 'in', ACTIVE_STEP_STATUSES)
        .execute();
      await db.db
        .updateTable('workflows')
        .set({ status: 'FAILED', error_description: errorDescription, updated_at: now })
        .where('workflow_id', '=', key.workflowId)
        .execute();
      return true;
    });
  }

  async split(owner: string, key: StepKey, halves: NewStep[], message: string, now: number): Promise<boolean> {
    return this.inTransaction(async (db) => {
      const step = await db.db
        .selectFrom('workflow_steps')
        .selectAll()
        .where('workflow_id', '=', key.workflowId)
        .where('step_no', '=', key.stepNo)
        .where('lease_owner', '=', owner)
        .executeTakeFirst();
      if (!step) return false;
      await db.ownedStep(owner, key).set(db.finalStep('SPLIT', message, now)).execute();
      const last = await db.db
        .selectFrom('workflow_steps')
        .select((eb) => eb.fn.max('step_no').as('n'))
        .where('workflow_id', '=', key.workflowId)
        .executeTakeFirstOrThrow();
      const scope = { accountId: step.account_id, region: step.region };
      await db.db
        .insertInto('workflow_steps')
        .values(halves.map((h, i) => newStepRow(scope, step.domain_name, key.workflowId, Number(last.n) + i + 1, h, now)))
        .execute();
      // The halves read the split step's window again; upserts by UNIQUE key make that idempotent, and the
      // records it had counted are taken back so that the workflow's total stays exact.
      await db.db
        .updateTable('workflows')
        .set((eb) => ({
          total_steps: eb('total_steps', '+', halves.length - 1),
          records_processed: eb('records_processed', '-', Number(step.records_processed)),
          updated_at: now,
        }))
        .where('workflow_id', '=', key.workflowId)
        .execute();
      return true;
    });
  }

  async abandonedDeletions(now: number, limit: number): Promise<{ scope: Scope; domainName: string; workflowId: string }[]> {
    const rows = await this.db
      .selectFrom('workflows as w')
      .select(['w.account_id', 'w.region', 'w.domain_name', 'w.workflow_id'])
      .where('w.deleted', '=', 1)
      .where(({ not, exists, selectFrom }) =>
        not(
          exists(
            selectFrom('workflow_steps as s')
              .select('s.step_no')
              .whereRef('s.workflow_id', '=', 'w.workflow_id')
              .where('s.lease_expires_at', '>', now),
          ),
        ),
      )
      .limit(limit)
      .execute();
    return rows.map((r) => ({ scope: { accountId: r.account_id, region: r.region }, domainName: r.domain_name, workflowId: r.workflow_id }));
  }

  async isDeleted(workflowId: string): Promise<boolean> {
    const row = await this.db.selectFrom('workflows').select('deleted').where('workflow_id', '=', workflowId).executeTakeFirst();
    return !row || row.deleted === 1;
  }

  private ownedStep(owner: string, key: StepKey) {
    return this.db
      .updateTable('workflow_steps')
      .where('workflow_id', '=', key.workflowId)
      .where('step_no', '=', key.stepNo)
      .where('lease_owner', '=', owner)
      .where('status', '=', 'IN_PROGRESS');
  }

  private finalStep(status: WorkflowStatus, message: string, now: number) {
    return { status, execution_message: message, lease_owner: null, lease_expires_at: null, updated_at: now };
  }

  /** Runs `work` in a transaction unless this repository already lives in one. */
  private async inTransaction<T>(work: (repo: KyselyWorkflowRepository) => Promise<T>): Promise<T> {
    if (this.db.isTransaction) return work(this);
    return this.db.transaction().execute((trx) => work(new KyselyWorkflowRepository(trx, this.capabilities)));
  }
}

function toWorkflowRow(scope: Scope, w: WorkflowRecord): WorkflowsTable {
  return {
    workflow_id: w.workflowId,
    account_id: scope.accountId,
    region: scope.region,
    domain_name: w.domainName,
    workflow_type: w.workflowType,
    status: w.status,
    error_description: w.errorDescription ?? null,
    object_type_name: w.objectTypeName,
    connector_type: w.connectorType,
    connector_profile_name: w.connectorProfileName,
    role_arn: w.roleArn,
    definition: JSON.stringify(w.definition),
    records_processed: w.recordsProcessed,
    steps_completed: w.stepsCompleted,
    total_steps: w.totalSteps,
    deleted: 0,
    created_at: w.createdAt,
    started_at: w.startedAt ?? null,
    updated_at: w.updatedAt,
  };
}

const SUMMARY_COLUMNS = [
  'workflow_id',
  'domain_name',
  'workflow_type',
  'status',
  'error_description',
  'object_type_name',
  'connector_type',
  'connector_profile_name',
  'role_arn',
  'records_processed',
  'steps_completed',
  'total_steps',
  'created_at',
  'started_at',
  'updated_at',
] as const;

const ITEM_COLUMNS = [
  'workflow_id',
  'workflow_type',
  'status',
  'error_description',
  'records_processed',
  'steps_completed',
  'total_steps',
  'created_at',
  'updated_at',
] as const;

function fromItemRow(row: Pick<Selectable<WorkflowsTable>, (typeof ITEM_COLUMNS)[number]>): WorkflowListItem {
  return {
    workflowId: row.workflow_id,
    workflowType: row.workflow_type as 'APPFLOW_INTEGRATION',
    status: row.status as WorkflowStatus,
    errorDescription: row.error_description ?? undefined,
    recordsProcessed: Number(row.records_processed),
    stepsCompleted: Number(row.steps_completed),
    totalSteps: Number(row.total_steps),
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
}

function fromSummaryRow(row: Pick<Selectable<WorkflowsTable>, (typeof SUMMARY_COLUMNS)[number]>): WorkflowSummary {
  return {
    ...fromItemRow(row),
    domainName: row.domain_name,
    objectTypeName: row.object_type_name,
    connectorType: row.connector_type,
    connectorProfileName: row.connector_profile_name,
    roleArn: row.role_arn,
    startedAt: row.started_at === null ? undefined : Number(row.started_at),
  };
}

export function fromWorkflowRow(row: Selectable<WorkflowsTable>): WorkflowRecord {
  return { ...fromSummaryRow(row), definition: JSON.parse(row.definition) as WorkflowRecord['definition'] };
}

function newStepRow(scope: Scope, domainName: string, workflowId: string, stepNo: number, s: NewStep, now: number): WorkflowStepsTable {
  return {
    workflow_id: workflowId,
    step_no: stepNo,
    account_id: scope.accountId,
    region: scope.region,
    domain_name: domainName,
    flow_name: s.flowName,
    status: 'NOT_STARTED',
    execution_message: s.executionMessage,
    records_processed: 0,
    records_dropped: 0,
    window_start: s.windowStart,
    window_end: s.windowEnd,
    cursor: null,
    attempts: 0,
    run_after: now,
    lease_owner: null,
    lease_expires_at: null,
    created_at: now,
    updated_at: now,
  };
}

const STEP_SUMMARY_COLUMNS = [
  'step_no',
  'flow_name',
  'status',
  'execution_message',
  'records_processed',
  'window_start',
  'window_end',
  'created_at',
  'updated_at',
] as const;

function fromStepSummaryRow(row: Pick<Selectable<WorkflowStepsTable>, (typeof STEP_SUMMARY_COLUMNS)[number]>): WorkflowStepSummary {
  return {
    stepNo: Number(row.step_no),
    flowName: row.flow_name,
    status: row.status as WorkflowStatus,
    executionMessage: row.execution_message,
    recordsProcessed: Number(row.records_processed),
    windowStart: Number(row.window_start),
    windowEnd: Number(row.window_end),
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
}

function fromStepRow(row: Selectable<WorkflowStepsTable>): WorkflowStepRecord {
  return {
    ...fromStepSummaryRow(row),
    workflowId: row.workflow_id,
    recordsDropped: Number(row.records_dropped),
    cursor: row.cursor ?? undefined,
    attempts: Number(row.attempts),
    runAfter: Number(row.run_after),
    leaseOwner: row.lease_owner ?? undefined,
    leaseExpiresAt: row.lease_expires_at === null ? undefined : Number(row.lease_expires_at),
  };
}
