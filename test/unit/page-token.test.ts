import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { BadRequestException } from '../../src/api/errors.js';
import { MAX_TOKEN_LENGTH, PageTokens } from '../../src/domain/page-token.js';
import { paginate } from '../../src/operations/paginate.js';

const tokens = new PageTokens(randomBytes(32));
const binding = ['ListDomains', { accountId: '000000000000', region: 'us-east-1' }];

function rejects(token: string, b: unknown = binding, words = /NextToken/): void {
  const read = tokens.read(token, b);
  assert.ok(!read.ok && read.problems.length === 1 && words.test(read.problems[0]), `token ${JSON.stringify(token.slice(0, 40))} should be refused`);
}

describe('page tokens', () => {
  test('a token gives back the position it was issued with, for the same request', () => {
    for (const position of ['dom-9', 42, { name: 'x', id: 'y' }, ['a', 1]]) {
      const token = tokens.issue(binding, position);
      assert.deepEqual(tokens.read(token, binding), { ok: true, value: position });
    }
  });

  test('a token is opaque URL-safe text within the 1024-character limit', () => {
    const token = tokens.issue(binding, { name: 'n'.repeat(64), created: Date.now() });
    assert.match(token, /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    assert.ok(token.length <= MAX_TOKEN_LENGTH);
    assert.ok(!token.includes('n'.repeat(8)), 'the position is not readable as plain text');
  });

  test('a position too large for 1024 characters is a programming error, not a token', () => {
    assert.throws(() => tokens.issue(binding, 'x'.repeat(2000)), /does not fit/);
  });

  test('an altered token is refused', () => {
    const token = tokens.issue(binding, 'dom-1');
    const [payload, mac] = token.split('.');
    const forged = Buffer.from(JSON.stringify({ p: 'dom-9', b: JSON.parse(Buffer.from(payload, 'base64url').toString()).b })).toString('base64url');
    rejects(`${forged}.${mac}`, binding, /not valid/);
    const flip = (s: string, i: number) => s.slice(0, i) + (s[i] === 'A' ? 'B' : 'A') + s.slice(i + 1);
    rejects(`${flip(payload, 3)}.${mac}`, binding, /not valid/);
    rejects(`${payload}.${flip(mac, 0)}`, binding, /not valid/);
  });

  test('a truncated token, or one that is not a token at all, is refused', () => {
    const token = tokens.issue(binding, 'dom-1');
    for (const bad of [token.slice(0, -1), token.slice(0, token.indexOf('.')), token.slice(token.indexOf('.')), 'garbage', '.', 'a.b']) {
      rejects(bad, binding, /not valid/);
    }
  });

  test('non-ASCII characters where the signature goes are refused, not a crash', () => {
    const token = tokens.issue(binding, 'dom-1');
    const [payload, mac] = token.split('.');
    rejects(`${payload}.${'é'.repeat(mac.length)}`, binding, /not valid/);
  });

  test('a token signed with another secret is refused', () => {
    const other = new PageTokens(randomBytes(32));
    rejects(other.issue(binding, 'dom-1'), binding, /not valid/);
  });

  test('a token issued for another request (operation, scope, filters) is refused', () => {
    const token = tokens.issue(binding, 'dom-1');
    rejects(token, ['ListDomains', { accountId: '111122223333', region: 'us-east-1' }], /does not belong/);
    rejects(token, ['ListWorkflows', { accountId: '000000000000', region: 'us-east-1' }], /does not belong/);
  });
});

describe('paginate', () => {
  test('a refused token is a BadRequestException with the problem as its message', async () => {
    const other = tokens.issue(['ListWorkflows'], 'x');
    await assert.rejects(
      paginate({ tokens, binding, maxResults: 1, nextToken: other, fetch: async () => [], keyOf: (n: string) => n }),
      (err: unknown) =>
        err instanceof BadRequestException &&
        err.statusCode === 400 &&
        err.message === 'The NextToken does not belong to this request: it was issued for another resource or other filters.',
    );
  });

  const names = Array.from({ length: 7 }, (_, i) => `d${i}`);
  const fetch = async (after: string | undefined, limit: number) => names.filter((n) => after === undefined || n > after).slice(0, limit);

  test('walks every row exactly once, the last page without a NextToken', async () => {
    const seen: string[] = [];
    let nextToken: string | undefined;
    let pages = 0;
    do {
      const page = await paginate({ tokens, binding, maxResults: 3, nextToken, fetch, keyOf: (n: string) => n });
      seen.push(...page.items);
      nextToken = page.nextToken;
      pages++;
    } while (nextToken);
    assert.deepEqual(seen, names);
    assert.equal(pages, 3);
  });

  test('a page that ends exactly at the last row carries no NextToken', async () => {
    const page = await paginate({ tokens, binding, maxResults: 7, nextToken: undefined, fetch, keyOf: (n: string) => n });
    assert.equal(page.items.length, 7);
    assert.equal(page.nextToken, undefined);
  });

  test('the page size may change during a walk', async () => {
    const first = await paginate({ tokens, binding, maxResults: 2, nextToken: undefined, fetch, keyOf: (n: string) => n });
    const rest = await paginate({ tokens, binding, maxResults: 100, nextToken: first.nextToken, fetch, keyOf: (n: string) => n });
    assert.deepEqual([...first.items, ...rest.items], names);
  });
});
