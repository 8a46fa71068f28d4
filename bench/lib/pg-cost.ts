// What a piece of work costs the PostgreSQL server: the CPU of the backends that served it, and the WAL
// it wrote, with its full-page images. Used around an ingestion run (the service's and workers'
// connections) and around the ingestion limit's copy (one connection).
//
// Attribution, because the server is shared (other test suites run against it at the same time):
// - CPU: the backends are picked by application_name (the service's processes are spawned with
//   PGAPPNAME set to a tag of the run), sampled from pg_stat_activity every 500 ms, and their utime +
//   stime read from /proc/<pid>/stat (the benchmark runs on the server's machine). A pooled connection
//   that closes between two samples loses at most its last 500 ms, in which an idle connection uses
//   nothing. The server's own processes (checkpointer, background writer, WAL writer, autovacuum) serve
//   every database, so their CPU is reported beside, not in, the per-record figure.
// - WAL: pg_stat_wal and the insert position are cluster-wide. With pg_walinspect (contrib, PostgreSQL
//   15+) every WAL record between the two positions is read back and counted when its first block
//   belongs to a relation of the run's schema (tables, indexes, TOAST): that is the run's own WAL, per
//   relation, full-page images apart. A temporary physical replication slot, held by the meter's session
//   for the window, keeps the checkpointer from recycling that WAL before it is read. Commit records name
//   no relation and are left out (34 bytes a transaction).
import pg from 'pg';
import { cpuMsOf } from './common.js';

const SAMPLE_MS = 500;
/** A timeline point every this many samples (5 s). */
const TIMELINE_EVERY = 10;
const SERVER_PROCESSES = ['checkpointer', 'background writer', 'walwriter', 'autovacuum launcher', 'autovacuum worker'];
/** The settings that decide WAL volume and how much of an index stays cached. */
const SETTINGS = [
  'server_version',
  'shared_buffers',
  'max_wal_size',
  'checkpoint_timeout',
  'checkpoint_completion_target',
  'full_page_writes',
  'wal_compression',
  'wal_level',
  'synchronous_commit',
  'autovacuum',
];

export interface WalShare {
  records: number;
  bytes: number;
  /** Full-page images: how many records carried one and their bytes (included in `bytes`). */
  fpiRecords: number;
  fpiBytes: number;
}

/**
 * Where a run stood at one moment: `walMb` and `walFpi` count every database's WAL, `ownWalMb` and
 * `ownFpiMb` (filled in afterwards from pg_walinspect) only the run's schema's, all since the start.
 */
export interface TimelinePoint {
  s: number;
  records: number;
  backendCpuS: number;
  lsn: string;
  walMb: number;
  walFpi: number;
  ownWalMb?: number;
  ownFpiMb?: number;
}

interface Blocks {
  heapHit: number;
  heapRead: number;
  indexHit: number;
  indexRead: number;
}

export interface PgCost {
  seconds: number;
  /** CPU seconds of the backends whose application_name was the run's tag. */
  backendCpuS: number;
  backends: number;
  /** CPU seconds of the server's own processes over the window (cluster-wide: shared with any other work). */
  serverProcessCpuS: Record<string, number>;
  /** Cluster-wide over the window: the insert position's advance and pg_stat_wal's counters. */
  cluster: { walBytes: number; walRecords: number; walFpi: number; checkpointsTimed: number; checkpointsRequested: number; buffersCheckpoint: number; buffersBackend: number };
  /** The run's own WAL (records touching its schema's relations), when pg_walinspect could read it. */
  attributed?: WalShare & { byRelation: Record<string, WalShare> };
  attributionError?: string;
  /**
   * Every 5 s when the caller reports progress: records done so far, the backends' CPU and the WAL
   * written so far (cluster-wide), so that the cost per record can be read as the tables grow.
   */
  timeline?: TimelinePoint[];
  /** Buffer-pool traffic of the schema's tables and indexes (pg_statio_user_tables): blocks found in shared_buffers against blocks read from the OS. */
  blocks?: Blocks;
  /** The same, table by table (a table's indexes with it). */
  blocksByTable?: Record<string, Blocks>;
  /** Sizes at the end of the window, MB: each table with its TOAST, and each index. */
  sizesMb?: Record<string, number>;
  settings: Record<string, string>;
}

interface Counters {
  lsn: string;
  wal: { wal_records: string; wal_fpi: string; wal_bytes: string };
  bg: { checkpoints_timed: string; checkpoints_req: string; buffers_checkpoint: string; buffers_backend: string };
}

