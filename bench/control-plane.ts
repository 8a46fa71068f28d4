// Control plane: ListWorkflows (Status + date window), ListWorkflows walking pages by NextToken,
// GetWorkflowSteps (100 items) and GetWorkflow, in a domain of 1,000,000 workflows and one of 1,000 (both
// in one database), on SQLite and PostgreSQL. Load: wrk, 1 thread, 16 connections, 10 s per case.
// Two limits, same wrk run:
// - the work limit (lists and steps): a bare node:http server running the same SQL statements through the
//   same driver and JSON.stringify-ing the same answer (bench/lib/work-limit-server.mjs): what any
//   server must spend. Target ≥ 0.8 of it.
// - the bytes limit: a bare node:http server answering the bytes captured from the service (what a
//   server that did no work at all would reach). GetWorkflow ≥ 0.5 of it, lists ≥ 0.3.
// And a peer: moto_server's ListSchedules over 100 schedules (bench/lib/moto.ts), lists and steps ≥ 10 ×.
// Also p99 < 10 ms; p50 at 1M ≤ 1.5 × p50 at 1k.
// Run: npm run bench -- control-plane [--backend sqlite|postgres] [--workflows 1000000] [--duration 10]
//      [--cases list-filtered,get-workflow-steps] [--small-only] (only the 1k domain)
//      [--rounds 3] (the service and the work limit measured alternately, DURATION s each; the ratio is the median round's)
//      [--name NAME] (the result files' names: NAME-<backend>…; a partial run's names end with what it left out)
//      [--cpu-prof DIR] (profile the service, and each work limit in DIR/work-limit) [--keep] (keep the SQLite data dir)
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
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
import { type LoadResult, type LoadSpec, runWrk, startLimitServer } from './lib/load.js';
import { type Moto, startMoto } from './lib/moto.js';
import { captureEach, captureStatements, type Repos, startWorkLimitServer } from './lib/work-limit.js';
import { SEED_SPAN_MS, SEED_START, seedWorkflows, type Target } from './lib/seed.js';

const flags = parseFlags(process.argv.slice(2));
const BIG = Number(flags.workflows ?? 1_000_000);
const SMALL = 1_000;
const STEPS = 10_000;
const DURATION_S = Number(flags.duration ?? 10);
const WARMUP_S = 2;
/**
 * Why rounds: on this shared machine one side of a ratio measured alone can run a quarter faster or slower
 * than the other side measured ten seconds later (the same code gave work ratios of 0.66 and 0.87 in
 * consecutive runs). Alternating the two sides and taking the median of the rounds' ratios keeps a shift in
 * the machine's load from landing on one side only; the spread of the rounds is kept beside it.
 */
const ROUNDS = Math.max(1, Number(flags.rounds ?? 3));
const CONNECTIONS = 16;
const backends = (flags.backend ? [String(flags.backend)] : ['sqlite', 'postgres']) as ('sqlite' | 'postgres')[];

const TARGET_RATIO: Record<string, number> = { 'list-filtered': 0.3, 'list-walk': 0.3, 'get-workflow-steps': 0.3, 'get-workflow': 0.5 };
/** Against the work limit and against moto: the cases that read a 100-item page. */
const WORK_TARGET = 0.8;
const MOTO_TARGET = 10;
const PAGE = 100;
const onlyCases = typeof flags.cases === 'string' ? flags.cases.split(',') : undefined;
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

/** The page position a NextToken seals (its payload; the signature is not checked here). */
function keyOf(token: string): unknown {
  return JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString()).p;
}

async function capture(base: string, spec: LoadSpec, index = 0): Promise<HttpAnswer> {
  const res = await fetch(base + spec.paths[index], { method: spec.method, headers: spec.headers, body: spec.body });
  const body = Buffer.from(await res.arrayBuffer());
  const headers: Record<string, string> = {};
  res.headers.forEach((v, k) => (headers[k] = v));
  if (res.status !== 200) throw new Error(`capture ${spec.paths[index]}: ${res.status} ${body}`);
  return { status: res.status, headers, body, json: () => JSON.parse(body.toString()) };
}

type Measured = LoadResult & { cpuMsPerReq: number };

/** A warm-up, then the measured run, with the CPU the server process spent per request. */
async function measure(url: string, pid: number, spec: LoadSpec): Promise<Measured> {
  await runWrk(url, { ...spec, durationS: WARMUP_S });
  const cpu0 = cpuMsOf(pid);
  const r = await runWrk(url, { ...spec, durationS: DURATION_S });
  return { ...r, cpuMsPerReq: (cpuMsOf(pid) - cpu0) / r.requests };
}

/** The page's completed workflows: ListWorkflows looks up their flows, to describe their ongoing updates. */
function completedIds(items: { workflowId: string; status: string }[]): string[] {
  return items.slice(0, PAGE).filter((w) => w.status === 'COMPLETE').map((w) => w.workflowId);
}

