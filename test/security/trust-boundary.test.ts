import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CreateDomainCommand, CreateIntegrationWorkflowCommand, CustomerProfilesClient, GetDomainCommand, GetWorkflowCommand, ListDomainsCommand } from '@aws-sdk/client-customer-profiles';
import { systemClock } from '../../src/engine/clock.js';
import { Engine } from '../../src/engine/engine.js';
import { buildApp } from '../../src/server/app.js';
import { buildWorkerApp } from '../../src/server/worker-app.js';
import { createTestStore, type TestStore } from '../helpers/backends.js';
import { serveSandbox } from '../helpers/cli-process.js';
import { eventually, until } from '../helpers/poll.js';
import { closedWithin, httpRequest, openSocket, rawRequest } from '../helpers/raw-socket.js';
import { startServer } from '../helpers/server.js';
import { ALL_CONNECTOR_TYPES, createWorkflow, putObjectType, workflowRequest } from '../helpers/workflows.js';
import { assertAwsError, send } from '../protocol/raw.js';
import {
  ACCOUNT_A,
  ACCOUNT_B,
  ALL_CREDENTIALS,
  KEY_A,
  KEY_B,
  OPERATOR_KEY,
  OPERATOR_SECRET,
  type SecureServer,
  sendSigned,
  signRequest,
  startSecureServer,
} from './support.js';

/**
 * The trust boundary, replayed as an attacker tried it (raw sockets where a client would normalise the
 * request). Each block names the row of the attack it replays and what the service answered before the
 * request context and the admin surface existed.
 */

/** Every route of the admin surface but health and the console, with a body where the route reads one. */
const ADMIN_ROUTES: { method: string; path: string; body?: string }[] = [
  { method: 'POST', path: '/_profileflow/reset' },
  { method: 'GET', path: '/_profileflow/connector-profiles' },
  { method: 'GET', path: '/_profileflow/connector-profiles/shared' },
  { method: 'PUT', path: '/_profileflow/connector-profiles/shared', body: JSON.stringify({ kind: 'synthetic', settings: { recordsPerDay: 1, seed: 666 } }) },
  { method: 'DELETE', path: '/_profileflow/connector-profiles/shared' },
  { method: 'GET', path: '/_profileflow/ids' },
  { method: 'POST', path: '/_profileflow/ids', body: '{"seed":"attacker"}' },
  { method: 'GET', path: '/_profileflow/faults' },
  { method: 'PUT', path: '/_profileflow/faults', body: '[{"operation":"*","error":"InternalServerException"}]' },
  { method: 'DELETE', path: '/_profileflow/faults' },
  { method: 'GET', path: '/_profileflow/webhooks' },
  { method: 'GET', path: '/_profileflow/engine' },
  { method: 'POST', path: '/_profileflow/engine/advance', body: '{"pages":1}' },
  { method: 'POST', path: '/_profileflow/clock', body: '{"advanceMs":1}' },
  // A tenant may not start work in any account (its own included) by signalling a flow.
  { method: 'POST', path: `/_profileflow/flows/${ACCOUNT_A}/us-east-1/some-flow/signal`, body: '{}' },
  { method: 'GET', path: '/_profileflow/metrics' },
  { method: 'GET', path: '/_profileflow/events' },
  { method: 'GET', path: `/_profileflow/workflows/kept/${'0'.repeat(32)}/progress` },
];

/** The account routes: a tenant reaches them for its own account. */
const ACCOUNT_ROUTES = ['/_profileflow/reset', '/_profileflow/faults', '/_profileflow/events', `/_profileflow/workflows/kept/${'0'.repeat(32)}/progress`];

/** Spellings of one path that a router might read as the same route (or as another). */
function spellings(path: string): string[] {
  const rest = path.slice('/_profileflow/'.length);
  const last = path.at(-1)!;
  return [
    path,
    path.replace('/_profileflow', '/%5Fprofileflow'),
    path.replace('/_profileflow', '/%5fprofileflow'),
    path.replace('/_profileflow', '/_profileflo%77'),
    `${path.slice(0, -1)}%${last.charCodeAt(0).toString(16)}`,
    `http://x${path}`,
    `http://127.0.0.1${path}`,
    `/_profileflow/./${rest}`,
    `/_profileflow/x/../${rest}`,
    `/_profileflow/%2e/${rest}`,
    `/_profileflow/%2E%2E/_profileflow/${rest}`,
    `//_profileflow/${rest}`,
  ];
}