/** pg_walinspect's schema in this database, created in `schema` when the extension is absent; undefined when it cannot be had. */
async function walinspectSchema(client: pg.Client, schema: string): Promise<string | undefined> {
  const find = async () =>
    (await client.query(`select n.nspname from pg_extension e join pg_namespace n on n.oid = e.extnamespace where e.extname = 'pg_walinspect'`)).rows[0]?.nspname as
      | string
      | undefined;
  const existing = await find();
  if (existing) return existing;
  try {
    // In the run's schema, so the schema's drop at the end of the benchmark removes it too.
    await client.query(`create extension if not exists pg_walinspect schema "${schema}"`);
  } catch {
    return undefined;
  }
  return find();
}

async function counters(client: pg.Client): Promise<Counters> {
  const lsn = (await client.query('select pg_current_wal_insert_lsn() as lsn')).rows[0].lsn as string;
  const wal = (await client.query('select wal_records::text, wal_fpi::text, wal_bytes::text from pg_stat_wal')).rows[0];
  const bg = (await client.query('select checkpoints_timed::text, checkpoints_req::text, buffers_checkpoint::text, buffers_backend::text from pg_stat_bgwriter')).rows[0];
  return { lsn, wal, bg };
}

/**
 * Starts measuring what the backends named `appName` cost the server, until `stop()`. `schema` is the
 * run's schema: its relations are what WAL is attributed to, and pg_walinspect is created there when the
 * database does not have it yet.
 */
