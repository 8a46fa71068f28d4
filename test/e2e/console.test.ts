/**
 * The web console in headless Chromium against a live server (manual engine, manual clock): data made
 * through the official SDK and the admin routes, read back through the console's pages; a running
 * workflow followed live through the event stream, and through polling when the stream is refused.
 * Screenshots go to test-results/console/ (gitignored).
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { CreateDomainCommand, CreateProfileCommand, GetDomainCommand, GetWorkflowCommand } from '@aws-sdk/client-customer-profiles';
import Fastify from 'fastify';
import { type Browser, type BrowserContext, chromium, type Locator, type Page } from 'playwright-core';
import { ManualClock } from '../../src/engine/clock.js';
import { CONSOLE_PATH, DEFAULT_CONSOLE_ROOT, registerConsoleRoutes } from '../../src/server/console-routes.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { SseClient } from '../helpers/sse.js';
import { consecutiveBatches, createWorkflow, putConnectorProfile, setupWorkflowEnv, uniqueProfileName, type WorkflowEnv } from '../helpers/workflows.js';
import { browserSkip, CHROMIUM } from '../helpers/browser.js';
import { until as pollUntil } from '../helpers/poll.js';

const SHOTS = join('test-results', 'console');
/** 24 records a day, 12 to a page: a one-day step reads in two pages. */
const PAGE_SIZE = 12;
const WAIT_MS = 15_000;

/** The suite's polling helper with this file's deadline. */
function until(probe: () => Promise<boolean>, what: string, deadlineMs = WAIT_MS): Promise<void> {
  return pollUntil(probe, what, deadlineMs);
}

async function rowIds(rows: Locator, attribute: string): Promise<string[]> {
  const ids: string[] = [];
  for (const row of await rows.all()) ids.push((await row.getAttribute(attribute, { timeout: 1000 })) ?? '');
  return ids.sort();
}

