import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { sha256Hex, signatureOf, signingKey, verifySigV4 } from '../../src/auth/sigv4.js';
import { canonicalRequest, collectHeaders, credentialScope, splitUrl, stringToSign } from '../../src/auth/sigv4-canonical.js';
import { assertAwsError, send } from '../protocol/raw.js';
import { ACCOUNT_A, CREDENTIALS, KEY_A, type SecureServer, startSecureServer } from './support.js';

/**
 * A presigned URL must say how long it lives. Before, one without X-Amz-Expires was accepted for the
 * longest life AWS allows (seven days) although AWS refuses it; checked once against the old code.
 */
const NOW = Date.UTC(2026, 0, 5, 9, 0, 0);
const amzDate = (ms: number) => new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');

/** A correctly signed presigned GET of `path` on `host`, with X-Amz-Expires only when `expires` is given. */
function presignedUrl(host: string, path: string, signedAt: number, expires?: string): string {
  const date = amzDate(signedAt);
  const scope = credentialScope(date.slice(0, 8), 'us-east-1', 'profile');
  const params: [string, string][] = [
    ['X-Amz-Algorithm', 'AWS4-HMAC-SHA256'],
    ['X-Amz-Credential', `${KEY_A}/${scope}`],
    ['X-Amz-Date', date],
    ...(expires === undefined ? [] : ([['X-Amz-Expires', expires]] as [string, string][])),
    ['X-Amz-SignedHeaders', 'host'],
  ];
  const target = `${path}?${params.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&')}`;
  const { rawPath, query } = splitUrl(target);
  const canonical = canonicalRequest({
    method: 'GET',
    rawPath,
    query,
    presigned: true,
    headers: collectHeaders(['host', host]),
    signedHeaders: ['host'],
    payloadHash: createHash('sha256').update('').digest('hex'),
  });
  const key = signingKey(CREDENTIALS.get(KEY_A)!.secretAccessKey, date.slice(0, 8), 'us-east-1', 'profile');
  return `${target}&X-Amz-Signature=${signatureOf(key, stringToSign(date, scope, sha256Hex(canonical)))}`;
}

const verifyAt = (rawUrl: string, now: number) =>
  verifySigV4({ method: 'GET', rawUrl, rawHeaders: ['Host', 'profiles.test'], body: undefined }, CREDENTIALS, now);

describe('presigned URLs and X-Amz-Expires', () => {
  test('a presigned URL without X-Amz-Expires is refused as incomplete, however fresh', () => {
    const url = presignedUrl('profiles.test', '/domains', NOW);
    assert.throws(() => verifyAt(url, NOW), {
      code: 'IncompleteSignatureException',
      message: "AWS query-string parameters missing: 'X-Amz-Expires'.",
    });
    // Six days later it was still accepted before.
    assert.throws(() => verifyAt(url, NOW + 6 * 86_400_000), { code: 'IncompleteSignatureException' });
  });

  test('with X-Amz-Expires=300 (the console event stream) it works for 300 seconds and no longer', () => {
    const url = presignedUrl('profiles.test', '/_profileflow/events', NOW, '300');
    assert.equal(verifyAt(url, NOW).accountId, ACCOUNT_A);
    assert.equal(verifyAt(url, NOW + 300_000).accountId, ACCOUNT_A);
    assert.throws(() => verifyAt(url, NOW + 301_000), { code: 'InvalidSignatureException', message: /^Signature expired: .* - 300 sec\.\)$/ });
  });

  test('X-Amz-Expires outside 1 to 604800 seconds, or not a number, is refused', () => {
    for (const bad of ['0', '604801', '-1', '1e3', '', 'abc']) {
      const url = presignedUrl('profiles.test', '/domains', NOW, bad);
      assert.throws(() => verifyAt(url, NOW), { code: 'IncompleteSignatureException' }, `X-Amz-Expires=${bad}`);
    }
    assert.equal(verifyAt(presignedUrl('profiles.test', '/domains', NOW, '604800'), NOW + 604_800_000).accountId, ACCOUNT_A);
  });

  describe('over HTTP (--auth sigv4)', () => {
    let server: SecureServer;
    before(async () => {
      server = await startSecureServer();
    });
    after(() => server.close());

    test('the service answers 403 IncompleteSignatureException naming the missing parameter', async () => {
      const host = new URL(server.url).host;
      const res = await send(server.url, 'GET', presignedUrl(host, '/domains', Date.now()));
      assertAwsError(res, 403, 'IncompleteSignatureException', "'X-Amz-Expires'");
      const ok = await send(server.url, 'GET', presignedUrl(host, '/domains', Date.now(), '60'));
      assert.equal(ok.status, 200, ok.text);
    });
  });
});