function port(url: string): number {
  return Number(new URL(url).port);
}

describe('the admin surface with --auth sigv4', () => {
  let s: SecureServer;
  before(async () => {
    s = await startSecureServer();
    await s.client({ accessKeyId: KEY_A }).send(new CreateDomainCommand({ DomainName: 'kept', DefaultExpirationDays: 30 }));
    await s.client({ accessKeyId: KEY_B }).send(new CreateDomainCommand({ DomainName: 'kept', DefaultExpirationDays: 30 }));
    await s.store.connectorProfiles.put({ name: 'shared', kind: 'synthetic', connectorTypes: ['Salesforce'], settings: { recordsPerDay: 5, seed: 1 } }, 'api', Date.now());
  });
  after(() => s.close());

  // Row 1. Before: `POST /%5Fprofileflow/reset` unsigned answered 200 and wiped every account; encoded and
  // absolute-form targets read and changed connector profiles and streamed every account's events
  // (checked on that code: `/%5Fprofileflow/reset` and `/_profileflo%77/connector-profiles` answered 200).
  test('no spelling of an admin route reaches it unsigned: percent-encoded, absolute form, dot segments', async () => {
    for (const route of ADMIN_ROUTES) {
      for (const target of spellings(route.path)) {
        const headers: Record<string, string> = route.body ? { 'content-type': 'application/json' } : {};
        const answer = await rawRequest(port(s.url), httpRequest(route.method, target, headers, route.body));
        assert.ok([400, 403, 404].includes(answer.status), `${route.method} ${target} answered ${answer.status}: ${answer.text.slice(0, 300)}`);
        assert.match(answer.text, /x-amzn-errortype: /i, `${route.method} ${target} answers an AWS error`);
      }
    }
    // Nothing changed: both accounts' data, the shared profile, no fault rules, no id seed.
    for (const key of [KEY_A, KEY_B]) {
      const domains = await s.client({ accessKeyId: key }).send(new ListDomainsCommand({}));
      assert.deepEqual(domains.Items?.map((d) => d.DomainName), ['kept']);
    }
    assert.deepEqual((await s.store.connectorProfiles.get('shared'))?.settings, { recordsPerDay: 5, seed: 1 });
    const asOperator = { accessKeyId: OPERATOR_KEY, secretAccessKey: OPERATOR_SECRET };
    const faults = await sendSigned(await signRequest(s.url, 'GET', '/_profileflow/faults', asOperator));
    assert.deepEqual(faults.json, { rules: [] });
    const ids = await sendSigned(await signRequest(s.url, 'GET', '/_profileflow/ids', asOperator));
    assert.deepEqual(ids.json, { seed: null });
  });

  // Found by attacking this service: authentication ran once the body was read, so 24 unsigned requests
  // announcing 8 MB bodies held about 200 MB until the request timeout (30 s).
  test('an unsigned or unknown-key request is answered before its body is read', async () => {
    const amzDate = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
    const unknownKey = `AWS4-HMAC-SHA256 Credential=AKIDNOBODY/${amzDate.slice(0, 8)}/us-east-1/profile/aws4_request, SignedHeaders=host;x-amz-date, Signature=${'0'.repeat(64)}`;
    for (const authorization of [undefined, unknownKey]) {
      const socket = await openSocket(port(s.url));
      const answered: Buffer[] = [];
      socket.on('data', (c: Buffer) => answered.push(c));
      const headers: Record<string, string> = { 'content-type': 'application/json', 'content-length': String(8 * 1024 * 1024) };
      if (authorization) Object.assign(headers, { authorization, 'x-amz-date': amzDate });
      socket.write(httpRequest('POST', '/domains/held', headers).replace(/\r\n\r\n$/, `\r\n\r\n{"${'a'.repeat(1000)}`));
      await until(() => /\r\n\r\n/.test(Buffer.concat(answered).toString()), 'the answer to a request whose body is still coming', { deadlineMs: 5000, intervalMs: 20 });
      socket.destroy();
      const text = Buffer.concat(answered).toString();
      assert.match(text, /^HTTP\/1\.1 403 /, `answered at once (${authorization ? 'unknown key' : 'unsigned'})`);
      assert.match(text, authorization ? /UnrecognizedClientException/ : /MissingAuthenticationTokenException/);
    }
  });

  // Found by attacking this service: the verifier read '+' in the query literally while the operation read
  // it as a space, so a request signed with `a%2Bb` could be sent as `a+b` and still verify; and repeated
  // parameters verify in any order (the canonical query sorts them) while the operation took the first.
  test('what the signature covers is what the operation reads: + in the query, repeated parameters', async () => {
    const signed = await signRequest(s.url, 'POST', '/domains/kept/workflows', { accessKeyId: KEY_A, query: { 'next-token': 'a+b' }, body: '{}' });
    const headers = Object.fromEntries(Object.entries(signed.headers).filter(([k]) => k.toLowerCase() !== 'host'));
    const asSigned = await fetch(`${s.url}/domains/kept/workflows?next-token=a%2Bb`, { method: 'POST', headers, body: '{}' });
    assert.equal(asSigned.headers.get('x-amzn-errortype'), 'BadRequestException', 'the signed request verifies (and its token is refused)');
    await asSigned.body?.cancel();
    const plusAsSpace = await fetch(`${s.url}/domains/kept/workflows?next-token=a+b`, { method: 'POST', headers, body: '{}' });
    assert.equal(plusAsSpace.status, 403);
    assert.equal(plusAsSpace.headers.get('x-amzn-errortype'), 'InvalidSignatureException');
    await plusAsSpace.body?.cancel();

    const twice = await signRequest(s.url, 'POST', '/domains/kept/workflows', { accessKeyId: KEY_A, query: { 'max-results': ['1', '2'] }, body: '{}' });
    assertAwsError(await sendSigned(twice), 400, 'BadRequestException', "'max-results' appears 2 times");
  });

  test('absolute-form and dot-segment targets are refused with a 400 naming the reason', async () => {
    const absolute = await rawRequest(port(s.url), httpRequest('GET', 'http://x/_profileflow/health'));
    assert.equal(absolute.status, 400);
    assert.match(absolute.text, /absolute-form/);
    const dots = await rawRequest(port(s.url), httpRequest('GET', '/_profileflow/%2e%2e/_profileflow/health'));
    assert.equal(dots.status, 400);
    assert.match(dots.text, /'\.' or '\.\.' segment/);
  });

  // Row 2. Before: any tenant key could reset every account, replace the connector profile another
  // account's flows read, inject faults into other accounts' calls, read metrics and webhook deliveries.
  test('a tenant key on an operator route is refused with AccessDeniedException', async () => {
    const operatorOnly = ADMIN_ROUTES.filter((r) => !ACCOUNT_ROUTES.includes(r.path));
    for (const route of operatorOnly) {
      const answer = await sendSigned(await signRequest(s.url, route.method, route.path, { accessKeyId: KEY_A, body: route.body }));
      assertAwsError(answer, 403, 'AccessDeniedException', 'operator route');
    }
    assert.deepEqual((await s.store.connectorProfiles.get('shared'))?.settings, { recordsPerDay: 5, seed: 1 });
  });

  test('an operator key reaches the operator routes and is refused on the AWS APIs', async () => {
    const asOperator = { accessKeyId: OPERATOR_KEY, secretAccessKey: OPERATOR_SECRET };
    const metrics = await sendSigned(await signRequest(s.url, 'GET', '/_profileflow/metrics', asOperator));
    assert.equal(metrics.status, 200);
    const engine = await sendSigned(await signRequest(s.url, 'GET', '/_profileflow/engine', asOperator));
    assert.equal(engine.status, 200);
    const aws = await s.client({ accessKeyId: OPERATOR_KEY, secretAccessKey: OPERATOR_SECRET }).send(new ListDomainsCommand({})).catch((e: Error) => e);
    assert.equal((aws as Error).name, 'AccessDeniedException');
    assert.match((aws as Error).message, /Operator credentials/);
  });

  test("a tenant's reset empties its own account only; asking for another account is refused", async () => {
    const other = await sendSigned(await signRequest(s.url, 'POST', '/_profileflow/reset', { accessKeyId: KEY_A, body: JSON.stringify({ accountId: ACCOUNT_B }) }));
    assertAwsError(other, 403, 'AccessDeniedException', ACCOUNT_A);
    await s.client({ accessKeyId: KEY_A }).send(new CreateDomainCommand({ DomainName: 'wiped', DefaultExpirationDays: 30 }));
    const reset = await sendSigned(await signRequest(s.url, 'POST', '/_profileflow/reset', { accessKeyId: KEY_A }));
    assert.equal(reset.status, 200, reset.text);
    assert.equal((reset.json as { accountId: string }).accountId, ACCOUNT_A);
    assert.deepEqual((await s.client({ accessKeyId: KEY_A }).send(new ListDomainsCommand({}))).Items ?? [], []);
    const b = await s.client({ accessKeyId: KEY_B }).send(new GetDomainCommand({ DomainName: 'kept' }));
    assert.equal(b.DomainName, 'kept', "account B's data stays");
    assert.ok(await s.store.connectorProfiles.get('shared'), 'connector profiles belong to no account and stay');
    await s.client({ accessKeyId: KEY_A }).send(new CreateDomainCommand({ DomainName: 'kept', DefaultExpirationDays: 30 }));
  });

  test("a tenant's fault rules fail its own calls only, and it sees and clears only its own", async () => {
    const otherAccount = await sendSigned(
      await signRequest(s.url, 'PUT', '/_profileflow/faults', { accessKeyId: KEY_A, body: JSON.stringify([{ operation: '*', error: 'InternalServerException', accountId: ACCOUNT_B }]) }),
    );
    assertAwsError(otherAccount, 403, 'AccessDeniedException');
    const put = await sendSigned(await signRequest(s.url, 'PUT', '/_profileflow/faults', { accessKeyId: KEY_A, body: JSON.stringify([{ operation: 'ListDomains', error: 'InternalServerException' }]) }));
    assert.equal(put.status, 200, put.text);
    assert.deepEqual((put.json as { rules: unknown[] }).rules, [{ operation: 'ListDomains', probability: 1, error: 'InternalServerException', accountId: ACCOUNT_A }]);
    try {
      const a = await s.client({ accessKeyId: KEY_A }).send(new ListDomainsCommand({})).catch((e: Error) => e);
      assert.equal((a as Error).name, 'InternalServerException', "account A's own call is faulted");
      const b = await s.client({ accessKeyId: KEY_B }).send(new ListDomainsCommand({}));
      assert.deepEqual(b.Items?.map((d) => d.DomainName), ['kept'], "account B's call is not");
      const seenByB = await sendSigned(await signRequest(s.url, 'GET', '/_profileflow/faults', { accessKeyId: KEY_B }));
      assert.deepEqual(seenByB.json, { rules: [] }, 'B does not see A\'s rules');
      await sendSigned(await signRequest(s.url, 'DELETE', '/_profileflow/faults', { accessKeyId: KEY_B }));
      const seenByA = await sendSigned(await signRequest(s.url, 'GET', '/_profileflow/faults', { accessKeyId: KEY_A }));
      assert.equal((seenByA.json as { rules: unknown[] }).rules.length, 1, "B's clear leaves A's rules");
    } finally {
      await sendSigned(await signRequest(s.url, 'DELETE', '/_profileflow/faults', { accessKeyId: KEY_A }));
    }
  });
});

