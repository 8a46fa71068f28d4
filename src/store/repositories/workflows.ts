import { type Insertable, type Kysely, type Selectable, sql } from 'kysely';
import type { SourceConnectorType } from '../../api/shapes.generated.js';
import type { DialectCapabilities } from '../dialects/capabilities.js';
import type { Database, WorkflowStepsTable, WorkflowsTable } from '../schema.js';
import type { Scope } from '../../domain/scope.js';
import { stepFlowName } from '../../domain/workflow-plan/windows.js';
import { CompiledReads, type Param } from './compiled-reads.js';
import { changedOne, claimLock, extendedLease, heldBy, leaseIsFree, type LeaseHolder, type LeaseRequest, NO_LEASE, takeLease } from '../lease.js';
import type {
  CancelResult,
  ClaimedStep,
  CompletedStepTotals,
  NewStep,
  PageCheckpointWrite,
  StepKey,
  StepTransition,
  WorkflowListItem,
  WorkflowPage,
  WorkflowRecord,
  WorkflowRef,
  WorkflowSummary,
  WorkflowRepository,
  WorkflowStatus,
  WorkflowStepProgress,
  WorkflowStepPage,
  WorkflowStepRecord,
  WorkflowStepSummary,
} from '../workflow-types.js';

/** Steps still to run (or running): the rest — COMPLETE, FAILED, SPLIT, CANCELLED — are final. */
const ACTIVE_STEP_STATUSES: WorkflowStatus[] = ['NOT_STARTED', 'RETRY', 'IN_PROGRESS'];
const RUNNABLE_WORKFLOW_STATUSES: WorkflowStatus[] = ['NOT_STARTED', 'IN_PROGRESS'];
const literals = (statuses: readonly WorkflowStatus[]) => statuses.map((status) => sql.lit(status));

/**
 * The first half serves the API (reads, create, the deletion's cancel and purge); the second is the
 * step machine: one guarded transition per method, named after it (docs/architecture.md draws them).
 */
