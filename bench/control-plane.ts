// Control plane: ListWorkflows (Status + date window), ListWorkflows walking pages by NextToken,
// GetWorkflowSteps (100 items) and GetWorkflow, in a domain of 1,000,000 workflows and one of 1,000 (both
// in one database), on SQLite and PostgreSQL. Load: wrk, 1 thread, 16 connections, 10 s per case.
// Limit: a bare node:http server answering the bytes captured from the service, same wrk run.
// Targets: GetWorkflow ≥ 0.5 of the limit, list operations ≥ 0.3; p99 < 10 ms; p50 at 1M ≤ 1.5 × p50 at 1k.
// Run: npm run bench -- control-plane [--backend sqlite|postgres] [--workflows 1000000] [--duration 10]
//      [--cpu-prof DIR] (profile the service during the measurement) [--keep] (keep the SQLite data dir)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type HttpAnswer,
  call,
  cpuMsOf,
  machineInfo,
  parseFlags,
  printTable,
  round,
  startService,
  withPgSchema,
  writeResult,
  AUTH_HEADERS,
} from './lib/common.js';
import { explainCases, type Plan } from './lib/explain.js';
import { createDomain, createWorkflow, putConnectorProfile, putObjectType } from './lib/fixtures.js';
import { type LoadSpec, runWrk, startLimitServer } from './lib/load.js';
import { SEED_SPAN_MS, SEED_START, seedWorkflows, type Target } from './lib/seed.js';

const flags = parseFlags(process.argv.slice(2));
const BIG = Number(flags.workflows ?? 1_000_000);
const SMALL = 1_000;
const STEPS = 10_000;
const DURATION_S = Number(flags.duration ?? 10);
const WARMUP_S = 2;
const CONNECTIONS = 16;
const backends = (flags.backend ? [String(flags.backend)] : ['sqlite', 'postgres']) as ('sqlite' | 'postgres')[];

const TARGET_RATIO: Record<string, number> = { 'list-filtered': 0.3, 'list-walk': 0.3, 'get-workflow-steps': 0.3, 'get-workflow': 0.5 };
const P99_LIMIT_MS = 10;
const SCALE_LIMIT = 1.5;

interface CaseDef {
  name: string;
  spec: LoadSpec;
}

/** Status COMPLETE, created in the middle half of the seeded year. */
const FILTER_BODY = JSON.stringify({
  Status: 'COMPLETE',
  QueryStartDate: (SEED_START + SEED_SPAN_MS / 4) / 1000,
  QueryEndDate: (SEED_START + (3 * SEED_SPAN_MS) / 4) / 1000,
});
const HEADERS = { ...AUTH_HEADERS, 'content-type': 'application/json' };

/** Walks every page of the domain (no filter), keeping each NextToken: the walk case cycles through them. */
async function collectTokens(base: string, domain: string): Promise<{ tokens: string[]; walkMs: number }> {
  const tokens: string[] = [];
  const started = performance.now();
  let token: string | undefined;
  do {
    const r = await call(base, 'POST', `/domains/${domain}/workflows?max-results=100${token ? `&next-token=${token}` : ''}`, {});
    if (r.status !== 200) throw new Error(`walk: ${r.status} ${r.body}`);
    token = r.json().NextToken;
    if (token) tokens.push(token);
  } while (token);
  return { tokens, walkMs: performance.now() - started };
}

async function capture(base: string, spec: LoadSpec, index = 0): Promise<HttpAnswer> {
  const res = await fetch(base + spec.paths[index], { method: spec.method, headers: spec.headers, body: spec.body });
  const body = Buffer.from(await res.arrayBuffer());
  const headers: Record<string, string> = {};
  res.headers.forEach((v, k) => (headers[k] = v));
  if (res.status !== 200) throw new Error(`capture ${spec.paths[index]}: ${res.status} ${body}`);
  return { status: res.status, headers, body, json: () => JSON.parse(body.toString()) };
}

