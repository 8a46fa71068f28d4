import Sqlite from 'better-sqlite3';
import { type CompiledQuery, Kysely, SqliteDialect } from 'kysely';

/**
 * What SQLite plans for each statement `run` sends, on the database file `file`: `run` gets a Kysely
 * instance that records every statement, and each one's EXPLAIN QUERY PLAN lines are answered in order
 * with the statement's text. For tests that a repository's query finds its rows through an index.
 */
export async function sqlitePlans(file: string, run: (db: Kysely<never>) => Promise<unknown>): Promise<{ sql: string; plan: string[] }[]> {
  const raw = new Sqlite(file);
  const captured: CompiledQuery[] = [];
  const db = new Kysely<never>({ dialect: new SqliteDialect({ database: raw }), log: (e) => void (e.level === 'query' && captured.push(e.query)) });
  try {
    await run(db);
    return captured.map((q) => ({
      sql: q.sql,
      plan: (raw.prepare(`EXPLAIN QUERY PLAN ${q.sql}`).all(...(q.parameters as unknown[])) as { detail: string }[]).map((r) => r.detail),
    }));
  } finally {
    await db.destroy();
  }
}