function rawGet(url: string, path: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: hostname, port, path, method: 'GET', headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('web console', { skip: browserSkip() }, () => {
  const clock = new ManualClock(Date.UTC(2026, 0, 5, 9, 0, 0));
  let s: TestServer;
  let browser: Browser;
  let env: WorkflowEnv;
  const ids = { complete: '', failed: '', running: '', polled: '' };
  let profileId = '';
  const pageErrors: string[] = [];
  /**
   * A stream the test holds open for the whole run: the service's change feed then stays primed, so a
   * stream the console opens sees every change made after it opened; without it, a change in the instant
   * the feed primes itself for a first subscriber would reach the page only through its follow-up read.
   */
  let keeper: SseClient | undefined;

  before(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(`Chromium is needed for the console test and ${CHROMIUM} does not exist: install it (apt-get install chromium) or set PROFILEFLOW_CHROMIUM.`);
    }
    if (!existsSync(join(DEFAULT_CONSOLE_ROOT, 'index.html'))) {
      throw new Error(`The console is not built (${DEFAULT_CONSOLE_ROOT}index.html is missing): run \`npm run build\` first.`);
    }
    mkdirSync(SHOTS, { recursive: true });
    s = await startServer('sqlite', { clock, engine: { pageSize: PAGE_SIZE } });

    env = await setupWorkflowEnv(s, 'console-shop');
    await s.client.send(new CreateDomainCommand({ DomainName: 'console-quiet', DefaultExpirationDays: 7 }));

    // COMPLETE: one day, run to the end.
    ids.complete = await createWorkflow(s.client, { env, Batches: consecutiveBatches(Date.UTC(2025, 0, 1), 1), FlowName: 'done-flow' });
    await s.engine.runUntilIdle();
    // FAILED: its source fails every read of the first page.
    clock.advance(60_000);
    const failing = uniqueProfileName('console-failing');
    await putConnectorProfile(s, failing, { faults: [{ page: 1, kind: 'permanent' }] });
    ids.failed = await createWorkflow(s.client, { env: { ...env, profile: failing }, Batches: consecutiveBatches(Date.UTC(2025, 1, 1), 1), FlowName: 'failing-flow' });
    await s.engine.runUntilIdle();
    // NOT_STARTED: two days, two steps of two pages each; the test runs it page by page.
    clock.advance(60_000);
    ids.running = await createWorkflow(s.client, { env, Batches: consecutiveBatches(Date.UTC(2025, 2, 1), 1, 1), FlowName: 'running-flow' });

    for (const [id, status] of [[ids.complete, 'COMPLETE'], [ids.failed, 'FAILED'], [ids.running, 'NOT_STARTED']] as const) {
      const out = await s.client.send(new GetWorkflowCommand({ DomainName: env.domain, WorkflowId: id }));
      assert.equal(out.Status, status, `workflow ${id} is ${status} before the console looks`);
    }

    const created = await s.client.send(
      new CreateProfileCommand({ DomainName: env.domain, FirstName: 'Ada', LastName: 'Lovelace', EmailAddress: 'ada@example.com', PhoneNumber: '+1 206 555 0100', AccountNumber: 'ACC-1815' }),
    );
    profileId = created.ProfileId ?? '';
    assert.ok(profileId);

    keeper = await SseClient.open(`${s.url}/_profileflow/events`);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  });

  after(async () => {
    await browser?.close();
    await keeper?.close();
    await s?.close();
  });

  async function open(path: string, options: { width?: number; height?: number } = {}): Promise<{ context: BrowserContext; page: Page }> {
    const context = await browser.newContext({
      viewport: { width: options.width ?? 1280, height: options.height ?? 860 },
      locale: 'en-US',
      timezoneId: 'UTC',
      colorScheme: 'light',
    });
    const page = await context.newPage();
    page.setDefaultTimeout(WAIT_MS);
    page.on('pageerror', (err) => pageErrors.push(`${path}: ${err.message}`));
    const traffic: string[] = [];
    trafficOf.set(page, traffic);
    page.on('response', (r) => {
      if (r.status() >= 400) traffic.push(`${r.status()} ${r.request().method()} ${r.url()}`);
    });
    page.on('requestfailed', (r) => traffic.push(`failed ${r.method()} ${r.url()}: ${r.failure()?.errorText ?? ''}`));
    page.on('console', (message) => {
      // A refused request is logged by the browser itself; anything else in red is the console's fault.
      if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) pageErrors.push(`${path}: ${message.text()}`);
    });
    await page.goto(`${s.url}${CONSOLE_PATH}${path}`);
    return { context, page };
  }

  /** Each opened page's refused and failed requests, for the message of a wait that runs out. */
  const trafficOf = new WeakMap<Page, string[]>();

  /** Waits for `selector`; if it never shows, the error says what the page drew and which requests went wrong. */
  async function ready(page: Page, selector: string): Promise<void> {
    try {
      await page.locator(selector).first().waitFor();
    } catch (err) {
      const drawn = ((await page.evaluate('document.body.innerText').catch(() => '')) as string).slice(0, 2000);
      const traffic = trafficOf.get(page) ?? [];
      throw new Error(`${selector} never showed on ${page.url()}: ${(err as Error).message}\nrequests refused or failed: ${traffic.join('; ') || 'none'}\nthe page drew:\n${drawn}`);
    }
  }

  const shot = (page: Page, name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });

  test('the domains page lists every domain with the Stats GetDomain answers, a page at a time', async () => {
    const stats = (await s.client.send(new GetDomainCommand({ DomainName: env.domain }))).Stats!;
    assert.ok((stats.ProfileCount ?? 0) > 0 && (stats.ObjectCount ?? 0) > 0, 'the domain has profiles and objects');
    const { context, page } = await open('/?pageSize=1');
    try {
      const rows = page.locator('tbody tr[data-domain]');
      await rows.first().waitFor();
      assert.equal(await rows.count(), 1, 'one domain per page with ?pageSize=1');
      await page.getByRole('button', { name: 'Load more domains' }).click();
      await until(async () => (await rows.count()) === 2, 'the second page of domains');
      assert.deepEqual(await rowIds(rows, 'data-domain'), ['console-quiet', 'console-shop']);
      assert.equal(await page.getByRole('button', { name: 'Load more domains' }).count(), 0, 'no more pages');

      const shop = page.locator('tr[data-domain="console-shop"]');
      await shop.locator('[data-stat="profiles"]', { hasText: new RegExp(`^${stats.ProfileCount}$`) }).waitFor();
      assert.equal((await shop.locator('[data-stat="objects"]').textContent())?.trim(), String(stats.ObjectCount));
      await page.locator('tr[data-domain="console-quiet"] [data-stat="profiles"]', { hasText: /^0$/ }).waitFor();
      assert.equal(await page.getByRole('columnheader', { name: 'Profiles' }).count(), 1, 'a real table with column headers');
      await shot(page, '01-domains');

      await page.getByRole('link', { name: 'console-shop' }).click();
      await page.getByRole('heading', { name: 'console-shop', level: 1 }).waitFor();
      assert.equal(new URL(page.url()).pathname, `${CONSOLE_PATH}/domains/console-shop/workflows`);
    } finally {
      await context.close();
    }
  });

  test("a domain's workflows: status, progress bars, failed ones standing out, and the status filter", async () => {
    const { context, page } = await open('/domains/console-shop/workflows');
    try {
      const rows = page.locator('tbody tr[data-workflow-id]');
      await until(async () => (await rows.count()) === 3, 'three workflows');
      assert.deepEqual(await rowIds(rows, 'data-workflow-id'), [ids.complete, ids.failed, ids.running].sort());

      const row = (id: string) => page.locator(`tr[data-workflow-id="${id}"]`);
      await row(ids.complete).locator('[role="progressbar"][aria-valuetext="1 of 1 step · 24 records"]').waitFor();
      await row(ids.running).locator('[role="progressbar"][aria-valuetext="0 of 2 steps · 0 records"]').waitFor();
      await row(ids.failed).locator('[role="progressbar"][aria-valuetext="0 of 1 step · 0 records"]').waitFor();
      assert.equal(await row(ids.failed).getAttribute('class'), 'row-failed', 'the failed workflow stands out');
      assert.equal(await row(ids.complete).getAttribute('class'), null);
      assert.equal((await row(ids.failed).locator('.badge').textContent())?.trim(), 'Failed');
      const failure = (await s.client.send(new GetWorkflowCommand({ DomainName: env.domain, WorkflowId: ids.failed }))).ErrorDescription;
      assert.ok(failure);
      assert.equal((await row(ids.failed).locator('td.message').textContent())?.trim(), failure, 'the failure as GetWorkflow tells it');
      assert.equal(await row(ids.complete).locator('time').count(), 2, 'created and updated times');
      await shot(page, '02-workflows');

      const filter = page.getByLabel('Status');
      await filter.selectOption('FAILED');
      await until(async () => (await rowIds(rows, 'data-workflow-id')).join() === ids.failed, 'only the failed workflow');
      assert.equal(new URL(page.url()).searchParams.get('status'), 'FAILED');
      await shot(page, '03-workflows-failed');
      await filter.selectOption('COMPLETE');
      await until(async () => (await rowIds(rows, 'data-workflow-id')).join() === ids.complete, 'only the complete workflow');
      await filter.selectOption('IN_PROGRESS');
      await page.locator('td.empty', { hasText: 'No in progress workflows in console-shop.' }).waitFor();
      await filter.selectOption('');
      await until(async () => (await rows.count()) === 3, 'all three again');

      await page.goto(`${s.url}${CONSOLE_PATH}/domains/console-shop/workflows?status=NOT_STARTED&pageSize=1`);
      await until(async () => (await rowIds(rows, 'data-workflow-id')).join() === ids.running, 'the filter read from the address');
      assert.equal(await filter.inputValue(), 'NOT_STARTED');
    } finally {
      await context.close();
    }
  });

  test('a running workflow advances live through the event stream, in the list and on its own page, without a reload', async () => {
    const eventStreams: string[] = [];
    const { context, page } = await open('/domains/console-shop/workflows');
    page.on('request', (r) => {
      if (r.url().includes('/_profileflow/events')) eventStreams.push(r.url());
    });
    try {
      await page.locator('[data-live="live"]').waitFor();
      const bar = page.locator(`tr[data-workflow-id="${ids.running}"] [role="progressbar"]`);
      await page.locator(`tr[data-workflow-id="${ids.running}"] [role="progressbar"][aria-valuetext="0 of 2 steps · 0 records"]`).waitFor();
      await page.evaluate('window.__notReloaded = true');

      clock.advance(1000);
      await s.engine.advance({ pages: 1 });
      await until(async () => (await bar.getAttribute('aria-valuetext', { timeout: 1000 })) === '0 of 2 steps · 12 records', 'page 1 in the list');
      await page.locator(`tr[data-workflow-id="${ids.running}"][data-status="IN_PROGRESS"]`).waitFor();
      clock.advance(1000);
      await s.engine.advance({ pages: 1 });
      await until(async () => (await bar.getAttribute('aria-valuetext', { timeout: 1000 })) === '1 of 2 steps · 24 records', 'page 2 in the list');
      assert.equal(await bar.getAttribute('aria-valuenow'), '1');
      assert.equal(await page.evaluate('window.__notReloaded === true'), true, 'no reload');
      await shot(page, '04-workflows-live');

      await page.getByRole('link', { name: ids.running }).click();
      await page.getByRole('heading', { name: `Workflow ${ids.running}` }).waitFor();
      await page.locator('[data-live="live"]').waitFor();
      const summary = page.getByRole('progressbar', { name: 'Workflow progress' });
      await until(async () => (await summary.getAttribute('aria-valuetext', { timeout: 1000 })) === '1 of 2 steps · 24 records', 'the summary after page 2');
      const steps = page.locator('table.steps tbody tr[data-step]');
      await until(async () => (await steps.count()) === 2, 'two steps');
      await page.locator('tr[data-step="1"][data-status="COMPLETE"] [data-metric="records"]:text-is("24")').waitFor();
      assert.equal((await page.locator('tr[data-step="1"] .window').textContent())?.trim(), '2025-03-01 00:00 UTC → 2025-03-02 00:00 UTC');
      assert.match((await page.locator('tr[data-step="1"] td.message').textContent()) ?? '', /\S/, 'the ExecutionMessage is shown');
      await page.locator('tr[data-step="2"][data-status="NOT_STARTED"]').waitFor();

      clock.advance(1000);
      await s.engine.advance({ pages: 1 });
      await until(async () => (await summary.getAttribute('aria-valuetext', { timeout: 1000 })) === '1 of 2 steps · 36 records', 'page 3 on the workflow page');
      await page.locator('tr[data-step="2"][data-status="IN_PROGRESS"] [data-metric="records"]:text-is("12")').waitFor();
      await page.locator('.chart .bar[data-step="2"][data-records="12"]').waitFor();
      // Each step's own progress: the running one by the share of its window read, never the share of the largest step.
      const stepBar = page.getByRole('progressbar', { name: 'Step 2 progress' });
      await until(async () => (await stepBar.getAttribute('aria-valuetext', { timeout: 1000 })) === '12 records, 50% of the window read', 'step 2 half read');
      assert.equal(await stepBar.getAttribute('aria-valuenow'), '50');
      assert.equal(await page.getByRole('progressbar', { name: 'Step 1 progress' }).getAttribute('aria-valuenow'), '100');
      await shot(page, '05-workflow-running');

      clock.advance(1000);
      await s.engine.advance({ pages: 1 });
      await until(async () => (await summary.getAttribute('aria-valuetext', { timeout: 1000 })) === '2 of 2 steps · 48 records', 'the last page');
      await page.locator('.summary[data-status="COMPLETE"]').waitFor();
      await page.locator('tr[data-step="2"][data-status="COMPLETE"] [data-metric="records"]:text-is("24")').waitFor();
      for (const step of ['1', '2']) await page.locator(`.chart .bar.status-complete[data-step="${step}"][data-records="24"]`).waitFor();
      assert.equal(await page.evaluate('window.__notReloaded === true'), true, 'still no reload');
      await shot(page, '06-workflow-complete');

      assert.ok(eventStreams.some((u) => new URL(u).searchParams.get('workflowId') === ids.running), `the workflow page listened to its events: ${eventStreams.join(' ')}`);
      assert.ok(eventStreams.every((u) => new URL(u).searchParams.get('accountId') === '000000000000' && new URL(u).searchParams.get('region') === 'us-east-1'));
      const out = await s.client.send(new GetWorkflowCommand({ DomainName: env.domain, WorkflowId: ids.running }));
      assert.equal(out.Status, 'COMPLETE');
      assert.equal(out.Metrics?.AppflowIntegration?.RecordsProcessed, 48);
    } finally {
      await context.close();
    }
  });

  test('without the event stream the workflow page falls back to polling and still follows the run', async () => {
    clock.advance(60_000);
    ids.polled = await createWorkflow(s.client, { env, Batches: consecutiveBatches(Date.UTC(2025, 4, 1), 1), FlowName: 'polled-flow' });
    const context = await browser.newContext({ viewport: { width: 1280, height: 860 }, locale: 'en-US', timezoneId: 'UTC' });
    const refused: string[] = [];
    await context.route(/\/_profileflow\/events/, (route) => {
      refused.push(route.request().url());
      return route.fulfill({ status: 404, contentType: 'application/json', body: '{"Message":"No events here."}' });
    });
    const page = await context.newPage();
    page.setDefaultTimeout(WAIT_MS);
    page.on('pageerror', (err) => pageErrors.push(`polling: ${err.message}`));
    try {
      await page.goto(`${s.url}${CONSOLE_PATH}/domains/console-shop/workflows/${ids.polled}`);
      await page.locator('[data-live="polling"]').waitFor();
      const summary = page.getByRole('progressbar', { name: 'Workflow progress' });
      await until(async () => (await summary.getAttribute('aria-valuetext', { timeout: 1000 })) === '0 of 1 step · 0 records', 'not started');

      clock.advance(1000);
      await s.engine.advance({ pages: 1 });
      await until(async () => (await summary.getAttribute('aria-valuetext', { timeout: 1000 })) === '0 of 1 step · 12 records', 'page 1 by polling');
      clock.advance(1000);
      await s.engine.advance({ pages: 1 });
      await until(async () => (await summary.getAttribute('aria-valuetext', { timeout: 1000 })) === '1 of 1 step · 24 records', 'page 2 by polling');
      await page.locator('.summary[data-status="COMPLETE"]').waitFor();
      assert.ok(refused.length >= 1, 'the console asked for the event stream first');
      await shot(page, '07-workflow-polling');
    } finally {
      await context.close();
    }
  });

  test('object types: the list, then one with its fields and keys', async () => {
    const { context, page } = await open('/domains/console-shop/object-types');
    try {
      const row = page.locator('tr[data-object-type="Contact"]');
      await row.waitFor();
      assert.equal((await row.locator('td').first().textContent())?.trim(), 'Contacts ingested by integration workflows');
      await row.getByRole('link', { name: 'Contact' }).click();
      await page.getByRole('heading', { name: 'Object type Contact' }).waitFor();
      const email = page.locator('tr[data-field="Email"]');
      await email.waitFor();
      assert.deepEqual(await email.locator('td').allTextContents(), ['_source.Email', '_profile.EmailAddress', 'EMAIL_ADDRESS']);
      assert.deepEqual(await page.locator('tr[data-field="Id"] td').allTextContents(), ['_source.Id', '_custom.Id', 'STRING']);
      assert.deepEqual(await page.locator('tr[data-key="Id"] td').allTextContents(), ['UNIQUE, PROFILE', 'Id']);
      await shot(page, '08-object-type');
    } finally {
      await context.close();
    }
  });

  test('profile search finds the profile CreateProfile made, and says so when nothing or an unknown key matches', async () => {
    const { context, page } = await open('/domains/console-shop/profiles');
    try {
      await page.getByLabel('Key name').fill('_email');
      await page.getByLabel('Value').fill('ADA@example.com');
      await page.getByRole('button', { name: 'Search' }).click();
      const found = page.locator(`tr[data-profile-id="${profileId}"]`);
      await found.waitFor();
      assert.equal(await page.locator('table.profiles tbody tr[data-profile-id]').count(), 1);
      const cells = await found.locator('td').allTextContents();
      assert.deepEqual(cells.slice(0, 4), ['Ada Lovelace', 'ada@example.com', '+1 206 555 0100', 'ACC-1815']);
      const url = new URL(page.url());
      assert.equal(url.searchParams.get('key'), '_email');
      assert.equal(url.searchParams.get('value'), 'ADA@example.com');
      await shot(page, '09-profile-search');

      await page.getByLabel('Key name').fill('_phone');
      await page.getByLabel('Value').fill('(206) 555-0100');
      await page.getByRole('button', { name: 'Search' }).click();
      await page.locator('caption', { hasText: '_phone' }).waitFor();
      await found.waitFor();

      await page.getByLabel('Value').fill('nobody@example.com');
      await page.getByRole('button', { name: 'Search' }).click();
      await page.locator('td.empty', { hasText: 'No profile matches.' }).waitFor();

      await page.getByLabel('Key name').fill('NoSuchKey');
      await page.getByRole('button', { name: 'Search' }).click();
      const alert = page.getByRole('alert');
      await alert.waitFor();
      assert.match((await alert.textContent()) ?? '', /BadRequestException: .*NoSuchKey/);
    } finally {
      await context.close();
    }
  });

  test('connector profiles are listed with their secrets masked', async () => {
    const response = await fetch(`${s.url}/_profileflow/connector-profiles/console-crm`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        kind: 'salesforce',
        connectorTypes: ['Salesforce'],
        settings: { instanceUrl: 'https://acme.my.salesforce.com', auth: { flow: 'client_credentials', clientId: 'client-1', clientSecret: 'hunter2-secret-value' } },
      }),
    });
    assert.equal(response.status, 201, await response.text());
    const { context, page } = await open('/connector-profiles');
    try {
      const row = page.locator('tr[data-connector-profile="console-crm"]');
      await row.waitFor();
      assert.equal(await row.locator('td').first().textContent(), 'salesforce');
      const settings = (await row.locator('pre.settings').textContent()) ?? '';
      assert.match(settings, /"clientSecret": "\*\*\*"/);
      assert.doesNotMatch(await page.content(), /hunter2/);
      await page.locator(`tr[data-connector-profile="${env.profile}"]`).waitFor();
      await shot(page, '10-connector-profiles');
    } finally {
      await context.close();
    }
  });

  test('on a phone-sized screen the page does not scroll sideways (tables scroll within their frame)', async () => {
    const { context, page } = await open('/domains/console-shop/workflows', { width: 390, height: 844 });
    try {
      await page.locator('tbody tr[data-workflow-id]').first().waitFor();
      assert.equal(await page.evaluate('document.documentElement.scrollWidth <= document.documentElement.clientWidth'), true);
      await shot(page, '11-workflows-narrow');
    } finally {
      await context.close();
    }
  });

  test('the region selector reads another region: none of these domains there', async () => {
    const { context, page } = await open('/');
    try {
      await page.locator('tr[data-domain="console-shop"]').waitFor();
      const region = page.getByLabel('Region');
      await region.fill('eu-west-2');
      await region.press('Enter');
      await page.locator('td.empty', { hasText: 'No domains in eu-west-2.' }).waitFor();
      await page.reload();
      assert.equal(await page.getByLabel('Region').inputValue(), 'eu-west-2', 'the choice is remembered');
      await page.locator('td.empty', { hasText: 'No domains in eu-west-2.' }).waitFor();
    } finally {
      await context.close();
    }
  });

  test('a workflow row names the flow that started it (the FlowName of its flow definition)', async () => {
    const { context, page } = await open('/domains/console-shop/workflows');
    try {
      const flowOf = (id: string) => page.locator(`tr[data-workflow-id="${id}"] [data-flow-name]`);
      for (const [id, name] of [[ids.complete, 'done-flow'], [ids.failed, 'failing-flow'], [ids.running, 'running-flow']]) {
        await flowOf(id).waitFor();
        assert.equal(await flowOf(id).getAttribute('data-flow-name'), name, `the flow of ${id}`);
        assert.equal((await flowOf(id).textContent())?.trim(), name);
      }
      await shot(page, '12-workflows-flow-names');
    } finally {
      await context.close();
    }
  });

  test('at 1280 px wide no page scrolls sideways', async () => {
    const pages: Array<[string, string, string]> = [
      ['/', 'tr[data-domain="console-shop"]', '13-wide-domains'],
      ['/domains/console-shop/workflows', `tr[data-workflow-id="${ids.failed}"] [data-flow-name]`, '14-wide-workflows'],
      [`/domains/console-shop/workflows/${ids.complete}`, 'tr[data-step="1"]', '15-wide-workflow-complete'],
      [`/domains/console-shop/workflows/${ids.failed}`, 'tr[data-step="1"][data-status="FAILED"]', '16-wide-workflow-failed'],
      ['/domains/console-shop/object-types', 'tr[data-object-type="Contact"]', '17-wide-object-types'],
      ['/domains/console-shop/object-types/Contact', 'tr[data-field="Email"]', '18-wide-object-type'],
      [`/domains/console-shop/profiles?key=_email&value=${encodeURIComponent('ada@example.com')}`, `tr[data-profile-id="${profileId}"]`, '19-wide-profiles'],
      ['/connector-profiles', 'tr[data-connector-profile]', '20-wide-connector-profiles'],
    ];
    for (const [path, selector, name] of pages) {
      const { context, page } = await open(path);
      try {
        await ready(page, selector);
        await shot(page, name);
        const width = (await page.evaluate('document.documentElement.scrollWidth')) as number;
        assert.ok(width <= 1280, `${path} is ${width} px wide at a 1280 px viewport (screenshot ${name}.png)`);
        // Nor does a table scroll inside its frame: at this width every column is in sight.
        const clipped = (await page.evaluate(
          "[...document.querySelectorAll('.table-wrap')].filter((w) => w.scrollWidth > w.clientWidth).map((w) => w.querySelector('table')?.className + ': ' + w.scrollWidth + ' > ' + w.clientWidth)",
        )) as string[];
        assert.deepEqual(clipped, [], `${path}: tables wider than their frame (screenshot ${name}.png)`);
      } finally {
        await context.close();
      }
    }
  });

  test('a page with an error banner draws no empty table under it', async () => {
    const unknownId = '0123456789abcdef0123456789abcdef';
    const cases: Array<[string, RegExp, string]> = [
      ['/domains/no-such-domain/workflows', /ResourceNotFoundException/, '21-error-workflows'],
      ['/domains/no-such-domain/object-types', /ResourceNotFoundException/, '22-error-object-types'],
      [`/domains/console-shop/workflows/${unknownId}`, /ResourceNotFoundException/, '23-error-workflow'],
      ['/domains/console-shop/profiles?key=NoSuchKey&value=x', /BadRequestException/, '24-error-profiles'],
    ];
    const check = async (path: string, error: RegExp, name: string) => {
      const { context, page } = await open(path);
      try {
        const alert = page.getByRole('alert');
        await alert.waitFor();
        assert.match((await alert.textContent()) ?? '', error, path);
        await shot(page, name);
        assert.equal(await page.locator('table').count(), 0, `${path}: the banner and no table`);
      } finally {
        await context.close();
      }
    };
    for (const [path, error, name] of cases) await check(path, error, name);
    // The domains page, when ListDomains itself fails.
    const set = await fetch(`${s.url}/_profileflow/faults`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify([{ operation: 'ListDomains', error: 'ThrottlingException' }]) });
    assert.equal(set.status, 200, await set.text());
    try {
      await check('/', /ThrottlingException/, '25-error-domains');
    } finally {
      assert.equal((await fetch(`${s.url}/_profileflow/faults`, { method: 'DELETE' })).status, 200);
    }
  });

  test('nothing went wrong in the pages (no script errors, no refused content)', () => {
    assert.deepEqual(pageErrors, []);
  });

  describe('static assets', () => {
    test('content types, caching of hashed assets, the SPA fallback and the redirect', async () => {
      const index = await fetch(`${s.url}${CONSOLE_PATH}/`);
      assert.equal(index.status, 200);
      assert.equal(index.headers.get('content-type'), 'text/html; charset=utf-8');
      assert.equal(index.headers.get('cache-control'), 'no-cache');
      assert.match(index.headers.get('content-security-policy') ?? '', /default-src 'self'/);
      const html = await index.text();
      const script = /src="(\/_profileflow\/console\/assets\/[^"]+\.js)"/.exec(html)?.[1];
      const style = /href="(\/_profileflow\/console\/assets\/[^"]+\.css)"/.exec(html)?.[1];
      assert.ok(script && style, 'index.html names its hashed assets');
      assert.doesNotMatch(html, /https?:\/\//, 'nothing from another origin (no CDN, no web fonts)');

      const js = await fetch(`${s.url}${script}`);
      assert.equal(js.status, 200);
      assert.equal(js.headers.get('content-type'), 'text/javascript; charset=utf-8');
      assert.equal(js.headers.get('cache-control'), 'public, max-age=31536000, immutable');
      assert.equal(js.headers.get('x-content-type-options'), 'nosniff');
      const css = await fetch(`${s.url}${style}`);
      assert.equal(css.headers.get('content-type'), 'text/css; charset=utf-8');
      const etag = css.headers.get('etag')!;
      const again = await fetch(`${s.url}${style}`, { headers: { 'if-none-match': etag } });
      assert.equal(again.status, 304);

      const deep = await fetch(`${s.url}${CONSOLE_PATH}/domains/console-shop/workflows/${ids.complete}?status=FAILED`);
      assert.equal(deep.status, 200);
      assert.equal(await deep.text(), html, 'a console route answers index.html');
      const missing = await fetch(`${s.url}${CONSOLE_PATH}/assets/index-missing.js`);
      assert.equal(missing.status, 404);

      const redirect = await fetch(`${s.url}${CONSOLE_PATH}?pageSize=5`, { redirect: 'manual' });
      assert.equal(redirect.status, 308);
      assert.equal(redirect.headers.get('location'), `${CONSOLE_PATH}/?pageSize=5`);
      const head = await fetch(`${s.url}${script}`, { method: 'HEAD' });
      assert.equal(head.status, 200);
      assert.equal(head.headers.get('content-type'), 'text/javascript; charset=utf-8');
    });

    test('no path leaves the console directory', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'pf-console-'));
      const root = join(dir, 'console');
      mkdirSync(join(root, 'assets'), { recursive: true });
      writeFileSync(join(root, 'index.html'), '<!doctype html><title>index</title>');
      writeFileSync(join(root, 'assets', 'app-1234.js'), 'export {};');
      writeFileSync(join(dir, 'secret.txt'), 'the secret');
      writeFileSync(join(dir, 'console-secret.txt'), 'the sibling secret');
      const app = Fastify();
      registerConsoleRoutes(app, { root });
      const url = await app.listen({ host: '127.0.0.1', port: 0 });
      try {
        for (const path of [
          `${CONSOLE_PATH}/../secret.txt`,
          `${CONSOLE_PATH}/assets/../../secret.txt`,
          `${CONSOLE_PATH}/%2e%2e/secret.txt`,
          `${CONSOLE_PATH}/..%2fsecret.txt`,
          `${CONSOLE_PATH}/..%2f..%2fconsole-secret.txt`,
          `${CONSOLE_PATH}/..%5csecret.txt`,
          `${CONSOLE_PATH}/%2fetc%2fpasswd`,
          `${CONSOLE_PATH}/assets%2f..%2f..%2fsecret.txt`,
          `${CONSOLE_PATH}/%00index.html`,
          `${CONSOLE_PATH}/%E0%A4%A`,
        ]) {
          const answer = await rawGet(url, path);
          assert.doesNotMatch(answer.body, /secret|root:/, `${path} leaks nothing`);
          assert.ok([400, 404].includes(answer.status), `${path}: ${answer.status}`);
        }
        assert.equal((await rawGet(url, `${CONSOLE_PATH}/assets/app-1234.js`)).body, 'export {};');
        rmSync(join(root, 'index.html'));
        const unbuilt = await rawGet(url, `${CONSOLE_PATH}/`);
        assert.equal(unbuilt.status, 503);
        assert.match(unbuilt.body, /npm run build/);
      } finally {
        await app.close();
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
});
