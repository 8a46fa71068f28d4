// The limit of the ingestion benchmark: the same final rows (every table ingestion filled: profiles, the
// key index, the objects, …) read back from the service's store and inserted straight through the same
// driver into a freshly migrated store (same indexes), timed from the first insert to the commit:
// SQLite: one prepared statement per table, one transaction (better-sqlite3, the service's pragmas), the
// rows in the order ingestion wrote them (see sqliteLimit).
// PostgreSQL: COPY … FROM STDIN in text format per table (pg-copy-streams over the `pg` connection), one
// transaction; the previous limit, INSERT … SELECT FROM unnest($1::type[], …) with 10,000 rows per
// statement, is still measured beside it (`unnest`) so that figures stay comparable with earlier runs.
// Both read the rows back as the server's text output: every column type then has one encoding, the
// server's own input syntax, whatever the table layout.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import Sqlite from 'better-sqlite3';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { DIST_MAIN } from './common.js';
import { type PgCost, startPgCost } from './pg-cost.js';

const NOT_INGESTION = new Set(['workflows', 'workflow_steps', 'settings', 'domains', 'object_types', 'connector_profiles', 'integrations', 'tags']);

/**
 * `before-012`: the same rows with the key index as it was laid out before migration 012, the
 * (account_id, region, domain_name) texts at the head of every row instead of the domain's integer id;
 * the limit of the old layout, measured beside the current one's.
 */
export type LimitLayout = 'current' | 'before-012';

const OLD_KEY_COLUMNS = ['account_id', 'region', 'domain_name', 'key_name', 'key_value', 'profile_id'];

/** The key rows re-keyed by domain texts, and domain_ids dropped (it did not exist). */
function toOldLayout<T extends { table: string; columns: C[]; rows: unknown[][] }, C>(data: T[], column: (name: string) => C, nameOf: (c: C) => string): T[] {
  const ids = data.find((d) => d.table === 'domain_ids');
  const keys = data.find((d) => d.table === 'profile_keys');
  if (!ids || !keys) return data;
  const col = (d: T, name: string) => d.columns.findIndex((c) => nameOf(c) === name);
  const domains = new Map(ids.rows.map((r) => [Number(r[col(ids, 'domain_id')]), [r[col(ids, 'account_id')], r[col(ids, 'region')], r[col(ids, 'domain_name')]]]));
  const [d, n, v, p] = ['domain_id', 'key_name', 'key_value', 'profile_id'].map((name) => col(keys, name));
  const oldKeys = { ...keys, columns: OLD_KEY_COLUMNS.map(column), rows: keys.rows.map((r) => [...(domains.get(Number(r[d])) as unknown[]), r[n], r[v], r[p]]) };
  return data.filter((x) => x !== ids).map((x) => (x === keys ? oldKeys : x));
}

export interface LimitResult {
  seconds: number;
  rows: Record<string, number>;
  method: string;
  /** PostgreSQL: what the copy cost the server (its backend's CPU, its WAL). */
  postgres?: PgCost;
}

/**
 * `copy`: COPY FROM STDIN, the fastest way into PostgreSQL and so the limit. `unnest`: the multi-row
 * INSERT the limit used before, for comparison with earlier figures.
 */
export type PostgresLimitMethod = 'copy' | 'unnest';

/**
 * `arrival`: every table's rows in the order ingestion wrote them, as a driver-only copy of the same work
 * would receive them. Rowid tables scan in insertion order by themselves; `profile_keys` is WITHOUT ROWID
 * (migration 007), so a plain scan returns it sorted by its primary key, and inserting sorted keys
 * appends at the B-tree's right edge, which no ingestion of records that arrive one page at a time can
 * do. Its rows are read by profile_id instead: profile ids grow with creation time (src/domain/ids.ts),
 * so that is the order they were written in. `key`: the plain scan (what this limit did before), kept
 * for comparison.
 */