// Row 1, on a worker's --metrics-port: the same check looked at the raw URL there too.
describe("a worker's metrics port with --auth sigv4", () => {
  let ts: TestStore;
  let url: string;
  let close: () => Promise<void>;
  before(async () => {
    ts = await createTestStore('sqlite');
    const engine = new Engine(ts.store, systemClock, { mode: 'manual' });
    const app = await buildWorkerApp({ store: ts.store, engine, auth: { mode: 'sigv4', credentials: ALL_CREDENTIALS } });
    url = await app.listen({ host: '127.0.0.1', port: 0 });
    close = async () => {
      await app.close();
      await ts.dispose();
    };
  });
  after(() => close());

  test('metrics need the operator, however the path is spelled; health stays open', async () => {
    for (const target of spellings('/_profileflow/metrics')) {
      const answer = await rawRequest(port(url), httpRequest('GET', target));
      assert.ok([400, 403, 404].includes(answer.status), `GET ${target} answered ${answer.status}`);
    }
    assert.equal((await send(url, 'GET', '/_profileflow/health')).status, 200);
    const tenant = await sendSigned(await signRequest(url, 'GET', '/_profileflow/metrics', { accessKeyId: KEY_A }));
    assertAwsError(tenant, 403, 'AccessDeniedException');
    const operator = await sendSigned(await signRequest(url, 'GET', '/_profileflow/metrics', { accessKeyId: OPERATOR_KEY, secretAccessKey: OPERATOR_SECRET }));
    assert.equal(operator.status, 200);
  });
});

