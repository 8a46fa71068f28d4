// Diagnostic, not a benchmark: single-record API writes in process (PutProfileObject, one transaction
// each, as a caller's requests commit), printing CPU, wall and bytes written per request. For A/B runs of a
// store setting that trades bulk ingestion against small commits (SQLite's page size: every commit writes
// each page it dirtied whole).
// Run: node --import tsx bench/tools/small-writes.ts [--requests 5000] [--backend sqlite|postgres]
import { readFileSync } from 'node:fs';
import { systemClock } from '../../src/engine/clock.js';
import { Engine } from '../../src/engine/engine.js';
import { openStore } from '../../src/store/open-store.js';
import { parseFlags } from '../lib/common.js';
import { createIngestionWorkflow, INJECT_HEADERS, onScratchStore } from '../lib/in-process-ingestion.js';

const flags = parseFlags(process.argv.slice(2));
const N = Number(flags.requests ?? 5_000);
const backend = (flags.backend ?? 'sqlite') as 'sqlite' | 'postgres';

async function run(config: Parameters<typeof openStore>[0]): Promise<void> {
  const store = await openStore(config);
  const engine = new Engine(store, systemClock, { mode: 'manual' });
  const app = await createIngestionWorkflow(store, engine, 10);
  const put = async (i: number) => {
    const object = { Id: `c${i}`, FirstName: `F${i}`, LastName: `L${i}`, Email: `p${i}@example.com`, Phone: `+1555${String(i).padStart(7, '0')}`, City: 'Oslo' };
    const r = await app.inject({ method: 'PUT', url: '/domains/d/profiles/objects', headers: INJECT_HEADERS, payload: JSON.stringify({ ObjectTypeName: 'Contact', Object: JSON.stringify(object) }) });
    if (r.statusCode !== 200) throw new Error(r.body);
  };
  for (let i = 0; i < 500; i++) await put(-1 - i); // warm-up
  const written = ownWritten();
  const cpu = process.cpuUsage();
  const started = performance.now();
  for (let i = 0; i < N; i++) await put(i);
  const wall = performance.now() - started;
  const used = process.cpuUsage(cpu);
  process.stdout.write(
    `${backend} ${N} PutProfileObject: ${(N / (wall / 1000)).toFixed(0)} requests/s, ${((used.user + used.system) / 1000 / N).toFixed(3)} ms CPU, ` +
      `${((ownWritten() - written) / N / 1024).toFixed(1)} KiB written a request\n`,
  );
  await app.close();
  await store.close();
}

/** Bytes this process wrote through write(2) and friends (SQLite: its WAL and checkpoints). */
function ownWritten(): number {
  const line = readFileSync('/proc/self/io', 'utf8').split('\n').find((l) => l.startsWith('wchar:'));
  return Number(line?.split(/\s+/)[1] ?? 0);
}

await onScratchStore(backend, 'small-writes', run);
