// Shared by every benchmark: the built service spawned as a user would start it, a small AWS-shaped
// HTTP client for setting up, machine facts, result files and tables. Nothing here is imported by src/.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const DIST_MAIN = join(ROOT, 'dist', 'bundle', 'profileflow.js');
export const RESULTS_DIR = join(ROOT, 'bench', 'results');
/** src/store/dialects/postgres.ts MIGRATION_LOCK_KEY. */
const MIGRATION_LOCK_KEY = 7_304_512_019;
export const PG_URL = process.env.PROFILEFLOW_BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** Any SigV4-shaped header: profileflow reads the account and region from its credential scope. */
export const AUTH_HEADERS: Record<string, string> = {
  authorization:
    'AWS4-HMAC-SHA256 Credential=AKIDBENCHMARK/20250101/us-east-1/profile/aws4_request, SignedHeaders=host;x-amz-date, Signature=0000000000000000000000000000000000000000000000000000000000000000',
  'x-amz-date': '20250101T000000Z',
};

export interface Service {
  url: string;
  port: number;
  pid: number;
  child: ChildProcess;
  /** Milliseconds from spawn to the banner. */
  bannerMs: number;
  /** SIGTERM, then waits for the exit (the service drains and exits 0). */
  stop(): Promise<number | null>;
  /** The last lines the process wrote to stderr (for a failure report). */
  stderrTail(): string;
}

/**
 * Spawns `node dist/bundle/profileflow.js <command> --port 0 …` and waits for its banner, which names the address
 * (src/cli/main.ts prints `… listening on http://host:port (…)` once it listens).
 */
export function startService(
  args: string[],
  options: { nodeArgs?: string[]; env?: NodeJS.ProcessEnv; command?: 'serve' | 'worker'; cwd?: string } = {},
): Promise<Service> {
  const command = options.command ?? 'serve';
  const started = performance.now();
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), DIST_MAIN, command, ...(command === 'serve' ? ['--port', '0'] : []), ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...options.env },
    cwd: options.cwd ?? ROOT,
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString();
    if (stderr.length > 20_000) stderr = stderr.slice(-10_000);
  });
  const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));
  return new Promise((resolvePromise, reject) => {
    let out = '';
    const onData = (d: Buffer) => {
      out += d.toString();
      const m = /listening on (http:\/\/[^\s]+)/.exec(out) ?? (command === 'worker' && /worker \S+ running/.exec(out));
      if (!m) return;
      child.stdout!.off('data', onData);
      child.stdout!.resume();
      const url = command === 'serve' ? (m as RegExpExecArray)[1] : '';
      resolvePromise({
        url,
        port: url ? Number(new URL(url).port) : 0,
        pid: child.pid!,
        child,
        bannerMs: performance.now() - started,
        stderrTail: () => stderr.slice(-3000),
        stop: async () => {
          if (child.exitCode === null) child.kill('SIGTERM');
          const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
          const code = await exited;
          clearTimeout(timer);
          return code;
        },
      });
    };
    child.stdout!.on('data', onData);
    void exited.then((code) => reject(new Error(`profileflow ${command} exited (${code}) before its banner: ${stderr.slice(-2000)}`)));
  });
}

export interface HttpAnswer {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
  json(): any;
}