// Row 4. Before: 20,000 unsigned requests to distinct /_profileflow/<4 KB> paths grew RSS from 80 to
// 490 MB and the next /metrics answered 500 after 18 s: a request no route matched (OPTIONS, for one)
// was labelled with its raw path, so each path became a series (checked on that code: 100 OPTIONS
// requests, 100 new series).
describe('metrics labels come from the route table only', () => {
  let ts: TestStore;
  let app: Awaited<ReturnType<typeof buildApp>>;
  before(async () => {
    ts = await createTestStore('sqlite');
    app = await buildApp({ store: ts.store, auth: { mode: 'sigv4', credentials: ALL_CREDENTIALS } });
  });
  after(async () => {
    await app.close();
    await ts.dispose();
  });

  test('thousands of distinct unknown paths add no series and leave /metrics the same size', async () => {
    const scrape = async () => {
      const signed = await signRequest('http://localhost:80', 'GET', '/_profileflow/metrics', { accessKeyId: OPERATOR_KEY, secretAccessKey: OPERATOR_SECRET });
      const res = await app.inject({ method: 'GET', url: '/_profileflow/metrics', headers: signed.headers as Record<string, string> });
      assert.equal(res.statusCode, 200, res.body);
      return res.body;
    };
    const methods = ['GET', 'OPTIONS', 'POST', 'HEAD'] as const;
    const hit = (i: number) => app.inject({ method: methods[i % methods.length], url: `/_profileflow/${i}-${'a'.repeat(4096)}` });
    for (let i = 0; i < 50; i++) await hit(i);
    const before = (await scrape()).split('\n').filter((l) => l.startsWith('profileflow_request'));
    for (let i = 50; i < 3000; i++) await hit(i);
    const afterLines = (await scrape()).split('\n').filter((l) => l.startsWith('profileflow_request'));
    assert.equal(afterLines.length, before.length, 'no new series');
    assert.ok(afterLines.every((l) => l.length < 300), 'no label carries a path');
    assert.ok(afterLines.some((l) => /operation="Unknown",status="403"/.test(l)), 'the unknown paths count under Unknown');
  });
});