export function sqliteLimit(sourceFile: string, targetDir: string, order: 'arrival' | 'key' = 'arrival', layout: LimitLayout = 'current'): LimitResult {
  execFileSync(process.execPath, [DIST_MAIN, 'migrate', '--data-dir', targetDir], { stdio: 'ignore' });
  const src = new Sqlite(sourceFile, { readonly: true });
  const tables = (src.prepare(`select name from sqlite_master where type = 'table' and name not like 'sqlite_%' and name not like 'kysely_%'`).pluck().all() as string[])
    .filter((t) => !NOT_INGESTION.has(t))
    .filter((t) => (src.prepare(`select count(*) from "${t}"`).pluck().get() as number) > 0);
  let data = tables.map((t) => {
    const withoutRowid = /without\s+rowid/i.test(src.prepare(`select sql from sqlite_master where name = ?`).pluck().get(t) as string);
    const stmt = src.prepare(`select * from "${t}"${order === 'arrival' && withoutRowid ? ' order by profile_id' : ''}`).raw(true);
    return { table: t, columns: stmt.columns().map((c) => c.name), rows: stmt.all() as unknown[][] };
  });
  src.close();
  const dst = new Sqlite(join(targetDir, 'profileflow.db'));
  if (layout === 'before-012') {
    data = toOldLayout(data, (name) => name, (c) => c);
    dst.exec(`drop table profile_keys; create table profile_keys (account_id text not null, region text not null, domain_name text not null,
      key_name text not null, key_value text not null, profile_id text not null,
      constraint profile_keys_pk primary key (account_id, region, domain_name, key_name, key_value, profile_id)) without rowid`);
  }
  dst.pragma('journal_mode = WAL');
  dst.pragma('synchronous = NORMAL');
  dst.pragma('wal_autocheckpoint = 16384');
  // Twice the service's page cache (src/store/dialects/sqlite.ts): a limit is the fastest the same rows
  // go, and one transaction of them all ran 16,833 records/s with 64 MiB against 13,471 with the
  // service's 32 (docs/performance.md, Ingestion, "A smaller page cache").
  dst.pragma('cache_size = -65536');
  const started = performance.now();
  dst.transaction(() => {
    for (const d of data) {
      const insert = dst.prepare(`insert into "${d.table}" (${d.columns.map((c) => `"${c}"`).join(', ')}) values (${d.columns.map(() => '?').join(', ')})`);
      for (const r of d.rows) insert.run(r);
    }
  })();
  const seconds = (performance.now() - started) / 1000;
  dst.close();
  return {
    seconds,
    rows: Object.fromEntries(data.map((d) => [d.table, d.rows.length])),
    method: `better-sqlite3: one prepared INSERT per table, one transaction, rows in ${order === 'arrival' ? 'the order ingestion wrote them' : 'primary-key order'}${layout === 'before-012' ? ', key index as laid out before 012' : ''}`,
  };
}

/** Every value as the server's text output (no parsing into JavaScript types). */
const AS_TEXT = { getTypeParser: () => (text: string) => text } as unknown as pg.CustomTypesConfig;

/** COPY's text format: backslash, tab, newline and carriage return escaped, NULL as \N. */
const COPY_SPECIAL = /[\\\t\n\r]/g;
const COPY_ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };
const copyField = (v: unknown) => (v === null ? '\\N' : String(v).replace(COPY_SPECIAL, (c) => COPY_ESCAPES[c]));

function* copyLines(rows: unknown[][]): Generator<string> {
  for (let i = 0; i < rows.length; i += 1_000) {
    let text = '';
    for (const r of rows.slice(i, i + 1_000)) text += `${r.map(copyField).join('\t')}\n`;
    yield text;
  }
}

async function copyTable(client: pg.Client, table: string, columns: string[], rows: unknown[][]): Promise<void> {
  await pipeline(Readable.from(copyLines(rows)), client.query(copyFrom(`copy "${table}" (${columns.map((c) => `"${c}"`).join(', ')}) from stdin`)));
}

async function unnestTable(client: pg.Client, table: string, columns: { name: string; type: string }[], rows: unknown[][]): Promise<void> {
  const text = `insert into "${table}" (${columns.map((c) => `"${c.name}"`).join(', ')}) select * from unnest(${columns.map((c, i) => `$${i + 1}::${c.type}[]`).join(', ')})`;
  for (let i = 0; i < rows.length; i += 10_000) {
    const chunk = rows.slice(i, i + 10_000);
    await client.query(text, columns.map((_, c) => chunk.map((r) => r[c])));
  }
}

