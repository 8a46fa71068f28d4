import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import type { KyselyStore } from '../../src/store/kysely-store.js';
import type { Database } from '../../src/store/schema.js';
import { INGESTION_LOCK_CLASS, KyselyProfileRepository } from '../../src/store/repositories/profile-objects.js';
import type { Scope } from '../../src/domain/scope.js';
import type { Store } from '../../src/store/types.js';
import { POSTGRES_URL } from './backends.js';
import { until } from './poll.js';

/**
 * Two writers at once on PostgreSQL, in a known order: `first` runs in a transaction that stays open
 * after it, `second` starts, and once PostgreSQL shows a session of the store waiting for a lock (the
 * second, behind the first: lockWaiters), the first commits. Answers when both have finished.
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
    await until(async () => (await lockWaiters(store)) > 0, 'the second writer waiting for the first');
  } finally {
    release();
  }
  await Promise.all([open, waiting]);
}

/**
 * Sessions of this test's store, other than the caller's, waiting for a lock: those holding a lock on a
 * table of the store's schema, or waiting for the ingestion lock of one of its domains (serializeIngestion).
 * Other test files run at the same time on the same server, in schemas of their own, and are not counted.
 */
export async function lockWaiters(store: Pick<KyselyStore, 'db'>): Promise<number> {
  const { rows } = await sql<{ n: number }>`select count(*)::int as n from pg_stat_activity a
    where a.wait_event_type = 'Lock' and a.pid <> pg_backend_pid() and a.datname = current_database() and (
      exists (select 1 from pg_locks l join pg_class c on c.oid = l.relation
        where l.pid = a.pid and c.relnamespace = current_schema()::regnamespace)
      or exists (select 1 from pg_locks l join domains d
          on l.objid::bigint = (hashtext(current_schema() || '/' || d.account_id || '/' || d.region || '/' || d.domain_name)::bigint & 4294967295)
        where l.pid = a.pid and l.locktype = 'advisory' and l.objsubid = 2 and l.classid = ${INGESTION_LOCK_CLASS} and not l.granted))`.execute(store.db);
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
export async function afterEachCall<T>(method: 'holdExisting' | 'findByKeys' | 'listSourcedFrom', then: () => Promise<void>, work: () => Promise<T>): Promise<T> {
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

/**
 * A connection of its own on the store's schema, for lockWaiters while the store's pool may be spent:
 * a test of what happens when every pooled connection waits cannot ask through the pool.
 */
export async function openObserver(store: KyselyStore): Promise<Pick<KyselyStore, 'db'> & { close(): Promise<void> }> {
  const { rows } = await sql<{ schema: string }>`select current_schema() as schema`.execute(store.db);
  const db = new Kysely<Database>({
    dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: POSTGRES_URL, max: 1, options: `-c search_path="${rows[0].schema}"` }) }),
  });
  return { db, close: () => db.destroy() };
}

/**
 * Another node's ingestion into `domainName`, holding the domain's ingestion lock (serializeIngestion) in
 * a transaction of its own until released: `held` settles once it has the lock; `release` ends the
 * transaction and answers when it has (calling it again does nothing more).
 */
export function anotherNodeIngesting(store: Store, scope: Scope, domainName: string): { held: Promise<void>; release(): Promise<void> } {
  let open!: () => void;
  const gate = new Promise<void>((resolve) => (open = resolve));
  let holding!: () => void;
  const held = new Promise<void>((resolve) => (holding = resolve));
  const node = store.transaction(async (tx) => {
    await tx.profiles.serializeIngestion(scope, domainName);
    holding();
    await gate;
  });
  return {
    held,
    release: async () => {
      open();
      await node;
    },
  };
}