// Row 5. Before: a request whose body stalled kept its connection open past 330 s; 20,000 of them hit the
// file descriptor limit and health checks failed (checked on that code: still open after 3 s of a 0.4 s limit
// that did not exist).
describe('timeouts and the connection cap', () => {
  let ts: TestStore;
  let app: Awaited<ReturnType<typeof buildApp>>;
  let p: number;
  before(async () => {
    ts = await createTestStore('sqlite');
    app = await buildApp({ store: ts.store, limits: { headersTimeoutMs: 400, requestTimeoutMs: 400, maxConnections: 5 } });
    p = port(await app.listen({ host: '127.0.0.1', port: 0 }));
  });
  after(async () => {
    await app.close();
    await ts.dispose();
  });

  test('a stalled body and trickled headers are cut off at the request timeout', async () => {
    const body = await openSocket(p);
    body.write(httpRequest('POST', '/domains/stalled', { 'content-type': 'application/json', 'content-length': '100' }).replace(/\r\n\r\n$/, '\r\n\r\n{"Def'));
    const headers = await openSocket(p);
    headers.write('GET /_profileflow/health HTTP/1.1\r\nHost: 127.0.0.1\r\n');
    const answered: Buffer[] = [];
    body.on('data', (c: Buffer) => answered.push(c));
    assert.ok(await closedWithin(body, 5000), 'the stalled body is closed');
    assert.match(Buffer.concat(answered).toString(), /^HTTP\/1\.1 408 [^]*RequestTimeoutException/);
    assert.ok(await closedWithin(headers, 5000), 'the trickled headers are closed');
  });

  test('connections beyond the cap are closed at once, and the service answers again when they go', async () => {
    const held = await Promise.all(Array.from({ length: 5 }, () => openSocket(p)));
    for (const s of held) s.write('GET /_profileflow/health HTTP/1.1\r\n');
    const extra = await openSocket(p);
    assert.ok(await closedWithin(extra, 2000), 'the sixth connection is refused');
    for (const s of held) assert.ok(await closedWithin(s, 5000), 'held connections time out');
    const health = await rawRequest(p, httpRequest('GET', '/_profileflow/health'));
    assert.equal(health.status, 200);
  });
});