const METHOD_TEXT: Record<PostgresLimitMethod, string> = {
  copy: 'pg + pg-copy-streams: COPY FROM STDIN (text format) per table, one transaction',
  unnest: 'pg: INSERT … SELECT FROM unnest(arrays), 10,000 rows per statement, one transaction',
};

export async function postgresLimit(url: string, sourceSchema: string, targetSchema: string, layout: LimitLayout = 'current', method: PostgresLimitMethod = 'copy'): Promise<LimitResult> {
  const base = url.replace(/[?&]schema=[^&]*/, '');
  const targetUrl = `${base}${base.includes('?') ? '&' : '?'}schema=${targetSchema}`;
  execFileSync(process.execPath, [DIST_MAIN, 'migrate', '--database-url', targetUrl], { stdio: 'ignore' });
  const src = new pg.Client({ connectionString: base, options: `-c search_path="${sourceSchema}"` });
  await src.connect();
  const tables = (
    await src.query(`select table_name from information_schema.tables where table_schema = $1 and table_type = 'BASE TABLE' and table_name not like 'kysely_%'`, [sourceSchema])
  ).rows
    .map((r) => r.table_name as string)
    .filter((t) => !NOT_INGESTION.has(t));
  let data: { table: string; columns: { name: string; type: string }[]; rows: unknown[][] }[] = [];
  for (const t of tables) {
    const cols = (
      await src.query(`select column_name, udt_name from information_schema.columns where table_schema = $1 and table_name = $2 order by ordinal_position`, [sourceSchema, t])
    ).rows.map((r) => ({ name: r.column_name as string, type: r.udt_name as string }));
    const res = await src.query({ text: `select ${cols.map((c) => `"${c.name}"`).join(', ')} from "${t}"`, rowMode: 'array', types: AS_TEXT });
    if (res.rows.length > 0) data.push({ table: t, columns: cols, rows: res.rows });
  }
  await src.end();
  const appName = `pf-bench-limit-${process.pid}-${Date.now().toString(36)}`;
  const dst = new pg.Client({ connectionString: base, options: `-c search_path="${targetSchema}"`, application_name: appName });
  await dst.connect();
  if (layout === 'before-012') {
    data = toOldLayout(data, (name) => ({ name, type: 'text' }), (c) => c.name);
    await dst.query(`drop table profile_keys; create table profile_keys (account_id text not null, region text not null, domain_name text not null,
      key_name text not null, key_value text not null, profile_id text not null,
      constraint profile_keys_pk primary key (account_id, region, domain_name, key_name, key_value, profile_id))`);
  }
  const meter = await startPgCost(base, appName, targetSchema);
  const started = performance.now();
  await dst.query('BEGIN');
  for (const d of data) {
    if (method === 'copy') await copyTable(dst, d.table, d.columns.map((c) => c.name), d.rows);
    else await unnestTable(dst, d.table, d.columns, d.rows);
  }
  await dst.query('COMMIT');
  const seconds = (performance.now() - started) / 1000;
  const postgres = await meter.stop();
  await dst.end();
  if (layout === 'current') await sameRows(base, sourceSchema, targetSchema, data.map((d) => d.table));
  return {
    seconds,
    rows: Object.fromEntries(data.map((d) => [d.table, d.rows.length])),
    method: `${METHOD_TEXT[method]}${layout === 'before-012' ? ', key index as laid out before 012' : ''}`,
    postgres,
  };
}

/**
 * The copy holds the same rows as the source, table by table: a count and an order-free sum of the
 * rows' text hashes (a value that lost an escape on its way through COPY's text format would differ).
 */
async function sameRows(url: string, sourceSchema: string, targetSchema: string, tables: string[]): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    for (const t of tables) {
      const digest = async (schema: string) =>
        JSON.stringify((await client.query(`select count(*)::text as n, coalesce(sum(hashtext(r::text)::bigint), 0)::text as h from "${schema}"."${t}" r`)).rows[0]);
      const [a, b] = [await digest(sourceSchema), await digest(targetSchema)];
      if (a !== b) throw new Error(`the limit's copy of ${t} differs from the source: ${b} against ${a}`);
    }
  } finally {
    await client.end();
  }
}
