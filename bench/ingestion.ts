// Ingestion: 1,000,000 synthetic records in one workflow of 10 batches, object type of 6 fields and 2 keys
// (UNIQUE Id, PROFILE Email), engine in auto mode; records per second from CreateIntegrationWorkflow to
// COMPLETE (polling GetWorkflow) and the service's peak RSS (VmHWM). Limit: the same final rows inserted
// straight through the same driver, in the order ingestion wrote them (bench/lib/ingest-limit.ts); on
// SQLite the same copy with the key index sorted is reported beside it, and on both the old layout's limit (the
// same rows with the key index as laid out before migration 012). On PostgreSQL the limit is COPY, the
// multi-row INSERT it used to be (unnest arrays) is reported beside it, and each run and copy says what it
// cost the server per record: its backends' CPU and its WAL (bench/lib/pg-cost.ts). Targets (SQLite): ≥ 0.35 of the limit,
// ≥ 50,000 records/s, peak RSS ≤ 300 MB; and the same RSS at 5,000,000 records (--records 5000000, no limit).
// Run: npm run bench -- ingestion [--backend sqlite|postgres] [--records 1000000] [--workflows 1]
//      [--cpu-prof DIR] (profile the service; top self time printed) [--no-limit]
import { join } from 'node:path';
import { loadAverage, machineInfo, parseFlags, printTable, round, withPgSchema, writeResult } from './lib/common.js';
import { postgresLimit, sqliteLimit, type LimitResult } from './lib/ingest-limit.js';
import { runIngestion, tempDir, type IngestResult } from './lib/ingest-run.js';
import { perRecord } from './lib/pg-cost.js';

const flags = parseFlags(process.argv.slice(2));
const RECORDS = Number(flags.records ?? 1_000_000);
const WORKFLOWS = Number(flags.workflows ?? 1);
const backend = (flags.backend ?? 'sqlite') as 'sqlite' | 'postgres';
const withLimit = !flags['no-limit'] && RECORDS <= 1_000_000;
const RATIO_TARGET = 0.35;
const RATE_TARGET = 50_000;
const RSS_LIMIT_MB = 300;

