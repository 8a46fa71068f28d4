/**
 * The lease machine every kind of durable work shares (a workflow step today; an AppFlow flow run
 * next): one row per unit of work with `status`, `lease_owner`, `lease_expires_at` and `updated_at`,
 * moved only by guarded transitions. The facts are graphile-worker's (`src/sql/*.ts`): a claim locks
 * with `FOR UPDATE SKIP LOCKED` so concurrent workers never take the same row; every later write names
 * the holder (`locked_by = $owner` there, `lease_owner = $owner` here) and changes nothing once the
 * lease is someone else's; a lapsed lease is how a crashed worker's work is taken over (their
 * `resetLockedAt`, here simply "a lease whose expiry has passed is free").
 *
 * What differs per kind of work (which rows are due, what a checkpoint moves, what finishing means) is
 * written by its repository with these primitives, one statement per transition.
 */
import { type Expression, type RawBuilder, type SqlBool, sql } from 'kysely';
import type { DialectCapabilities } from './dialects/capabilities.js';

/** A worker asking for (or renewing) a lease: who, the time now, and for how long. */
export interface LeaseRequest {
  owner: string;
  now: number;
  leaseMs: number;
}

/** A worker writing under its lease without extending it (finishing, giving back). */
export interface LeaseHolder {
  owner: string;
  now: number;
}

/** The status a row holds a lease in; every other status holds none (a kind of work may name its own, as flow runs do: InProgress). */
export const LEASED_STATUS = 'IN_PROGRESS';

/**
 * The transitions any kind of leased work has, whatever its key and claimed shape: claim a due unit,
 * renew the lease while working, give it back unfinished. A kind of work adds its own checkpoint and
 * final transitions (complete, retry, fail…), each guarded by `heldBy`.
 */
export interface LeaseMachine<Key, Claimed> {
  /** Takes the lease of the next due unit, or undefined when nothing is due. */
  claim(request: LeaseRequest): Promise<Claimed | undefined>;
  /** Pushes the lease's expiry forward; false when the lease is no longer the caller's. */
  renewLease(request: LeaseRequest & { key: Key }): Promise<boolean>;
  /**
   * Drops the lease without finishing: the unit is due again at once, from its last checkpoint. `behind`:
   * after every unit already due (its due time becomes now), for a unit handed back because it could not
   * proceed (storage, contention), which claimed first again and again would hold a slot from the others.
   */
  giveBack(holder: LeaseHolder & { key: Key; behind?: boolean }): Promise<boolean>;
}

/** Column values when a lease is taken: the row is IN_PROGRESS, held by `owner` until now + leaseMs. */
export function takeLease<S extends string = typeof LEASED_STATUS>(request: LeaseRequest, status: S = LEASED_STATUS as S) {
  return {
    status,
    lease_owner: request.owner,
    lease_expires_at: request.now + request.leaseMs,
    updated_at: request.now,
  } as const;
}

/**
 * The expiry a renewal (a heartbeat, a page's checkpoint) writes: now + leaseMs, or the expiry already
 * stored when that is later. Why never earlier: two writers renew one lease, the heartbeat and the page's
 * checkpoint, and the later to commit is not always the one that read the clock later (a heartbeat that
 * committed during a slow page's ingest, then the checkpoint with the time the page began; or a heartbeat
 * queued behind the checkpoint's row lock). Moving the expiry back shortened the lease by the page's
 * ingest time, and under load let it lapse between two heartbeats, so that a rival took over a step its
 * holder was still running. The cast: PostgreSQL types a bare parameter inside CASE as text.
 */
export function extendedLease(now: number, leaseMs: number): RawBuilder<number> {
  const until = now + leaseMs;
  return sql<number>`case when ${sql.ref('lease_expires_at')} > cast(${until} as bigint) then ${sql.ref('lease_expires_at')} else cast(${until} as bigint) end`;
}

/** Column values of a row that holds no lease (final, waiting to retry, given back). */
export const NO_LEASE = { lease_owner: null, lease_expires_at: null } as const;

/**
 * Nobody holds the row, or its holder's lease lapsed. Why `<= now` and not `< now`: a lease is live up
 * to and including its last instant, and taken over only after it (the crash tests pin both edges).
 */
export function leaseIsFree(alias: string, now: number): Expression<SqlBool> {
  const expires = sql.ref(`${alias}.lease_expires_at`);
  return sql<SqlBool>`(${expires} is null or ${expires} <= ${now})`;
}

/**
 * The guard of every transition after the claim: the row is still IN_PROGRESS and `owner` still holds
 * it. A worker that lost its lease (taken over, cancelled) then writes nothing and learns so from the
 * count of rows changed, never overwriting its successor's progress.
 */
export function heldBy(owner: string, status: string = LEASED_STATUS): Expression<SqlBool> {
  return sql<SqlBool>`(${sql.ref('lease_owner')} = ${owner} and ${sql.ref('status')} = ${status})`;
}

/**
 * Ends a claim's SELECT: on PostgreSQL `FOR UPDATE OF <alias> SKIP LOCKED`, so that many workers
 * claiming at once each lock a different row instead of queueing on the first; SQLite has one writer
 * at a time, so the claim's transaction alone serialises it.
 */
export function claimLock(capabilities: DialectCapabilities, alias: string): RawBuilder<unknown> | undefined {
  return capabilities.skipLocked ? sql`for update of ${sql.ref(alias)} skip locked` : undefined;
}

/** Whether a guarded UPDATE changed its one row (false: the guard refused, the lease is not the caller's). */
export function changedOne(result: { numUpdatedRows: bigint }): boolean {
  return Number(result.numUpdatedRows) === 1;
}