async function runBackend(backend: 'sqlite' | 'postgres', storeArgs: string[], target: Target) {
  // 1. Through the API: the domains, the object type, the connector profile, one template workflow each.
  let svc = await startService([...storeArgs, '--engine-mode', 'off']);
  const domains = [
    { name: 'bench-1k', workflows: SMALL },
    { name: 'bench-1m', workflows: BIG },
  ];
  await putConnectorProfile(svc.url, 100);
  const templates: Record<string, string> = {};
  for (const d of domains) {
    await createDomain(svc.url, d.name);
    await putObjectType(svc.url, d.name);
    templates[d.name] = await createWorkflow(svc.url, d.name, { flowName: `${d.name}-history`, batches: 1 });
  }
  await svc.stop();

  // 2. In bulk, straight through SQL, with the service stopped.
  const seedStarted = performance.now();
  for (const d of domains) await seedWorkflows(target, templates[d.name], d.workflows, STEPS);
  const seedS = (performance.now() - seedStarted) / 1000;
  process.stdout.write(`[${backend}] seeded ${BIG + SMALL} workflows and ${2 * STEPS} steps in ${seedS.toFixed(1)} s\n`);

  // 3. Measure (--cpu-prof DIR: the service writes a V8 CPU profile there when it stops).
  const nodeArgs = flags['cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${flags['cpu-prof']}`] : [];
  svc = await startService([...storeArgs, '--engine-mode', 'off'], { nodeArgs });
  const rows: Record<string, unknown>[] = [];
  const walks: Record<string, unknown> = {};
  let deepToken: string | undefined;
  try {
    for (const d of domains) {
      const { tokens, walkMs } = await collectTokens(svc.url, d.name);
      walks[d.name] = { pages: tokens.length + 1, ms: round(walkMs), msPerPage: round(walkMs / (tokens.length + 1), 3) };
      if (d.workflows === BIG) deepToken = tokens[Math.floor(tokens.length * 0.9)];
      const wf = templates[d.name];
      const cases: CaseDef[] = [
        { name: 'list-filtered', spec: { method: 'POST', paths: [`/domains/${d.name}/workflows?max-results=100`], body: FILTER_BODY, headers: HEADERS } },
        {
          name: 'list-walk',
          spec: { method: 'POST', paths: tokens.map((t) => `/domains/${d.name}/workflows?max-results=100&next-token=${t}`), body: '{}', headers: HEADERS },
        },
        { name: 'get-workflow-steps', spec: { method: 'GET', paths: [`/domains/${d.name}/workflows/${wf}/steps?max-results=100`], headers: AUTH_HEADERS } },
        { name: 'get-workflow', spec: { method: 'GET', paths: [`/domains/${d.name}/workflows/${wf}`], headers: AUTH_HEADERS } },
      ];
      for (const c of cases) {
        const spec = { ...c.spec, connections: CONNECTIONS };
        // The limit answers one page of the walk (the middle one): same size as every other page.
        const captured = await capture(svc.url, spec, Math.floor(spec.paths.length / 2));
        const items = captured.json().Items?.length;
        await runWrk(svc.url, { ...spec, durationS: WARMUP_S });
        // CPU per request as well as throughput: on a shared machine the throughput of each side depends on
        // what else runs, the CPU each request costs much less so.
        const cpu0 = cpuMsOf(svc.pid);
        const real = await runWrk(svc.url, { ...spec, durationS: DURATION_S });
        const cpuPerReq = (cpuMsOf(svc.pid) - cpu0) / real.requests;
        const limitServer = await startLimitServer(captured);
        await runWrk(limitServer.url, { ...spec, durationS: WARMUP_S });
        const lcpu0 = cpuMsOf(limitServer.pid);
        const limit = await runWrk(limitServer.url, { ...spec, durationS: DURATION_S });
        const limitCpuPerReq = (cpuMsOf(limitServer.pid) - lcpu0) / limit.requests;
        await limitServer.stop();
        const ratio = real.rps / limit.rps;
        rows.push({
          backend,
          workflows: d.workflows,
          case: c.name,
          items,
          bytes: captured.body.length,
          rps: Math.round(real.rps),
          limitRps: Math.round(limit.rps),
          ratio: round(ratio, 3),
          target: TARGET_RATIO[c.name],
          cpuMsPerReq: round(cpuPerReq, 3),
          limitCpuMsPerReq: round(limitCpuPerReq, 3),
          cpuRatio: round(limitCpuPerReq / cpuPerReq, 3),
          p50ms: round(real.latencyMs.p50, 3),
          p99ms: round(real.latencyMs.p99, 3),
          limitP99ms: round(limit.latencyMs.p99, 3),
          errors: real.errors,
          limitErrors: limit.errors,
          met: ratio >= TARGET_RATIO[c.name] && real.latencyMs.p99 < P99_LIMIT_MS && real.errors === 0 ? 'yes' : 'NO',
        });
        printTable(`control-plane ${backend} ${d.workflows} workflows: ${c.name}`, [rows[rows.length - 1]]);
      }
    }
  } finally {
    await svc.stop();
  }

  // 4. The plans of each read at 1M, for the SQL the service sends.
  const big = 'bench-1m';
  const scope = { accountId: '000000000000', region: 'us-east-1' };
  const deepKey = deepToken ? JSON.parse(Buffer.from(deepToken.split('.')[0], 'base64url').toString()).p : undefined;
  const plans: Plan[] = await explainCases(target, [
    {
      name: 'list-filtered',
      run: (repo) =>
        repo.list(scope, big, { status: 'COMPLETE', createdFrom: SEED_START + SEED_SPAN_MS / 4, createdTo: SEED_START + (3 * SEED_SPAN_MS) / 4 }, undefined, 101),
    },
    { name: 'list-walk (page at 90%)', run: (repo) => repo.list(scope, big, {}, deepKey, 101) },
    { name: 'get-workflow-steps', run: (repo) => repo.listSteps(scope, templates[big], 5000, 101) },
    { name: 'get-workflow', run: (repo) => repo.get(scope, big, templates[big]) },
  ]);
  return { rows, walks, plans, seedS };
}

async function main() {
  const machine = await machineInfo();
  const all: Record<string, unknown>[] = [];
  const details: Record<string, unknown> = {};
  for (const backend of backends) {
    if (backend === 'sqlite') {
      const dir = mkdtempSync(join(tmpdir(), 'pf-bench-cp-'));
      try {
        const r = await runBackend('sqlite', ['--data-dir', dir], { backend: 'sqlite', file: join(dir, 'profileflow.db') });
        all.push(...r.rows);
        details.sqlite = { walks: r.walks, plans: r.plans, seedS: r.seedS };
      } finally {
        if (flags.keep) process.stdout.write(`kept ${dir}\n`);
        else rmSync(dir, { recursive: true, force: true });
      }
    } else {
      await withPgSchema('cp', async (schema, url) => {
        const r = await runBackend('postgres', ['--database-url', url], { backend: 'postgres', url, schema });
        all.push(...r.rows);
        details.postgres = { walks: r.walks, plans: r.plans, seedS: r.seedS };
      });
    }
  }
  const scale = [];
  for (const backend of backends) {
    for (const name of Object.keys(TARGET_RATIO)) {
      const at = (n: number) => all.find((r) => r.backend === backend && r.workflows === n && r.case === name) as { p50ms: number } | undefined;
      const small = at(SMALL);
      const big = at(BIG);
      if (!small || !big) continue;
      const ratio = big.p50ms / small.p50ms;
      scale.push({ backend, case: name, p50At1k: small.p50ms, p50At1m: big.p50ms, ratio: round(ratio, 3), limit: SCALE_LIMIT, met: ratio <= SCALE_LIMIT ? 'yes' : 'NO' });
    }
  }
  printTable('control-plane: throughput as a share of the bare node:http limit (wrk -t1 -c16)', all);
  printTable('control-plane: p50 at 1,000,000 workflows over p50 at 1,000', scale);
  for (const [backend, d] of Object.entries(details)) {
    for (const p of (d as { plans: Plan[] }).plans) {
      process.stdout.write(`\nplan ${backend} ${p.case}${p.suspicious ? ' (SORTS OR SCANS)' : ''}:\n  ${p.plan.join('\n  ')}\n`);
    }
  }
  // One file per backend whichever were run, so that the results folder always holds the same two.
  for (const backend of backends) {
    const file = writeResult(`control-plane-${backend}`, {
      command: `npm run bench -- control-plane ${process.argv.slice(2).join(' ')}`.trim(),
      machine,
      load: { tool: 'wrk', threads: 1, connections: CONNECTIONS, durationS: DURATION_S, warmupS: WARMUP_S },
      cases: all.filter((r) => r.backend === backend),
      scale: scale.filter((r) => r.backend === backend),
      details: { [backend]: details[backend] },
    });
    process.stdout.write(`\nwrote ${file}\n`);
  }
}

await main();
