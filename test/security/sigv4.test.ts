import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  CreateDomainCommand,
  GetDomainCommand,
  GetWorkflowStepsCommand,
  ListDomainsCommand,
  ListTagsForResourceCommand,
  TagResourceCommand,
} from '@aws-sdk/client-customer-profiles';
import { HttpRequest } from '@smithy/protocol-http';
import { assertAwsError, send } from '../protocol/raw.js';
import { ACCOUNT_A, ACCOUNT_B, KEY_A, KEY_A2, KEY_B, OPERATOR_KEY, OPERATOR_SECRET, type SecureServer, sendSigned, signRequest, startSecureServer } from './support.js';

/** A copy with its own headers and query (HttpRequest#clone shares the headers object). */
function alter(request: HttpRequest, changes: Partial<HttpRequest>): HttpRequest {
  return Object.assign(new HttpRequest({ ...request, headers: { ...request.headers }, query: { ...request.query } }), changes);
}

const SIGNATURE_MISMATCH = 'The request signature we calculated does not match the signature you provided.';

describe('SigV4 verification (--auth sigv4)', () => {
  let server: SecureServer;
  before(async () => {
    server = await startSecureServer();
  });
  after(() => server.close());

  describe('the official SDK, correctly signed', () => {
    test('works, and the account is the one configured for the access key', async () => {
      const a = server.client();
      const created = await a.send(new CreateDomainCommand({ DomainName: 'sig-a', DefaultExpirationDays: 30 }));
      assert.equal(created.DomainName, 'sig-a');
      // Labels with ':' and '/' (double-encoded in the canonical URI) and a query string are signed right.
      const arn = `arn:aws:profile:us-east-1:${ACCOUNT_A}:domains/sig-a`;
      await a.send(new TagResourceCommand({ resourceArn: arn, tags: { 'team/a:b': 'x+y=z' } }));
      const tags = await a.send(new ListTagsForResourceCommand({ resourceArn: arn }));
      assert.deepEqual(tags.tags, { 'team/a:b': 'x+y=z' });
      // Another key of the same account sees the same data.
      const a2 = server.client({ accessKeyId: KEY_A2 });
      assert.deepEqual((await a2.send(new ListDomainsCommand({ MaxResults: 10 }))).Items?.map((d) => d.DomainName), ['sig-a']);
      // Account B does not.
      const b = server.client({ accessKeyId: KEY_B });
      assert.deepEqual((await b.send(new ListDomainsCommand({}))).Items ?? [], []);
      await assert.rejects(b.send(new GetDomainCommand({ DomainName: 'sig-a' })), { name: 'ResourceNotFoundException' });
    });

    test('a query string with several parameters verifies (GetWorkflowSteps max-results)', async () => {
      const a = server.client();
      await assert.rejects(
        a.send(new GetWorkflowStepsCommand({ DomainName: 'sig-a', WorkflowId: '0123456789abcdef0123456789abcdef', MaxResults: 5, NextToken: 'a/b+c d' })),
        (err: Error) => err.name === 'BadRequestException' || err.name === 'ResourceNotFoundException',
      );
    });

    test('an access key id that looks like another account does not change the account', async () => {
      const res = await sendSigned(await signRequest(server.url, 'GET', '/domains', { accessKeyId: ACCOUNT_B, secretAccessKey: 'whatever' }));
      assertAwsError(res, 403, 'UnrecognizedClientException', 'The security token included in the request is invalid.');
    });
  });

  describe('refusals, AWS-shaped', () => {
    test('no signature at all: 403 MissingAuthenticationTokenException', async () => {
      const res = await send(server.url, 'GET', '/domains');
      assertAwsError(res, 403, 'MissingAuthenticationTokenException', 'Missing Authentication Token');
    });

    test('an unknown route without a signature is refused before routing, as AWS does', async () => {
      assertAwsError(await send(server.url, 'GET', '/nothing/here'), 403, 'MissingAuthenticationTokenException');
    });

    test('a malformed Authorization header: 403 IncompleteSignatureException', async () => {
      for (const authorization of [
        'AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/profile/aws4_request',
        'AWS4-HMAC-SHA256',
        'Bearer abc',
        'AWS4-HMAC-SHA256 Credential=only-two/parts, SignedHeaders=host, Signature=00',
      ]) {
        const res = await send(server.url, 'GET', '/domains', { headers: { authorization, 'x-amz-date': '20240101T000000Z' } });
        assertAwsError(res, 403, 'IncompleteSignatureException');
      }
    });

    test('an unknown access key: 403 UnrecognizedClientException', async () => {
      const c = server.client({ accessKeyId: 'AKIDNOBODY', secretAccessKey: 'x' });
      await assert.rejects(c.send(new ListDomainsCommand({})), (err: Error & { $metadata?: { httpStatusCode?: number } }) => {
        assert.equal(err.name, 'UnrecognizedClientException');
        assert.equal(err.$metadata?.httpStatusCode, 403);
        return true;
      });
    });

    test('a wrong secret: 403 InvalidSignatureException that reveals nothing about the expected signature', async () => {
      const c = server.client({ accessKeyId: KEY_A, secretAccessKey: 'not-the-secret' });
      await assert.rejects(c.send(new ListDomainsCommand({})), (err: Error) => {
        assert.equal(err.name, 'InvalidSignatureException');
        assert.ok(err.message.startsWith(SIGNATURE_MISMATCH), err.message);
        assert.doesNotMatch(err.message, /[0-9a-f]{64}|canonical|GET\n|host:/i);
        return true;
      });
    });

    test('a request time 20 minutes off: 403 InvalidSignatureException "Signature expired"', async () => {
      const past = new Date(Date.now() - 20 * 60_000);
      const res = await sendSigned(await signRequest(server.url, 'GET', '/domains', { signingDate: past }));
      assertAwsError(res, 403, 'InvalidSignatureException', /^Signature expired: \d{8}T\d{6}Z is now earlier than \d{8}T\d{6}Z \(\d{8}T\d{6}Z - 15 min\.\)$/);
      const future = new Date(Date.now() + 20 * 60_000);
      const ahead = await sendSigned(await signRequest(server.url, 'GET', '/domains', { signingDate: future }));
      assertAwsError(ahead, 403, 'InvalidSignatureException', /^Signature not yet current: /);
      // Within the 15 minutes the request passes.
      const near = await sendSigned(await signRequest(server.url, 'GET', '/domains', { signingDate: new Date(Date.now() - 10 * 60_000) }));
      assert.equal(near.status, 200, near.text);
    });

    test('a scope for another service, or a bad terminator: 403 InvalidSignatureException', async () => {
      const res = await sendSigned(await signRequest(server.url, 'GET', '/domains', { service: 's3' }));
      assertAwsError(res, 403, 'InvalidSignatureException', "Credential should be scoped to correct service: 'profile' (Customer Profiles) or 'appflow' (Amazon AppFlow), not 's3'.");
      const signed = await signRequest(server.url, 'GET', '/domains');
      signed.headers.authorization = signed.headers.authorization.replace('/aws4_request', '/aws5_request');
      const terminator = await sendSigned(signed);
      assertAwsError(terminator, 403, 'InvalidSignatureException', "Credential should be scoped with a valid terminator: 'aws4_request', not 'aws5_request'.");
    });

    test('a body changed after signing, with its x-amz-content-sha256: 400 XAmzContentSHA256Mismatch', async () => {
      const body = JSON.stringify({ DefaultExpirationDays: 30 });
      const resigned = await signRequest(server.url, 'POST', '/domains/tampered', { body });
      assert.ok(resigned.headers['x-amz-content-sha256']);
      const res = await sendSigned(resigned, JSON.stringify({ DefaultExpirationDays: 31 }));
      assertAwsError(res, 400, 'XAmzContentSHA256Mismatch', "The provided 'x-amz-content-sha256' header does not match what was computed.");
    });

    test('a body changed after signing, without x-amz-content-sha256 (botocore): 403 InvalidSignatureException', async () => {
      const body = JSON.stringify({ DefaultExpirationDays: 30 });
      const signed = await signRequest(server.url, 'POST', '/domains/tampered', { body, applyChecksum: false });
      assert.equal(signed.headers['x-amz-content-sha256'], undefined);
      const res = await sendSigned(signed, JSON.stringify({ DefaultExpirationDays: 99 }));
      assertAwsError(res, 403, 'InvalidSignatureException', SIGNATURE_MISMATCH);
      // The same request with the body it was signed over passes (and creates the domain).
      const ok = await sendSigned(signed, body);
      assert.equal(ok.status, 200, ok.text);
    });

    test('a changed path, query or signed header after signing: 403 InvalidSignatureException', async () => {
      const signed = await signRequest(server.url, 'GET', '/domains', { query: { 'max-results': '5' } });
      const changedQuery = await sendSigned(alter(signed, { query: { 'max-results': '6' } }));
      assertAwsError(changedQuery, 403, 'InvalidSignatureException', SIGNATURE_MISMATCH);
      const changedPath = await sendSigned(alter(signed, { path: '/domains/x' }));
      assertAwsError(changedPath, 403, 'InvalidSignatureException', SIGNATURE_MISMATCH);
      const changedHeader = alter(signed, {});
      changedHeader.headers['x-amz-date'] = changedHeader.headers['x-amz-date'].replace(/\d(?=Z$)/, (d) => String((Number(d) + 1) % 10));
      assert.notEqual(changedHeader.headers['x-amz-date'], signed.headers['x-amz-date']);
      assertAwsError(await sendSigned(changedHeader), 403, 'InvalidSignatureException');
      assert.equal((await sendSigned(signed)).status, 200);
    });
  });

  describe('presigned URLs (X-Amz-Algorithm, -Credential, -Date, -SignedHeaders, -Signature in the query)', () => {
    test('a presigned GET is accepted; an altered one is refused', async () => {
      const presigned = await signRequest(server.url, 'GET', '/domains', { presign: true, query: { 'max-results': '3' } });
      assert.ok(presigned.query['X-Amz-Signature']);
      const ok = await sendSigned(presigned);
      assert.equal(ok.status, 200, ok.text);
      const altered = alter(presigned, { query: { ...presigned.query, 'max-results': '4' } });
      assertAwsError(await sendSigned(altered), 403, 'InvalidSignatureException', SIGNATURE_MISMATCH);
      const { ['X-Amz-Signature']: _dropped, ...rest } = presigned.query;
      const incomplete = alter(presigned, { query: rest });
      assertAwsError(await sendSigned(incomplete), 403, 'IncompleteSignatureException', "'X-Amz-Signature'");
    });
  });

  describe('admin routes under /_profileflow/', () => {
    test('need a request signed by the operator; a tenant key is refused; health stays open', async () => {
      assert.equal((await send(server.url, 'GET', '/_profileflow/health')).status, 200);
      assertAwsError(await send(server.url, 'GET', '/_profileflow/connector-profiles'), 403, 'MissingAuthenticationTokenException');
      assertAwsError(await send(server.url, 'GET', '/_profileflow/engine'), 403, 'MissingAuthenticationTokenException');
      const body = JSON.stringify({ kind: 'synthetic', settings: { recordsPerDay: 10 } });
      const asTenant = await sendSigned(await signRequest(server.url, 'PUT', '/_profileflow/connector-profiles/syn', { accessKeyId: KEY_B, body }));
      assertAwsError(asTenant, 403, 'AccessDeniedException');
      const put = await sendSigned(
        await signRequest(server.url, 'PUT', '/_profileflow/connector-profiles/syn', { accessKeyId: OPERATOR_KEY, secretAccessKey: OPERATOR_SECRET, body }),
      );
      assert.equal(put.status, 201, put.text);
      const list = await sendSigned(await signRequest(server.url, 'GET', '/_profileflow/connector-profiles', { accessKeyId: OPERATOR_KEY, secretAccessKey: OPERATOR_SECRET }));
      assert.equal(list.status, 200, list.text);
      const wrong = await sendSigned(await signRequest(server.url, 'GET', '/_profileflow/engine', { secretAccessKey: 'nope' }));
      assertAwsError(wrong, 403, 'InvalidSignatureException');
    });
  });
});

describe('--auth off accepts any signature (the account still comes from a 12-digit access key id)', () => {
  let server: SecureServer;
  before(async () => {
    server = await startSecureServer({ auth: 'off' });
  });
  after(() => server.close());

  test('wrong secrets, unknown keys and unsigned admin calls all pass', async () => {
    const c = server.client({ accessKeyId: ACCOUNT_B, secretAccessKey: 'anything' });
    const out = await c.send(new CreateDomainCommand({ DomainName: 'off', DefaultExpirationDays: 1 }));
    assert.equal(out.DomainName, 'off');
    const tags = await c.send(new ListTagsForResourceCommand({ resourceArn: `arn:aws:profile:us-east-1:${ACCOUNT_B}:domains/off` }));
    assert.deepEqual(tags.tags ?? {}, {});
    assert.equal((await send(server.url, 'GET', '/_profileflow/connector-profiles')).status, 200);
    void KEY_A;
  });
});
