/**
 * The web console against a service that verifies SigV4 (`--auth sigv4`): its static files load without
 * a signature, it asks for keys, signs every call in the browser (WebCrypto) and its event stream with a
 * presigned URL; wrong keys answer with the service's own error; the secret stays out of the page, out
 * of localStorage and out of every request. The browser signer is first checked, in Node, against the
 * server's own verifier. Screenshots go to test-results/console/ (gitignored).
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { AppflowClient, CreateFlowCommand } from '@aws-sdk/client-appflow';
import { CreateDomainCommand, CustomerProfilesClient, GetDomainCommand, GetWorkflowCommand } from '@aws-sdk/client-customer-profiles';
import type { FastifyInstance } from 'fastify';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { presign, queryString, signHeaders } from '../../console/src/sigv4.js';
import { verifySigV4 } from '../../src/auth/sigv4.js';
import { ManualClock } from '../../src/engine/clock.js';
import { Engine } from '../../src/engine/engine.js';
import { buildApp } from '../../src/server/app.js';
import { CONSOLE_PATH, DEFAULT_CONSOLE_ROOT } from '../../src/server/console-routes.js';
import { createTestStore, type TestStore } from '../helpers/backends.js';
import { SseClient } from '../helpers/sse.js';
import { consecutiveBatches, createWorkflow, putObjectType, uniqueProfileName, type WorkflowEnv } from '../helpers/workflows.js';
import { ACCOUNT_A, ALL_CREDENTIALS, CREDENTIALS, KEY_A, KEY_B, OPERATOR_KEY, OPERATOR_SECRET, sendSigned, signRequest } from '../security/support.js';
import { browserSkip, CHROMIUM } from '../helpers/browser.js';
import { until as pollUntil } from '../helpers/poll.js';

const SHOTS = join('test-results', 'console');
const PAGE_SIZE = 12;
const WAIT_MS = 15_000;
const SECRET_A = CREDENTIALS.get(KEY_A)!.secretAccessKey;
const WRONG_SECRET = 'not-the-secret-of-a-0123456789';

/** The suite's polling helper with this file's deadline. */
function until(probe: () => Promise<boolean>, what: string, deadlineMs = WAIT_MS): Promise<void> {
  return pollUntil(probe, what, deadlineMs);
}

/** A request as the browser signer prepares it, handed to the server's verifier as it would arrive. */
async function verifyBrowserSigned(options: {
  method: string;
  url: string;
  body?: string;
  secret?: string;
  accessKeyId?: string;
  sessionToken?: string;
  presigned?: boolean;
  now?: number;
}) {
  const credentials = { accessKeyId: options.accessKeyId ?? KEY_A, secretAccessKey: options.secret ?? SECRET_A, sessionToken: options.sessionToken };
  const now = options.now ?? Date.now();
  let url = new URL(options.url);
  let headers: Record<string, string> = {};
  if (options.presigned) url = await presign(url, credentials, 'eu-west-2', now, 300);
  else headers = await signHeaders({ method: options.method, url, headers: options.body ? { 'Content-Type': 'application/json' } : {}, body: options.body }, credentials, 'eu-west-2', now);
  const rawHeaders = ['Host', url.host, ...Object.entries(headers).flat()];
  return verifySigV4(
    { method: options.method, rawUrl: `${url.pathname}${url.search}`, rawHeaders, body: options.body === undefined ? undefined : Buffer.from(options.body, 'utf8') },
    CREDENTIALS,
    Date.now(),
  );
}

