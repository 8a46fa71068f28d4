// Diagnostic, not a benchmark: ingests a history in process, then deletes it through the API, printing
// how long the deletion took to answer, how long its purge ran after, the longest the event loop was held
// (a timer every 5 ms, and the loop-delay histogram) and the peak RSS.
// Run: node --import tsx bench/tools/delete-at-scale.ts [--what domain|type] [--records 100000] [--backend sqlite|postgres]
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { systemClock } from '../../src/engine/clock.js';
import { Engine } from '../../src/engine/engine.js';
import { openStore } from '../../src/store/open-store.js';
import { parseFlags } from '../lib/common.js';
import { createIngestionWorkflow, INJECT_HEADERS, onScratchStore } from '../lib/in-process-ingestion.js';

const flags = parseFlags(process.argv.slice(2));
const N = Number(flags.records ?? 100_000);
const backend = (flags.backend ?? 'sqlite') as 'sqlite' | 'postgres';
const what = (flags.what ?? 'domain') as 'domain' | 'type';
if (what !== 'domain' && what !== 'type') throw new Error('--what is domain or type');

async function run(config: Parameters<typeof openStore>[0]): Promise<void> {
  const store = await openStore(config);
  const engine = new Engine(store, systemClock, { mode: 'manual' });
  const app = await createIngestionWorkflow(store, engine, N);
  const ingestStarted = performance.now();
  await engine.runUntilIdle();
  // A manual engine brings the planner's statistics up to date only as an advance starts, before the
  // ingestion here; a served one does it every few seconds while the tables grow (PostgreSQL, autovacuum off).
  const analyzed = await store.refreshStatistics();
  process.stdout.write(`${backend}: ingested ${N} records in ${((performance.now() - ingestStarted) / 1000).toFixed(1)} s${analyzed.length > 0 ? `; then analyzed ${analyzed.join(', ')}` : ''}\n`);

  let last = performance.now();
  let longestGap = 0;
  const tick = setInterval(() => {
    const now = performance.now();
    longestGap = Math.max(longestGap, now - last);
    last = now;
  }, 5);
  const loop = monitorEventLoopDelay({ resolution: 5 });
  loop.enable();
  const rssBefore = process.memoryUsage().rss;
  const started = performance.now();
  const url = what === 'domain' ? '/domains/d' : '/domains/d/object-types/Contact';
  const answer = await app.inject({ method: 'DELETE', url, headers: INJECT_HEADERS });
  const answered = performance.now();
  // The rest, as the engine's reaper would run it.
  await engine.runUntilIdle();
  const purged = performance.now();
  clearInterval(tick);
  loop.disable();
  const left = await store.db.selectFrom('profile_objects').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  process.stdout.write(
    `Delete${what === 'domain' ? 'Domain' : 'ProfileObjectType'} ${answer.statusCode} in ${((answered - started) / 1000).toFixed(2)} s, purge ${((purged - answered) / 1000).toFixed(1)} s after; ` +
      `event loop held up to ${Math.round(Math.max(longestGap, loop.max / 1e6))} ms (p99 ${Math.round(loop.percentile(99) / 1e6)}); ` +
      `RSS ${Math.round(rssBefore / 1e6)} MB before, peak ${Math.round(process.resourceUsage().maxRSS / 1024)} MB; objects left ${Number(left.n)}\n`,
  );
  await app.close();
  await store.close();
}

await onScratchStore(backend, 'delete-at-scale', run);
