/**
 * `profileflow doctor`: a full look at a store, read-only. SQLite: the file, who holds the data folder,
 * PRAGMA integrity_check, migrations, the page-token secret. PostgreSQL: the connection, whether the
 * server takes writes, migrations, the tables and the secret.
 */
import { existsSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { migrations } from './migrations/index.js';
import { postgresServerOf, type StoreConfig, sqliteFileOf } from './open-store.js';
import { lockHolder } from './sqlite-guard.js';
import { STORE_TABLES } from './schema.js';

export interface Finding {
  ok: boolean;
  /** What was checked, e.g. "integrity_check". */
  check: string;
  detail: string;
}

const EXPECTED_MIGRATIONS = Object.keys(migrations).sort();
/** integrity_check stops after this many problems; the first few are printed. */
const MAX_PROBLEMS_SHOWN = 20;

export async function diagnose(config: StoreConfig): Promise<Finding[]> {
  return config.backend === 'sqlite' ? diagnoseSqlite(sqliteFileOf(config)) : diagnosePostgres(config.databaseUrl, config.schema);
}

async function diagnoseSqlite(file: string): Promise<Finding[]> {
  if (!existsSync(file)) return [{ ok: false, check: 'file', detail: `no database at ${file}` }];
  const findings: Finding[] = [{ ok: true, check: 'file', detail: `${file}, ${formatBytes(statSync(file).size)}` }];
  const holder = lockHolder(dirname(file));
  findings.push({
    ok: true,
    check: 'in use',
    detail: holder
      ? `by profileflow process ${holder}: this check reads a consistent snapshot beside it (WAL), and writes nothing`
      : 'no profileflow process holds the data folder',
  });
  const { default: SqliteDatabase } = await import('better-sqlite3');
  let database;
  try {
    database = new SqliteDatabase(file, { readonly: true, fileMustExist: true });
    // A live service may be writing: wait for its write to end rather than fail.
    database.pragma('busy_timeout = 5000');
  } catch (err) {
    findings.push({ ok: false, check: 'open', detail: describe(err) });
    return findings;
  }
  try {
    // Row by row: on a badly damaged file SQLite reports some problems, then stops the statement with
    // SQLITE_CORRUPT; the rows before that are the useful part (which pages).
    const problems: string[] = [];
    let stopped: string | undefined;
    try {
      for (const row of database.prepare('pragma integrity_check').iterate() as Iterable<{ integrity_check: string }>) {
        if (row.integrity_check !== 'ok') problems.push(row.integrity_check);
      }
    } catch (err) {
      stopped = describe(err);
    }
    if (problems.length === 0 && !stopped) {
      findings.push({ ok: true, check: 'integrity_check', detail: 'ok' });
    } else {
      const lines = problems.slice(0, MAX_PROBLEMS_SHOWN);
      if (stopped) lines.push(`the check stopped: ${stopped}`);
      findings.push({
        ok: false,
        check: 'integrity_check',
        detail:
          `${problems.length >= 100 ? '100 or more' : problems.length} problem${problems.length === 1 ? '' : 's'}` +
          `${problems.length > MAX_PROBLEMS_SHOWN ? ` (the first ${MAX_PROBLEMS_SHOWN} shown)` : ''}:\n` +
          lines.map((p) => `    ${p.replace(/\n/g, '\n    ')}`).join('\n') +
          '\n  Restore the last backup, or copy out what can be read: sqlite3 profileflow.db .recover | sqlite3 recovered.db',
      });
      return findings;
    }
    const applied = safely(() => (database.prepare('select name from kysely_migration order by name').all() as { name: string }[]).map((r) => r.name));
    findings.push(migrationFinding(applied));
    const secret = safely(() => database.prepare(`select count(*) as n from settings where key = 'page_token_secret'`).get() as { n: number });
    findings.push(secretFinding(secret instanceof Error ? secret : secret.n));
  } finally {
    database.close();
  }
  return findings;
}

async function diagnosePostgres(url: string, schemaOption: string | undefined): Promise<Finding[]> {
  const { default: pg } = await import('pg');
  const schema = schemaOption ?? safely(() => new URL(url).searchParams.get('schema') ?? undefined);
  const findings: Finding[] = [];
  if (schema instanceof Error || (schema !== undefined && !/^[a-zA-Z_][a-zA-Z0-9_]{0,62}$/.test(schema))) {
    return [{ ok: false, check: 'schema', detail: `invalid schema name in the URL` }];
  }
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000, query_timeout: 30_000, options: schema ? `-c search_path="${schema}"` : undefined });
  client.on('error', () => undefined);
  const server = postgresServerOf(url);
  try {
    await client.connect();
  } catch (err) {
    return [{ ok: false, check: 'connection', detail: `cannot connect to ${server}: ${describe(err)}` }];
  }
  try {
    const info = (await client.query<{ version: string; standby: boolean; schema: string | null }>(
      `select current_setting('server_version') as version, pg_is_in_recovery() as standby, current_schema() as schema`,
    )).rows[0];
    findings.push({ ok: true, check: 'connection', detail: `${server}, PostgreSQL ${info.version}, schema ${info.schema ?? '(none)'}` });
    findings.push(
      info.standby
        ? { ok: false, check: 'writable', detail: 'the server is a standby (in recovery): it refuses writes' }
        : { ok: true, check: 'writable', detail: 'the server is a primary' },
    );
    const applied = await client.query<{ name: string }>('select name from kysely_migration order by name').then(
      (r) => r.rows.map((row) => row.name),
      (err: unknown) => (err instanceof Error ? err : new Error(String(err))),
    );
    findings.push(migrationFinding(applied));
    if (applied instanceof Error) return findings;
    // Sanity: every table the migrations create is there (a schema half dropped by hand, the wrong schema).
    const tables = new Set(
      (await client.query<{ name: string }>(`select table_name as name from information_schema.tables where table_schema = current_schema()`)).rows.map((r) => r.name),
    );
    const missing = Object.keys(STORE_TABLES).filter((t) => !tables.has(t));
    findings.push(
      missing.length === 0
        ? { ok: true, check: 'tables', detail: `all ${Object.keys(STORE_TABLES).length} of the store's tables` }
        : { ok: false, check: 'tables', detail: `missing: ${missing.join(', ')}` },
    );
    const secret = await client.query<{ n: string }>(`select count(*) as n from settings where key = 'page_token_secret'`).then(
      (r) => Number(r.rows[0].n),
      (err: unknown) => (err instanceof Error ? err : new Error(String(err))),
    );
    findings.push(secretFinding(secret));
  } catch (err) {
    findings.push({ ok: false, check: 'query', detail: describe(err) });
  } finally {
    await client.end().catch(() => undefined);
  }
  return findings;
}

