import type { Kysely } from 'kysely';
import type { Database } from '../../schema.js';
import { placeholder as P, type SqliteStatements } from '../sqlite-statements.js';

/**
 * When staged key index entries move. A write's entries arrive in `profile_keys_recent`; once `recentAt`
 * wait there, they all move into `profile_keys_staged` at once. Once `mergeAt` wait in that table, each
 * write also merges the next `sliceEntries` of them (or as many as it brought, if more) into
 * `profile_keys` in key order; a write that moved, only once `mergeAt + recentAt` wait.
 */
export interface KeyStagingPolicy {
  recentAt: number;
  mergeAt: number;
  sliceEntries: number;
}

/**
 * Why these figures: the more entries wait, the more of them fall on each leaf of the index when they
 * merge, but every commit also rewrites the pages of the table its entries land in, and a table of
 * 200,000 entries has thousands (every one of them at 1M records, "What a SQLite commit writes" in
 * docs/performance.md). Measured in-process at 1,000,000 records (`bench/tools/ingest-ab.ts --merge-at
 * N`): 500,000 waiting 6,904 records/s, 200,000 8,777, 100,000 8,382, 30,000 8,497. A slice of 25,000
 * keeps the merge inside one page's commit short. `recentAt` of 30,000 (three pages): a third fewer WAL
 * frames than entries staged straight (`bench/tools/commit-pages.ts --recent-at N`) and about a tenth
 * faster in process; 60,000 saved a tenth more frames, but a move of that many held the event loop up to
 * 800 ms (docs/performance.md, "Recent entries apart").
 */
export const DEFAULT_KEY_STAGING: KeyStagingPolicy = { recentAt: 30_000, mergeAt: 200_000, sliceEntries: 25_000 };

type Position = { domain_id: number; key_name: string; key_value: string };
/** Before every entry: domain ids start at 1. */
const START: Position = { domain_id: 0, key_name: '', key_value: '' };

/**
 * The staged key index of one SQLite connection (migrations 017 and 023): ingestion inserts a page's
 * entries into `profile_keys_recent`, a table of a few pages' entries; they move together into
 * `profile_keys_staged`, a larger table still small enough to stay in the page cache; and from there into
 * `profile_keys` a slice at a time, in key order, inside the transaction of the write that made them due.
 *
 * Why: inserted one page at a time (five entries a record), a page's entries land on thousands of leaves
 * of an index far larger than the cache, so every commit read and rewrote thousands of scattered pages. Merged when
 * many wait, the entries bound for one leaf arrive together, and each slice covers one key range. The same
 * holds one level down: a page's entries inserted straight into the staging table land on nearly every one
 * of its pages, and a commit rewrote the whole table. The recent table is small, and the staging table is
 * rewritten once per move, not once per page.
 *
 * The slices walk the key space from a cursor, so every range is merged in turn and none is favoured;
 * the cursor and the counts of waiting entries are this connection's memory only (SQLite has one writer):
 * after a restart the counts are read again and the walk starts over, which changes when entries move,
 * never what the index holds (the union of the three tables).
 */
export class SqliteKeyStaging {
  private recent: number | undefined;
  private waiting: number | undefined;
  private cursor: Position = START;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly statements: SqliteStatements,
    readonly policy: KeyStagingPolicy,
  ) {}

  /** Records that `count` entries arrived in the recent table, and moves or merges what has become due. */
  staged(count: number): void {
    // Counted from the table when unknown (the new entries are in it by now), else kept up to date.
    this.recent = this.recent === undefined ? this.countOf('profile_keys_recent') : this.recent + count;
    const moved = this.recent >= this.policy.recentAt;
    if (moved) this.moveRecent();
    // A write that moved merges only once more is waiting than the move brought over the threshold: a move
    // and a merge together hold the connection (and the service's event loop) longest, and the next write
    // makes the merge. A write that merges takes at least as many entries as it brought, going on into
    // the next walk when a walk's last slice is short, so the staging table stays within a write's worth
    // of the threshold whatever the page size: merging one slice a write, pages of more entries than a
    // slice made it grow without end.
    const threshold = this.policy.mergeAt + (moved ? this.policy.recentAt : 0);
    let owed = Math.max(this.policy.sliceEntries, count);
    while (owed > 0 && this.countWaiting() >= threshold) {
      const merged = this.mergeSlice(owed);
      if (merged === 0) break;
      owed -= merged;
    }
  }

  /** Moves every entry into `profile_keys` (a test's way to reach the merged state). */
  mergeAll(): void {
    this.moveRecent();
    this.cursor = START;
    do this.mergeSlice(this.policy.sliceEntries);
    while (this.cursor !== START);
  }

  /** Every recent entry into the staging table, in key order, and the recent table emptied. */
  private moveRecent(): void {
    const copy = this.statements.compiled('moveRecentKeys', () =>
      this.db
        .insertInto('profile_keys_staged')
        .columns(['domain_id', 'key_name', 'key_value', 'profile_id'])
        .expression(inKeyOrder(this.db.selectFrom('profile_keys_recent').select(['domain_id', 'key_name', 'key_value', 'profile_id'])))
        .onConflict((oc) => oc.doNothing()),
    );
    const moved = copy.statement.run(copy.bind({})).changes;
    // No WHERE clause: SQLite frees the table's pages whole rather than deleting row by row.
    const empty = this.statements.compiled('emptyRecentKeys', () => this.db.deleteFrom('profile_keys_recent'));
    empty.statement.run(empty.bind({}));
    // Counted again at the next write: a rolled-back move would leave a kept count of none too low.
    this.recent = undefined;
    if (this.waiting !== undefined) this.waiting += moved;
  }

  private countOf(table: 'profile_keys_recent' | 'profile_keys_staged'): number {
    const count = this.statements.compiled(`count:${table}`, () => this.db.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')));
    return Number((count.statement.get() as { n: number }).n);
  }

  private countWaiting(): number {
    this.waiting ??= this.countOf('profile_keys_staged');
    return this.waiting;
  }

  /**
   * The next `entries` staged entries after the cursor, up to the last one's key (every profile of that
   * key value with it), copied into the index in key order and deleted from the staging table; how many
   * left it.
   */
  private mergeSlice(entries: number): number {
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
    const last = bound.statement.get(bound.bind({ ...cursor, offset: entries - 1 })) as Position | undefined;
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
    // At the end of a walk the counts are read again: a transaction rolled back after staging, moving or
    // merging leaves the kept counts off, and this bounds how long.
    this.waiting = this.cursor === START ? undefined : Math.max(0, this.countWaiting() - moved);
    if (this.cursor === START) this.recent = undefined;
    return moved;
  }

  private copyWhere(where: (eb: any) => any) {
    // An entry staged again while already in the index is dropped by the conflict clause.
    return this.db
      .insertInto('profile_keys')
      .columns(['domain_id', 'key_name', 'key_value', 'profile_id'])
      .expression(inKeyOrder(this.db.selectFrom('profile_keys_staged').select(['domain_id', 'key_name', 'key_value', 'profile_id']).where(where)))
      .onConflict((oc) => oc.doNothing());
  }
}

/** Rows in the order of the key index's primary key, the order every table of it is inserted in. */
function inKeyOrder<Q extends { orderBy(column: 'domain_id' | 'key_name' | 'key_value' | 'profile_id'): Q }>(query: Q): Q {
  return query.orderBy('domain_id').orderBy('key_name').orderBy('key_value').orderBy('profile_id');
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
