// The work limit's SQL: the repositories from dist/ run against a Kysely instance whose log hook records
// each statement, so the limit server sends exactly the text (and parameters) the service sends for the
// same request: the domain check, the workflow check where the operation has one, the page read, and for
// ListWorkflows the page's flows (what a completed workflow's description reads).
import Sqlite from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect, type CompiledQuery } from 'kysely';
import pg from 'pg';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT } from './common.js';
import { type LimitServer, spawnServer } from './load.js';
import type { Target } from './seed.js';

export interface Statement {
  sql: string;
  parameters: unknown[];
}

export interface Repos {
  domains: any;
  workflows: any;
  flows: any;
}

/** The statements `run` sends through the repositories, in order. */
export async function captureStatements(target: Target, run: (repos: Repos) => Promise<unknown>): Promise<Statement[]> {
  return (await captureEach(target, [run]))[0];
}

/** The statements of each run, in order, on one connection. */
export async function captureEach(target: Target, runs: ((repos: Repos) => Promise<unknown>)[]): Promise<Statement[][]> {
  const dist = (p: string) => import(pathToFileURL(join(ROOT, 'dist', 'store', 'repositories', p)).href);
  const { KyselyWorkflowRepository } = await dist('workflows.js');
  const { KyselyDomainRepository } = await dist('domains.js');
  const { KyselyFlowRepository } = await dist('appflow.js');
  const captured: CompiledQuery[] = [];
  const log = (event: { level: string; query: CompiledQuery }) => {
    if (event.level === 'query') captured.push(event.query);
  };
  let db: Kysely<any>;
  let capabilities;
  if (target.backend === 'sqlite') {
    db = new Kysely<any>({ dialect: new SqliteDialect({ database: new Sqlite(target.file, { readonly: true }) }), log });
    capabilities = { name: 'sqlite', skipLocked: false, multiProcess: false, arrayParameters: false };
  } else {
    const pool = new pg.Pool({ connectionString: target.url, max: 1, options: `-c search_path="${target.schema}"` });
    db = new Kysely<any>({ dialect: new PostgresDialect({ pool }), log });
    capabilities = { name: 'postgres', skipLocked: true, multiProcess: true, arrayParameters: true };
  }
  const out: Statement[][] = [];
  try {
    // The stats ledger is only used by domain writes; a read needs none.
    const repos = { domains: new KyselyDomainRepository(db, undefined), workflows: new KyselyWorkflowRepository(db, capabilities), flows: new KyselyFlowRepository(db) };
    for (const run of runs) {
      captured.length = 0;
      await run(repos);
      out.push(captured.map((q) => ({ sql: q.sql, parameters: [...q.parameters] })));
    }
  } finally {
    await db.destroy();
  }
  return out;
}

export interface WorkLimitConfig {
  statements: Statement[];
  answer: 'list' | 'steps';
  /** Which statement reads the page (its rows make the items); the others are checks and lookups. */
  pageStatement: number;
  pageSize: number;
  /** The NextToken of the captured page, sent as it is (the limit signs nothing). */
  nextToken?: string;
  /**
   * A walk: for each path the load requests, the statements the service runs for that page and the page's
   * NextToken. Without it every request runs `statements`.
   */
  pages?: { path: string; statements: Statement[]; nextToken?: string }[];
  /** GetWorkflowSteps: the workflow the request names, which its answer repeats. */
  workflowId?: string;
}

/** Spawns bench/lib/work-limit-server.mjs on `target` with the statements and answer shape given. */
export function startWorkLimitServer(target: Target, config: WorkLimitConfig, nodeArgs: string[] = []): Promise<LimitServer> {
  const dir = mkdtempSync(join(tmpdir(), 'pf-work-limit-'));
  const file = join(dir, 'config.json');
  const { statements, pages, ...rest } = config;
  // Each text once: the walk's pages run the same few texts with their own parameters.
  const texts: string[] = [];
  const textIndex = new Map<string, number>();
  const indexOf = (text: string) => {
    let i = textIndex.get(text);
    if (i === undefined) textIndex.set(text, (i = texts.push(text) - 1));
    return i;
  };
  const pageList = pages?.map((p) => ({ path: p.path, nextToken: p.nextToken, queries: p.statements.map((st) => [indexOf(st.sql), st.parameters]) }));
  writeFileSync(file, JSON.stringify({ root: ROOT, ...target, queries: statements, pages: pageList, texts, ...rest }));
  return spawnServer('work-limit-server.mjs', file, nodeArgs);
}
