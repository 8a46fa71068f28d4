import type { Kysely } from 'kysely';
import type { Database } from '../../schema.js';
import { placeholder as P, type SqliteStatements } from '../sqlite-statements.js';

/**
 * When staged key index entries are merged into `profile_keys`: once `mergeAt` entries wait, each write
 * of entries also merges the next `sliceEntries` of them in key order.
 */
export interface KeyStagingPolicy {
  mergeAt: number;
  sliceEntries: number;
}

/**
 * Why these figures: the more entries wait, the more of them fall on each leaf of the index when they
 * merge, but every commit also rewrites the staging table's pages its entries touched, and a large
 * staging table has many. Measured in-process at 1,000,000 records (`bench/tools/ingest-ab.ts --merge-at
 * N`): 500,000 waiting 6,904 records/s, 200,000 8,777, 100,000 8,382, 30,000 8,497. A slice of 25,000
 * keeps the merge inside one page's commit short.
 */
export const DEFAULT_KEY_STAGING: KeyStagingPolicy = { mergeAt: 200_000, sliceEntries: 25_000 };

type Position = { domain_id: number; key_name: string; key_value: string };
/** Before every entry: domain ids start at 1. */
const START: Position = { domain_id: 0, key_name: '', key_value: '' };

/**
 * The staged key index of one SQLite connection (migration 017): ingestion inserts a page's entries into
 * `profile_keys_staged`, a table small enough to stay in the page cache, and the entries move into
 * `profile_keys` a slice at a time, in key order, inside the transaction of the write that made them due.
 *
 * Why: inserted one page at a time (five entries a record), a page's entries land on thousands of leaves
 * of an index far larger than the cache, so every commit read and rewrote thousands of scattered pages. Merged when
 * many wait, the entries bound for one leaf arrive together, and each slice covers one key range.
 *
 * The slices walk the key space from a cursor, so every range is merged in turn and none is favoured;
 * the cursor and the count of waiting entries are this connection's memory only (SQLite has one writer):
 * after a restart the count is read again and the walk starts over, which changes when entries move,
 * never what the index holds (the union of both tables).
 */
export class SqliteKeyStaging {
  private waiting: number | undefined;
  private cursor: Position = START;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly statements: SqliteStatements,
    readonly policy: KeyStagingPolicy,
  ) {}

  /** Records that `count` entries were staged, and merges a slice if enough wait. */
  staged(count: number): void {
    // Counted from the table when unknown (the new entries are in it by now), else kept up to date.
    this.waiting = this.waiting === undefined ? this.countWaiting() : this.waiting + count;
    if (this.waiting >= this.policy.mergeAt) this.mergeSlice();
  }

  /** Moves every staged entry into `profile_keys` (a test's way to reach the merged state). */
  mergeAll(): void {
    this.cursor = START;
    do this.mergeSlice();
    while (this.cursor !== START);
  }

  private countWaiting(): number {
    if (this.waiting === undefined) {
      const count = this.statements.compiled('countStagedKeys', () => this.db.selectFrom('profile_keys_staged').select((eb) => eb.fn.countAll<number>().as('n')));
      this.waiting = Number((count.statement.get() as { n: number }).n);
    }
    return this.waiting;
  }

  /**
   * The staged entries after the cursor up to the slice's last key (every profile of that key value
   * with it), copied into the index in key order and deleted from the staging table.
   */
  private mergeSlice(): void {
    const after = (eb: any) => eb(eb.refTuple('domain_id', 'key_name', 'key_value'), '>', eb.tuple(P('c_domain_id'), P('c_key_name'), P('c_key_value')));
    const upTo = (eb: any) => eb(eb.refTuple('domain_id', 'key_name', 'key_value'), '<=', eb.tuple(P('b_domain_id'), P('b_key_name'), P('b_key_value')));
    const bound = this.statements.compiled('stagedSliceBound', () =>
      this.db
        .selectFrom('profile_keys_staged')
        .select(['domain_id', 'key_name', 'key_value'])
        .where(after)
        .orderBy('domain_id')
        .orderBy('key_name')
        .orderBy('key_value')
        .limit(1)
        .offset(P('offset') as unknown as number),
    );
    const cursor = { c_domain_id: this.cursor.domain_id, c_key_name: this.cursor.key_name, c_key_value: this.cursor.key_value };
    const last = bound.statement.get(bound.bind({ ...cursor, offset: this.policy.sliceEntries - 1 })) as Position | undefined;
    let moved: number;
    if (last) {
      const values = { ...cursor, b_domain_id: last.domain_id, b_key_name: last.key_name, b_key_value: last.key_value };
      const copy = this.statements.compiled('mergeStagedSlice', () => this.copyWhere((eb) => eb.and([after(eb), upTo(eb)])));
      copy.statement.run(copy.bind(values));
      const remove = this.statements.compiled('deleteStagedSlice', () => this.db.deleteFrom('profile_keys_staged').where((eb) => eb.and([after(eb), upTo(eb)])));
      moved = remove.statement.run(remove.bind(values)).changes;
      this.cursor = last;
    } else {
      // Fewer than a slice are left after the cursor: they are the slice, and the walk starts over.
      const copy = this.statements.compiled('mergeStagedRest', () => this.copyWhere(after));
      copy.statement.run(copy.bind(cursor));
      const remove = this.statements.compiled('deleteStagedRest', () => this.db.deleteFrom('profile_keys_staged').where(after));
      moved = remove.statement.run(remove.bind(cursor)).changes;
      this.cursor = START;
    }
    // At the end of a walk the count is read again: a transaction rolled back after staging or merging
    // leaves the kept count off, and this bounds how long.
    this.waiting = this.cursor === START ? undefined : Math.max(0, this.countWaiting() - moved);
  }

  private copyWhere(where: (eb: any) => any) {
    // An entry staged again while already in the index is dropped by the conflict clause.
    return this.db
      .insertInto('profile_keys')
      .columns(['domain_id', 'key_name', 'key_value', 'profile_id'])
      .expression(
        this.db
          .selectFrom('profile_keys_staged')
          .select(['domain_id', 'key_name', 'key_value', 'profile_id'])
          .where(where)
          .orderBy('domain_id')
          .orderBy('key_name')
          .orderBy('key_value')
          .orderBy('profile_id'),
      )
      .onConflict((oc) => oc.doNothing());
  }
}

const stagingByStatements = new WeakMap<SqliteStatements, SqliteKeyStaging>();

/** The staging of the connection behind `statements` (one per connection: its cursor and count). */
export function keyStagingOf(db: Kysely<Database>, statements: SqliteStatements): SqliteKeyStaging {
  let staging = stagingByStatements.get(statements);
  if (!staging) {
    staging = new SqliteKeyStaging(db, statements, statements.keyStaging);
    stagingByStatements.set(statements, staging);
  }
  return staging;
}
