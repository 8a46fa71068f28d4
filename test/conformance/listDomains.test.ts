import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  CreateDomainCommand,
  DeleteDomainCommand,
  ListDomainsCommand,
  UpdateDomainCommand,
  type CustomerProfilesClient,
  type ListDomainsCommandOutput,
} from '@aws-sdk/client-customer-profiles';
import { PageTokens } from '../../src/domain/page-token.js';
import { ManualClock } from '../../src/engine/clock.js';
import { availableBackends } from '../helpers/backends.js';
import { expectAwsError } from '../helpers/errors.js';
import { startServer, TEST_REGION, type TestServer } from '../helpers/server.js';

/** Names `${prefix}-00`, `${prefix}-01`, …: zero-padded, so name order is numeric order. */
const namesFor = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}-${String(i).padStart(3, '0')}`);

async function createAll(client: CustomerProfilesClient, names: string[]): Promise<void> {
  for (const DomainName of names) await client.send(new CreateDomainCommand({ DomainName, DefaultExpirationDays: 1 }));
}

/** Walks every page with one page size; returns the pages as the caller saw them. */
async function walk(client: CustomerProfilesClient, maxResults?: number): Promise<ListDomainsCommandOutput[]> {
  const pages: ListDomainsCommandOutput[] = [];
  let token: string | undefined;
  do {
    const page = await client.send(new ListDomainsCommand({ MaxResults: maxResults, NextToken: token }));
    pages.push(page);
    token = page.NextToken;
    assert.ok(pages.length <= 1000, 'the walk ends');
  } while (token);
  return pages;
}

const namesOf = (pages: ListDomainsCommandOutput[]) => pages.flatMap((p) => (p.Items ?? []).map((i) => i.DomainName!));

for (const backend of await availableBackends()) {
  describe(`ListDomains [${backend}]`, () => {
    const clock = new ManualClock(Date.UTC(2026, 6, 20, 16, 45, 0, 500));
    let s: TestServer;
    // Listing is per account: a test that needs a clean list gets an account of its own.
    let nextAccount = 200_000_000_000;
    const freshAccount = () => s.clientFor({ accountId: String(nextAccount++) });
    before(async () => {
      s = await startServer(backend, { clock });
    });
    after(() => s.close());

    describe('serialization', () => {
      test('each item carries DomainName, CreatedAt and LastUpdatedAt as Dates, and Tags only when the domain has some', async () => {
        const client = freshAccount();
        const createdAt = clock.now();
        await client.send(new CreateDomainCommand({ DomainName: 'ser-a', DefaultExpirationDays: 1, Tags: { team: 'x' } }));
        await client.send(new CreateDomainCommand({ DomainName: 'ser-b', DefaultExpirationDays: 1, DefaultEncryptionKey: 'k' }));
        clock.advance(2_250);
        await client.send(new UpdateDomainCommand({ DomainName: 'ser-b', DefaultExpirationDays: 2 }));

        const out = await client.send(new ListDomainsCommand({}));
        assert.equal(out.$metadata.httpStatusCode, 200);
        assert.ok(out.$metadata.requestId, 'X-Amzn-RequestId is read by the SDK');
        assert.equal(out.NextToken, undefined, 'no NextToken when everything fits on one page');
        assert.equal(out.Items?.length, 2);
        const [a, b] = out.Items!;
        assert.deepEqual(Object.keys(a).sort(), ['CreatedAt', 'DomainName', 'LastUpdatedAt', 'Tags']);
        assert.deepEqual(Object.keys(b).sort(), ['CreatedAt', 'DomainName', 'LastUpdatedAt']);
        assert.equal(a.DomainName, 'ser-a');
        assert.deepEqual(a.Tags, { team: 'x' });
        assert.ok(a.CreatedAt instanceof Date && a.LastUpdatedAt instanceof Date);
        assert.equal(a.CreatedAt.getTime(), createdAt);
        assert.equal(a.LastUpdatedAt.getTime(), createdAt);
        assert.equal(b.DomainName, 'ser-b');
        assert.equal(b.Tags, undefined);
        assert.equal(b.CreatedAt?.getTime(), createdAt);
        assert.equal(b.LastUpdatedAt?.getTime(), createdAt + 2_250);
      });

      test('an account without domains gets an empty Items list and no NextToken', async () => {
        const out = await freshAccount().send(new ListDomainsCommand({}));
        assert.deepEqual(out.Items, []);
        assert.equal(out.NextToken, undefined);
      });
    });

    describe('validation', () => {
      test('MaxResults of 1 and of 100 is accepted; 0 and 101 are rejected naming the member and the rule', async () => {
        const client = freshAccount();
        await createAll(client, namesFor('mr', 2));
        assert.equal((await client.send(new ListDomainsCommand({ MaxResults: 1 }))).Items?.length, 1);
        assert.equal((await client.send(new ListDomainsCommand({ MaxResults: 100 }))).Items?.length, 2);
        await expectAwsError(
          client.send(new ListDomainsCommand({ MaxResults: 0 })),
          'BadRequestException',
          400,
          "at 'MaxResults'",
          'greater than or equal to 1',
        );
        await expectAwsError(
          client.send(new ListDomainsCommand({ MaxResults: 101 })),
          'BadRequestException',
          400,
          "at 'MaxResults'",
          'less than or equal to 100',
        );
      });

      test('NextToken takes 1..1024 characters: empty and 1025 are rejected by length, 1024 reaches the token check', async () => {
        await expectAwsError(
          s.client.send(new ListDomainsCommand({ NextToken: '' })),
          'BadRequestException',
          400,
          "at 'NextToken'",
          'length greater than or equal to 1',
        );
        await expectAwsError(
          s.client.send(new ListDomainsCommand({ NextToken: 't'.repeat(1025) })),
          'BadRequestException',
          400,
          "at 'NextToken'",
          'length less than or equal to 1024',
        );
        const err = await expectAwsError(
          s.client.send(new ListDomainsCommand({ NextToken: 't'.repeat(1024) })),
          'BadRequestException',
          400,
          'NextToken',
        );
        assert.ok(!err.message.includes('validation error'), 'a 1024-character token passes the length check');
      });

      test('several violations are reported together', async () => {
        await expectAwsError(
          s.client.send(new ListDomainsCommand({ MaxResults: 101, NextToken: '' })),
          'BadRequestException',
          400,
          '2 validation errors detected',
          "at 'MaxResults'",
          "at 'NextToken'",
        );
      });
    });

    describe('behaviour', () => {
      test('domains are listed in order of their names', async () => {
        const client = freshAccount();
        const names = ['b', 'B', 'a-b', 'a_b', 'aB', 'ab', 'A', '0', 'a', 'Z_', 'z-', '9z', 'a0'];
        await createAll(client, names);
        const expected = [...names].sort();
        assert.deepEqual(namesOf(await walk(client)), expected);
        assert.deepEqual(namesOf(await walk(client, 4)), expected, 'the order holds across pages');
      });

      test('without MaxResults a page holds up to 100 domains', async () => {
        const client = freshAccount();
        const names = namesFor('big', 101);
        await createAll(client, names);
        const first = await client.send(new ListDomainsCommand({}));
        assert.equal(first.Items?.length, 100);
        assert.ok(first.NextToken, 'a NextToken leads to the 101st domain');
        const second = await client.send(new ListDomainsCommand({ NextToken: first.NextToken }));
        assert.deepEqual(second.Items?.map((i) => i.DomainName), ['big-100']);
        assert.equal(second.NextToken, undefined);
      });

      test('full walks with page sizes 1, 2, 3, 7 and 100 return every domain exactly once; only the last page lacks a NextToken', async () => {
        const client = freshAccount();
        const names = namesFor('walk', 21);
        await createAll(client, names);
        for (const size of [1, 2, 3, 7, 100]) {
          const pages = await walk(client, size);
          assert.deepEqual(namesOf(pages), names, `page size ${size}`);
          assert.equal(pages.length, Math.ceil(names.length / size), `page size ${size}: no empty trailing page`);
          pages.forEach((page, i) => {
            const last = i === pages.length - 1;
            assert.equal(page.NextToken === undefined, last, `page size ${size}, page ${i + 1}: NextToken only before the end`);
            if (!last) assert.equal(page.Items?.length, size, `page size ${size}, page ${i + 1} is full`);
          });
        }
      });

      test('the page size may change in the middle of a walk', async () => {
        const client = freshAccount();
        const names = namesFor('mix', 12);
        await createAll(client, names);
        const seen: string[] = [];
        let token: string | undefined;
        for (const size of [1, 5, 2, 100]) {
          const page = await client.send(new ListDomainsCommand({ MaxResults: size, NextToken: token }));
          seen.push(...page.Items!.map((i) => i.DomainName!));
          token = page.NextToken;
        }
        assert.deepEqual(seen, names);
        assert.equal(token, undefined);
      });

      test('a walk during which domains are created still returns every domain that existed at the start exactly once', async () => {
        const client = freshAccount();
        const original = namesFor('live', 20).map((n) => n.replace('live-0', 'live-1')); // live-100 … live-119
        await createAll(client, original);
        const seen: string[] = [];
        let token: string | undefined;
        let round = 0;
        do {
          const page = await client.send(new ListDomainsCommand({ MaxResults: 3, NextToken: token }));
          seen.push(...page.Items!.map((i) => i.DomainName!));
          token = page.NextToken;
          // Between pages, new domains appear before the cursor, right after it, and at the far end.
          const cursor = seen[seen.length - 1];
          await createAll(client, [`live-0${String(round).padStart(2, '0')}`, `${cursor}a`, `live-9${String(round).padStart(2, '0')}`]);
          round++;
        } while (token);
        for (const name of original) assert.equal(seen.filter((n) => n === name).length, 1, `${name} is listed exactly once`);
        assert.equal(new Set(seen).size, seen.length, 'no domain is listed twice');
        assert.deepEqual(seen, [...seen].sort(), 'the walk stays in name order');
      });

      test('a walk goes on when the last domain it returned is deleted before the next page', async () => {
        const client = freshAccount();
        const names = namesFor('del', 6);
        await createAll(client, names);
        const first = await client.send(new ListDomainsCommand({ MaxResults: 3 }));
        assert.deepEqual(first.Items?.map((i) => i.DomainName), names.slice(0, 3));
        await client.send(new DeleteDomainCommand({ DomainName: names[2] }));
        const rest = await client.send(new ListDomainsCommand({ MaxResults: 3, NextToken: first.NextToken }));
        assert.deepEqual(rest.Items?.map((i) => i.DomainName), names.slice(3));
        assert.equal(rest.NextToken, undefined);
      });

      test('a NextToken is refused in another account or region, and accepted from other credentials of the same account', async () => {
        await createAll(s.client, namesFor('own', 3));
        const { NextToken } = await s.client.send(new ListDomainsCommand({ MaxResults: 1 }));
        assert.ok(NextToken);
        for (const other of [s.clientFor({ accountId: '111122223333' }), s.clientFor({ region: 'eu-west-1' })]) {
          await expectAwsError(other.send(new ListDomainsCommand({ NextToken })), 'BadRequestException', 400, 'NextToken');
        }
        // The test account 000000000000 signing with its own account id as the access key: same account, other key.
        const sameAccount = s.clientFor({ accountId: '000000000000' });
        const page = await sameAccount.send(new ListDomainsCommand({ MaxResults: 1, NextToken }));
        const again = await s.client.send(new ListDomainsCommand({ MaxResults: 1, NextToken }));
        assert.deepEqual(page.Items?.map((i) => i.DomainName), again.Items?.map((i) => i.DomainName));
      });

      test('a NextToken with any one character changed is refused', async () => {
        const client = freshAccount();
        await createAll(client, namesFor('flip', 3));
        const { NextToken } = await client.send(new ListDomainsCommand({ MaxResults: 1 }));
        assert.ok(NextToken);
        for (let i = 0; i < NextToken.length; i++) {
          const altered = NextToken.slice(0, i) + (NextToken[i] === 'A' ? 'B' : 'A') + NextToken.slice(i + 1);
          await expectAwsError(client.send(new ListDomainsCommand({ NextToken: altered })), 'BadRequestException', 400, 'NextToken');
        }
        // Truncated and extended tokens are refused too.
        await expectAwsError(client.send(new ListDomainsCommand({ NextToken: NextToken.slice(0, -1) })), 'BadRequestException', 400);
        await expectAwsError(client.send(new ListDomainsCommand({ NextToken: `${NextToken}A` })), 'BadRequestException', 400);
      });

      test('garbage tokens are a BadRequestException, never a server error', async () => {
        const garbage = [
          'garbage',
          '.',
          'a.b',
          '..',
          'eyJwIjoiYSJ9.',
          'eyJwIjoiYSJ9.x',
          '%',
          '\u00e9\u00e9',
          '{"p":"a"}',
          'A'.repeat(200),
          // A signature of the right length in characters, but not in bytes.
          `eyJwIjoiYSJ9.${'\u00e9'.repeat(24)}`,
        ];
        for (const token of garbage) {
          await expectAwsError(s.client.send(new ListDomainsCommand({ NextToken: token })), 'BadRequestException', 400, 'NextToken');
        }
      });

      test('a token issued for another operation is refused', async () => {
        // A token that another list operation of this service would issue: sealed with the same secret,
        // bound to ListWorkflows of a domain in the same account and region.
        const tokens = new PageTokens(await s.store.pageTokenSecret());
        const foreign = tokens.issue(['ListWorkflows', { accountId: '000000000000', region: TEST_REGION }, 'own-000'], 'own-000');
        await expectAwsError(
          s.client.send(new ListDomainsCommand({ NextToken: foreign })),
          'BadRequestException',
          400,
          'does not belong',
        );
      });

      test('another account and another region never see the domains', async () => {
        await createAll(s.client, ['iso-a', 'iso-b']);
        for (const other of [s.clientFor({ accountId: '111122223333' }), s.clientFor({ region: 'eu-west-1' })]) {
          const names = namesOf(await walk(other));
          assert.ok(!names.includes('iso-a') && !names.includes('iso-b'), `leaked: ${names.join(', ')}`);
        }
        const otherRegion = s.clientFor({ region: 'eu-west-1' });
        await otherRegion.send(new CreateDomainCommand({ DomainName: 'iso-eu', DefaultExpirationDays: 1 }));
        assert.deepEqual(namesOf(await walk(otherRegion)), ['iso-eu']);
        assert.ok(!namesOf(await walk(s.client)).includes('iso-eu'));
      });
    });
  });
}
