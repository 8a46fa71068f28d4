import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Hash } from '@smithy/hash-node';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { type RequestToSign, type SigningCredentials, signSigV4, verifySigV4 } from '../../src/auth/sigv4.js';

const ACCOUNT = '111111111111';
const KEY: SigningCredentials = { accessKeyId: 'AKIDSIGNTEST0001', secretAccessKey: 'a/secret+with=odd chars' };
const TABLE = new Map([[KEY.accessKeyId, { secretAccessKey: KEY.secretAccessKey, accountId: ACCOUNT }]]);
const NOW = Date.UTC(2026, 2, 14, 9, 26, 53);

/** The request as the server sees it after fetch sent it: the path and query as they travel, every header raw. */
function asReceived(request: RequestToSign, headers: Record<string, string>, extra: Record<string, string> = {}) {
  const url = new URL(request.url);
  const body = request.body === undefined ? undefined : Buffer.from(request.body);
  const raw = { host: url.host, ...headers, 'user-agent': 'node', accept: '*/*', ...(body ? { 'content-length': String(body.length) } : {}), ...extra };
  return { method: request.method, rawUrl: `${url.pathname}${url.search}`, rawHeaders: Object.entries(raw).flat(), body };
}

const CASES: { name: string; request: RequestToSign }[] = [
  {
    name: 'GET with a query (several parameters, reserved characters, a repeated key)',
    request: { method: 'GET', url: 'http://127.0.0.1:4599/_profileflow/events?domain=my%20shop&workflowId=a%2Fb%2Bc&b=2&b=1&flag' },
  },
  {
    name: 'PUT with a JSON body',
    request: {
      method: 'PUT',
      url: 'http://127.0.0.1:4599/_profileflow/faults',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify([{ operation: 'GetWorkflow', probability: 0.5, error: 'ThrottlingException', note: 'ünïcødé' }]),
    },
  },
  {
    name: 'a path with characters that need encoding (space, slash, plus, percent, non-ASCII, quote)',
    request: {
      method: 'DELETE',
      url: `http://localhost:8080/_profileflow/connector-profiles/${encodeURIComponent("my demo/ü+100%'s")}`,
    },
  },
  {
    name: 'POST with an empty body to a path needing encoding, with a session token',
    request: { method: 'POST', url: 'http://[::1]:4599/domains/caf%C3%A9/workflows/integrations' },
  },
];

describe('signSigV4 → verifySigV4 (one canonicalisation for both sides)', () => {
  for (const { name, request } of CASES) {
    test(`${name}: verifies, and signs exactly as the AWS SDK's signer does`, async () => {
      const credentials = name.includes('session token') ? { ...KEY, sessionToken: 'FwoGZXIvYXdzEJr//token' } : KEY;
      const headers = signSigV4(request, credentials, 'eu-west-2', NOW);
      assert.deepEqual(verifySigV4(asReceived(request, headers), TABLE, NOW), { accessKeyId: KEY.accessKeyId, accountId: ACCOUNT, region: 'eu-west-2', role: 'tenant' });

      // An independent implementation agrees byte for byte, so the shared code is right and not merely self-consistent.
      const url = new URL(request.url);
      const query: Record<string, string | string[]> = {};
      for (const [k, v] of url.searchParams) query[k] = k in query ? [query[k] as string, v].flat() : v;
      const smithy = new SignatureV4({ credentials, region: 'eu-west-2', service: 'profile', sha256: Hash.bind(null, 'sha256'), uriEscapePath: true, applyChecksum: false });
      const reference = await smithy.sign(
        new HttpRequest({
          method: request.method,
          protocol: url.protocol,
          hostname: url.hostname,
          port: url.port ? Number(url.port) : undefined,
          path: url.pathname,
          query,
          headers: { host: url.host, ...Object.fromEntries(Object.entries(request.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v])) },
          body: request.body,
        }),
        { signingDate: new Date(NOW) },
      );
      assert.equal(headers.authorization, reference.headers.authorization);
    });
  }

  test('a wrong secret, a changed body, query or path, and a stale date are all refused', () => {
    const put = CASES[1].request;
    const signed = signSigV4(put, KEY, 'us-east-1', NOW);
    const received = asReceived(put, signed);
    assert.throws(() => verifySigV4(asReceived(put, signSigV4(put, { ...KEY, secretAccessKey: 'wrong' }, 'us-east-1', NOW)), TABLE, NOW), {
      name: 'InvalidSignatureException',
      message: /The request signature we calculated does not match the signature you provided/,
    });
    assert.throws(() => verifySigV4({ ...received, body: Buffer.from('[]') }, TABLE, NOW), { name: 'InvalidSignatureException' });
    assert.throws(() => verifySigV4({ ...received, rawUrl: '/_profileflow/faults?x=1' }, TABLE, NOW), { name: 'InvalidSignatureException' });
    assert.throws(() => verifySigV4({ ...received, rawUrl: '/_profileflow/Faults' }, TABLE, NOW), { name: 'InvalidSignatureException' });
    assert.throws(() => verifySigV4(received, TABLE, NOW + 16 * 60_000), { name: 'InvalidSignatureException', message: /Signature expired/ });
    // Headers that were not signed may change on the way (a proxy's user agent).
    assert.ok(verifySigV4(asReceived(put, signed, { 'user-agent': 'proxy/1.0' }), TABLE, NOW));
  });
});