export class KyselyWorkflowRepository implements WorkflowRepository {
  private readonly reads: CompiledReads;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly capabilities: DialectCapabilities,
  ) {
    this.reads = new CompiledReads(db);
  }

  // ── API reads and writes ─────────────────────────────────────────────────────────────────────────

  async create(scope: Scope, workflow: WorkflowRecord, steps: NewStep[]): Promise<boolean> {
    return this.inTransaction(async (repo) => {
      // Workflow ids are unique across accounts (random ones never meet; seeded ones repeat after every
      // re-seed): an id already taken inserts nothing, and the caller draws another rather than failing.
      const inserted = await repo.db
        .insertInto('workflows')
        .values(toWorkflowRow(scope, workflow))
        .onConflict((oc) => oc.column('workflow_id').doNothing())
        .executeTakeFirst();
      if (Number(inserted.numInsertedOrUpdatedRows ?? 0n) === 0) return false;
      const rows = stepRows({ scope, domainName: workflow.domainName, workflowId: workflow.workflowId }, workflow.definition.flowDefinition.FlowName, 1, steps, workflow.createdAt);
      // Bound the statement size: SQLite allows 32766 parameters, PostgreSQL 65535.
      for (let i = 0; i < rows.length; i += 500) await repo.db.insertInto('workflow_steps').values(rows.slice(i, i + 500)).execute();
      return true;
    });
  }

  async get(ref: WorkflowRef): Promise<WorkflowSummary | undefined> {
    // Summary columns: no API answer shows the stored FlowDefinition (~1 KB), which was read and parsed
    // here for nothing; the engine reads it through its claims. A cancelled workflow is shown (as
    // CANCELLED) until its purge: DeleteWorkflow is "an async process" in the model.
    const [row] = await this.reads.rows(
      'get',
      { accountId: ref.scope.accountId, region: ref.scope.region, domainName: ref.domainName, workflowId: ref.workflowId },
      (p) =>
        this.db
          .selectFrom('workflows')
          .select(SUMMARY_COLUMNS)
          .where('account_id', '=', p('accountId'))
          .where('region', '=', p('region'))
          .where('domain_name', '=', p('domainName'))
          .where('workflow_id', '=', p('workflowId'))
          .where((eb) => eb(domainRow(this.db, p), 'is not', null)),
    );
    return row && fromSummaryRow(row);
  }

  async list(page: WorkflowPage<[number, string]>): Promise<WorkflowSummary[]> {
    const rows = await this.listRows(page, 'summary', SUMMARY_COLUMNS);
    return rows.map(fromSummaryRow);
  }

  async listItems(page: WorkflowPage<[number, string]>): Promise<WorkflowListItem[]> {
    // Nine columns rather than the summary's fifteen: the driver builds one object per row with every
    // column selected, and the row read is most of a 100-item ListWorkflows.
    const rows = await this.listRows(page, 'items', ITEM_COLUMNS);
    return rows.map(fromItemRow);
  }

  /** One query for both list shapes: newest first, filtered, keyset after `after`. */
  private async listRows<C extends keyof WorkflowsTable>(
    { scope, domainName, filter = {}, after, limit }: WorkflowPage<[number, string]>,
    columnsName: string,
    columns: readonly C[],
  ): Promise<Pick<Selectable<WorkflowsTable>, C>[]> {
    // The text depends only on which filters are present: one compiled shape for each combination.
    const present = [filter.status, filter.workflowType, filter.createdFrom, filter.createdTo, after].map((v) => (v === undefined ? 0 : 1)).join('');
    const values = {
      accountId: scope.accountId,
      region: scope.region,
      domainName,
      status: filter.status,
      workflowType: filter.workflowType,
      createdFrom: filter.createdFrom,
      createdTo: filter.createdTo,
      afterCreatedAt: after?.[0],
      afterWorkflowId: after?.[1],
      limit,
    };
    const rows = await this.reads.rows(`list:${columnsName}:${present}`, values, (p) => {
      // Why never selectAll: the FlowDefinition (about 1 KB a row) is most of a row's bytes and no list
      // shows it; reading it made up half of a 100-item ListWorkflows's CPU (docs/performance.md).
      let q = this.db
        .selectFrom('workflows')
        .select(columns as readonly (keyof WorkflowsTable)[])
        .where('account_id', '=', p('accountId'))
        .where('region', '=', p('region'))
        .where('domain_name', '=', p('domainName'))
        .where((eb) => eb(domainRow(this.db, p), 'is not', null));
      if (filter.status) q = q.where('status', '=', p('status'));
      if (filter.workflowType) q = q.where('workflow_type', '=', p('workflowType'));
      if (filter.createdFrom !== undefined) q = q.where('created_at', '>=', p('createdFrom'));
      if (filter.createdTo !== undefined) q = q.where('created_at', '<=', p('createdTo'));
      if (after) {
        // Why a row value rather than `created_at < ? OR (created_at = ? AND workflow_id < ?)`: with the OR,
        // SQLite bounds the index range by the domain only and skips the rows already returned one by one,
        // so page n cost O(n) (measured: bench/control-plane.ts, the walk at 1,000,000 workflows). A row
        // value is a range bound on (created_at, workflow_id) on both SQLite (3.15+) and PostgreSQL.
        q = q.where((eb) => eb(eb.refTuple('created_at', 'workflow_id'), '<', eb.tuple(p('afterCreatedAt'), p('afterWorkflowId'))));
      }
      return q.orderBy('created_at', 'desc').orderBy('workflow_id', 'desc').limit(p('limit'));
    });
    return rows as unknown as Pick<Selectable<WorkflowsTable>, C>[];
  }

  async listSteps({ scope, workflowId, after, limit }: { scope: Scope; workflowId: string; after?: number; limit: number }): Promise<WorkflowStepSummary[]> {
    // Why not selectAll: the driver builds one object per row with every column, and half of the 19 were
    // never shown (cursor, lease, retry state); a 100-step page read in 0.22 ms instead of 0.48 ms of CPU.
    const rows = await this.reads.rows(
      after === undefined ? 'steps:first' : 'steps:after',
      { accountId: scope.accountId, region: scope.region, workflowId, after, limit },
      (p) => {
        let q = this.db
          .selectFrom('workflow_steps')
          .select(STEP_SUMMARY_COLUMNS)
          .where('account_id', '=', p('accountId'))
          .where('region', '=', p('region'))
          .where('workflow_id', '=', p('workflowId'));
        if (after !== undefined) q = q.where('step_no', '>', p('after'));
        return q.orderBy('step_no').limit(p('limit'));
      },
    );
    return rows.map(fromStepSummaryRow);
  }

  async stepPage({ scope, domainName, workflowId, after, limit }: WorkflowRef & { after?: number; limit: number }): Promise<WorkflowStepPage> {
    // One statement for what GetWorkflowSteps answers: the workflow's type comes with every step, read by
    // a scalar subquery that the database runs once (so is the condition that it exists), not a join, so
    // the steps keep their primary key's order and the page stops at `limit` without a sort.
    const rows = await this.reads.rows(
      after === undefined ? 'stepPage:first' : 'stepPage:after',
      { accountId: scope.accountId, region: scope.region, domainName, workflowId, after, limit },
      (p) => {
        const workflowType = () =>
          this.db
            .selectFrom('workflows')
            .select('workflows.workflow_type')
            .where('workflows.account_id', '=', p('accountId'))
            .where('workflows.region', '=', p('region'))
            .where('workflows.domain_name', '=', p('domainName'))
            .where('workflows.workflow_id', '=', p('workflowId'))
            .where((eb) => eb(domainRow(this.db, p), 'is not', null));
        let q = this.db
          .selectFrom('workflow_steps')
          .select(STEP_SUMMARY_COLUMNS)
          .select(workflowType().as('workflow_type'))
          .where('account_id', '=', p('accountId'))
          .where('region', '=', p('region'))
          .where('workflow_id', '=', p('workflowId'))
          .where((eb) => eb(workflowType(), 'is not', null));
        if (after !== undefined) q = q.where('step_no', '>', p('after'));
        return q.orderBy('step_no').limit(p('limit'));
      },
    );
    return { workflowType: (rows[0]?.workflow_type ?? undefined) as WorkflowStepPage['workflowType'], steps: rows.map(fromStepSummaryRow) };
  }

  async listStepProgress({ scope, workflowId, after, limit }: { scope: Scope; workflowId: string; after?: number; limit: number }): Promise<WorkflowStepProgress[]> {
    // Its own column list rather than a wider listSteps: GetWorkflowSteps, the hotter read, stays at its nine.
    let q = this.db
      .selectFrom('workflow_steps')
      .select([...STEP_SUMMARY_COLUMNS, 'read_through', 'records_estimate'])
      .where('account_id', '=', scope.accountId)
      .where('region', '=', scope.region)
      .where('workflow_id', '=', workflowId);
    if (after !== undefined) q = q.where('step_no', '>', after);
    const rows = await q.orderBy('step_no').limit(limit).execute();
    return rows.map((row) => ({
      ...fromStepSummaryRow(row),
      ...(row.read_through === null ? {} : { readThrough: Number(row.read_through) }),
      ...(row.records_estimate === null ? {} : { recordsEstimate: Number(row.records_estimate) }),
    }));
  }

  async completedStepTotals(scope: Scope, workflowId: string): Promise<CompletedStepTotals> {
    // One aggregate rather than every step read back: a workflow may have thousands (many Batches, splits).
    const row = await this.db
      .selectFrom('workflow_steps')
      .select((eb) => [
        eb.fn.sum<number | string | null>('records_processed').as('records'),
        eb.fn.sum<number | string | null>(eb('window_end', '-', eb.ref('window_start'))).as('window_ms'),
      ])
      .where('account_id', '=', scope.accountId)
      .where('region', '=', scope.region)
      .where('workflow_id', '=', workflowId)
      .where('status', '=', 'COMPLETE')
      .executeTakeFirst();
    return { records: Number(row?.records ?? 0), windowMs: Number(row?.window_ms ?? 0) };
  }

  // ── Deletion: cancel (DeleteWorkflow), then purge (the engine) ───────────────────────────────────

  async cancel(ref: WorkflowRef & { now: number }): Promise<CancelResult> {
    return this.inTransaction(async (repo) => {
      // Why one transaction: the workflow turns CANCELLED and its steps lose their leases together, so
      // no worker can commit a page of a workflow that reads as cancelled.
      const marked = await repo.db
        .updateTable('workflows')
        .set({ deleted: 1, status: 'CANCELLED', updated_at: ref.now })
        .where('account_id', '=', ref.scope.accountId)
        .where('region', '=', ref.scope.region)
        .where('domain_name', '=', ref.domainName)
        .where('workflow_id', '=', ref.workflowId)
        .where('deleted', '=', 0)
        .executeTakeFirst();
      if (Number(marked.numUpdatedRows) === 0) {
        const pending = await repo.get(ref);
        return pending ? { state: 'already-cancelled', workflow: pending } : { state: 'missing' };
      }
      // Final statuses hold no lease: a running worker's next guarded write (a page, a renewal) changes
      // nothing, and it stops.
      await repo.db
        .updateTable('workflow_steps')
        .set({ status: 'CANCELLED', execution_message: 'Cancelled: the workflow was deleted.', ...NO_LEASE, updated_at: ref.now })
        .where('workflow_id', '=', ref.workflowId)
        .where('status', 'in', ACTIVE_STEP_STATUSES)
        .execute();
      return { state: 'cancelled', workflow: (await repo.get(ref))! };
    });
  }

  async cancelledWorkflows(limit: number): Promise<string[]> {
    const rows = await this.db.selectFrom('workflows').select('workflow_id').where('deleted', '=', 1).orderBy('updated_at').limit(limit).execute();
    return rows.map((r) => r.workflow_id);
  }

  async isCancelled(workflowId: string): Promise<boolean> {
    const row = await this.db.selectFrom('workflows').select('deleted').where('workflow_id', '=', workflowId).executeTakeFirst();
    return !row || row.deleted === 1;
  }

  async removeCancelled(workflowId: string): Promise<void> {
    await this.inTransaction(async (repo) => {
      // Guarded by `deleted = 1`: only a cancelled workflow is ever purged, whoever asks.
      const cancelled = repo.db.selectFrom('workflows').select('workflow_id').where('workflow_id', '=', workflowId).where('deleted', '=', 1);
      await repo.db
        .deleteFrom('workflow_steps')
        .where('workflow_id', '=', workflowId)
        .where(({ exists }) => exists(cancelled))
        .execute();
      await repo.db.deleteFrom('workflows').where('workflow_id', '=', workflowId).where('deleted', '=', 1).execute();
    });
  }

  // ── The step machine: one guarded transition per method ──────────────────────────────────────────

  /**
   * Why this query: a step is runnable when it is the first unfinished step of a live workflow (steps
   * of one workflow run in order), its back-off has passed, and nobody holds a live lease on it (an
   * expired lease is how a crashed worker's step is taken over — the reaper is this condition).
   * On PostgreSQL `FOR UPDATE OF s SKIP LOCKED` lets many workers claim at once without ever taking the
   * same step (graphile-worker's pattern); SQLite serialises writers, so one transaction suffices.
   * Three statements (lock the step, take its lease, start its workflow), one transaction.
   */
  async claim(request: LeaseRequest): Promise<ClaimedStep | undefined> {
    return this.db.transaction().execute(async (trx) => {
      // From the runnable workflows to each one's next step: one seek each through the claim's partial
      // indexes (migration 020), whose conditions are written as literals so that both dialects see
      // these conditions match them.
      let q = trx
        .selectFrom('workflows as w')
        .innerJoin('workflow_steps as s', (join) =>
          join.onRef('s.workflow_id', '=', 'w.workflow_id').on((eb) =>
            eb(
              's.step_no',
              '=',
              eb
                .selectFrom('workflow_steps as s2')
                .select((e) => e.fn.min('s2.step_no').as('first'))
                .whereRef('s2.workflow_id', '=', 'w.workflow_id')
                .where('s2.status', 'in', literals(ACTIVE_STEP_STATUSES)),
            ),
          ),
        )
        .selectAll('s')
        .where('w.deleted', '=', sql.lit(0))
        .where('w.status', 'in', literals(RUNNABLE_WORKFLOW_STATUSES))
        .where('s.run_after', '<=', request.now)
        .where(leaseIsFree('s', request.now))
        .orderBy('s.run_after')
        .orderBy('w.created_at')
        .limit(1);
      const lock = claimLock(this.capabilities, 's');
      if (lock) q = q.modifyEnd(lock);
      const row = await q.executeTakeFirst();
      if (!row) return undefined;
      const tookOver = row.status === 'IN_PROGRESS' && row.lease_owner !== null;
      const taken = takeLease(request);
      await trx.updateTable('workflow_steps').set(taken).where('workflow_id', '=', row.workflow_id).where('step_no', '=', row.step_no).execute();
      await trx
        .updateTable('workflows')
        .set({ status: 'IN_PROGRESS', started_at: request.now, updated_at: request.now })
        .where('workflow_id', '=', row.workflow_id)
        .where('status', '=', 'NOT_STARTED')
        .execute();
      const workflow = await trx.selectFrom('workflows').selectAll().where('workflow_id', '=', row.workflow_id).executeTakeFirstOrThrow();
      return {
        scope: { accountId: workflow.account_id, region: workflow.region },
        workflow: fromWorkflowRow(workflow),
        step: fromStepRow({ ...row, ...taken }),
        tookOver,
      };
    });
  }

  /** Why: a step longer than its lease keeps it by renewing (the engine's heartbeat, a third of the lease). */
  async renewLease({ key, owner, now, leaseMs }: LeaseRequest & { key: StepKey }): Promise<boolean> {
    return changedOne(await this.heldStep(key, owner).set({ lease_expires_at: extendedLease(now, leaseMs) }).executeTakeFirst());
  }

  /** Why: a worker stopping (SIGTERM, a manual-mode page budget spent) lets the next claim resume at once. */
  async giveBack({ key, owner, now, behind }: LeaseHolder & { key: StepKey; behind?: boolean }): Promise<boolean> {
    return changedOne(await this.heldStep(key, owner).set({ ...NO_LEASE, updated_at: now, ...(behind ? { run_after: now } : {}) }).executeTakeFirst());
  }

  /**
   * Why the step and its workflow in one transaction with the page's records (the caller's): a crash
   * loses the lease, never a count; the next owner resumes from exactly the records committed.
   */
  async checkpointPage(t: StepTransition<PageCheckpointWrite>): Promise<boolean> {
    return this.inTransaction(async (repo) => {
      const moved = await repo
        .heldStep(t.key, t.owner)
        .set((eb) => ({
          cursor: t.cursor,
          // The read position belongs to the cursor: written with it, so a resume never shows more read
          // than its cursor holds. A page that tells none leaves the last one, still true of this cursor.
          ...(t.readThrough === undefined ? {} : { read_through: t.readThrough }),
          records_processed: eb('records_processed', '+', t.records),
          records_dropped: eb('records_dropped', '+', t.dropped),
          // A page committed ends a run of failures: the retries a later failure may have start again.
          attempts: 0,
          execution_message: t.message,
          lease_expires_at: extendedLease(t.now, t.leaseMs),
          updated_at: t.now,
        }))
        .executeTakeFirst();
      if (!changedOne(moved)) return false;
      await repo.db
        .updateTable('workflows')
        .set((eb) => ({ records_processed: eb('records_processed', '+', t.records), updated_at: t.now }))
        .where('workflow_id', '=', t.key.workflowId)
        .execute();
      return true;
    });
  }

  async holdStep({ key, owner }: { key: StepKey; owner: string }): Promise<boolean> {
    let query = this.db.selectFrom('workflow_steps').select('step_no').where('workflow_id', '=', key.workflowId).where('step_no', '=', key.stepNo).where(heldBy(owner));
    if (this.capabilities.skipLocked) query = query.forNoKeyUpdate();
    return (await query.executeTakeFirst()) !== undefined;
  }

  /** Why a transition of its own: the estimate is known before the first page, which may be minutes away (a bulk job). */
  async noteEstimate(t: StepTransition<{ recordsEstimate: number }>): Promise<boolean> {
    return changedOne(await this.heldStep(t.key, t.owner).set({ records_estimate: t.recordsEstimate, updated_at: t.now }).executeTakeFirst());
  }

  /** Why the remaining-steps check in the same transaction: the last step to complete completes the workflow, once. */
  async completeStep(t: StepTransition<{ message: string }>): Promise<{ owned: boolean; workflowComplete: boolean }> {
    return this.inTransaction(async (repo) => {
      if (!changedOne(await repo.heldStep(t.key, t.owner).set(finalStep('COMPLETE', t.message, t.now)).executeTakeFirst())) {
        return { owned: false, workflowComplete: false };
      }
      const remaining = await repo.db
        .selectFrom('workflow_steps')
        .select('step_no')
        .where('workflow_id', '=', t.key.workflowId)
        .where('status', 'in', ACTIVE_STEP_STATUSES)
        .executeTakeFirst();
      await repo.db
        .updateTable('workflows')
        .set((eb) => ({ steps_completed: eb('steps_completed', '+', 1), updated_at: t.now, ...(remaining ? {} : { status: 'COMPLETE' }) }))
        .where('workflow_id', '=', t.key.workflowId)
        .execute();
      return { owned: true, workflowComplete: !remaining };
    });
  }

  /** Why the lease is dropped: the back-off (`run_after`) is what keeps the step from being claimed early. */
  async retryStep(t: StepTransition<{ attempts: number; runAfter: number; message: string }>): Promise<boolean> {
    return this.inTransaction(async (repo) => {
      const retried = await repo
        .heldStep(t.key, t.owner)
        .set({ status: 'RETRY', attempts: t.attempts, run_after: t.runAfter, execution_message: t.message, ...NO_LEASE, updated_at: t.now })
        .executeTakeFirst();
      if (!changedOne(retried)) return false;
      await repo.db.updateTable('workflows').set({ updated_at: t.now }).where('workflow_id', '=', t.key.workflowId).execute();
      return true;
    });
  }

  /** Why the steps not yet run are cancelled here: a failed step stops its workflow, and nothing may claim them. */
  async failStep(t: StepTransition<{ message: string; errorDescription: string }>): Promise<boolean> {
    return this.inTransaction(async (repo) => {
      if (!changedOne(await repo.heldStep(t.key, t.owner).set(finalStep('FAILED', t.message, t.now)).executeTakeFirst())) return false;
      await repo.db
        .updateTable('workflow_steps')
        .set({ status: 'CANCELLED', execution_message: `Not run: step ${t.key.stepNo} failed and stopped the workflow.`, updated_at: t.now })
        .where('workflow_id', '=', t.key.workflowId)
        .where('status', 'in', ACTIVE_STEP_STATUSES)
        .execute();
      await repo.db
        .updateTable('workflows')
        .set({ status: 'FAILED', error_description: t.errorDescription, updated_at: t.now })
        .where('workflow_id', '=', t.key.workflowId)
        .execute();
      return true;
    });
  }

  /**
   * Why the halves go after the last step rather than in place: step numbers are never reused, so a
   * page token of GetWorkflowSteps stays good across a split.
   */
  async splitStep(t: StepTransition<{ halves: NewStep[]; message: (stepNos: number[]) => string }>): Promise<boolean> {
    return this.inTransaction(async (repo) => {
      const step = await repo.db
        .selectFrom('workflow_steps as s')
        .innerJoin('workflows as w', 'w.workflow_id', 's.workflow_id')
        .select(['s.account_id', 's.region', 's.domain_name', 's.records_processed', 'w.definition'])
        .where('s.workflow_id', '=', t.key.workflowId)
        .where('s.step_no', '=', t.key.stepNo)
        .executeTakeFirst();
      if (!step) return false;
      const last = await repo.db
        .selectFrom('workflow_steps')
        .select((eb) => eb.fn.max('step_no').as('n'))
        .where('workflow_id', '=', t.key.workflowId)
        .executeTakeFirstOrThrow();
      const first = Number(last.n) + 1;
      const stepNos = t.halves.map((_, i) => first + i);
      if (!changedOne(await repo.heldStep(t.key, t.owner).set(finalStep('SPLIT', t.message(stepNos), t.now)).executeTakeFirst())) return false;
      const flowName = (JSON.parse(step.definition) as WorkflowRecord['definition']).flowDefinition.FlowName;
      const ref = { scope: { accountId: step.account_id, region: step.region }, domainName: step.domain_name, workflowId: t.key.workflowId };
      await repo.db.insertInto('workflow_steps').values(stepRows(ref, flowName, first, t.halves, t.now)).execute();
      // The halves read the split step's window again; upserts by UNIQUE key make that idempotent, and the
      // records it had counted are taken back so that the workflow's total stays exact.
      await repo.db
        .updateTable('workflows')
        .set((eb) => ({
          total_steps: eb('total_steps', '+', t.halves.length - 1),
          records_processed: eb('records_processed', '-', Number(step.records_processed)),
          updated_at: t.now,
        }))
        .where('workflow_id', '=', t.key.workflowId)
        .execute();
      return true;
    });
  }

  /** The row `owner` holds the lease of: the one guard every transition after the claim writes through. */
  private heldStep(key: StepKey, owner: string) {
    return this.db.updateTable('workflow_steps').where('workflow_id', '=', key.workflowId).where('step_no', '=', key.stepNo).where(heldBy(owner));
  }

  /** Runs `work` in a transaction unless this repository already lives in one. */
  private async inTransaction<T>(work: (repo: KyselyWorkflowRepository) => Promise<T>): Promise<T> {
    if (this.db.isTransaction) return work(this);
    return this.db.transaction().execute((trx) => work(new KyselyWorkflowRepository(trx, this.capabilities)));
  }
}

