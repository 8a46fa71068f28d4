import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { CustomerProfilesClient, ListDomainsCommand } from '@aws-sdk/client-customer-profiles';
import { Throttle } from '../../src/server/throttle.js';
import { assertAwsError, type RawResponse } from '../protocol/raw.js';
import { type SecureServer, startSecureServer } from './support.js';

function toRaw(res: { statusCode: number; headers: Record<string, unknown>; body: string }): RawResponse {
  const headers = new Headers();
  for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) headers.set(k, String(v));
  let json: unknown;
  try {
    json = JSON.parse(res.body);
  } catch {
    json = undefined;
  }
  return { status: res.statusCode, headers, text: res.body, json };
}

/** An unverified SDK-style credential scope for account `account` (auth off reads the account from it). */
function authFor(account: string, region = 'us-east-1'): string {
  return `AWS4-HMAC-SHA256 Credential=${account}/20260101/${region}/profile/aws4_request, SignedHeaders=host, Signature=00`;
}

describe('Throttle: token buckets per (account, region, operation)', () => {
  test('a bucket holds `burst` tokens and refills at `rate` per second', () => {
    let now = 0;
    const t = new Throttle({ rate: 2, burst: 3, now: () => now });
    for (let i = 0; i < 3; i++) t.take('111111111111', 'us-east-1', 'ListDomains');
    assert.throws(() => t.take('111111111111', 'us-east-1', 'ListDomains'), { name: 'ThrottlingException', statusCode: 429 });
    now += 499;
    assert.throws(() => t.take('111111111111', 'us-east-1', 'ListDomains'));
    now += 1;
    t.take('111111111111', 'us-east-1', 'ListDomains');
    assert.equal(t.rejected, 2);
    // Other accounts, regions and operations have buckets of their own.
    t.take('222222222222', 'us-east-1', 'ListDomains');
    t.take('111111111111', 'eu-west-1', 'ListDomains');
    t.take('111111111111', 'us-east-1', 'GetDomain');
  });

  test('memory is bounded: refilled buckets are dropped and the map is capped', () => {
    let now = 0;
    const t = new Throttle({ rate: 10, burst: 2, maxBuckets: 500, now: () => now });
    for (let i = 0; i < 50_000; i++) t.take(String(i).padStart(12, '0'), 'us-east-1', 'GetDomain');
    assert.ok(t.size <= 500, `${t.size} buckets`);
    // Once idle long enough to refill, buckets are swept as traffic continues.
    now += 60_000;
    for (let i = 0; i < 2_000; i++) {
      t.take('999999999999', 'us-east-1', 'GetDomain');
      now += 100;
    }
    assert.ok(t.size < 50, `${t.size} buckets after the idle ones refilled`);
  });
});

describe('throttling on the AWS routes', () => {
  let server: SecureServer;
  before(async () => {
    // Practically no refill during the test: the burst is all there is.
    server = await startSecureServer({ auth: 'off', throttle: { rate: 0.001, burst: 5 }, listen: false });
  });
  after(() => server.close());

  test('a burst beyond the bucket gets AWS-shaped 429 ThrottlingException; other accounts and operations are unaffected', async () => {
    const answers = await Promise.all(
      Array.from({ length: 12 }, () => server.app.inject({ method: 'GET', url: '/domains', headers: { authorization: authFor('111111111111') } })),
    );
    const codes = answers.map((a) => a.statusCode).sort();
    assert.deepEqual(codes, [...Array(5).fill(200), ...Array(7).fill(429)]);
    assertAwsError(toRaw(answers.find((a) => a.statusCode === 429)!), 429, 'ThrottlingException', 'Rate exceeded');

    const otherAccount = await server.app.inject({ method: 'GET', url: '/domains', headers: { authorization: authFor('222222222222') } });
    assert.equal(otherAccount.statusCode, 200);
    const otherRegion = await server.app.inject({ method: 'GET', url: '/domains', headers: { authorization: authFor('111111111111', 'eu-west-1') } });
    assert.equal(otherRegion.statusCode, 200);
    const otherOperation = await server.app.inject({ method: 'GET', url: '/domains/none', headers: { authorization: authFor('111111111111') } });
    assert.equal(otherOperation.statusCode, 404, 'GetDomain has its own bucket: the answer is the operation’s own');
  });
});

describe('the SDK’s default retry strategy recovers from throttling', () => {
  let server: SecureServer;
  before(async () => {
    // One token, and a throttle clock that stands still for the first three requests (so two of three
    // concurrent calls are refused, whatever the machine's speed) and then jumps ahead at every request,
    // so each retry finds a refilled bucket. The SDK's retry itself runs in real time.
    let calls = 0;
    const now = () => (++calls <= 3 ? 0 : calls * 1_000_000);
    server = await startSecureServer({ auth: 'off', throttle: { rate: 1, burst: 1, now } });
  });
  after(() => server.close());

  test('concurrent calls all succeed, some after a retry', async () => {
    // No maxAttempts: the SDK's own default (standard mode, 3 attempts, throttling back-off).
    const client = new CustomerProfilesClient({
      endpoint: server.url,
      region: 'us-east-1',
      credentials: { accessKeyId: '333333333333', secretAccessKey: 'x' },
    });
    try {
      const outs = await Promise.all(Array.from({ length: 3 }, () => client.send(new ListDomainsCommand({}))));
      const attempts = outs.map((o) => o.$metadata.attempts ?? 1).sort();
      assert.deepEqual(attempts, [1, 2, 2], 'two calls were throttled once each and got through on their retry');
    } finally {
      client.destroy();
    }
  });
});