// Row 7. Before: with auth off on loopback, a cross-origin POST /_profileflow/reset from
// http://attacker.example answered 200 and wiped everything, and any Host was answered (DNS rebinding);
// checked on that code: both answered 200.
describe('the browser threats of the default mode (auth off on loopback)', () => {
  let ts: TestStore;
  let app: Awaited<ReturnType<typeof buildApp>>;
  let url: string;
  before(async () => {
    ts = await createTestStore('sqlite');
    app = await buildApp({ store: ts.store, browser: { corsOrigins: ['https://app.example'] } });
    url = await app.listen({ host: '127.0.0.1', port: 0 });
    const made = await send(url, 'POST', '/domains/kept', { body: '{"DefaultExpirationDays":30}', headers: { 'content-type': 'application/json' } });
    assert.equal(made.status, 200, made.text);
  });
  after(async () => {
    await app.close();
    await ts.dispose();
  });

  const stillThere = async () => {
    const res = await send(url, 'GET', '/domains/kept');
    assert.equal(res.status, 200, 'the domain survived');
  };

  test('a cross-origin reset is refused and nothing is wiped', async () => {
    for (const headers of [{ origin: 'http://attacker.example' }, { origin: 'null' }, { 'sec-fetch-site': 'cross-site' }, { origin: 'https://app.example' }] as Record<string, string>[]) {
      const res = await send(url, 'POST', '/_profileflow/reset', { headers: { ...headers, 'content-type': 'application/json' }, body: '{}' });
      assertAwsError(res, 403, 'AccessDeniedException');
    }
    const deleteDomain = await send(url, 'DELETE', '/domains/kept', { headers: { origin: 'http://attacker.example' } });
    assertAwsError(deleteDomain, 403, 'AccessDeniedException');
    await stillThere();
  });

  test('a form-encoded or text body to an admin route is refused; JSON from the same origin works', async () => {
    const form = await send(url, 'PUT', '/_profileflow/faults', { headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: '[]' });
    assertAwsError(form, 400, 'BadRequestException', 'application/json');
    const text = await send(url, 'POST', '/_profileflow/reset', { headers: { 'content-type': 'text/plain' }, body: '{}' });
    assertAwsError(text, 400, 'BadRequestException');
    await stillThere();
    const sameOrigin = await send(url, 'PUT', '/_profileflow/faults', { headers: { origin: url, 'content-type': 'application/json' }, body: '[]' });
    assert.equal(sameOrigin.status, 200, sameOrigin.text);
  });

  // Found by attacking this service: HEAD of the event stream was hijacked like its GET and never answered.
  test('HEAD of the event stream answers at once', async () => {
    const head = await rawRequest(port(url), httpRequest('HEAD', '/_profileflow/events'), 3000);
    assert.ok(head.status >= 400, head.text);
  });

  test('a Host that does not name the service is refused (DNS rebinding)', async () => {
    const rebound = await rawRequest(port(url), httpRequest('GET', '/domains/kept', { host: 'attacker.example' }));
    assert.equal(rebound.status, 400);
    assert.doesNotMatch(rebound.text, /"DomainName"/);
    for (const host of ['localhost', `127.0.0.1:${port(url)}`, `[::1]:${port(url)}`, `localhost:${port(url)}`]) {
      const ok = await rawRequest(port(url), httpRequest('GET', '/_profileflow/health', { host }));
      assert.equal(ok.status, 200, `Host ${host}`);
    }
  });

  test('CORS: a configured origin gets preflights and headers on the AWS routes, never on the admin surface', async () => {
    const preflight = await send(url, 'OPTIONS', '/domains/kept', {
      headers: { origin: 'https://app.example', 'access-control-request-method': 'DELETE', 'access-control-request-headers': 'authorization,x-amz-date,content-type' },
    });
    assert.equal(preflight.status, 204);
    assert.equal(preflight.headers.get('access-control-allow-origin'), 'https://app.example');
    assert.match(preflight.headers.get('access-control-allow-methods') ?? '', /DELETE/);
    assert.equal(preflight.headers.get('access-control-allow-headers'), 'authorization,x-amz-date,content-type');
    const get = await send(url, 'GET', '/domains/kept', { headers: { origin: 'https://app.example' } });
    assert.equal(get.status, 200);
    assert.equal(get.headers.get('access-control-allow-origin'), 'https://app.example');
    assert.match(get.headers.get('access-control-expose-headers') ?? '', /x-amzn-requestid/);

    // The AppFlow slice served on the same endpoint is an AWS API too.
    const appflowPreflight = await send(url, 'OPTIONS', '/list-flows', {
      headers: { origin: 'https://app.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' },
    });
    assert.equal(appflowPreflight.status, 204);
    assert.equal(appflowPreflight.headers.get('access-control-allow-origin'), 'https://app.example');
    const unknownPreflight = await send(url, 'OPTIONS', '/no-such-operation', { headers: { origin: 'https://app.example', 'access-control-request-method': 'POST' } });
    assert.equal(unknownPreflight.status, 403, 'a path no AWS operation of either service has');

    const adminPreflight = await send(url, 'OPTIONS', '/_profileflow/reset', { headers: { origin: 'https://app.example', 'access-control-request-method': 'POST' } });
    assert.equal(adminPreflight.status, 403);
    assert.equal(adminPreflight.headers.get('access-control-allow-origin'), null);
    const other = await send(url, 'OPTIONS', '/domains/kept', { headers: { origin: 'http://attacker.example', 'access-control-request-method': 'DELETE' } });
    assert.equal(other.headers.get('access-control-allow-origin'), null);
    const adminGet = await send(url, 'GET', '/_profileflow/faults', { headers: { origin: 'https://app.example' } });
    assert.equal(adminGet.headers.get('access-control-allow-origin'), null, 'no CORS on the admin surface');
  });
});