/** A final status: the lease is dropped with it. */
function finalStep(status: WorkflowStatus, message: string, now: number) {
  return { status, execution_message: message, ...NO_LEASE, updated_at: now };
}

/**
 * The one place steps get their numbers and names: `first`, `first + 1`… in order, each an AppFlow flow
 * named after the workflow's FlowName, its id and its number (`stepFlowName`). A new workflow starts at
 * 1; a split's halves start after the last step.
 */
function stepRows(ref: WorkflowRef, baseFlowName: string, first: number, steps: NewStep[], now: number): Insertable<WorkflowStepsTable>[] {
  return steps.map((s, i) => ({
    workflow_id: ref.workflowId,
    step_no: first + i,
    account_id: ref.scope.accountId,
    region: ref.scope.region,
    domain_name: ref.domainName,
    flow_name: stepFlowName(baseFlowName, ref.workflowId, first + i),
    status: 'NOT_STARTED',
    execution_message: s.executionMessage,
    records_processed: 0,
    records_dropped: 0,
    window_start: s.windowStart,
    window_end: s.windowEnd,
    cursor: null,
    attempts: 0,
    run_after: now,
    ...NO_LEASE,
    created_at: now,
    updated_at: now,
  }));
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

/**
 * The domain's row, the condition of the API's reads of its workflows and steps: they are seen only while
 * the domain exists, judged in the same statement. Why: an answer then takes one round trip, and the
 * domain is looked up on its own only when a read finds nothing, to say which of the two is missing
 * (operations/workflows-common.ts). A scalar subquery tested for null rather than `exists`: both databases
 * run an uncorrelated scalar subquery once per statement, where SQLite turned `exists` into a semi-join
 * probed again for every row of the page (GetWorkflowSteps: 101 probes of two indexes).
 */
function domainRow(db: Kysely<Database>, p: Param) {
  return db
    .selectFrom('domains')
    .select(sql.lit(1).as('present'))
    .where('domains.account_id', '=', p('accountId'))
    .where('domains.region', '=', p('region'))
    .where('domains.domain_name', '=', p('domainName'));
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
    // Written only from a validated request (the model's enum), so the column holds one of its values.
    connectorType: row.connector_type as SourceConnectorType,
    connectorProfileName: row.connector_profile_name,
    roleArn: row.role_arn,
    startedAt: row.started_at === null ? undefined : Number(row.started_at),
  };
}

export function fromWorkflowRow(row: Selectable<WorkflowsTable>): WorkflowRecord {
  return { ...fromSummaryRow(row), definition: JSON.parse(row.definition) as WorkflowRecord['definition'] };
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
    ...(row.read_through === null ? {} : { readThrough: Number(row.read_through) }),
    ...(row.records_estimate === null ? {} : { recordsEstimate: Number(row.records_estimate) }),
    attempts: Number(row.attempts),
    runAfter: Number(row.run_after),
    leaseOwner: row.lease_owner ?? undefined,
    leaseExpiresAt: row.lease_expires_at === null ? undefined : Number(row.lease_expires_at),
  };
}
