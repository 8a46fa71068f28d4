import { type Kysely, sql } from 'kysely';
import { type Database, STORE_TABLES } from '../schema.js';

/**
 * Keeps the planner's statistics of the store's tables current when the server will not.
 *
 * Why: ingestion grows tables from empty to millions of rows. Without statistics the planner cannot
 * tell a seek from a scan: a page's lookups (`unique_key in (…)` on profile_objects) were planned on the
 * objects-by-profile index, whose leading columns match a whole domain, and the work per page grew with
 * the table (docs/performance.md: 9.7 s against 49 ms for one lookup once analyzed). A server with
 * autovacuum on (PostgreSQL's default) analyzes a table once the rows changed since its last analyze
 * exceed autovacuum_analyze_threshold + autovacuum_analyze_scale_factor × its rows; with autovacuum off
 * nothing does, so the store applies the same rule, with the server's own two settings, to the tables of
 * its schema (STORE_TABLES). ANALYZE reads a sample (300 × default_statistics_target rows), not the table, and its lock
 * does not conflict with inserts, updates or deletes.
 *
 * Nodes sharing the schema take turns through a transaction-level advisory lock: one analyzes, the
 * others find the lock taken and go on.
 *
 * How often: the server's autovacuum looks at a database at most once per autovacuum_naptime (a minute by
 * default), and so does this, per table, unless the table has more than doubled since its last analyze.
 * Checked every few seconds without that bound, a 1M-record ingestion analyzed each large table about 25
 * times, a tenth of what the server spent on it; a table growing from empty still gets its statistics at
 * once, then at every doubling, which is what keeps its plans right (`againAfterMs` overrides the naptime,
 * for tests).
 */
export async function analyzeTablesDue(db: Kysely<Database>, options: { againAfterMs?: number } = {}): Promise<string[]> {
  return db.transaction().execute(async (trx) => {
    const { rows: settings } = await sql<{ autovacuum: string; locked: boolean }>`
      select current_setting('autovacuum') as autovacuum,
        pg_try_advisory_xact_lock(hashtext('profileflow statistics ' || current_schema())) as locked`.execute(trx);
    const [{ autovacuum, locked }] = settings;
    if (autovacuum === 'on' || !locked) return [];
    const againAfter = options.againAfterMs === undefined
      ? sql`current_setting('autovacuum_naptime')::interval`
      : sql`make_interval(secs => ${options.againAfterMs / 1000})`;
    // Changes reach pg_stat_user_tables when the writing backend reports them (within a second or so
    // of its commit), so a table is found at most one check late.
    const { rows } = await sql<{ name: string }>`
      select s.relname as name
      from pg_stat_user_tables s join pg_class c on c.oid = s.relid
      where s.schemaname = current_schema() and s.relname = any(${Object.keys(STORE_TABLES)}::text[])
        and s.n_mod_since_analyze > current_setting('autovacuum_analyze_threshold')::float8
          + current_setting('autovacuum_analyze_scale_factor')::float8 * greatest(c.reltuples, 0)
        and (coalesce(greatest(s.last_analyze, s.last_autoanalyze), '-infinity') < now() - ${againAfter}
          or s.n_mod_since_analyze > greatest(c.reltuples, 0))
      order by s.relname`.execute(trx);
    for (const { name } of rows) await sql`analyze ${sql.table(name)}`.execute(trx);
    return rows.map((r) => r.name);
  });
}
