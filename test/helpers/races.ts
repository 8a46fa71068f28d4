import { sql } from 'kysely';
import type { KyselyStore } from '../../src/store/kysely-store.js';
import { KyselyProfileRepository } from '../../src/store/repositories/profile-objects.js';
import type { Store } from '../../src/store/types.js';
import { until } from './poll.js';

/**
 * Two writers at once on PostgreSQL, in a known order: `first` runs in a transaction that stays open
 * after it, `second` starts, and once PostgreSQL shows a session waiting for a lock on a profile table or an object type
 * (the second, behind the first's rows), or for a domain's ingestion lock (serializeIngestion), the first commits. Answers when both have finished.
 */
export async function behindOpenTransaction(store: KyselyStore, first: (tx: Store) => Promise<unknown>, second: () => Promise<unknown>): Promise<void> {
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  let wrote!: () => void;
  const firstWrote = new Promise<void>((resolve) => (wrote = resolve));
  const open = store.transaction(async (tx) => {
    await first(tx);
    wrote();
    await held;
  });
  await firstWrote;
  const waiting = second();
  try {
    await until(async () => (await lockWaiters(store, true)) > 0, 'the second writer waiting for the first');
  } finally {
    release();
  }
  await Promise.all([open, waiting]);
}

/**
 * Sessions other than the caller's waiting for a lock; `onProfiles`: only those waiting on a profile table
 * or an object type, or for a domain's ingestion lock (serializeIngestion).
 */
export async function lockWaiters(store: KyselyStore, onProfiles = false): Promise<number> {
  const which = onProfiles ? sql`and (query like '%profile%' or query like '%object_types%' or wait_event = 'advisory')` : sql``;
  const { rows } = await sql<{ n: number }>`select count(*)::int as n from pg_stat_activity
    where wait_event_type = 'Lock' ${which} and pid <> pg_backend_pid()`.execute(store.db);
  return rows[0].n;
}

/**
 * A meeting point for two concurrent writers: each calls the answer once it has done the step to meet
 * after, and goes on when the other has called it too, or when another session is seen waiting for a
 * lock (the other is held off, so it will not arrive until this one commits).
 */
export function meetingOfTwo(store: KyselyStore, what: string): () => Promise<void> {
  let arrived = 0;
  return async () => {
    arrived++;
    await until(async () => arrived >= 2 || (await lockWaiters(store)) > 0, what);
  };
}

/**
 * Runs `work` with `then` run after every call of the profiles repository's `method` returns (on every
 * store, the prototype's method replaced meanwhile): a step of a writer the test wants to put something
 * after, such as a meeting point or a concurrent operation.
 */
export async function afterEachCall<T>(method: 'holdExisting' | 'findByKeys', then: () => Promise<void>, work: () => Promise<T>): Promise<T> {
  const prototype = KyselyProfileRepository.prototype as unknown as Record<typeof method, (...args: unknown[]) => Promise<unknown>>;
  const original = prototype[method];
  prototype[method] = async function (this: unknown, ...args: unknown[]) {
    const out = await original.apply(this, args);
    await then();
    return out;
  };
  try {
    return await work();
  } finally {
    prototype[method] = original;
  }
}