describe('the console signer (console/src/sigv4.ts) against the server verifier', () => {
  const base = 'http://127.0.0.1:4599';

  test('header form: paths with encoded labels, awkward query values, JSON bodies, a session token', async () => {
    const query = queryString({ 'max-results': 5, 'next-token': "a/b+c d=e&f'(x)*!~é" });
    for (const [method, path, body] of [
      ['GET', `/domains?${query}`, undefined],
      ['GET', '/domains/my%20domain/workflows/0123456789abcdef0123456789abcdef/steps', undefined],
      ['POST', '/domains/shop/profiles/search', JSON.stringify({ KeyName: '_email', Values: ['ada+1@example.com', 'zoë 💡'] })],
      ['GET', '/_profileflow/connector-profiles', undefined],
    ] as const) {
      const caller = await verifyBrowserSigned({ method, url: base + path, body });
      assert.deepEqual(caller, { accessKeyId: KEY_A, accountId: ACCOUNT_A, region: 'eu-west-2', role: 'tenant' }, `${method} ${path}`);
    }
    const withToken = await verifyBrowserSigned({ method: 'GET', url: `${base}/domains`, sessionToken: 'FwoGZXIvYXdzE//token+with/odd=chars' });
    assert.equal(withToken.accountId, ACCOUNT_A);
  });

  test('presigned query form (the event stream), with and without a session token', async () => {
    const url = `${base}/_profileflow/events?${queryString({ region: 'eu-west-2', domain: 'shop', workflowId: 'abc' })}`;
    assert.equal((await verifyBrowserSigned({ method: 'GET', url, presigned: true })).accountId, ACCOUNT_A);
    assert.equal((await verifyBrowserSigned({ method: 'GET', url, presigned: true, sessionToken: 'tok/en+=' })).accountId, ACCOUNT_A);
    const signed = await presign(new URL(url), { accessKeyId: KEY_A, secretAccessKey: SECRET_A }, 'eu-west-2', Date.now(), 300);
    for (const name of ['X-Amz-Algorithm', 'X-Amz-Credential', 'X-Amz-Date', 'X-Amz-Expires', 'X-Amz-SignedHeaders', 'X-Amz-Signature']) {
      assert.ok(signed.searchParams.get(name), `${name} is in the URL`);
    }
    assert.equal(signed.searchParams.get('X-Amz-SignedHeaders'), 'host');
    assert.doesNotMatch(signed.toString(), new RegExp(SECRET_A.replace(/[+/=]/g, '.')));
  });

  test('a wrong secret, an unknown key, a stale time are refused as AWS refuses them', async () => {
    await assert.rejects(verifyBrowserSigned({ method: 'GET', url: `${base}/domains`, secret: WRONG_SECRET }), { code: 'InvalidSignatureException' });
    await assert.rejects(verifyBrowserSigned({ method: 'GET', url: `${base}/domains`, accessKeyId: 'AKIDNOSUCHKEY0000000' }), { code: 'UnrecognizedClientException' });
    await assert.rejects(verifyBrowserSigned({ method: 'GET', url: `${base}/domains`, now: Date.now() - 20 * 60_000 }), { code: 'InvalidSignatureException' });
    await assert.rejects(verifyBrowserSigned({ method: 'GET', url: `${base}/_profileflow/events`, presigned: true, now: Date.now() - 10 * 60_000 }), {
      code: 'InvalidSignatureException',
    });
  });
});