describe('admin bodies are small', () => {
  test('a body over 256 KiB to an admin route is refused with the limit named', async () => {
    const ts = await createTestStore('sqlite');
    const app = await buildApp({ store: ts.store });
    try {
      const res = await app.inject({ method: 'PUT', url: '/_profileflow/faults', headers: { 'content-type': 'application/json' }, payload: `[${' '.repeat(300 * 1024)}]` });
      assert.equal(res.statusCode, 400);
      assert.match(res.body, /larger than the limit of 262144 bytes/);
      const aws = await app.inject({ method: 'POST', url: '/domains/big', headers: { 'content-type': 'application/json' }, payload: `{"DefaultExpirationDays":1${' '.repeat(300 * 1024)}}` });
      assert.equal(aws.statusCode, 200, 'the AWS routes keep their own limit');
    } finally {
      await app.close();
      await ts.dispose();
    }
  });
});

// Found by attacking this service: seeded ids start over at every re-seed, and a workflow id is unique
// across accounts, so after a re-seed another account's CreateIntegrationWorkflow answered 500 (the id
// was taken) — which also told it that some account held that id.
describe('re-seeding ids', () => {
  test("another account's workflow under a replayed seed gets a fresh id, never a 500", async () => {
    const server = await startServer('sqlite');
    try {
      await server.store.connectorProfiles.put({ name: 'seeded', kind: 'synthetic', connectorTypes: ALL_CONNECTOR_TYPES as never, settings: { recordsPerDay: 1, seed: 1 } }, 'api', Date.now());
      const created: string[] = [];
      for (const accountId of [ACCOUNT_A, ACCOUNT_B]) {
        const seeded = await send(server.url, 'POST', '/_profileflow/ids', { headers: { 'content-type': 'application/json' }, body: '{"seed":"same-seed"}' });
        assert.equal(seeded.status, 200);
        const client = server.clientFor({ accountId });
        await client.send(new CreateDomainCommand({ DomainName: 'seeded', DefaultExpirationDays: 30 }));
        await putObjectType(client, 'seeded');
        created.push(await createWorkflow(client, { env: { domain: 'seeded', objectType: 'Contact', profile: 'seeded' } }));
      }
      assert.notEqual(created[0], created[1]);
    } finally {
      await server.close();
    }
  });
});

