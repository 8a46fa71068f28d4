import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { ADMIN_ROUTES, adminRoutesOf, heapUsedMb, hostileCase, type HostileCase, PROTOTYPE_NAMES, runCase, startFuzzTarget, type FuzzTarget } from './hostile.js';

/**
 * Enough in `npm test` to reach every implemented Customer Profiles and AppFlow operation and every
 * /_profileflow/ route, and most of the operations that answer 501; `npm run fuzz` runs as many as asked.
 */
const RUNS = Number(process.env.PROFILEFLOW_FUZZ_RUNS ?? 600);

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

describe('hostile input: every answer is AWS-shaped, never a 5xx, a hang or a crash', () => {
  let target: FuzzTarget;
  before(async () => {
    target = await startFuzzTarget();
  });
  after(() => target.close());

  test(`${RUNS} generated requests over the routes of both models and of /_profileflow/ (fast-check), with flat memory`, async () => {
    // Warm up so that lazily built caches (routes, regexes, prepared statements) are not counted as growth.
    await fc.check(fc.asyncProperty(hostileCase, async (c) => (await runCase(target, c)) === undefined), { numRuns: 30, seed: 1 });
    gc();
    const before = heapUsedMb();
    const result = await fc.check(
      fc.asyncProperty(hostileCase, async (c) => {
        const problem = await runCase(target, c);
        if (problem) throw new Error(`${c.auth} ${c.method} ${c.url.slice(0, 160)} → ${problem.slice(0, 300)}`);
      }),
      { numRuns: RUNS, seed: Number(process.env.PROFILEFLOW_FUZZ_SEED ?? 20260101) },
    );
    // fast-check's own report prints the whole counterexample, which can be megabytes: say it briefly.
    assert.ok(!result.failed, `seed ${result.seed}, after ${result.numRuns} runs: ${String((result.errorInstance as Error | undefined)?.message ?? result.errorInstance).slice(0, 600)}`);
    gc();
    const growth = heapUsedMb() - before;
    assert.ok(growth < 64, `heap grew by ${growth.toFixed(1)} MB over ${RUNS} cases`);
  });

  test('path tricks in labels, broken percent-encoding and duplicate query keys, case by case', async () => {
    const cases = [
      ['GET', '/domains/..%2F..%2Fetc%2Fpasswd'],
      ['GET', '/domains/%00'],
      ['GET', '/domains/%'],
      ['GET', '/domains/%E0%A4%A'],
      ['GET', '/domains/a/../../domains'],
      ['GET', '/domains//workflows/'],
      ['GET', '/domains?max-results=1&max-results=2&next-token=%&next-token=x'],
      ['GET', '/domains?max-results=%FF'],
      ['DELETE', '/domains/%2e%2e'],
      ['PUT', '/tags/%00?tagKeys=%00'],
      ['GET', `/domains/${'a'.repeat(100_000)}`],
      ['POST', '/domains/x/workflows?max-results=-1'],
      ['POST', '/describe-connectors', '{}'],
      ['POST', '/create-flow', '{"flowName":'],
      ['POST', '/list-flows', `{"maxResults":${'['.repeat(100)}`],
      ['GET', '/tags/arn%3Aaws%3Aappflow%3Aus-east-1%3A000000000000%3Aflow%2F%00'],
      ['DELETE', '/tags/arn%3Aaws%3Aappflow%3A%3A%3Aflow%2Fx?tagKeys=__proto__&tagKeys=%'],
      ['PUT', '/_profileflow/connector-profiles/%00', '{"kind":"synthetic"}'],
      ['GET', `/_profileflow/workflows/${'d'.repeat(2000)}/x/progress?limit=1e3`],
      ['POST', `/_profileflow/flows/111111111111/us-east-1/${'f'.repeat(300)}/signal`, '{}'],
      ['POST', '/_profileflow/clock', '{"advanceMs":1e308}'],
      ['POST', '/_profileflow/clock', '{"set":"+275760-09-13T00:00:00.000Z"}'],
      ['GET', '/_profileflow/engine'],
      ['PUT', '/_profileflow/faults', '[{"operation":"*","latencyMs":60000}]'],
      ['GET', '/_profileflow/events?accountId=%'],
    ] as const;
    for (const [method, url, body] of cases) {
      const c: HostileCase = { method, url, headers: body === undefined ? {} : { 'content-type': 'application/json' }, body, auth: 'off', surface: url.startsWith('/_profileflow/') ? 'admin' : undefined };
      const problem = await runCase(target, c);
      assert.equal(problem, undefined, `${method} ${url.slice(0, 80)}: ${problem}`);
    }
  });

  test("the admin routes generated are exactly the app's, so a route added to /_profileflow/ is fuzzed or this fails", () => {
    const generated = ADMIN_ROUTES.map((r) => `${r.method} /_profileflow${r.pattern}`).sort();
    assert.deepEqual(generated, adminRoutesOf(target.apps.off));
    assert.deepEqual(generated, adminRoutesOf(target.apps.sigv4));
  });
});

