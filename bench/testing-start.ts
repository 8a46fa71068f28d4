// The testing toolkit (`profileflow/testing`): what a test suite pays per isolated instance and per reset.
//   start: startProfileflow() (fresh temporary SQLite folder, migrations, engine, buildApp, listen on a
//          free port) to the first answered ListDomains (200);
//   reset: pf.reset() of a store holding what a test leaves behind (a domain, an object type, a
//          completed workflow of 24 ingested records and its integration).
// Each is the median of --runs (20) runs after 2 warm-up runs, in one process (a suite loads the module
// once). Limits, measured in the same run, are the same work done by hand without the toolkit:
//   start: openStore on a fresh folder + new Engine + buildApp + listen + the same first request;
//   reset: store.reset() called directly.
// So a ratio near 1 means the toolkit adds nothing to the work isolation needs. For context, the same
// run also measures buildApp on an already-open store (what is left without a fresh store), a child
// `profileflow serve --port 0` spawned to its first answer (the other design: one process per suite),
// POST /_profileflow/reset over HTTP, and stop() + a new start (what a reset saves).
// Run: npm run bench -- testing-start [--runs 20]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startProfileflow, type Profileflow } from 'profileflow/testing';
import { buildApp } from '../src/server/app.js';
import { Engine } from '../src/engine/engine.js';
import { systemClock } from '../src/engine/clock.js';
import { openStore } from '../src/store/open-store.js';
import { AUTH_HEADERS, machineInfo, parseFlags, printTable, round, startService, writeResult } from './lib/common.js';
import { createDomain, createWorkflow, putObjectType } from './lib/fixtures.js';

const flags = parseFlags(process.argv.slice(2));
const RUNS = Number(flags.runs ?? 20);
const WARMUP = 2;

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

async function firstAnswer(endpoint: string): Promise<void> {
  const res = await fetch(`${endpoint}/domains`, { headers: AUTH_HEADERS });
  await res.arrayBuffer();
  if (res.status !== 200) throw new Error(`ListDomains answered ${res.status}`);
}

/** startProfileflow() to the first 200; stop() not counted. */
async function toolkitStart(): Promise<number> {
  const t = performance.now();
  const pf = await startProfileflow();
  await firstAnswer(pf.endpoint);
  const ms = performance.now() - t;
  await pf.stop();
  return ms;
}

/** The same pieces by hand: fresh folder, migrated store, engine, app, listen, first request. */
async function byHandStart(): Promise<number> {
  const t = performance.now();
  const dir = mkdtempSync(join(tmpdir(), 'pf-bench-hand-'));
  const store = await openStore({ backend: 'sqlite', dataDir: dir });
  const engine = new Engine(store, systemClock, { mode: 'manual' });
  const app = await buildApp({ store, engine });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  await firstAnswer(url);
  const ms = performance.now() - t;
  await engine.stop();
  await app.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
  return ms;
}

/** buildApp + listen + first request on a store opened (and migrated) beforehand. */
async function openStoreStart(store: Awaited<ReturnType<typeof openStore>>): Promise<number> {
  const t = performance.now();
  const engine = new Engine(store, systemClock, { mode: 'manual' });
  const app = await buildApp({ store, engine });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  await firstAnswer(url);
  const ms = performance.now() - t;
  await app.close();
  return ms;
}

/** A child `profileflow serve --port 0` from spawn to its first 200 (banner read for the port). */
async function childStart(): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'pf-bench-child-'));
  const t = performance.now();
  const svc = await startService(['--data-dir', dir, '--engine-mode', 'manual']);
  await firstAnswer(svc.url);
  const ms = performance.now() - t;
  await svc.stop();
  rmSync(dir, { recursive: true, force: true });
  return ms;
}

/** What a test leaves behind: a domain, an object type, a completed 24-record workflow. */
async function leaveState(pf: Profileflow, i: number): Promise<void> {
  await createDomain(pf.endpoint, `shop-${i}`);
  await putObjectType(pf.endpoint, `shop-${i}`);
  const id = await createWorkflow(pf.endpoint, `shop-${i}`, { flowName: `flow-${i}`, batches: 1 });
  await pf.waitForWorkflow(`shop-${i}`, id, 'COMPLETE');
}

