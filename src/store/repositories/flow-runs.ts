import { randomUUID } from 'node:crypto';
import { type Expression, type Kysely, type Selectable, type SqlBool, sql } from 'kysely';
import type { DialectCapabilities } from '../dialects/capabilities.js';
import type { Database, FlowRunsTable } from '../schema.js';
import type { Scope } from '../../domain/scope.js';
import { readTrigger, windowStart } from '../../domain/flow-trigger.js';
import { latestDueTick, NO_MORE_TICKS, nextTickAfter } from '../../domain/schedule.js';
import { changedOne, claimLock, extendedLease, heldBy, leaseIsFree, type LeaseHolder, type LeaseRequest, NO_LEASE, takeLease } from '../lease.js';
import {
  type ClaimedRun,
  type EndedRun,
  type ExecutionStatus,
  type FlowRunRecord,
  type FlowRunRepository,
  type NewRun,
  RUN_LEASED_STATUS,
  type RunKey,
  type RunTransition,
} from '../flow-run-types.js';
import { flowFromRow } from './appflow.js';

const ACTIVE: ExecutionStatus[] = ['InProgress', 'CancelStarted'];
const ENDED: ExecutionStatus[] = ['Successful', 'Error', 'Canceled'];

/**
 * A flow still runs while it exists, its destination domain exists and, when Customer Profiles created
 * it for an integration, that integration exists. Why a condition and not a cascade: DeleteDomain,
 * DeleteWorkflow (its purge removes the integration) and DeleteIntegration each remove their own rows;
 * this one predicate, read by the scheduler, the claim and every page's checkpoint, is what stops the
 * flow's runs, whichever of them ran.
 */
function flowRuns(alias: string): Expression<SqlBool> {
  const f = (c: string) => sql.ref(`${alias}.${c}`);
  return sql<SqlBool>`(exists (select 1 from domains d where d.account_id = ${f('account_id')} and d.region = ${f('region')} and d.domain_name = ${f('domain_name')})
    and (${f('integration_uri')} is null or exists (select 1 from integrations i where i.account_id = ${f('account_id')} and i.region = ${f('region')}
      and i.domain_name = ${f('domain_name')} and i.uri = ${f('integration_uri')})))`;
}

/**
 * The run machine: the API's reads and writes first, then one guarded transition per method, each
 * written with the lease primitives and named after what it does (docs/architecture.md).
 */
