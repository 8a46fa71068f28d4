// Diagnostic, not a benchmark: on SQLite, which B-trees (tables and indexes) the commits of an ingestion
// write, once a history of N records is loaded. A commit writes every page it dirtied whole into the WAL,
// so the frames the commits add are their I/O and most of their CPU; this names them. It loads the history
// in process, checkpoints the WAL to empty with automatic checkpoints off, ingests one more window of new
// records (ten engine pages by default: a key index merge slice falls on some pages and not others),
// reads the page number of each WAL frame, and maps the pages to their B-trees through SQLite's dbstat
// table. The counts follow from the data and the policy alone, so two policies compare without timing noise.
// Run: node --import tsx bench/tools/commit-pages.ts [--records 400000] [--window-records 20000]
//      [--recent-at 30000 --merge-at 200000 --slice 25000]
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type SqliteDatabase from 'better-sqlite3';
import { systemClock } from '../../src/engine/clock.js';
import { Engine } from '../../src/engine/engine.js';
import { sqliteStatementsOf } from '../../src/store/dialects/sqlite-statements.js';
import { openStore } from '../../src/store/open-store.js';
import { parseFlags, printTable } from '../lib/common.js';
import { createIngestionWorkflow, INJECT_HEADERS, ingestionWorkflowRequest, keyStagingFromFlags } from '../lib/in-process-ingestion.js';

const flags = parseFlags(process.argv.slice(2));
const N = Number(flags.records ?? 400_000);
const WINDOW_RECORDS = Number(flags['window-records'] ?? 20_000);
/** The staged key index's policy (sqlite-key-staging.ts); the service's default otherwise. */
const keyStaging = keyStagingFromFlags(flags);
const DAY_S = 86_400;
/** The loaded history covers ten days from 2025-01-01; the measured window is a day well after it. */
const WINDOW_START_S = Date.UTC(2025, 0, 1) / 1000 + 20 * DAY_S;

const dir = mkdtempSync(join(tmpdir(), 'pf-commit-pages-'));
try {
  const store = await openStore({ backend: 'sqlite', dataDir: dir, keyStaging });
  const engine = new Engine(store, systemClock, { mode: 'manual' });
  const app = await createIngestionWorkflow(store, engine, N);
  await engine.runUntilIdle();
  // The store's own connection: a second one would see the same file, but its checkpoint could not empty a
  // WAL this connection still reads from.
  const database = (sqliteStatementsOf(store.db) as unknown as { database: SqliteDatabase.Database }).database;
  database.pragma('wal_autocheckpoint = 0');
  database.pragma('wal_checkpoint(TRUNCATE)');

  const inject = async (method: 'PUT' | 'POST', url: string, body: unknown) => {
    const r = await app.inject({ method, url, headers: INJECT_HEADERS, payload: JSON.stringify(body) });
    if (r.statusCode >= 300) throw new Error(`${url}: ${r.body}`);
  };
  await inject('PUT', '/_profileflow/connector-profiles/window', { kind: 'synthetic', settings: { recordsPerDay: WINDOW_RECORDS, seed: 7 } });
  const request = ingestionWorkflowRequest('window', 'window') as { IntegrationConfig: { AppflowIntegration: { Batches: unknown[] } } };
  request.IntegrationConfig.AppflowIntegration.Batches = [{ StartTime: WINDOW_START_S, EndTime: WINDOW_START_S + DAY_S }];
  await inject('POST', '/domains/d/workflows/integrations', request);
  await engine.runUntilIdle();

  // WAL format: a 32-byte header (the page size at offset 8), then frames of a 24-byte header (the page
  // number first) and the page.
  const wal = readFileSync(join(dir, 'profileflow.db-wal'));
  const pageSize = wal.readUInt32BE(8);
  const framesOf = new Map<number, number>();
  let frames = 0;
  for (let at = 32; at + 24 + pageSize <= wal.length; at += 24 + pageSize, frames++) {
    const page = wal.readUInt32BE(at);
    framesOf.set(page, (framesOf.get(page) ?? 0) + 1);
  }
  const owner = new Map<number, string>();
  const size = new Map<string, number>();
  for (const row of database.prepare('select name, pageno from dbstat').iterate() as Iterable<{ name: string; pageno: number }>) {
    owner.set(row.pageno, row.name);
    size.set(row.name, (size.get(row.name) ?? 0) + 1);
  }
  const byTree = new Map<string, { frames: number; pages: number }>();
  for (const [page, n] of framesOf) {
    const name = owner.get(page) ?? '(free or new)';
    const entry = byTree.get(name) ?? { frames: 0, pages: 0 };
    entry.frames += n;
    entry.pages++;
    byTree.set(name, entry);
  }
  process.stdout.write(
    `after ${N} records${keyStaging ? ` (key staging ${JSON.stringify(keyStaging)})` : ''}, a window of ${WINDOW_RECORDS} new records: ` +
      `${frames} WAL frames (${((frames * pageSize) / 1e6).toFixed(1)} MB, ${((frames * pageSize) / WINDOW_RECORDS / 1024).toFixed(1)} KiB a record), ` +
      `${framesOf.size} distinct pages\n`,
  );
  printTable(
    'WAL frames by B-tree',
    [...byTree]
      .sort((a, b) => b[1].frames - a[1].frames)
      .filter(([, e]) => e.frames >= 10)
      .map(([name, e]) => ({
        tree: name,
        frames: e.frames,
        perRecord: (e.frames / WINDOW_RECORDS).toFixed(3),
        share: `${((100 * e.frames) / frames).toFixed(1)} %`,
        treePages: size.get(name) ?? 0,
        ofTree: size.get(name) ? `${((100 * e.pages) / size.get(name)!).toFixed(0)} %` : '',
      })),
  );
  await app.close();
  await store.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
