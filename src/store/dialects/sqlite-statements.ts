import type SqliteDatabase from 'better-sqlite3';
import type { Kysely } from 'kysely';

/**
 * Prepared statements on the better-sqlite3 connection behind a Kysely instance, for the ingestion hot
 * path (profiles, key index and objects written row by row).
 *
 * Why not Kysely there: Kysely builds and compiles a multi-row statement per batch and its SQLite driver
 * prepares every statement afresh, so a page of 500 records cost ~50 µs of JavaScript per record
 * (statement building, compilation, SQLite parsing 6,000-parameter texts, the garbage of it all) before
 * SQLite wrote a row. A statement prepared once and run per row costs about a microsecond of overhead.
 *
 * Why only inside a transaction: SQLite has one connection and Kysely serialises its users with a mutex
 * that a transaction holds from BEGIN to COMMIT. Statements run on the raw connection while that mutex is
 * held by the caller's transaction cannot interleave with anyone else's queries; outside a transaction
 * they could land in the middle of another request's transaction, so the repositories use them only on
 * a transaction's store (`KyselyStore.transaction`).
 */
export class SqliteStatements {
  private readonly cache = new Map<string, SqliteDatabase.Statement>();

  constructor(private readonly database: SqliteDatabase.Database) {}

  /** The statement for `sql`, prepared on first use. */
  get(sql: string): SqliteDatabase.Statement {
    let statement = this.cache.get(sql);
    if (!statement) {
      statement = this.database.prepare(sql);
      this.cache.set(sql, statement);
    }
    return statement;
  }

  /**
   * Runs `insertSql` (an INSERT … ON CONFLICT DO NOTHING) for each row; `changes` tells an insert from a
   * conflict, as RETURNING does for a multi-row statement. Returns the rows already stored, for the
   * caller to update (its counters differ: profiles, or objects and their sizes).
   */
  insertEach<T>(insertSql: string, rows: readonly T[], params: (row: T) => unknown[], onInserted: (row: T) => void): T[] {
    const insert = this.get(insertSql);
    const stored: T[] = [];
    for (const row of rows) {
      if (insert.run(params(row)).changes === 1) onInserted(row);
      else stored.push(row);
    }
    return stored;
  }
}

const statementsByDb = new WeakMap<object, SqliteStatements>();

/** Called by openSqlite: remembers the connection behind a Kysely instance. */
export function registerSqliteDatabase(db: Kysely<any>, database: SqliteDatabase.Database): void {
  statementsByDb.set(db, new SqliteStatements(database));
}

/** The statements of a Kysely instance made by openSqlite; undefined for any other. */
export function sqliteStatementsOf(db: Kysely<any>): SqliteStatements | undefined {
  return statementsByDb.get(db);
}