export class KyselyFlowRunRepository implements FlowRunRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly capabilities: DialectCapabilities,
  ) {}

  // ── API reads and writes ─────────────────────────────────────────────────────────────────────────

  async get(key: RunKey): Promise<FlowRunRecord | undefined> {
    const row = await this.runRow(key).executeTakeFirst();
    return row && fromRow(row);
  }

  async list(scope: Scope, flowName: string, after: [number, string] | undefined, limit: number): Promise<FlowRunRecord[]> {
    let q = this.db
      .selectFrom('flow_runs')
      .selectAll()
      .where('account_id', '=', scope.accountId)
      .where('region', '=', scope.region)
      .where('flow_name', '=', flowName);
    if (after) {
      const [createdAt, id] = after;
      q = q.where((eb) => eb.or([eb('created_at', '<', createdAt), eb.and([eb('created_at', '=', createdAt), eb('execution_id', '<', id)])]));
    }
    const rows = await q.orderBy('created_at', 'desc').orderBy('execution_id', 'desc').limit(limit).execute();
    return rows.map(fromRow);
  }

  /** Why only the active ones: flow_runs_due (status first) answers them without reading the history. */
  async activeCounts(): Promise<Record<string, number>> {
    const rows = await this.db
      .selectFrom('flow_runs')
      .select(['status', (eb) => eb.fn.countAll().as('n')])
      .where('status', 'in', ACTIVE)
      .groupBy('status')
      .execute();
    return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
  }

  /** Why no index of its own: the sweep reads a short recent window; flow_runs_due leads with status. */
  async endedSince(since: number, after: { updatedAt: number; executionId: string } | undefined, limit: number): Promise<EndedRun[]> {
    let q = this.db.selectFrom('flow_runs').selectAll().where('status', 'in', ENDED).where('updated_at', '>=', since);
    if (after) {
      q = q.where((eb) => eb.or([eb('updated_at', '>', after.updatedAt), eb.and([eb('updated_at', '=', after.updatedAt), eb('execution_id', '>', after.executionId)])]));
    }
    const rows = await q.orderBy('updated_at').orderBy('execution_id').limit(limit).execute();
    return rows.map((row) => ({ scope: { accountId: row.account_id, region: row.region }, run: fromRow(row) }));
  }

  async flowStillRuns(scope: Scope, flowName: string): Promise<boolean> {
    const row = await this.db
      .selectFrom('flows as f')
      .select('f.flow_name')
      .where('f.account_id', '=', scope.accountId)
      .where('f.region', '=', scope.region)
      .where('f.flow_name', '=', flowName)
      .where(flowRuns('f'))
      .executeTakeFirst();
    return row !== undefined;
  }

  /**
   * Why next_run_at is cleared on activation: the scheduler then computes the first tick after the
   * activation (a rate without a start time is anchored at it), rather than running every tick missed
   * while the flow was stopped. The watermark stays, so the next incremental run reads what came meanwhile.
   */
  async setFlowStatus(scope: Scope, flowName: string, status: 'Active' | 'Suspended', now: number): Promise<boolean> {
    const activation = status === 'Active' ? { activated_at: now, next_run_at: null, consecutive_failures: 0 } : {};
    const result = await this.db
      .updateTable('flows')
      .set({ status, updated_at: now, ...activation })
      .where('account_id', '=', scope.accountId)
      .where('region', '=', scope.region)
      .where('flow_name', '=', flowName)
      .executeTakeFirst();
    return changedOne(result);
  }

  /** Why the unique partial index: a flow has at most one active run; a second insert inserts nothing. */
  async createRun(scope: Scope, flowName: string, run: NewRun): Promise<string | undefined> {
    const flow = await this.db
      .selectFrom('flows')
      .select(['domain_name'])
      .where('account_id', '=', scope.accountId)
      .where('region', '=', scope.region)
      .where('flow_name', '=', flowName)
      .executeTakeFirst();
    if (!flow) return undefined;
    const executionId = randomUUID();
    const inserted = await this.db
      .insertInto('flow_runs')
      .values(newRunRow(scope, flowName, flow.domain_name, executionId, run))
      .onConflict((oc) => oc.doNothing())
      .executeTakeFirst();
    return Number(inserted.numInsertedOrUpdatedRows ?? 0n) === 1 ? executionId : undefined;
  }

  /**
   * Why a held run becomes CancelStarted rather than Canceled: its holder is mid-page; the page's
   * guarded checkpoint then refuses, and the holder ends the run as Canceled (endCancelled). A run
   * nobody holds (waiting for its back-off, or its holder died) is Canceled at once. One statement.
   */
  async cancel(scope: Scope, flowName: string, executionIds: string[] | undefined, now: number, message: string): Promise<{ cancelled: string[]; invalid: string[] }> {
    return this.inTransaction(async (repo) => {
      let q = repo.db
        .updateTable('flow_runs')
        .set({
          status: sql`case when lease_expires_at is not null and lease_expires_at > cast(${now} as bigint) then 'CancelStarted' else 'Canceled' end`,
          // The casts: PostgreSQL types a bound parameter inside CASE as text otherwise.
          ended_at: sql`case when lease_expires_at is not null and lease_expires_at > cast(${now} as bigint) then null else cast(${now} as bigint) end`,
          error_message: message,
          updated_at: now,
        })
        .where('account_id', '=', scope.accountId)
        .where('region', '=', scope.region)
        .where('flow_name', '=', flowName)
        .where('status', '=', 'InProgress');
      if (executionIds) {
        if (executionIds.length === 0) return { cancelled: [], invalid: [] };
        q = q.where('execution_id', 'in', executionIds);
      }
      const rows = await q.returning('execution_id').execute();
      const cancelled = rows.map((r) => r.execution_id);
      const invalid = (executionIds ?? []).filter((id) => !cancelled.includes(id));
      return { cancelled, invalid };
    });
  }

  // ── The run machine: one guarded transition per method ────────────────────────────────────────────

  /**
   * Why this shape: every node runs the scheduler, so each flow's tick is moved by compare-and-set
   * (`next_run_at` still what this node read): of two nodes seeing the same due tick, one moves it and
   * creates the run, the other changes nothing. Missed ticks collapse into the newest (latestDueTick):
   * a process that was down for a day runs once. Runs left active on a flow that no longer runs (its
   * domain or integration deleted while nobody held the run), and cancels whose holder died, are ended
   * here too.
   */
  async scheduleDueRuns(now: number): Promise<RunKey[]> {
    await this.db
      .updateTable('flow_runs as r')
      .set({ status: 'Canceled', ended_at: now, updated_at: now, ...NO_LEASE })
      .where('r.status', 'in', ACTIVE)
      .where(leaseIsFree('r', now))
      .where((eb) =>
        eb.or([
          eb('r.status', '=', 'CancelStarted'),
          eb.not(
            eb.exists(
              eb
                .selectFrom('flows as f')
                .select('f.flow_name')
                .whereRef('f.account_id', '=', 'r.account_id')
                .whereRef('f.region', '=', 'r.region')
                .whereRef('f.flow_name', '=', 'r.flow_name')
                .where(flowRuns('f')),
            ),
          ),
        ]),
      )
      .execute();

    const due = await this.db
      .selectFrom('flows as f')
      .selectAll('f')
      .where('f.trigger_type', '=', 'Scheduled')
      .where('f.status', '=', 'Active')
      .where((eb) => eb.or([eb('f.next_run_at', 'is', null), eb('f.next_run_at', '<=', now)]))
      .where(flowRuns('f'))
      .limit(100)
      .execute();
    const created: RunKey[] = [];
    for (const row of due) {
      const flow = flowFromRow(row);
      const scope = { accountId: row.account_id, region: row.region };
      const activatedAt = flow.activatedAt ?? flow.createdAt;
      const trigger = readTrigger(flow.triggerConfig, activatedAt);
      if (!trigger.schedule?.ok) continue;
      const schedule = trigger.schedule.value;
      const stored = row.next_run_at === null ? undefined : Number(row.next_run_at);
      const next = stored ?? nextTickAfter(schedule, activatedAt) ?? NO_MORE_TICKS;
      const tick = next === NO_MORE_TICKS ? undefined : latestDueTick(schedule, next - 1, now);
      const moveTo = tick === undefined ? next : (nextTickAfter(schedule, tick) ?? NO_MORE_TICKS);
      if (tick === undefined && stored !== undefined) continue; // next tick known, not yet due (its offset)
      const key = await this.inTransaction(async (repo) => {
        if (tick !== undefined) {
          // A run still active (a long one, a retry waiting): this tick waits for it and is taken once it ends.
          const active = await repo.db
            .selectFrom('flow_runs')
            .select('execution_id')
            .where('account_id', '=', scope.accountId)
            .where('region', '=', scope.region)
            .where('flow_name', '=', flow.flowName)
            .where('status', 'in', ACTIVE)
            .executeTakeFirst();
          if (active) return undefined;
        }
        const moved = await repo.db
          .updateTable('flows')
          .set({ next_run_at: moveTo })
          .where('account_id', '=', scope.accountId)
          .where('region', '=', scope.region)
          .where('flow_name', '=', flow.flowName)
          .where('status', '=', 'Active')
          .where((eb) => (stored === undefined ? eb('next_run_at', 'is', null) : eb('next_run_at', '=', stored)))
          .executeTakeFirst();
        if (!changedOne(moved) || tick === undefined) return undefined;
        const executionId = randomUUID();
        const start = Math.min(windowStart(trigger, flow), tick);
        const inserted = await repo.db
          .insertInto('flow_runs')
          .values(newRunRow(scope, flow.flowName, flow.domainName, executionId, { triggerType: 'Scheduled', windowStart: start, windowEnd: tick, now }))
          .onConflict((oc) => oc.doNothing())
          .executeTakeFirst();
        return Number(inserted.numInsertedOrUpdatedRows ?? 0n) === 1 ? { scope, flowName: flow.flowName, executionId } : undefined;
      });
      if (key) created.push(key);
    }
    return created;
  }

  /**
   * Why this query: a run is due when it is InProgress, its back-off has passed and nobody holds a live
   * lease on it (a lapsed lease is a crashed worker's run, taken over from its cursor), and its flow still
   * runs. `FOR UPDATE OF r SKIP LOCKED` on PostgreSQL, as for steps. Two statements, one transaction.
   */
  async claim(request: LeaseRequest): Promise<ClaimedRun | undefined> {
    return this.db.transaction().execute(async (trx) => {
      let q = trx
        .selectFrom('flow_runs as r')
        .innerJoin('flows as f', (j) => j.onRef('f.account_id', '=', 'r.account_id').onRef('f.region', '=', 'r.region').onRef('f.flow_name', '=', 'r.flow_name'))
        .selectAll('r')
        .where('r.status', '=', RUN_LEASED_STATUS)
        .where('r.run_after', '<=', request.now)
        .where(leaseIsFree('r', request.now))
        .where(flowRuns('f'))
        .orderBy('r.run_after')
        .limit(1);
      const lock = claimLock(this.capabilities, 'r');
      if (lock) q = q.modifyEnd(lock);
      const row = await q.executeTakeFirst();
      if (!row) return undefined;
      const tookOver = row.lease_owner !== null;
      const taken = { ...takeLease(request, RUN_LEASED_STATUS), started_at: row.started_at ?? request.now };
      await trx
        .updateTable('flow_runs')
        .set(taken)
        .where('account_id', '=', row.account_id)
        .where('region', '=', row.region)
        .where('flow_name', '=', row.flow_name)
        .where('execution_id', '=', row.execution_id)
        .execute();
      const flow = await trx
        .selectFrom('flows')
        .selectAll()
        .where('account_id', '=', row.account_id)
        .where('region', '=', row.region)
        .where('flow_name', '=', row.flow_name)
        .executeTakeFirstOrThrow();
      return { scope: { accountId: row.account_id, region: row.region }, run: fromRow({ ...row, ...taken }), flow: flowFromRow(flow), tookOver };
    });
  }

  /** Why: a run longer than its lease keeps it by renewing (the engine's heartbeat). */
  async renewLease({ key, owner, now, leaseMs }: LeaseRequest & { key: RunKey }): Promise<boolean> {
    return changedOne(await this.heldRun(key, owner).set({ lease_expires_at: extendedLease(now, leaseMs) }).executeTakeFirst());
  }

  /** Why: a stopping worker (or a spent page budget) lets the next claim resume from the cursor at once. */
  async giveBack({ key, owner, now, behind }: LeaseHolder & { key: RunKey; behind?: boolean }): Promise<boolean> {
    return changedOne(await this.heldRun(key, owner).set({ ...NO_LEASE, updated_at: now, ...(behind ? { run_after: now } : {}) }).executeTakeFirst());
  }

  /**
   * Why in the caller's transaction with the page's objects: a crash loses the lease, never a count;
   * a cancel (status no longer InProgress) refuses the page, whose objects then roll back.
   */
  async checkpointPage(t: RunTransition<{ leaseMs: number; cursor: string; records: number; dropped: number; droppedByReason: Record<string, number> }>): Promise<boolean> {
    const moved = await this.heldRun(t.key, t.owner)
      .set((eb) => ({
        cursor: t.cursor,
        records_processed: eb('records_processed', '+', t.records),
        records_dropped: eb('records_dropped', '+', t.dropped),
        // A page committed ends a run of failures: the retries a later failure may have start again.
        attempts: 0,
        dropped_by_reason: JSON.stringify(t.droppedByReason),
        lease_expires_at: extendedLease(t.now, t.leaseMs),
        updated_at: t.now,
      }))
      .executeTakeFirst();
    return changedOne(moved);
  }

  async holdRun({ key, owner }: { key: RunKey; owner: string }): Promise<boolean> {
    let query = this.db.selectFrom('flow_runs').select('execution_id').where(runHeldBy(key, owner));
    if (this.capabilities.skipLocked) query = query.forNoKeyUpdate();
    return (await query.executeTakeFirst()) !== undefined;
  }

  /** Why the flow's watermark moves with it: the next incremental run starts exactly where this one ended. */
  async finishRun(t: RunTransition): Promise<boolean> {
    return this.inTransaction(async (repo) => {
      const row = await repo.runRow(t.key).executeTakeFirst();
      if (!row) return false;
      if (!changedOne(await repo.heldRun(t.key, t.owner).set({ status: 'Successful', ended_at: t.now, updated_at: t.now, ...NO_LEASE }).executeTakeFirst())) return false;
      await repo.flowRow(t.key).set({ watermark: Number(row.window_end), consecutive_failures: 0 }).execute();
      return true;
    });
  }

  /** Why the lease is dropped: the back-off (`run_after`) is what keeps the run from being claimed early. */
  async retryRun(t: RunTransition<{ attempts: number; runAfter: number; message: string }>): Promise<boolean> {
    const retried = await this.heldRun(t.key, t.owner)
      .set({ attempts: t.attempts, run_after: t.runAfter, error_message: t.message, ...NO_LEASE, updated_at: t.now })
      .executeTakeFirst();
    return changedOne(retried);
  }

  /**
   * Why the flow's failure count moves with it: AppFlow deactivates a scheduled flow after
   * flowErrorDeactivationThreshold failures in a row; the watermark stays, so the next run reads the
   * failed window again.
   */
  async failRun(t: RunTransition<{ message: string; deactivationThreshold?: number }>): Promise<boolean> {
    return this.inTransaction(async (repo) => {
      if (!changedOne(await repo.heldRun(t.key, t.owner).set({ status: 'Error', error_message: t.message, ended_at: t.now, updated_at: t.now, ...NO_LEASE }).executeTakeFirst())) {
        return false;
      }
      await repo.flowRow(t.key).set((eb) => ({ consecutive_failures: eb('consecutive_failures', '+', 1) })).execute();
      if (t.deactivationThreshold !== undefined) {
        await repo
          .flowRow(t.key)
          .set({ status: 'Suspended', updated_at: t.now })
          .where('status', '=', 'Active')
          .where('consecutive_failures', '>=', t.deactivationThreshold)
          .execute();
      }
      return true;
    });
  }

  /** Why from either active status: the holder ends a run it was told to cancel, or whose flow went away. */
  async endCancelled(t: RunTransition<{ message: string }>): Promise<boolean> {
    const ended = await this.db
      .updateTable('flow_runs')
      .set((eb) => ({ status: 'Canceled', error_message: eb.fn.coalesce('error_message', eb.val(t.message)), ended_at: t.now, updated_at: t.now, ...NO_LEASE }))
      .where('account_id', '=', t.key.scope.accountId)
      .where('region', '=', t.key.scope.region)
      .where('flow_name', '=', t.key.flowName)
      .where('execution_id', '=', t.key.executionId)
      .where('lease_owner', '=', t.owner)
      .where('status', 'in', ACTIVE)
      .executeTakeFirst();
    return changedOne(ended);
  }

  private runRow(key: RunKey) {
    return this.db
      .selectFrom('flow_runs')
      .selectAll()
      .where('account_id', '=', key.scope.accountId)
      .where('region', '=', key.scope.region)
      .where('flow_name', '=', key.flowName)
      .where('execution_id', '=', key.executionId);
  }

  private flowRow(key: RunKey) {
    return this.db.updateTable('flows').where('account_id', '=', key.scope.accountId).where('region', '=', key.scope.region).where('flow_name', '=', key.flowName);
  }

  /** The row `owner` holds the lease of: the guard every transition after the claim writes through. */
  private heldRun(key: RunKey, owner: string) {
    return this.db.updateTable('flow_runs').where(runHeldBy(key, owner));
  }

  private async inTransaction<T>(work: (repo: KyselyFlowRunRepository) => Promise<T>): Promise<T> {
    if (this.db.isTransaction) return work(this);
    return this.db.transaction().execute((trx) => work(new KyselyFlowRunRepository(trx, this.capabilities)));
  }
}

