// Diagnostic, not a benchmark: a scheduled run on top of a loaded history, in process on PostgreSQL. Pass 1
// is bench/ingestion.ts's workflow (N records); pass 2 a second workflow over the same slots from a source
// with another seed: the same Ids with other names, emails and phones, so every record replaces its
// object, updates its profile (an UPDATED history record) and adds new key entries. Prints each pass's
// wall and CPU seconds, the time in each statement kind during pass 2 (wrapping pg.Client.prototype.query
// in this process, as sql-timings.ts does), and the history rows by action.
// Run: node --import tsx bench/tools/reingest.ts [--records 100000] (PROFILEFLOW_BENCH_PG_URL or bench/lib/common.ts PG_URL)
import { systemClock } from '../../src/engine/clock.js';
import { Engine } from '../../src/engine/engine.js';
import { openStore } from '../../src/store/open-store.js';
import { parseFlags, withPgSchema } from '../lib/common.js';
import { createIngestionWorkflow, ingestionWorkflowRequest, INJECT_HEADERS } from '../lib/in-process-ingestion.js';
import { sql } from 'kysely';
import pgmod from 'pg';
/** Statement text (whitespace collapsed, first 70 characters) → count and milliseconds, during pass 2. */
const timing = new Map<string, { n: number; ms: number }>();
let on = false;
const q0 = (pgmod.Client.prototype as any).query;
(pgmod.Client.prototype as any).query = function (this: any, ...a: any[]) {
  const text: string = typeof a[0] === 'string' ? a[0] : a[0]?.text ?? 'copy-stream';
  const key = text.replace(/\s+/g, ' ').slice(0, 70);
  const t = performance.now();
  const r = q0.apply(this, a);
  if (on && r && typeof r.then === 'function') r.then(() => { const e = timing.get(key) ?? { n: 0, ms: 0 }; e.n++; e.ms += performance.now() - t; timing.set(key, e); }, () => undefined);
  return r;
};

const flags = parseFlags(process.argv.slice(2));
const N = Number(flags.records ?? 100_000);
async function run(config: Parameters<typeof openStore>[0]): Promise<void> {
  const store = await openStore(config);
  const engine = new Engine(store, systemClock, { mode: 'manual' });
  const app = await createIngestionWorkflow(store, engine, N);
  const inject = async (method: 'PUT' | 'POST', url: string, body: unknown) => { const r = await app.inject({ method, url, headers: INJECT_HEADERS, payload: JSON.stringify(body) }); if (r.statusCode >= 300) throw new Error(r.body); };
  for (const pass of [1, 2]) {
    if (pass === 2) {
      await inject('PUT', '/_profileflow/connector-profiles/s2', { kind: 'synthetic', settings: { recordsPerDay: N / 10, seed: 8 } });
      await inject('POST', '/domains/d/workflows/integrations', ingestionWorkflowRequest('flow2', 's2'));
    }
    on = pass === 2; timing.clear();
    const cpu = process.cpuUsage();
    const t = performance.now();
    await engine.runUntilIdle();
    const wall = (performance.now() - t) / 1000;
    const used = process.cpuUsage(cpu);
    console.log(`pass ${pass}: ${N} records ${wall.toFixed(1)} s wall, ${((used.user + used.system) / 1e6).toFixed(1)} s CPU, ${Math.round(N / wall)} records/s`);
  }
  for (const [k, v] of [...timing].sort((a, b) => b[1].ms - a[1].ms).slice(0, 14)) console.log(String(Math.round(v.ms)).padStart(7), String(v.n).padStart(5), k);
  const { rows } = await sql<{ action_type: string; n: number }>`select action_type, count(*)::int as n from profile_history group by 1`.execute(store.db);
  console.log('history', JSON.stringify(rows));
  await app.close();
  await store.close();
}
await withPgSchema('reingest', (schema, url) => run({ backend: 'postgres', databaseUrl: url, schema }));
