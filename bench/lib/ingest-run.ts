// One ingestion run, shared by bench/ingestion.ts and bench/scale-out.ts: the synthetic source, N records
// over `workflows` workflows of 10 batches (one day each), into one domain or spread over `domains` (workflow
// w into domain w mod domains), an object type of 6 fields and 2 keys in each; records
// per second from the first CreateIntegrationWorkflow to the last COMPLETE (polling GetWorkflow), the
// processes' peak RSS (VmHWM), and optionally a CPU profile of the service.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { cpuMsOf, machineBusyMs, memoryOf, ok, type Service, sleep, startService } from './common.js';
import { createDomain, createWorkflow, putConnectorProfile, putObjectType } from './fixtures.js';
import pg from 'pg';
import { type PgCost, startPgCost } from './pg-cost.js';
import { summariseProfile } from './profile-summary.js';

export const BATCHES = 10;
export const DOMAIN = 'bench-ingest';

export interface IngestOptions {
  backend: 'sqlite' | 'postgres';
  /** SQLite data dir or PostgreSQL URL with ?schema=. */
  store: string;
  records: number;
  workflows: number;
  /**
   * Domains the workflows write into (default 1). The ingestions of one domain match and create profiles
   * one at a time (serializeIngestion); those of different domains run side by side.
   */
  domains?: number;
  /** PostgreSQL: serve runs no engine and this many `profileflow worker` processes do the work. */
  workers?: number;
  /** `--concurrency` of each worker (steps it runs at once); the service's default when absent. */
  workerConcurrency?: number;
  cpuProfDir?: string;
}

export interface IngestResult {
  records: number;
  seconds: number;
  recordsPerSecond: number;
  peakRssMb: Record<string, number>;
  cpuSeconds: Record<string, number>;
  /** Busy share of every core of the machine during the run, 0..1. */
  machineBusy: number;
  /** PostgreSQL: what the run cost the server (the backends serving serve's and the workers' connections). */
  postgres?: PgCost;
  /**
   * PostgreSQL: ANALYZE passes over the run's tables (the service's own, on a server with autovacuum
   * off; src/store/dialects/postgres-statistics.ts).
   */
  analyzes?: number;
  profile?: ReturnType<typeof summariseProfile>;
}

