// The query plans of the control-plane reads, for the exact SQL the service sends: the repository from
// dist/ runs against a Kysely instance whose log hook records each statement, and the statement is then
// EXPLAINed (EXPLAIN QUERY PLAN on SQLite, EXPLAIN ANALYZE on PostgreSQL).
import Sqlite from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect, type CompiledQuery } from 'kysely';
import pg from 'pg';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT } from './common.js';
import type { Target } from './seed.js';

export interface PlanCase {
  name: string;
  run(repo: any): Promise<unknown>;
}

export interface Plan {
  case: string;
  sql: string;
  plan: string[];
  /** True when the plan sorts or scans a whole table or index (what migration 007 would have to fix). */
  suspicious: boolean;
}

export async function explainCases(target: Target, cases: PlanCase[]): Promise<Plan[]> {
  const { KyselyWorkflowRepository } = await import(pathToFileURL(join(ROOT, 'dist', 'store', 'repositories', 'workflows.js')).href);
  let captured: CompiledQuery[] = [];
  const log = (event: { level: string; query: CompiledQuery }) => {
    if (event.level === 'query') captured.push(event.query);
  };
  const out: Plan[] = [];
  if (target.backend === 'sqlite') {
    const raw = new Sqlite(target.file, { readonly: true });
    const db = new Kysely<any>({ dialect: new SqliteDialect({ database: raw }), log });
    const repo = new KyselyWorkflowRepository(db, { name: 'sqlite', skipLocked: false, arrayParameters: false });
    for (const c of cases) {
      captured = [];
      await c.run(repo);
      for (const q of captured) {
        const rows = raw.prepare(`EXPLAIN QUERY PLAN ${q.sql}`).all(...(q.parameters as unknown[])) as { detail: string }[];
        const plan = rows.map((r) => r.detail);
        out.push({ case: c.name, sql: q.sql, plan, suspicious: plan.some((p) => /TEMP B-TREE|^SCAN (?!.*USING (COVERING )?INDEX)/.test(p)) });
      }
    }
    await db.destroy();
  } else {
    const pool = new pg.Pool({ connectionString: target.url, max: 1, options: `-c search_path="${target.schema}"` });
    const db = new Kysely<any>({ dialect: new PostgresDialect({ pool }), log });
    const repo = new KyselyWorkflowRepository(db, { name: 'postgres', skipLocked: true, arrayParameters: true });
    for (const c of cases) {
      captured = [];
      await c.run(repo);
      for (const q of captured) {
        const res = await pool.query(`EXPLAIN (ANALYZE, COSTS OFF, TIMING ON) ${q.sql}`, q.parameters as unknown[]);
        const plan = res.rows.map((r: Record<string, string>) => r['QUERY PLAN']);
        out.push({ case: c.name, sql: q.sql, plan, suspicious: plan.some((p: string) => /Sort|Seq Scan/.test(p)) });
      }
    }
    await db.destroy();
  }
  return out;
}