async function main() {
  const machine = await machineInfo();
  const samples: Record<string, number[]> = { toolkitStart: [], byHandStart: [], openStoreStart: [], childStart: [], toolkitReset: [], storeReset: [], httpReset: [], restart: [] };
  const keep = (name: string, i: number, ms: number) => {
    if (i >= WARMUP) samples[name].push(ms);
  };

  // Start: the three in-process ways interleaved, so a busy spell on the machine hits them alike.
  const openedDir = mkdtempSync(join(tmpdir(), 'pf-bench-open-'));
  const opened = await openStore({ backend: 'sqlite', dataDir: openedDir });
  try {
    for (let i = 0; i < RUNS + WARMUP; i++) {
      keep('toolkitStart', i, await toolkitStart());
      keep('byHandStart', i, await byHandStart());
      keep('openStoreStart', i, await openStoreStart(opened));
      keep('childStart', i, await childStart());
    }
  } finally {
    await opened.close();
    rmSync(openedDir, { recursive: true, force: true });
  }

  // Reset: one instance; before each measured reset the same leftovers are made again.
  const pf = await startProfileflow({
    connectorProfiles: { 'bench-synthetic': { kind: 'synthetic', settings: { recordsPerDay: 24, seed: 7 } } },
  });
  try {
    for (let i = 0; i < RUNS + WARMUP; i++) {
      await leaveState(pf, i);
      let t = performance.now();
      await pf.reset();
      keep('toolkitReset', i, performance.now() - t);

      await leaveState(pf, i);
      t = performance.now();
      const res = await fetch(`${pf.endpoint}/_profileflow/reset`, { method: 'POST' });
      await res.arrayBuffer();
      if (res.status !== 200) throw new Error(`reset answered ${res.status}`);
      keep('httpReset', i, performance.now() - t);

      t = performance.now();
      const fresh = await startProfileflow();
      await firstAnswer(fresh.endpoint);
      await fresh.stop();
      keep('restart', i, performance.now() - t);
    }
  } finally {
    await pf.stop();
  }

  // The floor of a reset: store.reset() on a store of our own holding the same leftovers.
  const floorDir = mkdtempSync(join(tmpdir(), 'pf-bench-floor-'));
  const floorStore = await openStore({ backend: 'sqlite', dataDir: floorDir });
  const floorEngine = new Engine(floorStore, systemClock, { mode: 'manual' });
  const floorApp = await buildApp({ store: floorStore, engine: floorEngine });
  const floorUrl = await floorApp.listen({ host: '127.0.0.1', port: 0 });
  try {
    for (let i = 0; i < RUNS + WARMUP; i++) {
      await fetch(`${floorUrl}/_profileflow/connector-profiles/bench-synthetic`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ kind: 'synthetic', settings: { recordsPerDay: 24, seed: 7 } }),
      }).then((r) => r.arrayBuffer());
      await createDomain(floorUrl, `shop-${i}`);
      await putObjectType(floorUrl, `shop-${i}`);
      await createWorkflow(floorUrl, `shop-${i}`, { flowName: `flow-${i}`, batches: 1 });
      await floorEngine.runUntilIdle();
      const t = performance.now();
      await floorStore.reset();
      keep('storeReset', i, performance.now() - t);
    }
  } finally {
    await floorApp.close();
    await floorStore.close();
    rmSync(floorDir, { recursive: true, force: true });
  }

  const m = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, median(v)]));
  const rows = [
    { measure: 'start to first answer (median ms)', toolkit: round(m.toolkitStart, 1), limit: round(m.byHandStart, 1), limitIs: 'same pieces by hand', ratioToLimit: round(m.toolkitStart / m.byHandStart, 2) },
    { measure: 'reset with one finished workflow (median ms)', toolkit: round(m.toolkitReset, 2), limit: round(m.storeReset, 2), limitIs: 'store.reset() alone', ratioToLimit: round(m.toolkitReset / m.storeReset, 2) },
  ];
  const context = [
    { measure: 'buildApp + listen + first answer on an open store', medianMs: round(m.openStoreStart, 1), vsToolkitStart: round(m.openStoreStart / m.toolkitStart, 2) },
    { measure: 'child `profileflow serve --port 0`, spawn to first answer', medianMs: round(m.childStart, 1), vsToolkitStart: round(m.childStart / m.toolkitStart, 2) },
    { measure: 'POST /_profileflow/reset (same state)', medianMs: round(m.httpReset, 2), vsToolkitStart: round(m.httpReset / m.toolkitStart, 2) },
    { measure: 'reset by a new instance (start + first answer + stop)', medianMs: round(m.restart, 1), vsToolkitStart: round(m.restart / m.toolkitStart, 2) },
  ];
  printTable(`testing-start: medians of ${RUNS} runs after ${WARMUP} warm-up runs (SQLite, one process)`, rows);
  printTable('context, same run', context);
  const file = writeResult('testing-start', {
    command: `npm run bench -- testing-start ${process.argv.slice(2).join(' ')}`.trim(),
    machine,
    runs: RUNS,
    warmup: WARMUP,
    rows,
    context,
    samples: Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, v.map((x) => round(x, 2))])),
  });
  process.stdout.write(`\nwrote ${file}\n`);
}

await main();
