import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { httpFetch, httpStatusError, streamBody, URL_RULE } from '../../src/connectors/shared/http.js';
import { SourceError } from '../../src/connectors/types.js';
import { testConnectorPolicy } from '../helpers/connector-policy.js';
import { problemsOf } from '../../src/domain/problem.js';

/** The test server listens on loopback, which the production default refuses. */
const policy = testConnectorPolicy();

describe('httpFetch', () => {
  let server: Server;
  let base: string;
  const seen: string[] = [];
  before(async () => {
    server = createServer((req, res) => {
      seen.push(`${req.url} ${req.headers.authorization ?? '-'}`);
      if (req.url === '/moved') {
        res.writeHead(302, { location: `${base}/elsewhere` }).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => server.close());

  test('a redirect is a permanent failure and the credentials never follow it', async () => {
    await assert.rejects(
      httpFetch('The test source', `${base}/moved`, { headers: { authorization: 'Bearer secret-token' }, policy }),
      (err: unknown) => err instanceof SourceError && err.kind === 'permanent' && /redirect \(HTTP 302\)/.test(err.message) && !err.message.includes('secret-token'),
    );
    assert.deepEqual(seen.filter((s) => s.startsWith('/elsewhere')), []);
  });

  test('an ordinary answer is returned as it came', async () => {
    const response = await httpFetch('The test source', `${base}/data`, { policy });
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), { ok: true });
  });

  test('a refused connection is transient', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    await assert.rejects(httpFetch('The test source', `http://127.0.0.1:${port}/`, { policy }), (err: unknown) => err instanceof SourceError && err.kind === 'transient');
  });
});

describe('httpStatusError', () => {
  const answer = (status: number, headers: Record<string, string> = {}) => new Response(null, { status, headers });

  test('Retry-After, in seconds or as an HTTP date, travels as retryAfterMs on transient errors', () => {
    const limited = httpStatusError('The test source', answer(429, { 'retry-after': '30' }), 'slow down');
    assert.equal(limited.kind, 'transient');
    assert.equal(limited.retryAfterMs, 30_000);
    assert.match(limited.message, /Retry-After: 30 seconds/);
    const at = new Date(Date.now() + 120_000).toUTCString();
    const down = httpStatusError('The test source', answer(503, { 'retry-after': at }), '');
    assert.ok(down.retryAfterMs !== undefined && down.retryAfterMs > 100_000 && down.retryAfterMs <= 121_000, String(down.retryAfterMs));
  });

  test('no Retry-After, an unreadable one, or a permanent failure leaves retryAfterMs undefined', () => {
    assert.equal(httpStatusError('The test source', answer(500), '').retryAfterMs, undefined);
    assert.equal(httpStatusError('The test source', answer(429, { 'retry-after': 'soon' }), '').retryAfterMs, undefined);
    const refused = httpStatusError('The test source', answer(403, { 'retry-after': '30' }), '');
    assert.equal(refused.kind, 'permanent');
    assert.equal(refused.retryAfterMs, undefined);
  });

  test('SourceError takes retryAfterMs as an option and stays constructible without it', () => {
    assert.equal(new SourceError('transient', 'x').retryAfterMs, undefined);
    assert.equal(new SourceError('transient', 'x', { retryAfterMs: 1500 }).retryAfterMs, 1500);
    assert.equal(new SourceError('transient', 'x', { retryAfterMs: Number.NaN }).retryAfterMs, undefined);
  });
});

describe('URL_RULE', () => {
  test('an http(s) base URL passes; a user name or password, a query, another scheme do not', () => {
    assert.deepEqual(URL_RULE.parse('https://acme.example.com/base', 'url'), { ok: true, value: 'https://acme.example.com/base' });
    assert.match(problemsOf(URL_RULE.parse('https://user:pw@acme.example.com', 'url')).join(' '), /must not carry a user name or password/);
    assert.match(problemsOf(URL_RULE.parse('https://user@acme.example.com', 'url')).join(' '), /must not carry a user name or password/);
    assert.match(problemsOf(URL_RULE.parse('https://acme.example.com/?a=1', 'url')).join(' '), /without query or fragment/);
    assert.match(problemsOf(URL_RULE.parse('ftp://acme.example.com', 'url')).join(' '), /http or https URL/);
    assert.match(problemsOf(URL_RULE.parse('', 'url')).join(' '), /http or https URL/);
  });
});

describe('streamBody', () => {
  test('a body that stalls longer than the idle limit is transient; a slow consumer is not timed out', async () => {
    let push: ((chunk: Uint8Array) => void) | undefined;
    const stalled = new Response(new ReadableStream<Uint8Array>({ start: (c) => { c.enqueue(new Uint8Array([1])); push = (x) => c.enqueue(x); } }));
    const chunks: number[] = [];
    await assert.rejects(
      (async () => {
        for await (const chunk of streamBody('The test source', stalled, 50)) chunks.push(chunk.length);
      })(),
      (err: unknown) => err instanceof SourceError && err.kind === 'transient' && /stalled for 50 ms/.test(err.message),
    );
    assert.deepEqual(chunks, [1]);
    assert.ok(push);

    const body = new Response('abc');
    const seen: string[] = [];
    for await (const chunk of streamBody('The test source', body, 20)) {
      await new Promise((resolve) => setTimeout(resolve, 60));
      seen.push(Buffer.from(chunk).toString());
    }
    assert.equal(seen.join(''), 'abc');
  });
});
