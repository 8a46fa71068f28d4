// Arithmetic, not a benchmark: what loading a history of N records in a given time asks of the workers
// and of PostgreSQL, from per-record costs measured by `npm run bench -- ingestion --backend postgres`
// (bench/lib/pg-cost.ts). docs/performance.md ("Loading a 100-million-record history in a day") explains
// every input and shows a table this prints. Each flag overrides one input:
//   node --import tsx bench/tools/load-model.ts [--records 100000000] [--hours 24] [--random-touches 5]
//     [--max-wal-gb 1] [--checkpoint-min 5] [--shared-buffers-gb 0.125] [--ram-gb 16] …
//
// The model, per record loaded into a domain that already holds n records:
// - WAL: w0 bytes of row and index records, plus full-page images. After each checkpoint the first change
//   to a page logs the whole page (fpi bytes). A record makes `random-touches` changes at random places
//   of the randomly-written indexes (index-bytes per record in all, so P = n × index-bytes / 8 KiB
//   pages); a checkpoint cycle of C records touches P × (1 − e^(−touches × C / P)) distinct pages. The
//   cycle ends when its WAL reaches max_wal_size / (1 + checkpoint_completion_target) or when
//   checkpoint_timeout passes, whichever is first; C is solved from that.
// - Reads: a random touch misses shared_buffers with probability 1 − shared_buffers / index size, and
//   misses memory altogether (a read from the disk) with probability 1 − RAM / index size.
// - CPU: the worker's per-record CPU; PostgreSQL's backends' per-record CPU with the index cached, plus
//   a cost per read from outside shared_buffers; the server's own processes per record.
import { parseFlags, printTable, round } from '../lib/common.js';

const f = parseFlags(process.argv.slice(2));
const num = (name: string, fallback: number) => (f[name] === undefined ? fallback : Number(f[name]));

const records = num('records', 100_000_000);
const hours = num('hours', 24);
const rate = records / (hours * 3600);
/** Measured inputs (docs/performance.md names the run of each). */
const m = {
  workerCpuUs: num('worker-cpu-us', 110),
  pgCpuUs: num('pg-cpu-us', 180),
  pgCpuUsPerRead: num('pg-cpu-us-per-read', 10),
  serverProcessCpuUs: num('server-process-cpu-us', 23),
  walBytes: num('wal-bytes', 4_750),
  fpiBytes: num('fpi-bytes', 5_650),
  /** Bytes per record of the index pages written at random places: 4 of the 5 key rows, 773 B for all 5. */
  indexBytes: num('index-bytes', 620),
};
const touches = num('random-touches', 4);
const maxWal = num('max-wal-gb', 1) * 2 ** 30;
const completionTarget = num('checkpoint-completion-target', 0.9);
const timeoutS = num('checkpoint-min', 5) * 60;
const sharedBuffers = num('shared-buffers-gb', 0.125) * 2 ** 30;
const ram = num('ram-gb', 16) * 2 ** 30;

/** Records per checkpoint cycle, and the full-page-image bytes per record, at n records loaded. */
function cycle(n: number): { records: number; fpiPerRecord: number } {
  const pages = Math.max(1, (n * m.indexBytes) / 8192);
  const fpiOf = (c: number) => m.fpiBytes * pages * (1 - Math.exp((-touches * c) / pages));
  const budget = maxWal / (1 + completionTarget);
  // WAL of a cycle grows with its length: bisect for the length that fills the budget.
  let lo = 1;
  let hi = budget / m.walBytes;
  for (let i = 0; i < 100; i++) {
    const mid = (lo + hi) / 2;
    if (m.walBytes * mid + fpiOf(mid) > budget) hi = mid;
    else lo = mid;
  }
  const c = Math.min(lo, timeoutS * rate);
  return { records: c, fpiPerRecord: fpiOf(c) / c };
}

const rows = [1e6, 1e7, 2.5e7, 5e7, 1e8].filter((n) => n <= records).map((n) => {
  const index = n * m.indexBytes;
  const c = cycle(n);
  const wal = m.walBytes + c.fpiPerRecord;
  const bufferMisses = touches * Math.max(0, 1 - sharedBuffers / index);
  const diskReads = touches * Math.max(0, 1 - ram / index);
  const pgCpu = m.pgCpuUs + bufferMisses * m.pgCpuUsPerRead + m.serverProcessCpuUs;
  return {
    loaded: n.toExponential(1),
    indexGb: round(index / 2 ** 30, 1),
    cycleRecords: Math.round(c.records),
    walBytesPerRecord: Math.round(wal),
    fpiShare: round(c.fpiPerRecord / wal, 2),
    walMbPerS: round((wal * rate) / 2 ** 20, 1),
    checkpointWritesMbPerS: round(((c.fpiPerRecord / m.fpiBytes) * 8192 * rate) / 2 ** 20, 1),
    diskReadsPerS: Math.round(diskReads * rate),
    pgCpuUsPerRecord: Math.round(pgCpu),
    pgCores: round((pgCpu * rate) / 1e6, 2),
    workerCores: round((m.workerCpuUs * rate) / 1e6, 2),
  };
});

process.stdout.write(
  `${records.toLocaleString('en')} records in ${hours} h: ${Math.round(rate).toLocaleString('en')} records/s; ${touches} random index touches a record, ` +
    `max_wal_size ${maxWal / 2 ** 30} GB, checkpoint_timeout ${timeoutS / 60} min, shared_buffers ${sharedBuffers / 2 ** 30} GB, RAM for the index ${ram / 2 ** 30} GB\n`,
);
printTable('at the moment the domain holds `loaded` records', rows);