export async function startPgCost(
  url: string,
  appName: string,
  schema: string,
  progress?: () => number,
): Promise<{ stop(): Promise<PgCost>; cancel(): Promise<void> }> {
  const base = url.replace(/[?&]schema=[^&]*/, '');
  const client = new pg.Client({ connectionString: base, application_name: `${appName}-meter` });
  await client.connect();
  const settings = Object.fromEntries(
    (await client.query(`select name, setting, unit from pg_settings where name = any($1)`, [SETTINGS])).rows.map((r) => [
      r.name,
      r.unit ? `${r.setting} × ${r.unit}` : String(r.setting),
    ]),
  );
  const inspect = await walinspectSchema(client, schema);
  const slot = `pf_bench_${process.pid}_${Date.now().toString(36)}`;
  let slotHeld = false;
  try {
    // Temporary: released by the session's end even if this process dies before stop().
    await client.query('select pg_create_physical_replication_slot($1, true, true)', [slot]);
    slotHeld = true;
  } catch {
    // Without a slot the WAL is only read back if no checkpoint recycled it in the meantime.
  }
  /** pid → [CPU ms when first seen (0 for a backend that appeared during the window), latest CPU ms]. */
  const backends = new Map<number, [number, number]>();
  const serverProcs = new Map<number, { type: string; first: number; last: number }>();
  const sample = async (first: boolean) => {
    const rows = (await client.query(`select pid, application_name, backend_type from pg_stat_activity`)).rows as { pid: number; application_name: string; backend_type: string }[];
    for (const r of rows) {
      let cpu: number;
      try {
        cpu = cpuMsOf(r.pid);
      } catch {
        continue;
      }
      if (r.application_name === appName) {
        const seen = backends.get(r.pid);
        if (seen) seen[1] = cpu;
        else backends.set(r.pid, [first ? cpu : 0, cpu]);
      } else if (SERVER_PROCESSES.includes(r.backend_type)) {
        const seen = serverProcs.get(r.pid);
        if (seen) seen.last = cpu;
        else serverProcs.set(r.pid, { type: r.backend_type, first: first ? cpu : 0, last: cpu });
      }
    }
  };
  const before = await counters(client);
  await sample(true);
  const started = performance.now();
  const timeline: NonNullable<PgCost['timeline']> = [];
  const backendCpuMs = () => [...backends.values()].reduce((s, [a, b]) => s + (b - a), 0);
  const mark = async () => {
    const r = (
      await client.query(
        `select pg_current_wal_insert_lsn() as lsn, pg_wal_lsn_diff(pg_current_wal_insert_lsn(), $1)::text as d, (select wal_fpi::text from pg_stat_wal) as fpi`,
        [before.lsn],
      )
    ).rows[0];
    timeline.push({
      s: round1((performance.now() - started) / 1000),
      records: progress!(),
      backendCpuS: round1(backendCpuMs() / 1000),
      lsn: r.lsn,
      walMb: round1(Number(r.d) / 2 ** 20),
      walFpi: Number(r.fpi) - Number(before.wal.wal_fpi),
    });
  };
  let sampling = Promise.resolve();
  let ticks = 0;
  const timer = setInterval(() => {
    const marks = progress !== undefined && ++ticks % TIMELINE_EVERY === 0;
    sampling = sampling
      .then(() => sample(false))
      .then(() => (marks ? mark() : undefined))
      .catch(() => undefined);
  }, SAMPLE_MS);

  return {
    /** Ends the measurement without a result (the work failed). */
    async cancel() {
      clearInterval(timer);
      await sampling;
      await client.end().catch(() => undefined);
    },
    async stop(): Promise<PgCost> {
      clearInterval(timer);
      await sampling;
      if (progress) await mark();
      // Backends still open: their final CPU, straight from /proc (no need for the catalogue).
      for (const [pid, v] of backends) {
        try {
          v[1] = cpuMsOf(pid);
        } catch {
          // exited since the last sample
        }
      }
      for (const [pid, v] of serverProcs) {
        try {
          v.last = cpuMsOf(pid);
        } catch {
          // exited since the last sample
        }
      }
      const seconds = (performance.now() - started) / 1000;
      const after = await counters(client);
      const n = (a: string, b: string) => Number(b) - Number(a);
      const walBytes = Number((await client.query('select pg_wal_lsn_diff($1, $2)::text as d', [after.lsn, before.lsn])).rows[0].d);
      const serverProcessCpuS: Record<string, number> = {};
      for (const p of serverProcs.values()) serverProcessCpuS[p.type] = round1((serverProcessCpuS[p.type] ?? 0) + (p.last - p.first) / 1000);
      const cost: PgCost = {
        seconds,
        backendCpuS: round1(backendCpuMs() / 1000),
        backends: backends.size,
        serverProcessCpuS,
        cluster: {
          walBytes,
          walRecords: n(before.wal.wal_records, after.wal.wal_records),
          walFpi: n(before.wal.wal_fpi, after.wal.wal_fpi),
          checkpointsTimed: n(before.bg.checkpoints_timed, after.bg.checkpoints_timed),
          checkpointsRequested: n(before.bg.checkpoints_req, after.bg.checkpoints_req),
          buffersCheckpoint: n(before.bg.buffers_checkpoint, after.bg.buffers_checkpoint),
          buffersBackend: n(before.bg.buffers_backend, after.bg.buffers_backend),
        },
        settings,
        ...(progress ? { timeline } : {}),
      };
      try {
        const io = await client.query(
          `select relname, coalesce(heap_blks_hit, 0)::text as hh, coalesce(heap_blks_read, 0)::text as hr,
                  coalesce(idx_blks_hit, 0)::text as ih, coalesce(idx_blks_read, 0)::text as ir
           from pg_statio_user_tables where schemaname = $1`,
          [schema],
        );
        // The schema is the run's own and fresh, so the cumulative counters are the run's.
        const blocksOf = (r: { hh: string; hr: string; ih: string; ir: string }): Blocks => ({
          heapHit: Number(r.hh),
          heapRead: Number(r.hr),
          indexHit: Number(r.ih),
          indexRead: Number(r.ir),
        });
        const byTable = io.rows.map((r) => [r.relname as string, blocksOf(r)] as const).filter(([, b]) => b.heapRead + b.indexRead + b.heapHit + b.indexHit > 0);
        cost.blocksByTable = Object.fromEntries(byTable.sort(([, a], [, b]) => b.heapRead + b.indexRead - a.heapRead - a.indexRead));
        cost.blocks = byTable.reduce(
          (t, [, b]) => ({ heapHit: t.heapHit + b.heapHit, heapRead: t.heapRead + b.heapRead, indexHit: t.indexHit + b.indexHit, indexRead: t.indexRead + b.indexRead }),
          { heapHit: 0, heapRead: 0, indexHit: 0, indexRead: 0 },
        );
        const sizes = await client.query(
          `select c.relname, case when c.relkind = 'r' then pg_total_relation_size(c.oid) - pg_indexes_size(c.oid) else pg_relation_size(c.oid) end as bytes
           from pg_class c join pg_namespace n on n.oid = c.relnamespace
           where n.nspname = $1 and c.relkind in ('r', 'i') order by bytes desc`,
          [schema],
        );
        cost.sizesMb = Object.fromEntries(sizes.rows.filter((r) => Number(r.bytes) >= 1 << 20).map((r) => [r.relname, round1(Number(r.bytes) / 2 ** 20)]));
      } catch {
        // The schema's statistics are informative only.
      }
      if (!inspect) cost.attributionError = 'pg_walinspect is not available';
      else {
        try {
          const { bySpan, ...attributed } = await attribute(client, inspect, schema, before.lsn, after.lsn, timeline.map((p) => p.lsn));
          cost.attributed = attributed;
          // bySpan[i]: the WAL written before timeline point i (i = timeline.length: after the last one).
          let own = 0;
          let fpi = 0;
          timeline.forEach((p, i) => {
            own += bySpan[i]?.bytes ?? 0;
            fpi += bySpan[i]?.fpiBytes ?? 0;
            p.ownWalMb = round1(own / 2 ** 20);
            p.ownFpiMb = round1(fpi / 2 ** 20);
          });
        } catch (err) {
          cost.attributionError = (err as Error).message;
        }
      }
      if (slotHeld) await client.query('select pg_drop_replication_slot($1)', [slot]).catch(() => undefined);
      await client.end();
      return cost;
    },
  };
}