describe('names of Object.prototype members are kept, never dropped', () => {
  let target: FuzzTarget;
  before(async () => {
    target = await startFuzzTarget();
  });
  after(() => target.close());

  test('tag keys and custom attribute names of any such spelling come back exactly as sent', async () => {
    const app = target.apps.off;
    const call = async (method: string, url: string, body?: unknown) => {
      const res = await app.inject({ method: method as 'GET', url, headers: { 'content-type': 'application/json' }, payload: body === undefined ? undefined : JSON.stringify(body) });
      assert.equal(res.statusCode, 200, `${method} ${url}: ${res.body}`);
      return JSON.parse(res.body) as Record<string, unknown>;
    };
    await call('POST', '/domains/fuzz-proto', { DefaultExpirationDays: 30 });
    const arn = encodeURIComponent('arn:aws:profile:us-east-1:000000000000:domains/fuzz-proto');
    const name = fc.oneof(fc.constantFrom(...PROTOTYPE_NAMES), fc.stringMatching(/^[a-z_]{1,12}$/));
    let n = 0;
    await fc.assert(
      fc.asyncProperty(fc.uniqueArray(fc.tuple(name, fc.stringMatching(/^[a-z0-9]{1,8}$/)), { selector: ([k]) => k, minLength: 1, maxLength: 6 }), async (entries) => {
        const sent = JSON.parse(JSON.stringify(Object.fromEntries(entries))) as Record<string, string>;
        await call('POST', `/tags/${arn}`, { tags: sent });
        const tags = (await call('GET', `/tags/${arn}`)).tags as Record<string, string>;
        for (const [k, v] of entries) assert.ok(Object.hasOwn(tags, k) && tags[k] === v, `tag ${k} kept: ${JSON.stringify(tags)}`);
        await call('DELETE', `/tags/${arn}?${entries.map(([k]) => `tagKeys=${encodeURIComponent(k)}`).join('&')}`);

        const account = `acc-${n++}`;
        await call('POST', '/domains/fuzz-proto/profiles', { AccountNumber: account, Attributes: sent });
        const found = await call('POST', '/domains/fuzz-proto/profiles/search', { KeyName: '_account', Values: [account] });
        const attributes = (found.Items as { Attributes?: Record<string, string> }[])[0].Attributes ?? {};
        for (const [k, v] of entries) assert.ok(Object.hasOwn(attributes, k) && attributes[k] === v, `attribute ${k} kept: ${JSON.stringify(attributes)}`);
      }),
      { numRuns: 40, seed: 20260102 },
    );
  });
});

describe('hostile bytes on a raw socket', () => {
  let target: FuzzTarget;
  let port: number;
  before(async () => {
    target = await startFuzzTarget();
    const url = await target.apps.off.listen({ host: '127.0.0.1', port: 0 });
    port = Number(new URL(url).port);
  });
  after(() => target.close());

  /** Writes the bytes, reads until the server closes or answers one response; never waits forever. */
  function exchange(bytes: string | Buffer, deadlineMs = 5000): Promise<string> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, '127.0.0.1');
      let data = '';
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`no answer within ${deadlineMs} ms; got: ${data.slice(0, 200)}`));
      }, deadlineMs);
      socket.on('data', (d) => {
        data += d.toString('latin1');
        const head = data.indexOf('\r\n\r\n');
        const length = /content-length: (\d+)/i.exec(data.slice(0, head));
        if (head !== -1 && length && data.length >= head + 4 + Number(length[1])) {
          clearTimeout(timer);
          socket.destroy();
          resolve(data);
        }
      });
      socket.on('error', () => undefined);
      socket.on('close', () => {
        clearTimeout(timer);
        resolve(data);
      });
      socket.write(bytes);
    });
  }

  function assertAwsShaped4xx(answer: string, what: string): void {
    const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1]);
    assert.ok(status >= 400 && status < 500, `${what}: ${answer.slice(0, 300)}`);
    assert.match(answer, /x-amzn-errortype: \w+/i, what);
    assert.match(answer, /x-amzn-requestid: [0-9a-f-]{36}/i, what);
    assert.match(answer, /\r\n\r\n\{"Message":"[^"]+/, what);
  }

  test('malformed requests get AWS-shaped 4xx answers and the server stays up', async () => {
    const cases: Array<[string, string | Buffer]> = [
      ['a garbage request line', 'HELLO\r\n\r\n'],
      ['an invalid header name', 'GET /domains HTTP/1.1\r\nHost: x\r\nBad Header: 1\r\n\r\n'],
      ['a header too large', `GET /domains HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(70_000)}\r\n\r\n`],
      ['content-length and transfer-encoding together', 'POST /domains/x HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n'],
      ['a bad chunk', 'POST /domains/x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n'],
      ['a NUL in the path', 'GET /domains/\u0000 HTTP/1.1\r\nHost: x\r\n\r\n'],
      ['a non-numeric content-length', 'POST /domains/x HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n'],
      ['invalid UTF-8 in a JSON body', Buffer.concat([Buffer.from('POST /domains/x HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 4\r\n\r\n'), Buffer.from([0x7b, 0xff, 0xfe, 0x7d])])],
      ['an absolute-form URL', 'GET http://evil.example/domains HTTP/1.1\r\nHost: x\r\n\r\n'],
      ['a path without a leading slash', 'GET domains HTTP/1.1\r\nHost: x\r\n\r\n'],
    ];
    for (const [what, bytes] of cases) assertAwsShaped4xx(await exchange(bytes), what);
    const health = await fetch(`http://127.0.0.1:${port}/_profileflow/health`);
    assert.equal(health.status, 200);
  });
});
