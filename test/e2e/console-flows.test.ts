/**
 * The console's flow pages in headless Chromium against a live server: the flows list, a flow's page
 * (trigger, schedule, source, destination, its author), the link from the workflow that created a flow,
 * and error banners that replace (never sit above) an empty table. Screenshots go to
 * test-results/console/ (gitignored).
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type AppflowClient, CreateFlowCommand, DescribeFlowExecutionRecordsCommand, StartFlowCommand } from '@aws-sdk/client-appflow';
import { GetWorkflowCommand } from '@aws-sdk/client-customer-profiles';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { ManualClock } from '../../src/engine/clock.js';
import { CONSOLE_PATH, DEFAULT_CONSOLE_ROOT } from '../../src/server/console-routes.js';
import { appflowClient } from '../helpers/appflow.js';
import { browserSkip, CHROMIUM } from '../helpers/browser.js';
import { startServer, TEST_ACCOUNT, TEST_REGION, type TestServer } from '../helpers/server.js';
import { consecutiveBatches, createWorkflow, setupWorkflowEnv, type WorkflowEnv } from '../helpers/workflows.js';

const SHOTS = join('test-results', 'console');
const WAIT_MS = 15_000;

describe('web console: flows', { skip: browserSkip() }, () => {
  const clock = new ManualClock(Date.UTC(2026, 0, 5, 9, 0, 0));
  let s: TestServer;
  let af: AppflowClient;
  let browser: Browser;
  let env: WorkflowEnv;
  let workflowId = '';
  const pageErrors: string[] = [];

  before(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`Chromium is needed for the console test and ${CHROMIUM} does not exist.`);
    if (!existsSync(join(DEFAULT_CONSOLE_ROOT, 'index.html'))) throw new Error('The console is not built: run `npm run build` first.');
    mkdirSync(SHOTS, { recursive: true });
    s = await startServer('sqlite', { clock });
    af = appflowClient(s.url);
    env = await setupWorkflowEnv(s, 'flows-shop');
    // A workflow that completes creates its integration and the flow of its FlowDefinition's FlowName.
    workflowId = await createWorkflow(s.client, { env, Batches: consecutiveBatches(Date.UTC(2026, 0, 3), 1), FlowName: 'wf-contacts' });
    await s.engine.runUntilIdle();
    assert.equal((await s.client.send(new GetWorkflowCommand({ DomainName: env.domain, WorkflowId: workflowId }))).Status, 'COMPLETE');
    // A scheduled flow made through AppFlow itself: Draft until started.
    await af.send(
      new CreateFlowCommand({
        flowName: 'hourly-tickets',
        description: 'Support tickets every hour',
        triggerConfig: {
          triggerType: 'Scheduled',
          triggerProperties: { Scheduled: { scheduleExpression: 'rate(1hours)', dataPullMode: 'Incremental', scheduleStartTime: new Date('2026-02-01T00:00:00Z') } },
        },
        sourceFlowConfig: { connectorType: 'S3', sourceConnectorProperties: { S3: { bucketName: 'crm-exports', bucketPrefix: 'tickets/' } } },
        destinationFlowConfigList: [{ connectorType: 'CustomerProfiles', destinationConnectorProperties: { CustomerProfiles: { domainName: env.domain, objectTypeName: env.objectType } } }],
        tasks: [{ taskType: 'Map', sourceFields: ['Id'], destinationField: 'Id', connectorOperator: { S3: 'NO_OP' } }],
      }),
    );
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  });

  after(async () => {
    await browser?.close();
    af?.destroy();
    await s?.close();
    assert.deepEqual(pageErrors, [], 'no script errors on any page');
  });

  async function open(path: string): Promise<{ context: BrowserContext; page: Page }> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 860 }, locale: 'en-US', timezoneId: 'UTC', colorScheme: 'light' });
    const page = await context.newPage();
    page.setDefaultTimeout(WAIT_MS);
    page.on('pageerror', (err) => pageErrors.push(`${path}: ${err.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) pageErrors.push(`${path}: ${message.text()}`);
    });
    await page.goto(`${s.url}${CONSOLE_PATH}${path}`);
    return { context, page };
  }

  const shot = (page: Page, name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
  const noOverflow = async (page: Page) =>
    assert.equal(await page.evaluate('document.documentElement.scrollWidth <= document.documentElement.clientWidth'), true, 'no horizontal overflow at 1280 px');

  test('the flows list: both flows with status, trigger, source and destination; the workflow-made one links to its workflow', async () => {
    const { context, page } = await open('/');
    try {
      await page.getByRole('link', { name: 'Flows', exact: true }).click();
      await page.getByRole('heading', { name: 'Flows', level: 1 }).waitFor();
      const rows = page.locator('tbody tr[data-flow]');
      await page.locator('tr[data-flow="hourly-tickets"]').waitFor();
      assert.deepEqual((await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-flow')))).sort(), ['hourly-tickets', 'wf-contacts']);
      const hourly = page.locator('tr[data-flow="hourly-tickets"]');
      assert.equal((await hourly.locator('.badge').first().textContent())?.trim(), 'Draft');
      assert.match((await hourly.textContent()) ?? '', /Scheduled\s*S3\s*CustomerProfiles\s*Never run/);
      const made = page.locator('tr[data-flow="wf-contacts"]');
      assert.equal((await made.locator('.badge').first().textContent())?.trim(), 'Active');
      assert.match((await made.textContent()) ?? '', /OnDemand\s*Salesforce\s*CustomerProfiles/);
      assert.equal(
        await made.getByRole('link', { name: `workflow ${workflowId}` }).getAttribute('href'),
        `${CONSOLE_PATH}/domains/${env.domain}/workflows/${workflowId}`,
      );
      await noOverflow(page);
      await shot(page, '20-flows');

      await hourly.getByRole('link', { name: 'hourly-tickets' }).click();
      await page.getByRole('heading', { name: 'Flow hourly-tickets', level: 1 }).waitFor();
      assert.equal(new URL(page.url()).pathname, `${CONSOLE_PATH}/flows/hourly-tickets`);
      assert.equal((await page.locator('[data-fact="trigger"]').textContent())?.trim(), 'Scheduled');
      assert.match((await page.locator('[data-fact="schedule"]').textContent()) ?? '', /^rate\(1hours\) from Feb 1, 2026, 12:00:00 AM, incremental pulls$/);
      assert.equal((await page.locator('[data-fact="source"]').textContent())?.trim(), 'S3, s3://crm-exports/tickets/');
      assert.equal((await page.locator('[data-fact="destination"]').textContent())?.trim(), `CustomerProfiles domain ${env.domain}, object type ${env.objectType}`);
      assert.equal((await page.locator('[data-fact="created-by"]').textContent())?.trim(), `arn:aws:iam::${TEST_ACCOUNT}:root`);
      assert.equal(await page.getByText(`arn:aws:appflow:${TEST_REGION}:${TEST_ACCOUNT}:flow/hourly-tickets`).count(), 1);
      await page.getByText('Support tickets every hour').waitFor();
      await noOverflow(page);
    } finally {
      await context.close();
    }
  });

  test("a completed workflow's page links to the flow it created, and the flow's page back to the workflow", async () => {
    const { context, page } = await open(`/domains/${env.domain}/workflows/${workflowId}`);
    try {
      const link = page.locator('[data-fact="flow"]').getByRole('link', { name: 'wf-contacts' });
      await link.waitFor();
      await link.click();
      await page.getByRole('heading', { name: 'Flow wf-contacts', level: 1 }).waitFor();
      assert.equal((await page.locator('[data-fact="trigger"]').textContent())?.trim(), 'OnDemand');
      assert.equal((await page.locator('[data-fact="source"]').textContent())?.trim(), `Salesforce via ${env.profile}, object Contact`);
      assert.equal((await page.locator('[data-fact="destination"]').textContent())?.trim(), `CustomerProfiles domain ${env.domain}, object type ${env.objectType}`);
      await noOverflow(page);
      await shot(page, '21-flow-from-workflow');
      await page.locator('[data-fact="created-by"]').getByRole('link', { name: `workflow ${workflowId}` }).click();
      await page.getByRole('heading', { name: `Workflow ${workflowId}` }).waitFor();
    } finally {
      await context.close();
    }
  });

  test("a flow's real runs: the table and chart show what DescribeFlowExecutionRecords answers; a new run is followed to its end", async () => {
    // Two runs of the workflow's flow, six hours apart: each reads on from where the last one ended.
    const first = (await af.send(new StartFlowCommand({ flowName: 'wf-contacts' }))).executionId!;
    await s.engine.runUntilIdle();
    clock.advance(6 * 3_600_000);
    const second = (await af.send(new StartFlowCommand({ flowName: 'wf-contacts' }))).executionId!;
    await s.engine.runUntilIdle();
    const served = (await af.send(new DescribeFlowExecutionRecordsCommand({ flowName: 'wf-contacts' }))).flowExecutions ?? [];
    const byId = new Map(served.map((r) => [r.executionId, r]));
    assert.deepEqual([byId.get(first)?.executionStatus, byId.get(second)?.executionStatus], ['Successful', 'Successful']);
    const recordsOf = (id: string) => byId.get(id)?.executionResult?.recordsProcessed ?? -1;
    assert.ok(recordsOf(first) > recordsOf(second) && recordsOf(second) > 0, `the first run read more than the second: ${recordsOf(first)}, ${recordsOf(second)}`);

    const { context, page } = await open('/flows/wf-contacts');
    try {
      const rows = page.locator('table.runs tbody tr[data-execution-id]');
      await page.locator(`tr[data-execution-id="${second}"]`).waitFor();
      assert.deepEqual(await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-execution-id'))), [second, first], 'newest first');
      for (const id of [first, second]) {
        const row = page.locator(`tr[data-execution-id="${id}"]`);
        assert.equal(await row.getAttribute('data-status'), 'Successful');
        assert.equal((await row.locator('[data-metric="records"]').textContent())?.trim(), String(recordsOf(id)));
        const window = byId.get(id)!;
        assert.deepEqual(await row.locator('.window time').evaluateAll((ts) => ts.map((t) => t.getAttribute('datetime'))), [window.dataPullStartTime!.toISOString(), window.dataPullEndTime!.toISOString()]);
      }
      assert.deepEqual(await page.locator('.runs-chart g.run').evaluateAll((gs) => gs.map((g) => `${g.getAttribute('data-execution-id')}:${g.getAttribute('data-records')}`)), [
        `${first}:${recordsOf(first)}`,
        `${second}:${recordsOf(second)}`,
      ]);
      await page.locator('[data-live="polling"]').waitFor({ state: 'detached' });
      await noOverflow(page);
      await shot(page, '24-flow-real-runs');

      // A third run, started while the page is open: Refresh shows it in progress, and the page follows it.
      clock.advance(3_600_000);
      const third = (await af.send(new StartFlowCommand({ flowName: 'wf-contacts' }))).executionId!;
      await page.getByRole('button', { name: 'Refresh' }).click();
      await page.locator(`tr[data-execution-id="${third}"][data-status="InProgress"]`).waitFor();
      await page.locator('[data-live="polling"]', { hasText: 'Refreshing every 2 s' }).waitFor();
      await page.evaluate('window.__notReloaded = true');
      await s.engine.runUntilIdle();
      await page.locator(`tr[data-execution-id="${third}"][data-status="Successful"]`).waitFor();
      assert.equal(await page.evaluate('window.__notReloaded'), true);
      assert.equal(await page.locator('.runs-chart g.run').count(), 3);
    } finally {
      await context.close();
    }
  });

  test('run history as the model shapes it: a chart and a table, newest first, followed while a run is in progress', async () => {
    // DescribeFlowExecutionRecords answers in the model's wire form (timestamps in epoch seconds), here
    // scripted at the browser's edge so the page's reading of every member is pinned, whatever the engine does.
    const at = (iso: string) => Date.parse(iso) / 1000;
    const run = (id: string, status: string, started: string, records: number, extra: Record<string, unknown> = {}) => ({
      executionId: id,
      executionStatus: status,
      startedAt: at(started),
      lastUpdatedAt: at(started) + 90,
      dataPullStartTime: at(started) - 3600,
      dataPullEndTime: at(started),
      executionResult: { recordsProcessed: records, bytesProcessed: records * 100, ...extra },
    });
    let answer = [
      run('exec-1', 'Successful', '2026-02-01T01:00:00Z', 120),
      run('exec-2', 'Error', '2026-02-01T02:00:00Z', 0, { errorInfo: { putFailuresCount: 0, executionMessage: 'The source refused the read.' } }),
      run('exec-3', 'InProgress', '2026-02-01T03:00:00Z', 35),
    ];
    let reads = 0;
    const { context, page } = await open('/');
    try {
      await page.route('**/describe-flow-execution-records', async (route) => {
        reads += 1;
        assert.equal(JSON.parse(route.request().postData() ?? '{}').flowName, 'hourly-tickets');
        await route.fulfill({ status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ flowExecutions: answer }) });
      });
      await page.goto(`${s.url}${CONSOLE_PATH}/flows/hourly-tickets`);
      const rows = page.locator('table.runs tbody tr[data-execution-id]');
      await rows.first().waitFor();
      assert.deepEqual(await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-execution-id'))), ['exec-3', 'exec-2', 'exec-1'], 'newest first');
      const cells = async (id: string) =>
        page.locator(`tr[data-execution-id="${id}"]`).evaluate((tr) => [...tr.querySelectorAll('th, td')].map((c) => (c.textContent ?? '').replace(/\s+/g, ' ').trim()));
      assert.deepEqual(await cells('exec-1'), ['exec-1', 'Successful', 'Feb 1, 2026 1:00:00 AM', 'Feb 1, 2026 1:01:30 AM', '2026-02-01 00:00 UTC → 2026-02-01 01:00 UTC', '120', '']);
      assert.deepEqual(await cells('exec-2'), ['exec-2', 'Error', 'Feb 1, 2026 2:00:00 AM', 'Feb 1, 2026 2:01:30 AM', '2026-02-01 01:00 UTC → 2026-02-01 02:00 UTC', '0', 'The source refused the read.']);
      assert.deepEqual((await cells('exec-3')).slice(0, 4), ['exec-3', 'In progress', 'Feb 1, 2026 3:00:00 AM', '—'], 'a run in progress has no end yet');
      assert.equal(await page.locator('tr[data-execution-id="exec-2"]').getAttribute('class'), 'row-failed');

      const dots = page.locator('.runs-chart g.run');
      assert.deepEqual(await dots.evaluateAll((gs) => gs.map((g) => `${g.getAttribute('data-execution-id')}:${g.getAttribute('data-records')}:${g.getAttribute('class')}`)), [
        'exec-1:120:run status-successful',
        'exec-2:0:run status-error',
        'exec-3:35:run status-inprogress',
      ]);
      // Later runs sit further right, and more records higher up.
      const xs = await dots.evaluateAll((gs) => gs.map((g) => Number(g.querySelector('circle')!.getAttribute('cx'))));
      assert.ok(xs[0] < xs[1] && xs[1] < xs[2], `x grows with time: ${xs.join()}`);
      const ys = await dots.evaluateAll((gs) => gs.map((g) => Number(g.querySelector('circle')!.getAttribute('cy'))));
      assert.ok(ys[0] < ys[2] && ys[2] < ys[1], `y grows with records: ${ys.join()}`);
      assert.match((await page.locator('.runs-chart figcaption').textContent()) ?? '', /^155 records over 3 runs/);
      await page.locator('[data-live="polling"]', { hasText: 'Refreshing every 2 s' }).waitFor();
      await noOverflow(page);
      await shot(page, '23-flow-runs');

      // The run ends: the page follows it without a reload, then stops re-reading.
      await page.evaluate('window.__notReloaded = true');
      answer = answer.map((r) => (r.executionId === 'exec-3' ? { ...r, executionStatus: 'Successful', executionResult: { recordsProcessed: 80, bytesProcessed: 8000 } } : r));
      await page.locator('tr[data-execution-id="exec-3"][data-status="Successful"]').waitFor();
      assert.equal((await page.locator('tr[data-execution-id="exec-3"] [data-metric="records"]').textContent())?.trim(), '80');
      assert.equal(await page.evaluate('window.__notReloaded'), true);
      await page.locator('[data-live="polling"]').waitFor({ state: 'detached' });
      const settled = reads;
      const reread = page.waitForResponse('**/describe-flow-execution-records');
      await page.getByRole('button', { name: 'Refresh' }).click();
      await reread;
      assert.equal(reads, settled + 1, 'Refresh reads the runs again');
    } finally {
      await context.close();
    }
  });

  test('a flow that does not exist shows the error alone; a refused run history shows a banner and no empty table or chart', async () => {
    const missing = await open('/flows/no-such-flow');
    try {
      const alert = missing.page.getByRole('alert');
      await alert.waitFor();
      assert.match((await alert.textContent()) ?? '', /^Could not read the flow\. ResourceNotFoundException: .*no-such-flow/);
      assert.equal(await missing.page.locator('table').count(), 0);
      assert.equal(await missing.page.locator('.facts').count(), 0);
    } finally {
      await missing.context.close();
    }

    // The run history refused by the service (as a throttled or failing service would answer it).
    const { context, page } = await open('/');
    try {
      await page.route('**/describe-flow-execution-records', (route) =>
        route.fulfill({ status: 500, headers: { 'content-type': 'application/json', 'x-amzn-errortype': 'InternalServerException' }, body: JSON.stringify({ message: 'The run history is unavailable.' }) }),
      );
      await page.goto(`${s.url}${CONSOLE_PATH}/flows/hourly-tickets`);
      const alert = page.getByRole('alert');
      await alert.waitFor();
      assert.equal((await alert.textContent())?.trim(), "Could not read the flow's runs. InternalServerException: The run history is unavailable.");
      await page.locator('[data-fact="trigger"]').waitFor();
      assert.equal(await page.locator('table.runs').count(), 0, 'no empty runs table under the banner');
      assert.equal(await page.locator('.runs-chart').count(), 0, 'no empty chart either');
      await shot(page, '22-flow-runs-refused');
    } finally {
      await context.close();
    }

    // The flows list refused: a banner, no table.
    const listed = await open('/');
    try {
      await listed.page.route('**/list-flows', (route) =>
        route.fulfill({ status: 429, headers: { 'content-type': 'application/json', 'x-amzn-errortype': 'ThrottlingException' }, body: JSON.stringify({ message: 'Slow down.' }) }),
      );
      await listed.page.goto(`${s.url}${CONSOLE_PATH}/flows`);
      const alert = listed.page.getByRole('alert');
      await alert.waitFor({ timeout: 20_000 });
      assert.equal((await alert.textContent())?.trim(), 'Could not list the flows. ThrottlingException: Slow down.');
      assert.equal(await listed.page.locator('table').count(), 0);
    } finally {
      await listed.context.close();
    }
  });
});