/**
 * The WAL records between two positions whose first block is in one of `schema`'s relations, grouped
 * by relation, and by span between the `marks` (span i ends at marks[i]). A relation's WAL names its
 * file node, not its oid, hence the map from pg_relation_filenode (which TOAST tables and their indexes
 * have too). One query per span: pg_get_wal_records_info materialises its whole answer, so one query
 * over gigabytes of WAL would spill as many to temporary files.
 */
async function attribute(
  client: pg.Client,
  inspect: string,
  schema: string,
  from: string,
  to: string,
  marks: string[],
): Promise<WalShare & { byRelation: Record<string, WalShare>; bySpan: WalShare[] }> {
  const rels = (
    await client.query(
      `with own as (select oid, relname, reltoastrelid from pg_class where relnamespace = $1::regnamespace)
       select pg_relation_filenode(oid)::text as node, relname as name from own
       union all
       select pg_relation_filenode(reltoastrelid)::text, relname || ' (TOAST)' from own where reltoastrelid <> 0
       union all
       select pg_relation_filenode(i.indexrelid)::text, o.relname || ' (TOAST index)' from own o join pg_index i on i.indrelid = o.reltoastrelid`,
      [schema],
    )
  ).rows.filter((r) => r.node !== null) as { node: string; name: string }[];
  const nameOf = new Map(rels.map((r) => [r.node, r.name]));
  const add = (t: WalShare | undefined, s: WalShare): WalShare =>
    t ? { records: t.records + s.records, bytes: t.bytes + s.bytes, fpiRecords: t.fpiRecords + s.fpiRecords, fpiBytes: t.fpiBytes + s.fpiBytes } : s;
  const byRelation: Record<string, WalShare> = {};
  const bySpan: WalShare[] = [];
  let total: WalShare = { records: 0, bytes: 0, fpiRecords: 0, fpiBytes: 0 };
  const bounds = [from, ...marks, to];
  for (let span = 0; span < bounds.length - 1; span++) {
    const [a, b] = [bounds[span], bounds[span + 1]];
    if (!(await client.query('select $1::pg_lsn < $2::pg_lsn as ok', [a, b])).rows[0].ok) continue;
    const rows = (
      await client.query(
        `select node::text, count(*)::text as records, sum(record_length)::text as bytes,
                count(*) filter (where fpi_length > 0)::text as fpi_records, sum(fpi_length)::text as fpi_bytes
         from (select substring(block_ref from 'rel \\d+/\\d+/(\\d+)')::oid as node, record_length, fpi_length
               from "${inspect}".pg_get_wal_records_info($1::pg_lsn, $2::pg_lsn)) w
         where node = any($3::oid[])
         group by node`,
        [a, b, rels.map((r) => r.node)],
      )
    ).rows;
    for (const r of rows) {
      const s: WalShare = { records: Number(r.records), bytes: Number(r.bytes), fpiRecords: Number(r.fpi_records), fpiBytes: Number(r.fpi_bytes) };
      const name = nameOf.get(r.node) ?? r.node;
      byRelation[name] = add(byRelation[name], s);
      bySpan[span] = add(bySpan[span], s);
      total = add(total, s);
    }
  }
  const sorted = Object.fromEntries(Object.entries(byRelation).sort(([, x], [, y]) => y.bytes - x.bytes));
  return { ...total, byRelation: sorted, bySpan };
}

const round1 = (n: number) => Math.round(n * 10) / 10;

/** Per-record figures of a cost, for a result table. */
export function perRecord(cost: PgCost, records: number) {
  const wal = cost.attributed ?? { bytes: cost.cluster.walBytes, fpiBytes: NaN };
  return {
    postgresCpuUsPerRecord: Math.round((cost.backendCpuS * 1e6) / records),
    walBytesPerRecord: Math.round(wal.bytes / records),
    fpiShareOfWal: cost.attributed ? Math.round((cost.attributed.fpiBytes / cost.attributed.bytes) * 1000) / 1000 : '-',
  };
}