function migrationFinding(applied: string[] | Error): Finding {
  if (applied instanceof Error) return { ok: false, check: 'migrations', detail: `none applied (${applied.message}); run profileflow migrate` };
  const pending = EXPECTED_MIGRATIONS.filter((m) => !applied.includes(m));
  const unknown = applied.filter((m) => !EXPECTED_MIGRATIONS.includes(m));
  if (unknown.length) return { ok: false, check: 'migrations', detail: `applied by a newer profileflow: ${unknown.join(', ')}; use that version` };
  if (pending.length) return { ok: false, check: 'migrations', detail: `pending: ${pending.join(', ')}; run profileflow migrate (serve applies them at start)` };
  return { ok: true, check: 'migrations', detail: `all ${EXPECTED_MIGRATIONS.length} applied` };
}

function secretFinding(count: number | Error): Finding {
  if (count instanceof Error) return { ok: false, check: 'page-token secret', detail: describe(count) };
  return count === 1
    ? { ok: true, check: 'page-token secret', detail: 'present' }
    : { ok: false, check: 'page-token secret', detail: 'missing: list operations cannot sign NextTokens' };
}

function safely<T>(read: () => T): T | Error {
  try {
    return read();
  } catch (err) {
    return err instanceof Error ? err : new Error(String(err));
  }
}

function describe(err: unknown): string {
  const e = err as { code?: unknown; message?: unknown };
  return [e?.code, e?.message].filter((x) => typeof x === 'string' && x).join(': ') || String(err);
}

function formatBytes(n: number): string {
  if (n >= 1024 ** 3) return `${(n / 1024 ** 3).toFixed(1)} GiB`;
  if (n >= 1024 ** 2) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  return `${n} bytes`;
}
