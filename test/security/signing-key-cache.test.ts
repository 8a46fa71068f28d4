import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Credential } from '../../src/auth/credentials.js';
import { signSigV4, verifySigV4 } from '../../src/auth/sigv4.js';

/**
 * The verifier keeps the signing keys it derived (one per credential and scope). These check that a kept
 * key never verifies what the credential as it is now would refuse.
 */
const NOW = Date.UTC(2026, 0, 5, 9, 0, 0);
const DAY = 86_400_000;
const KEY = 'AKIDSIGNINGCACHE';

function signed(secret: string, at: number, region = 'us-east-1', service = 'profile') {
  const headers = signSigV4({ method: 'GET', url: 'http://profiles.test/domains?max-results=5' }, { accessKeyId: KEY, secretAccessKey: secret }, region, at, service);
  const rawHeaders = ['Host', 'profiles.test', ...Object.entries(headers).flat()];
  return { method: 'GET', rawUrl: '/domains?max-results=5', rawHeaders, body: undefined };
}

describe('signing keys kept between requests', () => {
  test('a secret changed in place: what the old secret signs is refused from the next request on', () => {
    const credential: Credential = { secretAccessKey: 'first-secret', accountId: '111122223333' };
    const table = new Map([[KEY, credential]]);
    assert.equal(verifySigV4(signed('first-secret', NOW), table, NOW).accountId, '111122223333');
    assert.equal(verifySigV4(signed('first-secret', NOW + 1000), table, NOW + 1000).accountId, '111122223333', 'the kept key verifies the same scope again');
    credential.secretAccessKey = 'second-secret';
    assert.throws(() => verifySigV4(signed('first-secret', NOW + 2000), table, NOW + 2000), { code: 'InvalidSignatureException' });
    assert.equal(verifySigV4(signed('second-secret', NOW + 3000), table, NOW + 3000).accountId, '111122223333');
  });

  test('a credential replaced in the table: the old secret is refused', () => {
    const table = new Map<string, Credential>([[KEY, { secretAccessKey: 'old', accountId: '111122223333' }]]);
    verifySigV4(signed('old', NOW), table, NOW);
    table.set(KEY, { secretAccessKey: 'new', accountId: '111122223333' });
    assert.throws(() => verifySigV4(signed('old', NOW), table, NOW), { code: 'InvalidSignatureException' });
    verifySigV4(signed('new', NOW), table, NOW);
  });

  test('a key kept for one scope never stands in for another: another day, region or service is derived and checked afresh', () => {
    const table = new Map<string, Credential>([[KEY, { secretAccessKey: 'secret', accountId: '111122223333' }]]);
    verifySigV4(signed('secret', NOW), table, NOW);
    for (const [at, region, service] of [
      [NOW + DAY, 'us-east-1', 'profile'],
      [NOW, 'eu-west-1', 'profile'],
      [NOW, 'us-east-1', 'appflow'],
    ] as const) {
      assert.equal(verifySigV4(signed('secret', at, region, service), table, at).region, region);
      assert.throws(() => verifySigV4(signed('wrong', at, region, service), table, at), { code: 'InvalidSignatureException' });
    }
  });

  test('a signature that does not verify leaves nothing behind that a later one could use', () => {
    const table = new Map<string, Credential>([[KEY, { secretAccessKey: 'secret', accountId: '111122223333' }]]);
    // Many failed attempts over many scopes (a caller without the secret), then the real signer still verifies,
    // and a wrong secret in a scope the real signer used is still refused.
    for (let d = 0; d < 40; d++) assert.throws(() => verifySigV4(signed('guess', NOW + d * 1000, `r-${d}`), table, NOW + d * 1000), { code: 'InvalidSignatureException' });
    verifySigV4(signed('secret', NOW), table, NOW);
    assert.throws(() => verifySigV4(signed('guess', NOW), table, NOW), { code: 'InvalidSignatureException' });
  });
});