// Row 6, as a user runs it. Before: a `files` folder with a link loop (`x -> .`) never ended its step, CPU
// and memory grew, DeleteWorkflow did not stop it and SIGTERM did not stop the process.
describe('a link loop under a spawned serve', () => {
  const { tempDir, serve } = serveSandbox('pf-loop-');

  test('the step fails promptly naming the loop, and SIGTERM still drains and exits 0', async () => {
    const dir = tempDir();
    const contact = join(dir, 'source', 'Contact');
    mkdirSync(contact, { recursive: true });
    writeFileSync(join(contact, 'a.jsonl'), `${JSON.stringify({ Id: '1', Email: 'a@example.com', LastModifiedDate: '2025-03-01T12:00:00Z' })}\n`);
    symlinkSync('.', join(contact, 'loop'));
    const config = join(dir, 'config.json');
    writeFileSync(config, JSON.stringify({ connectorProfiles: [{ name: 'looped', kind: 'files', settings: { directory: join(dir, 'source') } }] }));
    const { proc, url } = await serve(['--data-dir', join(dir, 'data'), '--config', config, '--file-roots', dir]);
    const client = new CustomerProfilesClient({ endpoint: url, region: 'us-east-1', maxAttempts: 1, credentials: { accessKeyId: 'AKIDLOOP', secretAccessKey: 'x' } });
    try {
      await client.send(new CreateDomainCommand({ DomainName: 'looped', DefaultExpirationDays: 30 }));
      await putObjectType(client, 'looped');
      // An S3 flow lists its bucket folder recursively: the walk that the loop used to keep going forever.
      const request = workflowRequest({ env: { domain: 'looped', objectType: 'Contact', profile: 'looped' }, Batches: [{ StartTime: new Date('2025-03-01T00:00:00Z'), EndTime: new Date('2025-03-02T00:00:00Z') }] });
      const flow = request.IntegrationConfig!.AppflowIntegration!.FlowDefinition!;
      flow.SourceFlowConfig = { ConnectorType: 'S3', ConnectorProfileName: 'looped', SourceConnectorProperties: { S3: { BucketName: 'Contact' } } };
      flow.Tasks = [{ TaskType: 'Map', SourceFields: ['Id'], DestinationField: 'Id', ConnectorOperator: { S3: 'NO_OP' } }];
      const { WorkflowId: workflowId } = await client.send(new CreateIntegrationWorkflowCommand(request));
      let last = '';
      const failed = await eventually(async () => {
        const w = await client.send(new GetWorkflowCommand({ DomainName: 'looped', WorkflowId: workflowId! }));
        last = `${w.Status} ${w.ErrorDescription ?? ''}`;
        return w.Status === 'FAILED' ? w : undefined;
      }, 'the workflow to fail', 20_000).catch((err: Error) => {
        throw new Error(`${err.message}; last seen: ${last}; serve said: ${proc.stdout}${proc.stderr}`);
      });
      assert.match(failed.ErrorDescription ?? '', /link loop|reached twice through links/);
      assert.ok(!(failed.ErrorDescription ?? '').includes(dir), 'no server path in what a tenant reads');
    } finally {
      client.destroy();
    }
    proc.child.kill('SIGTERM');
    assert.deepEqual(await proc.waitForExit(10_000), { code: 0, signal: null });
  });
});
