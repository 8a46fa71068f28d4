/**
 * The console's profile page in headless Chromium: a profile made by an ingestion (PutProfileObject)
 * and changed by UpdateProfile, both through the official SDK, shows its history as a timeline, newest
 * first, a page at a time; an entry opens on GetProfileHistoryRecord's Content.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ListProfileHistoryRecordsCommand, SearchProfilesCommand, UpdateProfileCommand } from '@aws-sdk/client-customer-profiles';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { ManualClock } from '../../src/engine/clock.js';
import { CONSOLE_PATH, DEFAULT_CONSOLE_ROOT } from '../../src/server/console-routes.js';
import { browserSkip, CHROMIUM } from '../helpers/browser.js';
import { until } from '../helpers/poll.js';
import { domainWithType, putObject } from '../helpers/profile-objects.js';
import { startServer, type TestServer } from '../helpers/server.js';

const SHOTS = join('test-results', 'console');
const WAIT_MS = 15_000;
const DOMAIN = 'console-history';
/** A unique key with no place to break: the entry must wrap it rather than widen the page. */
const LONG_ID = `contact-${'x'.repeat(200)}`;

describe('web console: a profile history timeline', { skip: browserSkip() }, () => {
  const clock = new ManualClock(Date.UTC(2026, 0, 5, 9, 0, 0));
  let s: TestServer;
  let browser: Browser;
  let profileId = '';
  const pageErrors: string[] = [];

  before(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`Chromium is needed for the console test and ${CHROMIUM} does not exist.`);
    if (!existsSync(join(DEFAULT_CONSOLE_ROOT, 'index.html'))) throw new Error('The console is not built: run `npm run build` first.');
    mkdirSync(SHOTS, { recursive: true });
    s = await startServer('sqlite', { clock });
    await domainWithType(s.client, DOMAIN);
    await putObject(s.client, DOMAIN, { Id: LONG_ID, Email: 'grace@example.com', FirstName: 'Grace' });
    clock.advance(60_000);
    profileId = await profileOf('grace@example.com');
    const history = await s.client.send(new ListProfileHistoryRecordsCommand({ DomainName: DOMAIN, ProfileId: profileId }));
    assert.deepEqual(
      history.ProfileHistoryRecords?.map((r) => r.ActionType),
      ['CREATED', 'INGESTED'],
      'the ingestion created the profile and recorded the object',
    );
    await s.client.send(new UpdateProfileCommand({ DomainName: DOMAIN, ProfileId: profileId, LastName: 'Hopper', AccountNumber: 'ACC-1906' }));
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'] });
  });

  after(async () => {
    await browser?.close();
    await s?.close();
  });

  async function profileOf(email: string): Promise<string> {
    const out = await s.client.send(new SearchProfilesCommand({ DomainName: DOMAIN, KeyName: '_email', Values: [email] }));
    assert.equal(out.Items?.length, 1);
    return out.Items[0].ProfileId ?? '';
  }

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

  const actions = (page: Page) => page.locator('ol.timeline > li').evaluateAll((items) => items.map((li) => li.getAttribute('data-action')));

  test('the profile page shows UPDATED, INGESTED and CREATED, newest first; UPDATED opens on the profile as it became', async () => {
    const { context, page } = await open(`/domains/${DOMAIN}/profiles?key=_email&value=grace%40example.com`);
    try {
      await page.getByRole('link', { name: profileId }).click();
      await page.getByRole('heading', { name: `Profile ${profileId}` }).waitFor();
      await until(async () => (await actions(page)).length === 3, 'three history entries');
      assert.deepEqual(await actions(page), ['UPDATED', 'INGESTED', 'CREATED']);

      const ingested = page.locator('li[data-action="INGESTED"]');
      assert.equal((await ingested.locator('[data-field="object-type"]').textContent())?.trim(), 'Contact');
      assert.equal((await ingested.locator('[data-field="unique-key"]').textContent())?.trim(), LONG_ID);
      const updated = page.locator('li[data-action="UPDATED"]');
      assert.equal((await updated.locator('.badge').textContent())?.trim(), 'Updated');
      assert.equal(await updated.locator('[data-field="unique-key"]').count(), 0, 'no object key on a profile change');
      assert.match((await updated.locator('[data-field="performed-by"]').textContent()) ?? '', /\S/);
      assert.equal(await updated.locator('time').getAttribute('datetime'), new Date(Date.UTC(2026, 0, 5, 9, 1, 0)).toISOString());
      assert.equal(await page.locator('li[data-action="CREATED"] time').getAttribute('datetime'), new Date(Date.UTC(2026, 0, 5, 9, 0, 0)).toISOString());

      await updated.getByRole('button', { name: 'Show content' }).click();
      const content = updated.locator('pre.content');
      await content.waitFor();
      const shown = JSON.parse((await content.textContent()) ?? '') as Record<string, unknown>;
      assert.equal(shown.ProfileId, profileId);
      assert.equal(shown.FirstName, 'Grace');
      assert.equal(shown.LastName, 'Hopper');
      assert.equal(shown.AccountNumber, 'ACC-1906');
      assert.equal(await updated.getByRole('button', { name: 'Hide content' }).getAttribute('aria-expanded'), 'true');

      const ingestedContent = ingested.locator('pre.content');
      await ingested.getByRole('button', { name: 'Show content' }).click();
      await ingestedContent.waitFor();
      assert.equal((JSON.parse((await ingestedContent.textContent()) ?? '') as { Id?: string }).Id, LONG_ID, 'INGESTED opens on the object');

      await page.screenshot({ path: join(SHOTS, '30-profile-history.png'), fullPage: true });
      const width = (await page.evaluate('document.documentElement.scrollWidth')) as number;
      assert.ok(width <= 1280, `the profile page is ${width} px wide at a 1280 px viewport (screenshot 30-profile-history.png)`);
    } finally {
      await context.close();
    }
  });

  test('the history reads a page at a time: "Load more" brings the newer record on top', async () => {
    const { context, page } = await open(`/domains/${DOMAIN}/profiles/${profileId}?pageSize=2`);
    try {
      await until(async () => (await actions(page)).length === 2, 'the first page of history');
      assert.deepEqual(await actions(page), ['INGESTED', 'CREATED']);
      await page.getByRole('button', { name: 'Load more history records' }).click();
      await until(async () => (await actions(page)).length === 3, 'the second page of history');
      assert.deepEqual(await actions(page), ['UPDATED', 'INGESTED', 'CREATED']);
      assert.equal(await page.getByRole('button', { name: 'Load more history records' }).count(), 0, 'no more pages');
    } finally {
      await context.close();
    }
  });

  test('an unknown profile: the error banner and no empty timeline', async () => {
    const { context, page } = await open(`/domains/${DOMAIN}/profiles/0123456789abcdef0123456789abcdef`);
    try {
      await page.getByRole('alert').filter({ hasText: /ResourceNotFoundException/ }).waitFor();
      await page.screenshot({ path: join(SHOTS, '31-profile-history-error.png'), fullPage: true });
      assert.equal(await page.locator('ol.timeline').count(), 0);
      assert.equal(await page.getByText('No history records for this profile.').count(), 0);
    } finally {
      await context.close();
    }
  });

  test('nothing went wrong in the pages', () => {
    assert.deepEqual(pageErrors, []);
  });
});
