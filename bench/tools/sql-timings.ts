// Diagnostic, not a benchmark: runs the ingestion of bench/ingestion.ts in-process (the service's engine
// and app from src/, no HTTP between them) and prints the time spent in each kind of SQL statement, BEGIN
// and COMMIT included, with the process's CPU and wall seconds. This is how the ingestion findings in
// docs/performance.md were broken down.
// - SQLite (the default): a store on a Kysely instance opened here with the dialect's pragmas and a log
//   hook. Such a store has no prepared statements registered (src/store/dialects/sqlite-statements.ts),
//   so its writes take the generic Kysely writers; the service's prepared-statement writers run past
//   Kysely, where a log hook would not see them. Extra arguments are PRAGMAs to try (`"cache_size = -65536"`).
// - PostgreSQL (`--backend postgres`, PROFILEFLOW_BENCH_PG_URL or bench/lib/common.ts PG_URL): the store
//   openStore opens for the service, in a schema of its own. Every statement a pg client of this process
//   sends is timed, Kysely's and any sent on a raw client alike, by wrapping pg.Client.prototype.query in
//   this process; the CPU of the server backends serving the store's connections is printed too.
//   A manual engine brings the planner's statistics up to date only when runUntilIdle starts (empty
//   tables then): on a server with autovacuum off the page lookups are planned without statistics for
//   the whole run. `--statistics` runs the auto engine's statistics loop meanwhile, as the service does
//   (Store.refreshStatistics every statisticsIntervalMs, on a connection of its own).
// A statement's time runs from the driver call to its answer: on PostgreSQL the serialisation of its
// parameters and its message (the `send ms` column), the round trip, the server's work and the parsing
// of the rows. Groups are the statement's text with whitespace collapsed and value lists folded to (…),
// shown by verb and table and by their first 80 characters.
// Run: node --import tsx bench/tools/sql-timings.ts [records=50000] [--backend sqlite|postgres] [--statistics] [pragma …]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Sqlite from 'better-sqlite3';
import { Kysely, SqliteDialect, sql } from 'kysely';
import pg from 'pg';
import { systemClock } from '../../src/engine/clock.js';
import { DEFAULT_ENGINE_OPTIONS, Engine } from '../../src/engine/engine.js';
import { sqliteCapabilities } from '../../src/store/dialects/sqlite.js';
import { KyselyStore } from '../../src/store/kysely-store.js';
import { openStore } from '../../src/store/open-store.js';
import type { Database } from '../../src/store/schema.js';
import { parseFlags, PG_URL, printTable, withPgSchema } from '../lib/common.js';
import { createIngestionWorkflow, serverCpuMs, startStatisticsLoop } from '../lib/in-process-ingestion.js';

const argv = process.argv.slice(2);
const flags = parseFlags(argv);
// Positional arguments: those that are neither a flag nor the value parseFlags took for one.
const positional = argv.filter((a, i) => !a.startsWith('--') && !(i > 0 && argv[i - 1].startsWith('--') && !argv[i - 1].includes('=')));
const N = Number(positional[0] ?? 50_000);
const pragmas = positional.slice(1);
const backend = flags.backend ?? 'sqlite';
if (backend !== 'sqlite' && backend !== 'postgres') throw new Error(`--backend is sqlite or postgres, not '${String(backend)}'.`);
if (backend === 'postgres' && pragmas.length > 0) throw new Error(`PRAGMAs are SQLite's: ${pragmas.join(', ')}.`);
if (typeof flags.statistics === 'string') throw new Error(`--statistics takes no value ('${flags.statistics}'): put the records first.`);
const statistics = flags.statistics === true;
if (statistics && backend !== 'postgres') throw new Error('--statistics is for PostgreSQL (Store.refreshStatistics does nothing on SQLite).');
if (!Number.isInteger(N) || N < 10) throw new Error(`records must be an integer of at least 10, not '${positional[0]}'.`);
const APP = `pf_sql_timings_${process.pid}`;
/** Each of the 10 batches (one day of N / 10 records) is read in pages of the engine's page size. */
const PAGES = 10 * Math.ceil(N / 10 / DEFAULT_ENGINE_OPTIONS.pageSize);

/** Per statement text: how many, their milliseconds, and (PostgreSQL) those spent inside the driver call. */
const stats = new Map<string, { n: number; ms: number; sendMs: number }>();
let measuring = false;
function record(text: string, ms: number, sendMs = 0): void {
  if (!measuring) return;
  const key = normalise(text);
  const s = stats.get(key) ?? { n: 0, ms: 0, sendMs: 0 };
  s.n++;
  s.ms += ms;
  s.sendMs += sendMs;
  stats.set(key, s);
}

