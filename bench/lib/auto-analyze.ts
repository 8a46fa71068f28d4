// What autovacuum's analyze would do for a run's schema, on a server where autovacuum is off.
//
// Why: without statistics the planner knows nothing of a table that grew from empty during the run,
// and for a page's lookups (`unique_key in (…)` on profile_objects, `key_value in (…)` on profile_keys)
// it chose to read every row of the domain (an index scan on the leading columns with a filter, a
// bitmap scan of the whole key name) instead of one seek per value: the work per page grew with the
// table. A server with autovacuum on (PostgreSQL's default) analyzes a table once the rows changed since
// its last analyze pass autovacuum_analyze_threshold + autovacuum_analyze_scale_factor × its rows, which
// is the rule followed here, checked every 5 s.
import pg from 'pg';

const CHECK_MS = 5_000;
/** PostgreSQL's defaults for autovacuum_analyze_threshold and autovacuum_analyze_scale_factor. */
const THRESHOLD = 50;
const SCALE_FACTOR = 0.1;

export interface AutoAnalyzeResult {
  analyzes: number;
  /** The first error a check met, if any (a silent failure would pass for a run without analyzes). */
  error?: string;
  /** Wall-clock seconds spent in ANALYZE (its CPU is this connection's backend, not the run's). */
  seconds: number;
}

export async function startAutoAnalyze(url: string, schema: string): Promise<{ stop(): Promise<AutoAnalyzeResult> }> {
  const client = new pg.Client({ connectionString: url.replace(/[?&]schema=[^&]*/, '') });
  await client.connect();
  let analyzes = 0;
  let ms = 0;
  let error: string | undefined;
  const check = async () => {
    const due = await client.query(
      `select relname from pg_stat_user_tables
       where schemaname = $1 and n_mod_since_analyze > $2::int8 + $3::float8 * n_live_tup`,
      [schema, THRESHOLD, SCALE_FACTOR],
    );
    for (const r of due.rows) {
      const started = performance.now();
      await client.query(`analyze "${schema}"."${r.relname}"`);
      ms += performance.now() - started;
      analyzes += 1;
    }
  };
  let running = Promise.resolve();
  const timer = setInterval(() => {
    running = running.then(check).catch((err: Error) => {
      error ??= err.message;
    });
  }, CHECK_MS);
  return {
    async stop() {
      clearInterval(timer);
      await running;
      await client.end();
      if (error) throw new Error(`auto-analyze failed: ${error}`);
      return { analyzes, seconds: Math.round(ms / 100) / 10 };
    },
  };
}