/**
 * The statements the service runs for a case, in its order, and the answer shape (undefined: no work
 * limit for it). `pageStatement`: which of them reads the page.
 */
function workOf(name: string, scope: { accountId: string; region: string }, domain: string, workflowId: string, afterKey: unknown) {
  const filter = { status: 'COMPLETE', workflowType: undefined, createdFrom: SEED_START + SEED_SPAN_MS / 4, createdTo: SEED_START + (3 * SEED_SPAN_MS) / 4 };
  const page = { scope, domainName: domain, limit: PAGE + 1 };
  // The page read requires the domain in its own statement; the domain is read on its own only for an
  // empty page (operations/workflows-common.ts), which no case reads.
  const list = (listFilter: object, after?: unknown) => async (r: Repos) => {
    const items = await r.workflows.listItems({ ...page, filter: listFilter, after });
    await r.flows.byWorkflows(scope, domain, completedIds(items));
  };
  switch (name) {
    case 'list-filtered':
      return { answer: 'list' as const, pageStatement: 0, run: list(filter) };
    case 'list-walk':
      return { answer: 'list' as const, pageStatement: 0, run: list({}, afterKey) };
    case 'get-workflow-steps':
      return {
        answer: 'steps' as const,
        pageStatement: 0,
        // One statement: the steps with their workflow's type, while the workflow and its domain exist.
        run: (r: Repos) => r.workflows.stepPage({ scope, domainName: domain, workflowId, limit: PAGE + 1 }),
      };
    default:
      return undefined;
  }
}