/** Whitespace collapsed, lists of placeholders (`(?, ?)`, `($1, $2), ($3, $4)`) folded to `(…)`. */
function normalise(text: string): string {
  return text
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/\((?:\?|\$\d+)(?:, (?:\?|\$\d+))*\)(?:, \((?:\?|\$\d+)(?:, (?:\?|\$\d+))*\))*/g, '(…)');
}

/** `insert profiles`, `select profile_objects for update`, `commit`…: what a statement does to which table. */
function verbAndTable(text: string): string {
  const t = text.toLowerCase().replace(/"/g, '');
  const verb = /^\w+/.exec(t)?.[0] ?? '?';
  const table =
    verb === 'insert' ? /^insert into (\w+)/.exec(t)?.[1]
    : verb === 'update' ? /^update (\w+)/.exec(t)?.[1]
    : verb === 'delete' ? /^delete from (\w+)/.exec(t)?.[1]
    : verb === 'analyze' ? /^analyze (\w+)/.exec(t)?.[1]
    // A select's first table read (the key lookup's `from unnest(…)` is not one).
    : /\bfrom (?!unnest\b)([a-z_]\w*)\b(?!\s*\()/.exec(t)?.[1];
  return [verb, table, verb === 'select' && / for update\b/.test(t) ? 'for update' : ''].filter(Boolean).join(' ');
}

/**
 * Wraps pg.Client.prototype.query (promise, callback and submittable forms) to time every statement.
 * On an idle client the call itself serialises the parameters (an array becomes its text literal) and
 * writes the message to the socket before returning: that part is kept apart as the send time. The
 * ingestion runs one statement at a time, so no statement waits in a client's queue.
 */
function timePgQueries(): void {
  const query = pg.Client.prototype.query as (this: pg.Client, ...args: unknown[]) => unknown;
  (pg.Client.prototype as unknown as { query: typeof query }).query = function (this: pg.Client, ...args: unknown[]) {
    const first = args[0] as string | { text?: string; submit?: unknown; on?: (event: string, listener: () => void) => void };
    const text = typeof first === 'string' ? first : (first?.text ?? '(a statement without text)');
    const started = performance.now();
    let sent = Number.NaN;
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      const now = performance.now();
      record(text, now - started, (Number.isNaN(sent) ? now : sent) - started);
    };
    if (typeof first === 'object' && typeof first?.submit === 'function') {
      // A cursor or a COPY stream: done when it ends.
      for (const event of ['end', 'finish', 'error', 'close']) first.on?.(event, finish);
      const submitted = query.apply(this, args);
      sent = performance.now();
      return submitted;
    }
    const last = args.length - 1;
    if (typeof args[last] === 'function') {
      const callback = args[last] as (...r: unknown[]) => void;
      args[last] = (...r: unknown[]) => {
        finish();
        callback(...r);
      };
      const returned = query.apply(this, args);
      sent = performance.now();
      return returned;
    }
    const answer = query.apply(this, args) as Promise<unknown>;
    sent = performance.now();
    answer.then(finish, finish);
    return answer;
  };
}

/** bench/ingestion.ts's workflow (10 daily batches of synthetic Contacts), then the engine run to idle, measured. */
async function ingest(store: KyselyStore): Promise<void> {
  const engine = new Engine(store, systemClock, { mode: 'manual' });
  const app = await createIngestionWorkflow(store, engine, N);
  const serverBefore = await backendCpuMs(store);
  stats.clear();
  measuring = true;
  const cpu = process.cpuUsage();
  const started = performance.now();
  const statisticsLoop = statistics ? startStatisticsLoop(store) : undefined;
  await engine.runUntilIdle();
  const analyzed = (await statisticsLoop?.stop()) ?? [];
  const used = process.cpuUsage(cpu);
  const wall = performance.now() - started;
  measuring = false;
  let serverCpu = 0;
  for (const [pid, ms] of await backendCpuMs(store)) serverCpu += ms - (serverBefore.get(pid) ?? 0);
  process.stdout.write(
    `${backend} ${N} records, ${PAGES} pages of up to ${DEFAULT_ENGINE_OPTIONS.pageSize}: ${(wall / 1000).toFixed(1)} s wall, ` +
      `${((used.user + used.system) / 1e6).toFixed(1)} s CPU (user ${(used.user / 1e6).toFixed(1)}, sys ${(used.system / 1e6).toFixed(1)}), ` +
      `${Math.round(N / (wall / 1000))} records/s${backend === 'postgres' ? `, server backends ${(serverCpu / 1000).toFixed(1)} s CPU` : ''}\n`,
  );
  if (statistics) process.stdout.write(`statistics loop every ${DEFAULT_ENGINE_OPTIONS.statisticsIntervalMs} ms, tables analyzed: ${analyzed.join(', ') || 'none'}\n`);
  printStats(wall);
  const { rows: keys } = await sql<{ key_name: string; n: number }>`select key_name, count(*) as n from profile_keys group by 1 order by 1`.execute(store.db);
  process.stdout.write(`\nprofile_keys rows by key name: ${JSON.stringify(keys.map((k) => ({ key_name: k.key_name, n: Number(k.n) })))}\n`);
  await app.close();
}

function printStats(wallMs: number): void {
  const total = [...stats.values()].reduce((a, s) => a + s.ms, 0);
  const count = [...stats.values()].reduce((a, s) => a + s.n, 0);
  process.stdout.write(`time in SQL statements: ${Math.round(total)} ms in ${count} statements, ${Math.round((100 * total) / wallMs)} % of the wall time\n`);
  const row = (what: string, n: number, ms: number, sendMs: number) => ({
    count: n,
    'total ms': Math.round(ms),
    ...(backend === 'postgres' ? { 'send ms': Math.round(sendMs) } : {}),
    '% of SQL': Math.round((100 * ms) / total),
    'per page': Number((n / PAGES).toFixed(2)),
    'ms/page': Number((ms / PAGES).toFixed(2)),
    'µs/record': Number(((1000 * ms) / N).toFixed(1)),
    what,
  });
  const groups = [...stats.entries()].sort((a, b) => b[1].ms - a[1].ms);
  // Two texts with the same first 80 characters are told apart by their ends.
  const heads = new Map<string, number>();
  for (const [text] of groups) heads.set(text.slice(0, 80), (heads.get(text.slice(0, 80)) ?? 0) + 1);
  const label = (text: string) => (heads.get(text.slice(0, 80))! > 1 ? `${text.slice(0, 80)} … ${text.slice(-40)}` : text.slice(0, 80));
  printTable(
    'By statement (sorted by total time)',
    groups.map(([text, s]) => ({ ...row(verbAndTable(text), s.n, s.ms, s.sendMs), statement: label(text) })),
  );
  const byTable = new Map<string, { n: number; ms: number; sendMs: number }>();
  for (const [text, s] of groups) {
    const key = verbAndTable(text);
    const t = byTable.get(key) ?? { n: 0, ms: 0, sendMs: 0 };
    t.n += s.n;
    t.ms += s.ms;
    t.sendMs += s.sendMs;
    byTable.set(key, t);
  }
  printTable(
    'By verb and table',
    [...byTable.entries()].sort((a, b) => b[1].ms - a[1].ms).map(([what, s]) => row(what, s.n, s.ms, s.sendMs)),
  );
}

async function backendCpuMs(store: KyselyStore): Promise<Map<number, number>> {
  return backend === 'postgres' ? serverCpuMs(store, APP) : new Map();
}

if (backend === 'sqlite') {
  const dir = mkdtempSync(join(tmpdir(), 'pf-sql-timings-'));
  try {
    // The pragmas of src/store/dialects/sqlite.ts, on a handle whose Kysely instance has a log hook.
    const database = new Sqlite(join(dir, 'profileflow.db'));
    database.pragma('journal_mode = WAL');
    database.pragma('synchronous = NORMAL');
    database.pragma('foreign_keys = ON');
    database.pragma('wal_autocheckpoint = 16384');
    for (const p of pragmas) database.pragma(p);
    const db = new Kysely<Database>({
      dialect: new SqliteDialect({ database }),
      log: (e) => record(e.query.sql, e.queryDurationMillis),
    });
    const store = new KyselyStore(db, sqliteCapabilities);
    await store.migrate();
    try {
      await ingest(store);
    } finally {
      await store.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
} else {
  timePgQueries();
  await withPgSchema('sqltimings', async (schema) => {
    const store = await openStore({ backend: 'postgres', databaseUrl: `${PG_URL}${PG_URL.includes('?') ? '&' : '?'}application_name=${APP}`, schema });
    try {
      await ingest(store);
    } finally {
      await store.close();
    }
  });
}
