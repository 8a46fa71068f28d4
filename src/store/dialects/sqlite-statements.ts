import type SqliteDatabase from 'better-sqlite3';
import type { Compilable, Kysely } from 'kysely';
import type { KeyStagingPolicy } from './row-writers/sqlite-key-staging.js';

const PLACEHOLDER = '\u0000pf-parameter:';

/**
 * A value standing for the column (or parameter) `name` in a query compiled for `SqliteStatements.
 * compiled`: the compiled parameters tell which value goes where.
 */
export function placeholder(name: string): string {
  return PLACEHOLDER + name;
}

/** A row of placeholders, one per column: the shape a query builder is compiled with. */
export function placeholderRow<T>(columns: readonly (keyof T & string)[]): T {
  return Object.fromEntries(columns.map((c) => [c, placeholder(c)])) as T;
}

/** A prepared statement and how to order its parameters from named values. */
export interface CompiledStatement {
  statement: SqliteDatabase.Statement;
  /** The statement's parameters from `values` (the constants the query was built with stay). */
  bind(values: object): unknown[];
  /**
   * Checks that the statement takes exactly `names`, in that order, and returns it: the hottest
   * statements are then run with positional values, no object or array built per row.
   */
  positional(...names: string[]): SqliteDatabase.Statement;
}

/**
 * Prepared statements on the better-sqlite3 connection behind a Kysely instance, for the ingestion hot
 * path (profiles, key index, objects and history written row by row: dialects/row-writers/sqlite.ts).
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
  private readonly compiledCache = new Map<string, CompiledStatement>();

  constructor(
    private readonly database: SqliteDatabase.Database,
    /** When this connection's staged key index entries are merged (row-writers/sqlite-key-staging.ts). */
    readonly keyStaging: KeyStagingPolicy,
  ) {}

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
   * The statement Kysely compiles `build()` to, prepared once per name. The query is built with
   * placeholders (`placeholder`, `placeholderRow`) where values go, so the statement text is Kysely's
   * own and the parameters are bound by name.
   */
  compiled(name: string, build: () => Compilable): CompiledStatement {
    let compiled = this.compiledCache.get(name);
    if (!compiled) {
      const query = build().compile();
      const statement = this.get(query.sql);
      const parameters = query.parameters;
      compiled = {
        statement,
        bind: binder(parameters),
        positional(...names) {
          const actual = parameters.map((p) => (typeof p === 'string' && p.startsWith(PLACEHOLDER) ? p.slice(PLACEHOLDER.length) : '(constant)'));
          if (actual.join(',') !== names.join(',')) throw new Error(`Statement '${name}' takes (${actual.join(', ')}), not (${names.join(', ')}).`);
          return statement;
        },
      };
      this.compiledCache.set(name, compiled);
    }
    return compiled;
  }
}

/**
 * The function that lists a statement's parameters from named values, generated as one array literal
 * (`v => [v.account_id, v.region, c[2], …]`). Why generated: it runs for every row ingestion writes, and
 * a literal of property reads costs a fraction of a loop over the names (measured: the generic loop made
 * SQLite ingestion ~10 % more CPU than the hand-ordered parameter lists it replaced).
 */
function binder(parameters: readonly unknown[]): (values: object) => unknown[] {
  const items = parameters.map((p, i) => {
    if (typeof p !== 'string' || !p.startsWith(PLACEHOLDER)) return `c[${i}]`;
    const name = p.slice(PLACEHOLDER.length);
    if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`Invalid parameter name '${name}'.`);
    return `v.${name}`;
  });
  const make = new Function('c', `return (v) => [${items.join(', ')}];`) as (c: readonly unknown[]) => (values: object) => unknown[];
  return make(parameters);
}

const statementsByDb = new WeakMap<object, SqliteStatements>();

/** Called by openSqlite: remembers the connection behind a Kysely instance. */
export function registerSqliteDatabase(db: Kysely<any>, database: SqliteDatabase.Database, keyStaging: KeyStagingPolicy): void {
  statementsByDb.set(db, new SqliteStatements(database, keyStaging));
}

/** The statements of a Kysely instance made by openSqlite; undefined for any other. */
export function sqliteStatementsOf(db: Kysely<any>): SqliteStatements | undefined {
  return statementsByDb.get(db);
}