/** One AWS-shaped request (JSON body, SigV4-shaped header) through Node's fetch. */
export async function call(base: string, method: string, path: string, body?: unknown): Promise<HttpAnswer> {
  const res = await fetch(base + path, {
    method,
    headers: { ...AUTH_HEADERS, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const buf = Buffer.from(await res.arrayBuffer());
  const headers: Record<string, string> = {};
  res.headers.forEach((v, k) => (headers[k] = v));
  return { status: res.status, headers, body: buf, json: () => JSON.parse(buf.toString('utf8')) };
}

/** Like call, but a non-2xx answer throws with its body. */
export async function ok(base: string, method: string, path: string, body?: unknown): Promise<any> {
  const r = await call(base, method, path, body);
  if (r.status >= 300) throw new Error(`${method} ${path} answered ${r.status}: ${r.body.toString().slice(0, 500)}`);
  return r.body.length ? r.json() : undefined;
}

/** VmRSS and VmHWM of a process, in MB (Linux /proc). */
export function memoryOf(pid: number): { rssMb: number; hwmMb: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? NaN);
  return { rssMb: kb('VmRSS') / 1024, hwmMb: kb('VmHWM') / 1024 };
}

function versionOf(cmd: string, args: string[]): string {
  // `wrk -v` prints its version and exits 1.
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  const text = `${r.stdout ?? ''}${r.stderr ?? ''}`.split('\n')[0].trim();
  return text || 'unavailable';
}

function packageVersion(name: string): string {
  try {
    return JSON.parse(readFileSync(join(ROOT, 'node_modules', name, 'package.json'), 'utf8')).version;
  } catch {
    return 'not installed';
  }
}

/** The machine and software a figure came from. */
export async function machineInfo(): Promise<Record<string, unknown>> {
  const info: Record<string, unknown> = {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model,
    memoryGb: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    betterSqlite3: packageVersion('better-sqlite3'),
    pg: packageVersion('pg'),
    kysely: packageVersion('kysely'),
    fastify: packageVersion('fastify'),
    wrk: versionOf('wrk', ['-v']),
  };
  try {
    const { default: Sqlite } = await import('better-sqlite3');
    const db = new Sqlite(':memory:');
    info.sqlite = (db.prepare('select sqlite_version() as v').get() as { v: string }).v;
    db.close();
  } catch {
    info.sqlite = 'unavailable';
  }
  try {
    const { default: pg } = await import('pg');
    const client = new pg.Client({ connectionString: PG_URL });
    await client.connect();
    info.postgres = (await client.query('show server_version')).rows[0].server_version;
    await client.end();
  } catch {
    info.postgres = 'unavailable';
  }
  return info;
}

export function writeResult(name: string, data: Record<string, unknown>): string {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = join(RESULTS_DIR, `${name}.json`);
  writeFileSync(file, `${JSON.stringify({ benchmark: name, at: new Date().toISOString(), ...data }, null, 2)}\n`);
  return file;
}

/** A plain-text table: one row per object, columns in the order of the first row's keys. */
export function printTable(title: string, rows: Record<string, unknown>[]): void {
  if (rows.length === 0) return;
  const cols = Object.keys(rows[0]);
  const text = (v: unknown) => (typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toFixed(2)) : String(v ?? ''));
  const widths = cols.map((c) => Math.max(c.length, ...rows.map((r) => text(r[c]).length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join('  ');
  process.stdout.write(`\n${title}\n${line(cols)}\n${line(widths.map((w) => '-'.repeat(w)))}\n`);
  for (const r of rows) process.stdout.write(`${line(cols.map((c) => text(r[c])))}\n`);
}

export function parseFlags(argv: string[]): Record<string, string | true> {
  const out: Record<string, string | true> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) continue;
    const eq = a.indexOf('=');
    if (eq > 0) out[a.slice(2, eq)] = a.slice(eq + 1);
    else if (argv[i + 1] !== undefined && !argv[i + 1].startsWith('--')) out[a.slice(2)] = argv[++i];
    else out[a.slice(2)] = true;
  }
  return out;
}

export const round = (n: number, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits;

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** A PostgreSQL schema of its own for one benchmark run, dropped afterwards. */
export async function withPgSchema<T>(prefix: string, work: (schema: string, url: string) => Promise<T>): Promise<T> {
  const { default: pg } = await import('pg');
  const schema = `bench_${prefix}_${process.pid}_${Date.now().toString(36)}`;
  const url = `${PG_URL}${PG_URL.includes('?') ? '&' : '?'}schema=${schema}`;
  try {
    return await work(schema, url);
  } finally {
    const client = new pg.Client({ connectionString: PG_URL });
    await client.connect();
    // Under profileflow's migration lock (src/store/dialects/postgres.ts): a schema dropped while another
    // process's migrator scans the catalog would make that migration fail.
    await client.query('select pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await client.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
    await client.end();
  }
}

/** CPU time (user + system) a process has used so far, in milliseconds (Linux /proc/<pid>/stat). */
export function cpuMsOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime and stime are fields 14 and 15 of the whole line, in clock ticks (100 per second on Linux).
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
}

/**
 * Busy CPU time of the whole machine so far (every core, all but idle and iowait), in milliseconds
 * (/proc/stat). The difference over a run, against its seconds × the cores, says whether anything was
 * left for another process: with PostgreSQL on the same cores, the workers are not the only consumers.
 */
export function machineBusyMs(): number {
  const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal …, in clock ticks (100 per second).
  const busy = cpu[0] + cpu[1] + cpu[2] + cpu[5] + cpu[6] + cpu[7];
  return (busy * 1000) / 100;
}

/** The machine's load average (1, 5 and 15 minutes), reported with every figure taken on a shared machine. */
export function loadAverage(): number[] {
  return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).map(Number);
}