async function main() {
  const machine = await machineInfo();
  const loadAtStart = loadAverage();
  const cpuProfDir = flags['cpu-prof'] ? String(flags['cpu-prof']) : undefined;
  let run: IngestResult;
  let limit: LimitResult | undefined;
  /** SQLite only: the same copy with the key index in primary-key order, for comparison (not the limit). */
  let sortedLimit: LimitResult | undefined;
  /** The same rows with the key index as laid out before migration 012 (the old layout's limit). */
  let oldLayoutLimit: LimitResult | undefined;
  /** PostgreSQL only: the limit as it was measured before COPY (multi-row INSERT from unnest arrays). */
  let unnestLimit: LimitResult | undefined;
  if (backend === 'sqlite') {
    const d = tempDir('pf-bench-ingest-');
    const l = tempDir('pf-bench-ingest-limit-');
    const k = tempDir('pf-bench-ingest-limit-sorted-');
    const o = tempDir('pf-bench-ingest-limit-old-');
    try {
      run = await runIngestion({ backend, store: d.dir, records: RECORDS, workflows: WORKFLOWS, cpuProfDir });
      if (withLimit) {
        limit = sqliteLimit(join(d.dir, 'profileflow.db'), l.dir, 'arrival');
        l.remove();
        sortedLimit = sqliteLimit(join(d.dir, 'profileflow.db'), k.dir, 'key');
        k.remove();
        oldLayoutLimit = sqliteLimit(join(d.dir, 'profileflow.db'), o.dir, 'arrival', 'before-012');
      }
    } finally {
      d.remove();
      l.remove();
      k.remove();
      o.remove();
    }
  } else {
    [run, limit, unnestLimit, oldLayoutLimit] = await withPgSchema('ingest', async (schema, url) => {
      const r = await runIngestion({ backend, store: url, records: RECORDS, workflows: WORKFLOWS, cpuProfDir });
      const lim = withLimit ? await withPgSchema('ingestlimit', (target) => postgresLimit(url, schema, target)) : undefined;
      const un = withLimit ? await withPgSchema('ingestlimitunnest', (target) => postgresLimit(url, schema, target, 'current', 'unnest')) : undefined;
      const old = withLimit ? await withPgSchema('ingestlimitold', (target) => postgresLimit(url, schema, target, 'before-012')) : undefined;
      return [r, lim, un, old] as const;
    });
  }
  const limitRate = limit ? RECORDS / limit.seconds : undefined;
  const ratio = limitRate ? run.recordsPerSecond / limitRate : undefined;
  const peak = Math.max(...Object.values(run.peakRssMb));
  const row = {
    backend,
    records: RECORDS,
    workflows: WORKFLOWS,
    seconds: round(run.seconds, 1),
    recordsPerS: Math.round(run.recordsPerSecond),
    limitPerS: limitRate ? Math.round(limitRate) : '-',
    ratio: ratio ? round(ratio, 3) : '-',
    ratioTarget: RATIO_TARGET,
    ...(oldLayoutLimit ? { oldLayoutLimitPerS: Math.round(RECORDS / oldLayoutLimit.seconds), ratioToOldLayout: round(run.recordsPerSecond / (RECORDS / oldLayoutLimit.seconds), 3) } : {}),
    ...(unnestLimit ? { unnestLimitPerS: Math.round(RECORDS / unnestLimit.seconds), ratioToUnnest: round(run.recordsPerSecond / (RECORDS / unnestLimit.seconds), 3) } : {}),
    ...(sortedLimit ? { sortedKeysLimitPerS: Math.round(RECORDS / sortedLimit.seconds), ratioToSorted: round(run.recordsPerSecond / (RECORDS / sortedLimit.seconds), 3) } : {}),
    peakRssMb: peak,
    rssLimitMb: RSS_LIMIT_MB,
    serviceCpuS: run.cpuSeconds.serve,
    machineBusy: round(run.machineBusy, 2),
    ...(run.postgres ? perRecord(run.postgres, RECORDS) : {}),
    ...(run.analyzes !== undefined ? { analyzes: run.analyzes } : {}),
    loadAverage: `${loadAtStart[0]} → ${loadAverage()[0]}`,
    met:
      (ratio === undefined || ratio >= RATIO_TARGET) && (backend !== 'sqlite' || run.recordsPerSecond >= RATE_TARGET) && peak <= RSS_LIMIT_MB ? 'yes' : 'NO',
  };
  printTable(`ingestion (${backend})`, [row]);
  if (limit) process.stdout.write(`limit: ${limit.method}; rows ${JSON.stringify(limit.rows)} in ${limit.seconds.toFixed(2)} s\n`);
  if (oldLayoutLimit) process.stdout.write(`old layout's limit: ${oldLayoutLimit.method}, in ${oldLayoutLimit.seconds.toFixed(2)} s\n`);
  if (sortedLimit) process.stdout.write(`for comparison, not the limit: ${sortedLimit.method}, in ${sortedLimit.seconds.toFixed(2)} s\n`);
  const costs = [
    ['service', run.postgres],
    ['limit (COPY)', limit?.postgres],
    ['limit (unnest)', unnestLimit?.postgres],
    ['old layout limit (COPY)', oldLayoutLimit?.postgres],
  ] as const;
  const costRows = costs.flatMap(([what, c]) =>
    c
      ? [
          {
            what,
            seconds: round(c.seconds, 1),
            ...perRecord(c, RECORDS),
            backendCpuS: c.backendCpuS,
            walMb: round((c.attributed?.bytes ?? c.cluster.walBytes) / 2 ** 20, 1),
            clusterWalMb: round(c.cluster.walBytes / 2 ** 20, 1),
            checkpoints: c.cluster.checkpointsTimed + c.cluster.checkpointsRequested,
            readsPerRecord: c.blocks ? round((c.blocks.heapRead + c.blocks.indexRead) / RECORDS, 1) : '-',
            hitsPerRecord: c.blocks ? round((c.blocks.heapHit + c.blocks.indexHit) / RECORDS, 1) : '-',
          },
        ]
      : [],
  );
  if (costRows.length) {
    printTable('what PostgreSQL spent: its backends serving the work, the WAL of the run schema (all WAL in the window: clusterWalMb), blocks read from outside shared_buffers and found in it', costRows);
    process.stdout.write(`server settings: ${JSON.stringify(run.postgres?.settings ?? limit?.postgres?.settings)}\n`);
  }
  const growth = costGrowth(run.postgres?.timeline);
  if (growth.length) printTable('the run\'s server cost per record as the tables grow', growth);
  if (unnestLimit) process.stdout.write(`previous limit: ${unnestLimit.method}, in ${unnestLimit.seconds.toFixed(2)} s\n`);
  if (run.profile) printTable(`ingestion profile: top self time of the service (${run.profile.totalMs} ms sampled)`, run.profile.lines as unknown as Record<string, unknown>[]);
  const name = flags.name ? String(flags.name) : `ingestion-${backend}${RECORDS !== 1_000_000 ? `-${RECORDS}` : ''}`;
  const file = writeResult(name, {
    command: `npm run bench -- ingestion ${process.argv.slice(2).join(' ')}`.trim(),
    machine,
    result: row,
    run,
    limit,
    sortedLimit,
    unnestLimit,
    oldLayoutLimit,
    loadAverage: { start: loadAtStart, end: loadAverage() },
    postgresCostGrowth: growth,
    targets: { ratio: RATIO_TARGET, recordsPerSecondSqlite: RATE_TARGET, peakRssMb: RSS_LIMIT_MB },
  });
  process.stdout.write(`\nwrote ${file}\n`);
}

/** The timeline in about ten spans of equal record counts: what each span cost per record. */
function costGrowth(timeline: NonNullable<IngestResult['postgres']>['timeline']) {
  if (!timeline?.length) return [];
  const own = timeline.every((p) => p.ownWalMb !== undefined);
  const points = [{ s: 0, records: 0, backendCpuS: 0, lsn: '', walMb: 0, walFpi: 0, ownWalMb: 0, ownFpiMb: 0 }, ...timeline];
  const spans = [];
  let from = points[0];
  for (const p of points.slice(1)) {
    if (p.records - from.records < RECORDS / 10 && p !== points.at(-1)) continue;
    const n = p.records - from.records;
    if (n > 0) {
      spans.push({
        records: `${from.records}–${p.records}`,
        recordsPerS: Math.round(n / (p.s - from.s)),
        postgresCpuUsPerRecord: Math.round(((p.backendCpuS - from.backendCpuS) * 1e6) / n),
        walBytesPerRecord: Math.round((((own ? p.ownWalMb! - from.ownWalMb! : p.walMb - from.walMb) * 2 ** 20) / n)),
        ...(own ? { fullPageImageBytesPerRecord: Math.round(((p.ownFpiMb! - from.ownFpiMb!) * 2 ** 20) / n) } : { fullPageImagesPerRecord: round((p.walFpi - from.walFpi) / n, 3) }),
      });
    }
    from = p;
  }
  return spans;
}

await main();