describe('web console with --auth sigv4', { skip: browserSkip() }, () => {
  const clock = new ManualClock(Date.UTC(2026, 0, 5, 9, 0, 0));
  let testStore: TestStore;
  let engine: Engine;
  let app: FastifyInstance;
  let url = '';
  let client: CustomerProfilesClient;
  let browser: Browser;
  let keeper: SseClient | undefined;
  const env: WorkflowEnv = { domain: 'signed-shop', objectType: 'Contact', profile: uniqueProfileName('signed-shop') };
  let running = '';
  const pageErrors: string[] = [];

  before(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(`Chromium is needed for the console test and ${CHROMIUM} does not exist: install it (apt-get install chromium) or set PROFILEFLOW_CHROMIUM.`);
    }
    if (!existsSync(join(DEFAULT_CONSOLE_ROOT, 'index.html'))) {
      throw new Error(`The console is not built (${DEFAULT_CONSOLE_ROOT}index.html is missing): run \`npm run build\` first.`);
    }
    mkdirSync(SHOTS, { recursive: true });
    testStore = await createTestStore('sqlite');
    engine = new Engine(testStore.store, clock, { mode: 'manual', pageSize: PAGE_SIZE });
    app = await buildApp({ store: testStore.store, clock, engine, auth: { mode: 'sigv4', credentials: ALL_CREDENTIALS } });
    engine.start();
    url = await app.listen({ host: '127.0.0.1', port: 0 });
    client = new CustomerProfilesClient({ endpoint: url, region: 'us-east-1', maxAttempts: 1, credentials: { accessKeyId: KEY_A, secretAccessKey: SECRET_A } });

    await client.send(new CreateDomainCommand({ DomainName: env.domain, DefaultExpirationDays: 30 }));
    await putObjectType(client, env.domain);
    const body = JSON.stringify({ kind: 'synthetic', connectorTypes: ['Salesforce'], settings: { recordsPerDay: 24, seed: 7 } });
    const put = await sendSigned(await signRequest(url, 'PUT', `/_profileflow/connector-profiles/${env.profile}`, { body, accessKeyId: OPERATOR_KEY, secretAccessKey: OPERATOR_SECRET }));
    assert.ok(put.status === 200 || put.status === 201, put.text);
    running = await createWorkflow(client, { env, Batches: consecutiveBatches(Date.UTC(2025, 2, 1), 1, 1), FlowName: 'signed-flow' });

    // Held open for the whole run, so the change feed stays primed (see console.test.ts); presigned by the console's signer.
    const stream = await presign(new URL(`${url}/_profileflow/events`), { accessKeyId: KEY_A, secretAccessKey: SECRET_A }, 'us-east-1', Date.now(), 300);
    keeper = await SseClient.open(stream.toString());
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  });

  after(async () => {
    await browser?.close();
    await keeper?.close();
    client?.destroy();
    await engine?.stop();
    await app?.close();
    await testStore?.dispose();
  });

  /** Every request the page made: URL, body and headers, to look for the secret in. */
  interface Seen {
    url: string;
    body: string;
    headers: Record<string, string>;
  }

  async function open(path: string): Promise<{ context: BrowserContext; page: Page; seen: Seen[] }> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 860 }, locale: 'en-US', timezoneId: 'UTC', colorScheme: 'light' });
    const seen: Seen[] = [];
    context.on('request', (r) => seen.push({ url: r.url(), body: r.postData() ?? '', headers: r.headers() }));
    const page = await context.newPage();
    page.setDefaultTimeout(WAIT_MS);
    page.on('pageerror', (err) => pageErrors.push(`${path}: ${err.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) pageErrors.push(`${path}: ${message.text()}`);
    });
    await page.goto(`${url}${CONSOLE_PATH}${path}`);
    return { context, page, seen };
  }

  async function signInWith(page: Page, accessKeyId: string, secret: string): Promise<void> {
    await page.getByLabel('Access key ID').fill(accessKeyId);
    await page.getByLabel('Secret access key').fill(secret);
    await page.getByRole('button', { name: 'Sign in' }).click();
  }

  /** The secret is nowhere a page keeps or sends it, except the tab's sessionStorage. */
  async function assertSecretKept(page: Page, seen: Seen[], secret: string): Promise<void> {
    assert.ok(!(await page.content()).includes(secret), 'not in the DOM');
    assert.ok(!(await page.evaluate<string>('JSON.stringify({ ...localStorage })')).includes(secret), 'not in localStorage');
    assert.ok(!(await page.evaluate<string>('document.cookie')).includes(secret), 'not in a cookie');
    for (const r of seen) {
      assert.ok(!decodeURIComponent(r.url).includes(secret) && !r.url.includes(secret), `not in ${r.url}`);
      assert.ok(!r.body.includes(secret), `not in the body of ${r.url}`);
      assert.ok(!Object.values(r.headers).some((v) => v.includes(secret)), `not in the headers of ${r.url}`);
    }
  }

  test('the static files need no signature; data routes and the event stream still do; health tells the mode', async () => {
    const index = await fetch(`${url}${CONSOLE_PATH}/`);
    assert.equal(index.status, 200);
    const html = await index.text();
    const script = /src="(\/_profileflow\/console\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    assert.ok(script);
    assert.equal((await fetch(`${url}${script}`)).status, 200);
    assert.equal((await fetch(`${url}${CONSOLE_PATH}/domains/${env.domain}/workflows`)).status, 200, 'a console route answers index.html');
    assert.equal((await fetch(`${url}${CONSOLE_PATH}?x=1`, { redirect: 'manual' })).status, 308);
    assert.deepEqual(((await (await fetch(`${url}/_profileflow/health`)).json()) as { auth?: string }).auth, 'sigv4');

    for (const path of ['/_profileflow/connector-profiles', '/_profileflow/events', '/_profileflow/engine', '/domains', '/_profileflow/console-not/x']) {
      const res = await fetch(`${url}${path}`);
      assert.equal(res.status, 403, path);
      assert.equal(res.headers.get('x-amzn-errortype'), 'MissingAuthenticationTokenException', path);
    }
  });

  test('the console asks for keys; wrong keys answer with the service error and are not kept', async () => {
    const { context, page, seen } = await open('/');
    try {
      await page.getByRole('heading', { name: 'Sign in', level: 1 }).waitFor();
      assert.equal(await page.getByRole('navigation', { name: 'Console' }).count(), 0, 'no pages before signing in');
      await page.screenshot({ path: join(SHOTS, '20-sigv4-sign-in.png'), fullPage: true });

      await signInWith(page, KEY_A, WRONG_SECRET);
      const alert = page.getByRole('alert');
      await alert.waitFor();
      assert.match((await alert.textContent()) ?? '', /InvalidSignatureException: The request signature we calculated does not match the signature you provided\./);
      assert.equal(await page.getByLabel('Secret access key').inputValue(), '', 'a refused secret is cleared');
      await page.screenshot({ path: join(SHOTS, '21-sigv4-wrong-secret.png'), fullPage: true });

      await signInWith(page, 'AKIDNOSUCHKEY0000000', SECRET_A);
      await page.getByRole('alert').filter({ hasText: 'UnrecognizedClientException: The security token included in the request is invalid.' }).waitFor();
      assert.equal(await page.evaluate<number>('sessionStorage.length'), 0, 'refused keys are not kept');
      await assertSecretKept(page, seen, WRONG_SECRET);
      await assertSecretKept(page, seen, SECRET_A);
    } finally {
      await context.close();
    }
  });

  test('signed in: the domains, the connector profiles refused to a tenant key, and a running workflow followed live through a presigned event stream', async () => {
    const { context, page, seen } = await open(`/domains/${env.domain}/workflows`);
    try {
      await page.getByRole('heading', { name: 'Sign in' }).waitFor();
      await signInWith(page, KEY_A, SECRET_A);
      const row = page.locator(`tr[data-workflow-id="${running}"]`);
      await row.locator('[role="progressbar"][aria-valuetext="0 of 2 steps · 0 records"]').waitFor();
      await page.locator('[data-live="live"]').waitFor();
      assert.equal(await page.locator('.signed-in code').textContent(), KEY_A);

      await page.getByRole('link', { name: running }).click();
      await page.getByRole('heading', { name: `Workflow ${running}` }).waitFor();
      await page.locator('[data-live="live"]').waitFor();
      await page.evaluate('window.__notReloaded = true');
      const summary = page.getByRole('progressbar', { name: 'Workflow progress' });
      await until(async () => (await summary.getAttribute('aria-valuetext', { timeout: 1000 })) === '0 of 2 steps · 0 records', 'not started');
      for (const [pages, text] of [
        [1, '0 of 2 steps · 12 records'],
        [1, '1 of 2 steps · 24 records'],
        [2, '2 of 2 steps · 48 records'],
      ] as const) {
        clock.advance(1000);
        await engine.advance({ pages });
        await until(async () => (await summary.getAttribute('aria-valuetext', { timeout: 1000 })) === text, text);
      }
      await page.locator('.summary[data-status="COMPLETE"]').waitFor();
      await until(async () => (await page.locator('[data-live]').count()) === 0, 'the live badge gone: nothing more to follow');
      assert.equal(await page.evaluate('window.__notReloaded === true'), true, 'no reload');
      await page.screenshot({ path: join(SHOTS, '22-sigv4-workflow-live.png'), fullPage: true });
      const out = await client.send(new GetWorkflowCommand({ DomainName: env.domain, WorkflowId: running }));
      assert.equal(out.Metrics?.AppflowIntegration?.RecordsProcessed, 48);

      const streams = seen.filter((r) => new URL(r.url).pathname === '/_profileflow/events').map((r) => new URL(r.url));
      assert.ok(streams.some((u) => u.searchParams.get('workflowId') === running), 'the workflow page listened to its events');
      for (const u of streams) {
        assert.equal(u.searchParams.get('X-Amz-Algorithm'), 'AWS4-HMAC-SHA256');
        assert.match(u.searchParams.get('X-Amz-Credential') ?? '', new RegExp(`^${KEY_A}/\\d{8}/us-east-1/profile/aws4_request$`));
        assert.equal(u.searchParams.get('X-Amz-SignedHeaders'), 'host');
        assert.match(u.searchParams.get('X-Amz-Signature') ?? '', /^[0-9a-f]{64}$/);
        assert.equal(u.searchParams.get('accountId'), null, 'signed, the account is the key’s');
      }
      const calls = seen.filter((r) => new URL(r.url).pathname.startsWith('/domains'));
      assert.ok(calls.length > 0);
      for (const r of calls) {
        assert.match(r.headers.authorization ?? '', new RegExp(`^AWS4-HMAC-SHA256 Credential=${KEY_A}/\\d{8}/us-east-1/profile/aws4_request, SignedHeaders=(content-type;)?host;x-amz-content-sha256;x-amz-date, Signature=[0-9a-f]{64}$`));
        assert.match(r.headers['x-amz-content-sha256'] ?? '', /^[0-9a-f]{64}$/);
      }

      await page.getByRole('link', { name: 'Domains', exact: true }).first().click();
      const stats = (await client.send(new GetDomainCommand({ DomainName: env.domain }))).Stats!;
      assert.ok((stats.ProfileCount ?? 0) > 0);
      await page.locator(`tr[data-domain="${env.domain}"] [data-stat="profiles"]`, { hasText: new RegExp(`^${stats.ProfileCount}$`) }).waitFor();
      assert.match((await page.locator('p.lead').textContent()) ?? '', new RegExp(`the account of access key ${KEY_A}`));
      await page.screenshot({ path: join(SHOTS, '23-sigv4-domains.png'), fullPage: true });
      // Connector profiles are the operator's: a tenant's key sees the service's refusal, and no empty table.
      await page.getByRole('link', { name: 'Connector profiles' }).click();
      await page.getByRole('alert').filter({ hasText: /AccessDeniedException: .*operator route/ }).waitFor();
      assert.equal(await page.locator('table').count(), 0);

      await page.reload();
      await page.getByRole('alert').filter({ hasText: /AccessDeniedException/ }).waitFor();
      assert.ok((await page.evaluate<string>('JSON.stringify({ ...sessionStorage })')).includes(KEY_A), 'kept for this tab');
      await assertSecretKept(page, seen, SECRET_A);

      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.getByRole('heading', { name: 'Sign in', level: 1 }).waitFor();
      assert.equal(await page.evaluate<number>('sessionStorage.length'), 0, 'signing out forgets the keys');
    } finally {
      await context.close();
    }
  });

  test('a browser clock 20 minutes slow still signs: the time is corrected from the service’s Date, as the SDKs do', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 860 }, locale: 'en-US', timezoneId: 'UTC' });
    await context.addInitScript('{ const real = Date.now; Date.now = () => real() - 20 * 60 * 1000; }');
    const refused: string[] = [];
    context.on('response', (r) => {
      if (r.status() === 403) refused.push(r.headers()['x-amzn-errortype'] ?? '');
    });
    const page = await context.newPage();
    page.setDefaultTimeout(WAIT_MS);
    page.on('pageerror', (err) => pageErrors.push(`skewed: ${err.message}`));
    try {
      await page.goto(`${url}${CONSOLE_PATH}/`);
      await signInWith(page, KEY_A, SECRET_A);
      await page.locator(`tr[data-domain="${env.domain}"]`).waitFor();
      await page.getByRole('link', { name: env.domain }).click();
      await page.locator(`tr[data-workflow-id="${running}"]`).waitFor();
      await page.locator('[data-live="live"]').waitFor();
      assert.deepEqual(refused, ['InvalidSignatureException'], 'one refusal (Signature expired), then every request, the stream too, in the service’s time');
    } finally {
      await context.close();
    }
  });

  test('signed in: the flows list and a flow page, every AppFlow call signed for the appflow service; another account sees none', async () => {
    const af = new AppflowClient({ endpoint: url, region: 'us-east-1', maxAttempts: 1, credentials: { accessKeyId: KEY_A, secretAccessKey: SECRET_A } });
    try {
      await af.send(
        new CreateFlowCommand({
          flowName: 'signed-s3-flow',
          triggerConfig: { triggerType: 'OnDemand' },
          sourceFlowConfig: { connectorType: 'S3', sourceConnectorProperties: { S3: { bucketName: 'signed-bucket', bucketPrefix: 'in/' } } },
          destinationFlowConfigList: [{ connectorType: 'CustomerProfiles', destinationConnectorProperties: { CustomerProfiles: { domainName: env.domain } } }],
          tasks: [{ taskType: 'Map', sourceFields: ['Id'], destinationField: 'Id', connectorOperator: { S3: 'NO_OP' } }],
        }),
      );
    } finally {
      af.destroy();
    }
    const { context, page, seen } = await open('/flows');
    try {
      await signInWith(page, KEY_A, SECRET_A);
      await page.locator('tr[data-flow="signed-s3-flow"]').getByRole('link', { name: 'signed-s3-flow' }).click();
      await page.locator('[data-fact="source"]', { hasText: 'S3, s3://signed-bucket/in/' }).waitFor();
      const appflowCalls = seen.filter((r) => /\/(list-flows|describe-flow|describe-flow-execution-records)$/.test(new URL(r.url).pathname));
      assert.ok(appflowCalls.length >= 2, `the pages called AppFlow: ${seen.map((r) => r.url).join(', ')}`);
      for (const r of appflowCalls) assert.match(r.headers.authorization ?? '', new RegExp(`^AWS4-HMAC-SHA256 Credential=${KEY_A}/\\d{8}/us-east-1/appflow/aws4_request, `), r.url);
      await assertSecretKept(page, seen, SECRET_A);
    } finally {
      await context.close();
    }
    const other = await open('/flows');
    try {
      await signInWith(other.page, KEY_B, CREDENTIALS.get(KEY_B)!.secretAccessKey);
      await other.page.locator('td.empty', { hasText: 'No flows in us-east-1.' }).waitFor();
    } finally {
      await other.context.close();
    }
  });

  test('another key of another account sees none of these domains', async () => {
    const { context, page } = await open('/');
    try {
      await signInWith(page, KEY_B, CREDENTIALS.get(KEY_B)!.secretAccessKey);
      await page.locator('td.empty', { hasText: 'No domains in us-east-1.' }).waitFor();
    } finally {
      await context.close();
    }
  });

  test('nothing went wrong in the pages (no script errors, no refused content)', () => {
    assert.deepEqual(pageErrors, []);
  });
});
