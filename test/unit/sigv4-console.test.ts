/**
 * What the web console signs (console/src/sigv4.ts, WebCrypto) the server verifies (src/auth/sigv4.ts,
 * node:crypto): both build the canonical request with src/auth/sigv4-canonical.ts. Each request is
 * handed to the verifier as fetch would send it: the URL's path and query as they travel, `host` from
 * the URL, the signed headers.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { presign, queryString, signHeaders } from '../../console/src/sigv4.js';
import { verifySigV4 } from '../../src/auth/sigv4.js';

const KEY = 'AKIDCONSOLESIGN0001';
const SECRET = 'console/secret+with=odd chars';
const ACCOUNT = '222222222222';
const TABLE = new Map([[KEY, { secretAccessKey: SECRET, accountId: ACCOUNT }]]);
const NOW = Date.UTC(2026, 5, 1, 12, 0, 0);
const BASE = 'http://127.0.0.1:4599';

async function verifyConsoleSigned(method: string, target: string, options: { body?: string; presigned?: boolean; headers?: Record<string, string> } = {}) {
  const credentials = { accessKeyId: KEY, secretAccessKey: SECRET };
  let url = new URL(BASE + target);
  let headers: Record<string, string> = {};
  if (options.presigned) url = await presign(url, credentials, 'eu-central-1', NOW, 60);
  else headers = await signHeaders({ method, url, headers: options.headers, body: options.body }, credentials, 'eu-central-1', NOW);
  const rawHeaders = ['Host', url.host, 'User-Agent', 'Mozilla/5.0 (unsigned)', ...Object.entries(headers).flat()];
  return verifySigV4(
    { method, rawUrl: `${url.pathname}${url.search}`, rawHeaders, body: options.body === undefined ? undefined : Buffer.from(options.body, 'utf8') },
    TABLE,
    NOW,
  );
}

const AWKWARD_PATHS = [
  '/domains',
  '/domains/',
  `/domains/${encodeURIComponent("my shop/ü+100%'s (test)*!~")}/workflows`,
  '/domains/a%2Fb/workflows/0123456789abcdef0123456789abcdef/steps',
  '/domains/a%2fb%7e/profiles/search',
  '//domains//shop///',
  '/domains/./shop/../other',
  '/domains/%zz-not-an-escape',
  '/domains/%F0%9F%92%A1',
];

const AWKWARD_QUERIES = [
  '?b=2&b=1&a=3',
  '?flag',
  '?empty=&flag&x=1',
  '?q=a+b',
  '?q=a%2Bb&r=a%20b',
  '?next-token=' + encodeURIComponent("a/b+c d=e&f'(x)*!~é"),
  `?${new URLSearchParams({ 'next token': 'x y+z', email: 'ada+1@example.com' }).toString()}`,
  '?bad=%zz&lower=%2f%3a',
  '?=novalue&&&trailing=',
  `?${queryString({ 'max-results': 5, 'next-token': "a/b+c d=e&f'(x)*!~é", absent: undefined, blank: '' })}`,
];

describe('console signer → server verifier (one canonicalisation)', () => {
  test('header form: every awkward path with every awkward query is verified', async () => {
    for (const path of AWKWARD_PATHS) {
      for (const query of ['', ...AWKWARD_QUERIES]) {
        const caller = await verifyConsoleSigned('GET', path + query);
        assert.deepEqual(caller, { accessKeyId: KEY, accountId: ACCOUNT, region: 'eu-central-1', role: 'tenant' }, path + query);
      }
    }
  });

  test('a JSON body and headers with odd spacing are verified; a changed body is not', async () => {
    const body = JSON.stringify({ KeyName: '_email', Values: ['ada+1@example.com', 'zoë 💡'] });
    const headers = { 'Content-Type': 'application/json', 'X-Note': '  two   spaces\tand a tab ' };
    const caller = await verifyConsoleSigned('POST', '/domains/shop/profiles/search?x=a+b', { body, headers });
    assert.equal(caller.accountId, ACCOUNT);
    const url = new URL(`${BASE}/domains/shop/profiles/search`);
    const signed = await signHeaders({ method: 'POST', url, headers, body }, { accessKeyId: KEY, secretAccessKey: SECRET }, 'eu-central-1', NOW);
    assert.throws(
      () =>
        verifySigV4(
          { method: 'POST', rawUrl: url.pathname, rawHeaders: ['Host', url.host, ...Object.entries(signed).flat()], body: Buffer.from(body.replace('ada', 'eve')) },
          TABLE,
          NOW,
        ),
      { code: 'XAmzContentSHA256Mismatch' },
    );
  });

  test('presigned form (the event stream): awkward queries are verified', async () => {
    for (const query of AWKWARD_QUERIES) {
      const caller = await verifyConsoleSigned('GET', `/_profileflow/events${query}`, { presigned: true });
      assert.equal(caller.accountId, ACCOUNT, query);
    }
  });
});
