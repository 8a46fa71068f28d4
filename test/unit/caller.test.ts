import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DEFAULT_ACCOUNT_ID, DEFAULT_REGION, resolveCaller } from '../../src/auth/caller.js';

const none = new URLSearchParams();
const header = (accessKeyId: string, region: string) =>
  `AWS4-HMAC-SHA256 Credential=${accessKeyId}/20261121/${region}/profile/aws4_request, SignedHeaders=host;x-amz-date, Signature=abc123`;

describe('caller', () => {
  test('the region comes from the SigV4 credential scope of the Authorization header', () => {
    assert.deepEqual(resolveCaller(header('AKIDEXAMPLE', 'eu-west-1'), none), {
      accessKeyId: 'AKIDEXAMPLE',
      accountId: DEFAULT_ACCOUNT_ID,
      region: 'eu-west-1',
      role: 'developer',
    });
  });

  test('a 12-digit access key id is the account; any other is 000000000000', () => {
    assert.equal(resolveCaller(header('111122223333', 'us-east-1'), none).accountId, '111122223333');
    for (const id of ['AKIDEXAMPLE', 'test', '11112222333', '1111222233334', '11112222333x']) {
      assert.equal(resolveCaller(header(id, 'us-east-1'), none).accountId, '000000000000', id);
    }
  });

  test('a presigned request carries the scope in X-Amz-Credential', () => {
    const query = new URLSearchParams(
      'X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=444455556666%2F20261121%2Fap-south-1%2Fprofile%2Faws4_request&X-Amz-Signature=ab',
    );
    assert.deepEqual(resolveCaller(undefined, query), {
      accessKeyId: '444455556666',
      accountId: '444455556666',
      region: 'ap-south-1',
      role: 'developer',
    });
  });

  test('the Authorization header wins over a query credential', () => {
    const query = new URLSearchParams({ 'X-Amz-Credential': '444455556666/20261121/ap-south-1/profile/aws4_request' });
    assert.equal(resolveCaller(header('111122223333', 'eu-west-1'), query).region, 'eu-west-1');
  });

  test('no credentials at all: the default account and region', () => {
    assert.deepEqual(resolveCaller(undefined, none), { accessKeyId: undefined, accountId: '000000000000', region: 'us-east-1', role: 'developer' });
    assert.equal(DEFAULT_REGION, 'us-east-1');
    assert.equal(resolveCaller(undefined, none, 'eu-central-1').region, 'eu-central-1');
  });

  test('an Authorization header without a credential scope, or a malformed one, falls back to the defaults', () => {
    for (const auth of ['Bearer abc', 'AWS4-HMAC-SHA256 Credential=AKID/2026/us-east-1/profile', '']) {
      assert.deepEqual(resolveCaller(auth, none), { accessKeyId: undefined, accountId: '000000000000', region: 'us-east-1', role: 'developer' }, auth);
    }
    const query = new URLSearchParams({ 'X-Amz-Credential': 'AKID/20261121/us-east-1' });
    assert.equal(resolveCaller(undefined, query).region, 'us-east-1');
  });

  test('a region that is not region-shaped is not used', () => {
    assert.equal(resolveCaller(header('AKID', 'EU_WEST'), none).region, 'us-east-1');
  });
});
