// Diagnostic, not a benchmark: the ingestion of bench/ingestion.ts run in-process (the service's store,
// engine and app from src/, no HTTP between them) on SQLite or PostgreSQL, printing the process's CPU
// seconds, wall seconds, the longest the event loop was held and the rows each history table holds. For A/B runs of one change, alternated on
// a loaded machine: the CPU of one process, without the spawn, the poller and the build.
// Run: node --import tsx bench/tools/ingest-ab.ts [--records 100000] [--backend sqlite|postgres]
//      [--page-size 2000] [--recent-at 30000 --merge-at 500000 --slice 25000] [--source-delay-ms 100] [--statistics] [--memory]
// --memory samples process.memoryUsage() every 250 ms and prints the sample with the highest RSS, so a peak
// can be split into V8's heap, buffers outside it and the rest (the SQLite page cache, code, the allocator's slack).
// On PostgreSQL pass --statistics to keep the planner's statistics current as the service does
// (startStatisticsLoop); without it the objects' look-up is planned on empty tables' statistics.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { systemClock } from '../../src/engine/clock.js';
import { Engine } from '../../src/engine/engine.js';
import { openStore } from '../../src/store/open-store.js';
import { parseFlags, PG_URL, withPgSchema } from '../lib/common.js';
import { createIngestionWorkflow, keyStagingFromFlags, serverCpuMs, startStatisticsLoop } from '../lib/in-process-ingestion.js';
import type { KyselyStore } from '../../src/store/kysely-store.js';

const APP = `pf_ingest_ab_${process.pid}`;

const flags = parseFlags(process.argv.slice(2));
const N = Number(flags.records ?? 100_000);
const backend = (flags.backend ?? 'sqlite') as 'sqlite' | 'postgres';
const engineOptions: Record<string, unknown> = {};
if (flags['page-size']) engineOptions.pageSize = Number(flags['page-size']);
/** SQLite: when staged key index entries are merged (sqlite-key-staging.ts); the service's default otherwise. */
/** A source that waits this long before each page, as one across a network does (the synthetic connector's pageDelayMs). */
const sourceDelayMs = Number(flags['source-delay-ms'] ?? 0);
const statistics = flags.statistics === true;
if (statistics && backend !== 'postgres') throw new Error('--statistics is for PostgreSQL (Store.refreshStatistics does nothing on SQLite).');
const keyStaging = keyStagingFromFlags(flags);

async function run(config: Parameters<typeof openStore>[0]): Promise<void> {
  const store = await openStore(config);
  const engine = new Engine(store, systemClock, { mode: 'manual', ...engineOptions });
  const app = await createIngestionWorkflow(store, engine, N, { sourceDelayMs });
  const ioBefore = ownIo();
  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  loopDelay.enable();
  const cpu = process.cpuUsage();
  const started = performance.now();
  const serverBefore = await backendCpuMs(store);
  const statisticsLoop = statistics ? startStatisticsLoop(store) : undefined;
  const memory = flags.memory === true ? sampleMemory() : undefined;
  await engine.runUntilIdle();
  memory?.stop();
  const analyzed = (await statisticsLoop?.stop()) ?? [];
  const used = process.cpuUsage(cpu);
  loopDelay.disable();
  const wall = (performance.now() - started) / 1000;
  const serverAfter = await backendCpuMs(store);
  const ioAfter = ownIo();
  let serverCpu = 0;
  for (const [pid, ms] of serverAfter) serverCpu += ms - (serverBefore.get(pid) ?? 0);
  const counts: Record<string, number> = {};
  for (const table of ['profiles', 'profile_objects', 'profile_history'] as const) {
    const r = await store.db.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    counts[table] = Number(r.n);
  }
  process.stdout.write(
    `${backend} ${N} records ${JSON.stringify({ ...engineOptions, ...(keyStaging ? { keyStaging } : {}), ...(sourceDelayMs ? { sourceDelayMs } : {}) })}: ${wall.toFixed(1)} s wall, ${((used.user + used.system) / 1e6).toFixed(2)} s CPU, ` +
      `(user ${(used.user / 1e6).toFixed(2)}, sys ${(used.system / 1e6).toFixed(2)}), written ${Math.round((ioAfter.wchar - ioBefore.wchar) / 1e6)} MB, ` +
      `${Math.round(N / wall)} records/s, event loop held up to ${Math.round(loopDelay.max / 1e6)} ms (p99 ${Math.round(loopDelay.percentile(99) / 1e6)}), peak RSS ${Math.round(process.resourceUsage().maxRSS / 1024)} MB${backend === 'postgres' ? `, server backends ${(serverCpu / 1000).toFixed(2)} s CPU` : ''}${statistics ? `, ${analyzed.length} tables analyzed` : ''}; rows ${JSON.stringify(counts)}\n`,
  );
  if (memory) process.stdout.write(`at the highest sampled RSS (MB): ${JSON.stringify(memory.peak)}\n`);
  await app.close();
  await store.close();
}

function sampleMemory(): { peak: Record<string, number>; stop: () => void } {
  const mb = (n: number) => Math.round(n / 1024 / 1024);
  const state = { peak: {} as Record<string, number>, stop: () => clearInterval(timer) };
  const timer = setInterval(() => {
    const m = process.memoryUsage();
    if (mb(m.rss) < (state.peak.rss ?? 0)) return;
    state.peak = {
      rss: mb(m.rss), heapTotal: mb(m.heapTotal), heapUsed: mb(m.heapUsed), external: mb(m.external), arrayBuffers: mb(m.arrayBuffers),
      rest: mb(m.rss - m.heapTotal - m.external),
    };
  }, 250);
  return state;
}

/** Bytes this process wrote through write(2) and friends (SQLite: its WAL and checkpoints). */
function ownIo(): { wchar: number } {
  const line = readFileSync('/proc/self/io', 'utf8').split('\n').find((l) => l.startsWith('wchar:'));
  return { wchar: Number(line?.split(/\s+/)[1] ?? 0) };
}

async function backendCpuMs(store: KyselyStore): Promise<Map<number, number>> {
  return backend === 'postgres' ? serverCpuMs(store, APP) : new Map();
}

if (backend === 'sqlite') {
  const dir = mkdtempSync(`${tmpdir()}/pf-ingest-ab-`);
  try {
    await run({ backend: 'sqlite', dataDir: dir, keyStaging });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
} else {
  await withPgSchema('ingestab', (schema) => run({ backend: 'postgres', databaseUrl: `${PG_URL}${PG_URL.includes('?') ? '&' : '?'}application_name=${APP}`, schema }));
}