function newRunRow(scope: Scope, flowName: string, domainName: string, executionId: string, run: NewRun): FlowRunsTable {
  return {
    account_id: scope.accountId,
    region: scope.region,
    flow_name: flowName,
    execution_id: executionId,
    domain_name: domainName,
    trigger_type: run.triggerType,
    status: 'InProgress',
    ...NO_LEASE,
    run_after: run.now,
    attempts: 0,
    cursor: null,
    window_start: run.windowStart,
    window_end: run.windowEnd,
    records_processed: 0,
    records_dropped: 0,
    dropped_by_reason: '{}',
    error_message: null,
    started_at: null,
    created_at: run.now,
    updated_at: run.now,
    ended_at: null,
  };
}

function fromRow(row: Selectable<FlowRunsTable>): FlowRunRecord {
  return {
    flowName: row.flow_name,
    executionId: row.execution_id,
    domainName: row.domain_name,
    triggerType: row.trigger_type,
    status: row.status as ExecutionStatus,
    windowStart: Number(row.window_start),
    windowEnd: Number(row.window_end),
    cursor: row.cursor ?? undefined,
    attempts: Number(row.attempts),
    runAfter: Number(row.run_after),
    recordsProcessed: Number(row.records_processed),
    recordsDropped: Number(row.records_dropped),
    droppedByReason: JSON.parse(row.dropped_by_reason) as Record<string, number>,
    errorMessage: row.error_message ?? undefined,
    startedAt: row.started_at === null ? undefined : Number(row.started_at),
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
    endedAt: row.ended_at === null ? undefined : Number(row.ended_at),
    leaseOwner: row.lease_owner ?? undefined,
    leaseExpiresAt: row.lease_expires_at === null ? undefined : Number(row.lease_expires_at),
  };
}

/** The run `key`, while `owner` holds its lease. */
function runHeldBy(key: RunKey, owner: string): Expression<SqlBool> {
  return sql<SqlBool>`(${sql.ref('account_id')} = ${key.scope.accountId} and ${sql.ref('region')} = ${key.scope.region}
    and ${sql.ref('flow_name')} = ${key.flowName} and ${sql.ref('execution_id')} = ${key.executionId} and ${heldBy(owner, RUN_LEASED_STATUS)})`;
}