async function runBackend(backend: 'sqlite' | 'postgres', storeArgs: string[], target: Target, moto: Moto | undefined) {
  // 1. Through the API: the domains, the object type, the connector profile, one template workflow each.
  let svc = await startService([...storeArgs, '--engine-mode', 'off']);
  const domains = [
    { name: 'bench-1k', workflows: SMALL },
    { name: 'bench-1m', workflows: BIG },
  ];
  const measured = flags['small-only'] ? domains.slice(0, 1) : domains;
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

  // 3. Measure (--cpu-prof DIR: the service writes a V8 CPU profile there when it stops, and each work
  // limit one in DIR/work-limit, so the two sides of a ratio can be read side by side).
  const nodeArgs = flags['cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${flags['cpu-prof']}`] : [];
  const workLimitArgs = flags['cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${join(String(flags['cpu-prof']), 'work-limit')}`] : [];
  svc = await startService([...storeArgs, '--engine-mode', 'off'], { nodeArgs });
  const rows: Record<string, unknown>[] = [];
  const walks: Record<string, unknown> = {};
  let deepToken: string | undefined;
  const scope = { accountId: '000000000000', region: 'us-east-1' };
  let motoRun: (LoadResult & { cpuMsPerReq: number }) | undefined;
  try {
    // The peer first, in the same run: it is measured once per backend, beside that backend's cases.
    if (moto) {
      motoRun = await measure(moto.url, moto.pid, { ...moto.spec, connections: CONNECTIONS });
      printTable(`moto ${moto.version} ListSchedules (${moto.items} items, ${moto.bytes} bytes)`, [
        { rps: Math.round(motoRun.rps), cpuMsPerReq: round(motoRun.cpuMsPerReq, 3), p50ms: round(motoRun.latencyMs.p50, 3), p99ms: round(motoRun.latencyMs.p99, 3), errors: motoRun.errors },
      ]);
      if (motoRun.errors > 0) throw new Error(`moto answered ${motoRun.errors} errors`);
    }
    const motoRps = motoRun?.rps;
    for (const d of measured) {
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
        if (onlyCases && !onlyCases.includes(c.name)) continue;
        const spec = { ...c.spec, connections: CONNECTIONS };
        // The bytes limit answers one page of the walk (the middle one, the size of every other page); the work
        // limit reads each request's own page.
        const middle = Math.floor(spec.paths.length / 2);
        const captured = await capture(svc.url, spec, middle);
        const items = captured.json().Items?.length;
        // CPU per request as well as throughput: on a shared machine the throughput of each side depends on
        // what else runs, the CPU each request costs much less so.
        const work = workOf(c.name, scope, d.name, wf, c.name === 'list-walk' ? keyOf(tokens[middle]) : undefined);
        const rounds: { real: Measured; workLimit?: Measured }[] = [];
        let workBytes: number | undefined;
        if (work) {
          const statements = await captureStatements(target, work.run);
          // The walk's limit reads the page each request's token names, as the service does: always the same
          // page would read the same few cached rows where the service reads the whole domain.
          const pages =
            c.name === 'list-walk'
              ? (await captureEach(target, tokens.map((t) => workOf(c.name, scope, d.name, wf, keyOf(t))!.run))).map((pageStatements, i) => ({
                  path: spec.paths[i],
                  statements: pageStatements,
                  nextToken: tokens[i + 1],
                }))
              : undefined;
          const server = await startWorkLimitServer(
            target,
            { statements, answer: work.answer, pageStatement: work.pageStatement, pageSize: PAGE, nextToken: captured.json().NextToken, pages, workflowId: wf },
            workLimitArgs,
          );
          try {
            // The same answer, byte for byte: otherwise the limit would measure other work. The walk's first,
            // middle and last pages.
            for (const i of pages ? [0, middle, spec.paths.length - 1] : [middle]) {
              const expected = i === middle ? captured : await capture(svc.url, spec, i);
              const sample = await fetch(server.url + spec.paths[i], { method: spec.method, headers: spec.headers, body: spec.body });
              const sampleBody = Buffer.from(await sample.arrayBuffer());
              if (!sampleBody.equals(expected.body)) throw new Error(`work limit ${c.name}: its answer differs from the service's:\n${sampleBody.toString().slice(0, 400)}\n${expected.body.toString().slice(0, 400)}`);
              if (i === middle) workBytes = sampleBody.length;
            }
            for (let i = 0; i < ROUNDS; i++) rounds.push({ real: await measure(svc.url, svc.pid, spec), workLimit: await measure(server.url, server.pid, spec) });
          } finally {
            await server.stop();
          }
        } else {
          rounds.push({ real: await measure(svc.url, svc.pid, spec) });
        }
        // The round whose work ratio is the median stands for the case: its service run and its limit run were
        // measured next to each other.
        const ratioOf = (r: (typeof rounds)[number]) => (r.workLimit ? r.real.rps / r.workLimit.rps : 0);
        const { real, workLimit } = [...rounds].sort((a, b) => ratioOf(a) - ratioOf(b))[Math.floor((rounds.length - 1) / 2)];
        const roundRatios = rounds.filter((r) => r.workLimit).map((r) => round(ratioOf(r), 3));
        const limitServer = await startLimitServer(captured);
        const limit = await measure(limitServer.url, limitServer.pid, spec);
        await limitServer.stop();
        const ratio = real.rps / limit.rps;
        const workRatio = workLimit ? real.rps / workLimit.rps : undefined;
        const motoRatio = work && motoRps ? real.rps / motoRps : undefined;
        rows.push({
          backend,
          workflows: d.workflows,
          case: c.name,
          items,
          bytes: captured.body.length,
          rps: Math.round(real.rps),
          workLimitRps: workLimit ? Math.round(workLimit.rps) : 'n/a',
          workRatio: workRatio === undefined ? 'n/a' : round(workRatio, 3),
          workRatioRounds: roundRatios.length > 0 ? roundRatios.join(' ') : 'n/a',
          workTarget: work ? WORK_TARGET : 'n/a',
          motoRps: work ? (motoRps ? Math.round(motoRps) : 'not measured') : 'n/a',
          motoRatio: motoRatio === undefined ? (work ? 'not measured' : 'n/a') : round(motoRatio, 2),
          motoTarget: work ? MOTO_TARGET : 'n/a',
          limitRps: Math.round(limit.rps),
          ratio: round(ratio, 3),
          target: TARGET_RATIO[c.name],
          cpuMsPerReq: round(real.cpuMsPerReq, 3),
          workLimitCpuMsPerReq: workLimit ? round(workLimit.cpuMsPerReq, 3) : 'n/a',
          limitCpuMsPerReq: round(limit.cpuMsPerReq, 3),
          cpuRatio: round(limit.cpuMsPerReq / real.cpuMsPerReq, 3),
          workCpuRatio: workLimit ? round(workLimit.cpuMsPerReq / real.cpuMsPerReq, 3) : 'n/a',
          p50ms: round(real.latencyMs.p50, 3),
          p99ms: round(real.latencyMs.p99, 3),
          workLimitP99ms: workLimit ? round(workLimit.latencyMs.p99, 3) : 'n/a',
          limitP99ms: round(limit.latencyMs.p99, 3),
          errors: real.errors,
          workLimitErrors: workLimit ? workLimit.errors : 'n/a',
          limitErrors: limit.errors,
          workBytesEqual: work ? workBytes === captured.body.length : 'n/a',
          metBytes: ratio >= TARGET_RATIO[c.name] && real.latencyMs.p99 < P99_LIMIT_MS && real.errors === 0 ? 'yes' : 'NO',
          metWork: workRatio === undefined ? 'n/a' : workRatio >= WORK_TARGET && real.errors === 0 ? 'yes' : 'NO',
          metMoto: motoRatio === undefined ? (work ? 'not measured' : 'n/a') : motoRatio >= MOTO_TARGET && real.errors === 0 ? 'yes' : 'NO',
        });
        printTable(`control-plane ${backend} ${d.workflows} workflows: ${c.name}`, [rows[rows.length - 1]]);
      }
    }
  } finally {
    await svc.stop();
  }

  // 4. The plans of each read at 1M, for the SQL the service sends.
  const big = 'bench-1m';
  const deepKey = deepToken ? keyOf(deepToken) : undefined;
  const plans: Plan[] = await explainCases(target, [
    {
      name: 'list-filtered',
      run: (repo) =>
        repo.listItems({
          scope,
          domainName: big,
          filter: { status: 'COMPLETE', createdFrom: SEED_START + SEED_SPAN_MS / 4, createdTo: SEED_START + (3 * SEED_SPAN_MS) / 4 },
          limit: PAGE + 1,
        }),
    },
    { name: 'list-walk (page at 90%)', run: (repo) => repo.listItems({ scope, domainName: big, filter: {}, after: deepKey, limit: PAGE + 1 }) },
    { name: 'get-workflow-steps', run: (repo) => repo.stepPage({ scope, domainName: big, workflowId: templates[big], after: 5000, limit: PAGE + 1 }) },
    { name: 'get-workflow', run: (repo) => repo.get({ scope, domainName: big, workflowId: templates[big] }) },
  ]);
  const peer = moto
    ? { server: `moto ${moto.version} ListSchedules`, items: moto.items, bytes: moto.bytes, rps: Math.round(motoRun!.rps), cpuMsPerReq: round(motoRun!.cpuMsPerReq, 3), p50ms: round(motoRun!.latencyMs.p50, 3), p99ms: round(motoRun!.latencyMs.p99, 3) }
    : 'not measured: moto_server or boto3 is not installed';
  return { rows, walks, plans, seedS, peer };
}

async function main() {
  // The machine is shared: the load average when the run started says what else was running.
  const loadAverageAtStart = loadavg().map((l) => round(l, 2));
  process.stdout.write(`load average at start: ${loadAverageAtStart.join(', ')}\n`);
  const machine = await machineInfo();
  const all: Record<string, unknown>[] = [];
  const details: Record<string, unknown> = {};
  const moto = await startMoto();
  if (!moto) process.stdout.write('moto_server or boto3 is not installed: the moto column is not measured\n');
  try {
  for (const backend of backends) {
    if (backend === 'sqlite') {
      const dir = mkdtempSync(join(tmpdir(), 'pf-bench-cp-'));
      try {
        const r = await runBackend('sqlite', ['--data-dir', dir], { backend: 'sqlite', file: join(dir, 'profileflow.db') }, moto);
        all.push(...r.rows);
        details.sqlite = { peer: r.peer, walks: r.walks, plans: r.plans, seedS: r.seedS };
      } finally {
        if (flags.keep) process.stdout.write(`kept ${dir}\n`);
        else rmSync(dir, { recursive: true, force: true });
      }
    } else {
      await withPgSchema('cp', async (schema, url) => {
        const r = await runBackend('postgres', ['--database-url', url], { backend: 'postgres', url, schema }, moto);
        all.push(...r.rows);
        details.postgres = { peer: r.peer, walks: r.walks, plans: r.plans, seedS: r.seedS };
      });
    }
  }
  } finally {
    await moto?.stop();
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
  printTable('control-plane: throughput against the work limit, moto and the bytes limit (wrk -t1 -c16)', all);
  printTable('control-plane: p50 at 1,000,000 workflows over p50 at 1,000', scale);
  for (const [backend, d] of Object.entries(details)) {
    for (const p of (d as { plans: Plan[] }).plans) {
      process.stdout.write(`\nplan ${backend} ${p.case}${p.suspicious ? ' (SORTS OR SCANS)' : ''}:\n  ${p.plan.join('\n  ')}\n`);
    }
  }
  // One file per backend. A partial run (fewer workflows, some cases, the small domain only) is named after
  // what it left out, and --name names a run, so that neither overwrites the full run's file.
  const partial = [BIG !== 1_000_000 && String(BIG), flags['small-only'] && 'small', onlyCases?.join('+')].filter(Boolean);
  for (const backend of backends) {
    const file = writeResult([flags.name ? String(flags.name) : 'control-plane', backend, ...partial].join('-'), {
      command: `npm run bench -- control-plane ${process.argv.slice(2).join(' ')}`.trim(),
      machine: { ...machine, moto: moto?.version ?? 'not installed' },
      loadAverage: loadAverageAtStart,
      load: { tool: 'wrk', threads: 1, connections: CONNECTIONS, durationS: DURATION_S, warmupS: WARMUP_S, rounds: ROUNDS },
      cases: all.filter((r) => r.backend === backend),
      scale: scale.filter((r) => r.backend === backend),
      details: { [backend]: details[backend] },
    });
    process.stdout.write(`\nwrote ${file}\n`);
  }
}

await main();