export async function runIngestion(o: IngestOptions): Promise<IngestResult> {
  const storeArgs = o.backend === 'sqlite' ? ['--data-dir', o.store] : ['--database-url', o.store];
  const nodeArgs = o.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${o.cpuProfDir}`] : [];
  const usesWorkers = (o.workers ?? 0) > 0;
  // Every connection of the run's processes carries this application_name (the pg driver reads
  // PGAPPNAME), which is how the PostgreSQL meter finds the backends serving them.
  const appName = `pf-bench-ingest-${process.pid}-${Date.now().toString(36)}`;
  const env = o.backend === 'postgres' ? { PGAPPNAME: appName } : undefined;
  const svc = await startService([...storeArgs, '--engine-mode', usesWorkers ? 'off' : 'auto'], { nodeArgs, env });
  const workers: Service[] = [];
  const procs: Record<string, Service> = { serve: svc };
  let meter: Awaited<ReturnType<typeof startPgCost>> | undefined;
  try {
    for (let i = 0; i < (o.workers ?? 0); i++) {
      const concurrency = o.workerConcurrency === undefined ? [] : ['--concurrency', String(o.workerConcurrency)];
      const w = await startService([...storeArgs, ...concurrency], { command: 'worker', nodeArgs, env });
      workers.push(w);
      procs[`worker${i + 1}`] = w;
    }
    const perWorkflow = o.records / o.workflows;
    const perDay = perWorkflow / BATCHES;
    if (!Number.isInteger(perDay)) throw new Error(`records must be a multiple of ${BATCHES * o.workflows}`);
    await putConnectorProfile(svc.url, perDay);
    const domains = Array.from({ length: o.domains ?? 1 }, (_, d) => (d === 0 ? DOMAIN : `${DOMAIN}-${d + 1}`));
    for (const domain of domains) {
      await createDomain(svc.url, domain);
      await putObjectType(svc.url, domain);
    }
    const domainOf = new Map<string, string>();
    const cpuBefore = Object.fromEntries(Object.entries(procs).map(([k, p]) => [k, cpuMsOf(p.pid)]));
    const machineBefore = machineBusyMs();
    // Records done so far, as the last poll saw them (RecordsProcessed moves at every page's commit).
    const done = new Map<string, number>();
    meter =
      o.backend === 'postgres'
        ? await startPgCost(o.store, appName, new URL(o.store).searchParams.get('schema') ?? 'public', () => [...done.values()].reduce((a, b) => a + b, 0))
        : undefined;

    const started = performance.now();
    const ids: string[] = [];
    for (let w = 0; w < o.workflows; w++) {
      const domain = domains[w % domains.length];
      const id = await createWorkflow(svc.url, domain, { flowName: `ingest-${w}`, batches: BATCHES, startDay: w * BATCHES });
      domainOf.set(id, domain);
      ids.push(id);
    }
    const pending = new Set(ids);
    while (pending.size > 0) {
      await sleep(100);
      for (const id of [...pending]) {
        let wf;
        try {
          wf = await ok(svc.url, 'GET', `/domains/${domainOf.get(id)}/workflows/${id}`);
        } catch (err) {
          // A keep-alive connection the service closed just as the poll reused it: poll again. A service
          // that died is a failure, with its stderr.
          if (svc.child.exitCode !== null) throw new Error(`the service exited (${svc.child.exitCode}): ${svc.stderrTail()}`);
          process.stderr.write(`poll: ${(err as Error).message}; retrying\n`);
          continue;
        }
        done.set(id, Number(wf.Metrics?.AppflowIntegration?.RecordsProcessed ?? 0));
        if (wf.Status === 'COMPLETE') pending.delete(id);
        else if (wf.Status === 'FAILED') throw new Error(`workflow ${id} failed: ${wf.ErrorDescription}`);
      }
    }
    const seconds = (performance.now() - started) / 1000;
    const analyzes = o.backend === 'postgres' ? await analyzeCount(o.store) : undefined;
    // Share of all the machine's cores that were busy during the run (any process: PostgreSQL included).
    const machineBusy = (machineBusyMs() - machineBefore) / 1000 / (seconds * cpus().length);
    const peakRssMb: Record<string, number> = {};
    const cpuSeconds: Record<string, number> = {};
    for (const [k, p] of Object.entries(procs)) {
      peakRssMb[k] = Math.round(memoryOf(p.pid).hwmMb);
      cpuSeconds[k] = Math.round((cpuMsOf(p.pid) - cpuBefore[k]) / 100) / 10;
    }
    const postgres = await meter?.stop();
    meter = undefined;
    // Every record must have become an object (a silent loss would flatter the figure).
    const processed = await Promise.all(ids.map((id) => ok(svc.url, 'GET', `/domains/${domainOf.get(id)}/workflows/${id}`)));
    const total = processed.reduce((n, wf) => n + Number(wf.Metrics?.AppflowIntegration?.RecordsProcessed ?? 0), 0);
    if (total !== o.records) throw new Error(`RecordsProcessed ${total}, expected ${o.records}`);
    await Promise.all(workers.map((w) => w.stop()));
    await svc.stop();
    let profile;
    if (o.cpuProfDir) {
      // The service's profile (the first written, serve's, when there are workers too).
      const files = readdirSync(o.cpuProfDir).filter((f) => f.endsWith('.cpuprofile')).sort();
      if (files.length) profile = summariseProfile(join(o.cpuProfDir, files[usesWorkers ? 1 : 0] ?? files[0]), 25);
    }
    return { records: o.records, seconds, recordsPerSecond: o.records / seconds, peakRssMb, cpuSeconds, machineBusy, postgres, analyzes, profile };
  } finally {
    await meter?.cancel();
    for (const w of workers) await w.stop();
    await svc.stop();
  }
}

export function tempDir(prefix: string): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** ANALYZE passes over the schema's tables so far, by whoever ran them. */
async function analyzeCount(url: string): Promise<number> {
  const client = new pg.Client({ connectionString: url.replace(/[?&]schema=[^&]*/, '') });
  await client.connect();
  try {
    const { rows } = await client.query(`select coalesce(sum(analyze_count + autoanalyze_count), 0)::int as n from pg_stat_user_tables where schemaname = $1`, [
      new URL(url).searchParams.get('schema') ?? 'public',
    ]);
    return rows[0].n as number;
  } finally {
    await client.end();
  }
}
