// Diagnostic, not a benchmark: where one ListWorkflows (100 items) and one GetWorkflow spend their CPU,
// in-process on SQLite with 1,000 seeded workflows: the store query, the operation handler, serialization,
// JSON, and the whole request through Fastify's inject (no sockets).
// Run: node --import tsx bench/tools/list-path.ts [--backend postgres] (PostgreSQL: a schema of its own on PROFILEFLOW_BENCH_PG)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PageTokens } from '../../src/domain/page-token.js';
import { describeOngoing, describeWorkflow } from '../../src/domain/workflow-plan/status-text.js';
import { systemClock } from '../../src/engine/clock.js';
import { operations } from '../../src/operations/index.js';
import { serializeOutput } from '../../src/protocol/serialize.js';
import { buildApp } from '../../src/server/app.js';
import { openStore } from '../../src/store/open-store.js';
import { AUTH_HEADERS, parseFlags, withPgSchema } from '../lib/common.js';
import { createDomain, createWorkflow, putConnectorProfile, putObjectType } from '../lib/fixtures.js';
import { SEED_SPAN_MS, SEED_START, seedWorkflows, type Target } from '../lib/seed.js';
import type { StoreConfig } from '../../src/store/open-store.js';

const backend = parseFlags(process.argv.slice(2)).backend === 'postgres' ? 'postgres' : 'sqlite';
if (backend === 'postgres') await withPgSchema('list_path', (schema, url) => measure({ backend: 'postgres', databaseUrl: url, schema }, { backend: 'postgres', url, schema }));
else {
  const dir = mkdtempSync(join(tmpdir(), 'pf-list-path-'));
  await measure({ backend: 'sqlite', dataDir: dir }, { backend: 'sqlite', file: join(dir, 'profileflow.db') });
  rmSync(dir, { recursive: true, force: true });
}

async function measure(config: StoreConfig, target: Target): Promise<void> {
  // Set up through the API (a listening app on loopback), seed 1,000 workflows in bulk, then reopen.
  let store = await openStore(config);
  let app = await buildApp({ store });
  const address = await app.listen({ port: 0, host: '127.0.0.1' });
  await putConnectorProfile(address, 100);
  await createDomain(address, 'd');
  await putObjectType(address, 'd');
  const template = await createWorkflow(address, 'd', { flowName: 'f1', batches: 1 });
  await app.close();
  await store.close();
  await seedWorkflows(target, template, 1000, 200);
  store = await openStore(config);
  app = await buildApp({ store });
  const h = { ...AUTH_HEADERS, 'content-type': 'application/json' };

  const scope = { accountId: '000000000000', region: 'us-east-1' };
  const filter = { status: 'COMPLETE' as const, createdFrom: SEED_START + SEED_SPAN_MS / 4, createdTo: SEED_START + (3 * SEED_SPAN_MS) / 4 };
  const input = { DomainName: 'd', MaxResults: 100, Status: 'COMPLETE', QueryStartDate: new Date(filter.createdFrom), QueryEndDate: new Date(filter.createdTo) };
  const ctx = { scope, requestId: 'x', store, clock: systemClock, tokens: new PageTokens(await store.pageTokenSecret()) } as never;
  const output = await operations.ListWorkflows(ctx, input as never);
  const body = JSON.stringify({ Status: 'COMPLETE', QueryStartDate: filter.createdFrom / 1000, QueryEndDate: filter.createdTo / 1000 });

  async function cpuOf(name: string, f: () => unknown) {
    for (let i = 0; i < 200; i++) await f();
    const n = 1000;
    const c = process.cpuUsage();
    for (let i = 0; i < n; i++) await f();
    const u = process.cpuUsage(c);
    process.stdout.write(`${name.padEnd(44)} ${((u.user + u.system) / 1000 / n).toFixed(3)} ms CPU\n`);
  }
  // Every case shares the driver, the pool and V8's tiers: warmed by whole requests first, or the first
  // case measured pays for them (store.domains.get on PostgreSQL: 0.52 against 0.18 ms measured later).
  for (let i = 0; i < 2000; i++) await app.inject({ method: 'POST', url: '/domains/d/workflows?max-results=100', headers: h, payload: body });
  await cpuOf('store.domains.get', () => store.domains.get(scope, 'd'));
  await cpuOf('store.workflows.listItems (101 rows)', () => store.workflows.listItems({ scope, domainName: 'd', filter, limit: 101 }));
  // The handler's parts beyond the page read: the page's flows, the descriptions, the page token.
  const items = await store.workflows.listItems({ scope, domainName: 'd', filter, limit: 101 });
  const completed = items.slice(0, 100).filter((w) => w.status === 'COMPLETE').map((w) => w.workflowId);
  const flows = new Map((await store.flows.byWorkflows(scope, 'd', completed)).map((f) => [f.workflowId, f]));
  await cpuOf(`store.flows.byWorkflows (${completed.length} ids)`, () => store.flows.byWorkflows(scope, 'd', completed));
  await cpuOf('describeWorkflow × 100', () => {
    for (const w of items.slice(0, 100)) describeWorkflow(w, w.status === 'COMPLETE' ? describeOngoing(flows.get(w.workflowId)) : undefined);
  });
  const tokens = new PageTokens(await store.pageTokenSecret());
  await cpuOf('page token issued', () => tokens.issue(['ListWorkflows', scope, 'd', filter], [items[99].createdAt, items[99].workflowId]));
  await cpuOf('ListWorkflows handler (store included)', () => operations.ListWorkflows(ctx, input as never));
  await cpuOf('serializeOutput (JSON text) + Buffer.from', () => Buffer.from(serializeOutput('ListWorkflows', output)));
  await cpuOf('whole request through app.inject', () =>
    app.inject({ method: 'POST', url: '/domains/d/workflows?max-results=100', headers: h, payload: body }),
  );
  // GetWorkflow, the smallest request with a database read: what a request costs beyond its store call.
  const getInput = { DomainName: 'd', WorkflowId: template };
  await cpuOf('store.workflows.get', () => store.workflows.get({ scope, domainName: 'd', workflowId: template }));
  await cpuOf('GetWorkflow handler (store included)', () => operations.GetWorkflow(ctx, getInput as never));
  await cpuOf('GetWorkflow through app.inject', () => app.inject({ method: 'GET', url: `/domains/d/workflows/${template}`, headers: AUTH_HEADERS }));
  // GetWorkflowSteps, 100 of the template's 200 steps.
  const stepsInput = { DomainName: 'd', WorkflowId: template, MaxResults: 100 };
  const stepsOutput = await operations.GetWorkflowSteps(ctx, stepsInput as never);
  await cpuOf('store.workflows.stepPage (101 rows)', () => store.workflows.stepPage({ scope, domainName: 'd', workflowId: template, limit: 101 }));
  await cpuOf('GetWorkflowSteps handler (store included)', () => operations.GetWorkflowSteps(ctx, stepsInput as never));
  await cpuOf('GetWorkflowSteps serializeOutput + Buffer.from', () => Buffer.from(serializeOutput('GetWorkflowSteps', stepsOutput)));
  await cpuOf('GetWorkflowSteps through app.inject', () =>
    app.inject({ method: 'GET', url: `/domains/d/workflows/${template}/steps?max-results=100`, headers: AUTH_HEADERS }),
  );
  await app.close();
  await store.close();
}
