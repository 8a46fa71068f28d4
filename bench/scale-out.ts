// Scale-out (PostgreSQL): the ingestion benchmark with two `profileflow worker` processes against one
// (serve runs the API only, --engine-mode off). Target: ≥ 1.5 × the throughput.
// Steps of one workflow run in order (the claim query takes a workflow's first unfinished step only), so
// a single workflow cannot use a second worker; and one worker's 4 slots hold 4 workflows. The case is
// therefore run with 8 workflows by default (--workflows 1 shows the single-workflow figure).
// machineBusy is the share of all the machine's cores in use during a run (PostgreSQL included): near 1,
// a second worker has nothing left to run on. --concurrency N sets each worker's steps at once (default
// 4): with 1, each process is one step at a time, and the case measures whether capacity adds up across
// processes rather than whether the machine has any left.
// The workflows write into --domains N domains (default: one each). The ingestions of one domain match and
// create profiles one at a time (serializeIngestion, so that two of them never make two profiles of one new
// customer), so workers add capacity across domains; --domains 1 measures one domain.
// Run: npm run bench -- scale-out [--records 200000] [--workflows 8] [--domains 8] [--concurrency N]
import { machineInfo, parseFlags, printTable, round, withPgSchema, writeResult } from './lib/common.js';
import { runIngestion } from './lib/ingest-run.js';

const flags = parseFlags(process.argv.slice(2));
// 200,000 records: on PostgreSQL a 1M run takes about 12 minutes on the reference machine.
const RECORDS = Number(flags.records ?? 200_000);
const WORKFLOWS = Number(flags.workflows ?? 8);
const DOMAINS = Number(flags.domains ?? WORKFLOWS);
const TARGET = 1.5;
/** Each worker's --concurrency; absent: the service's default (4). */
const CONCURRENCY = flags.concurrency === undefined ? undefined : Number(flags.concurrency);

async function main() {
  const machine = await machineInfo();
  const rows = [];
  for (const workers of [1, 2]) {
    const r = await withPgSchema(`scale${workers}`, (_schema, url) =>
      runIngestion({ backend: 'postgres', store: url, records: RECORDS, workflows: WORKFLOWS, domains: DOMAINS, workers, workerConcurrency: CONCURRENCY }),
    );
    rows.push({
      workers,
      concurrency: CONCURRENCY ?? 'default (4)',
      records: RECORDS,
      workflows: WORKFLOWS,
      domains: DOMAINS,
      seconds: round(r.seconds, 1),
      recordsPerS: Math.round(r.recordsPerSecond),
      peakRssMb: JSON.stringify(r.peakRssMb),
      cpuS: JSON.stringify(r.cpuSeconds),
      machineBusy: round(r.machineBusy, 2),
    });
  }
  const ratio = rows[1].recordsPerS / rows[0].recordsPerS;
  printTable('scale-out (PostgreSQL): one worker process against two', rows);
  printTable('scale-out: two workers over one', [{ ratio: round(ratio, 2), target: TARGET, met: ratio >= TARGET ? 'yes' : 'NO' }]);
  const name = ['scale-out', CONCURRENCY === undefined ? '' : `-concurrency-${CONCURRENCY}`, DOMAINS === 1 ? '-one-domain' : ''].join('');
  const file = writeResult(name, { command: `npm run bench -- scale-out ${process.argv.slice(2).join(' ')}`.trim(), machine, rows, ratio: round(ratio, 3), target: TARGET });
  process.stdout.write(`\nwrote ${file}\n`);
}

await main();
