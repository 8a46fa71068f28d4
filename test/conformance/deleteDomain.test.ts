import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  CreateDomainCommand,
  DeleteDomainCommand,
  GetDomainCommand,
  ListDomainsCommand,
  ListTagsForResourceCommand,
  TagResourceCommand,
  type CustomerProfilesClient,
} from '@aws-sdk/client-customer-profiles';
import { availableBackends } from '../helpers/backends.js';
import { expectAwsError } from '../helpers/errors.js';
import { startServer, TEST_ACCOUNT, TEST_REGION, type TestServer } from '../helpers/server.js';

const arnOf = (name: string) => `arn:aws:profile:${TEST_REGION}:${TEST_ACCOUNT}:domains/${name}`;

/** Every domain name the client's account sees, walking all pages. */
async function allNames(client: CustomerProfilesClient): Promise<string[]> {
  const names: string[] = [];
  let token: string | undefined;
  do {
    const page = await client.send(new ListDomainsCommand({ NextToken: token }));
    names.push(...(page.Items ?? []).map((i) => i.DomainName!));
    token = page.NextToken;
  } while (token);
  return names;
}

for (const backend of await availableBackends()) {
  describe(`DeleteDomain [${backend}]`, () => {
    let s: TestServer;
    before(async () => {
      s = await startServer(backend);
    });
    after(() => s.close());

    describe('serialization', () => {
      test('returns a Message naming the deleted domain, and the request id', async () => {
        await s.client.send(new CreateDomainCommand({ DomainName: 'ser-del', DefaultExpirationDays: 1 }));
        const out = await s.client.send(new DeleteDomainCommand({ DomainName: 'ser-del' }));
        assert.equal(out.$metadata.httpStatusCode, 200);
        assert.ok(out.$metadata.requestId, 'X-Amzn-RequestId is read by the SDK');
        assert.deepEqual(Object.keys(out).filter((k) => k !== '$metadata'), ['Message']);
        assert.equal(typeof out.Message, 'string');
        assert.ok(out.Message!.includes('ser-del'), `message '${out.Message}' names the domain`);
      });
    });

    describe('validation', () => {
      test('DomainName of 1 and of 64 characters is accepted, 65 is rejected naming the member and the rule', async () => {
        for (const name of ['d', 'd'.repeat(64)]) {
          await s.client.send(new CreateDomainCommand({ DomainName: name, DefaultExpirationDays: 1 }));
          await s.client.send(new DeleteDomainCommand({ DomainName: name }));
        }
        await expectAwsError(
          s.client.send(new DeleteDomainCommand({ DomainName: 'd'.repeat(65) })),
          'BadRequestException',
          400,
          "at 'DomainName'",
          'length less than or equal to 64',
        );
        await expectAwsError(
          s.client.send(new DeleteDomainCommand({ DomainName: '' })),
          'BadRequestException',
          400,
          "at 'DomainName'",
          'length greater than or equal to 1',
        );
      });

      test('DomainName must match ^[a-zA-Z0-9_-]+$', async () => {
        await s.client.send(new CreateDomainCommand({ DomainName: 'Az09_-', DefaultExpirationDays: 1 }));
        await s.client.send(new DeleteDomainCommand({ DomainName: 'Az09_-' }));
        for (const bad of ['bad.name', 'a b', 'a/b', '*']) {
          await expectAwsError(
            s.client.send(new DeleteDomainCommand({ DomainName: bad })),
            'BadRequestException',
            400,
            "at 'DomainName'",
            'regular expression pattern: ^[a-zA-Z0-9_-]+$',
          );
        }
      });
    });

    describe('behaviour', () => {
      test('afterwards the domain is gone: GetDomain is 404 and ListDomains no longer lists it', async () => {
        await s.client.send(new CreateDomainCommand({ DomainName: 'gone', DefaultExpirationDays: 1 }));
        await s.client.send(new CreateDomainCommand({ DomainName: 'stays', DefaultExpirationDays: 1 }));
        assert.ok((await allNames(s.client)).includes('gone'));
        await s.client.send(new DeleteDomainCommand({ DomainName: 'gone' }));
        await expectAwsError(s.client.send(new GetDomainCommand({ DomainName: 'gone' })), 'ResourceNotFoundException', 404, 'gone');
        const names = await allNames(s.client);
        assert.ok(!names.includes('gone'), 'the deleted domain is not listed');
        assert.ok(names.includes('stays'), 'other domains are untouched');
      });

      test('a second delete is a ResourceNotFoundException naming the domain', async () => {
        await s.client.send(new CreateDomainCommand({ DomainName: 'twice', DefaultExpirationDays: 1 }));
        await s.client.send(new DeleteDomainCommand({ DomainName: 'twice' }));
        await expectAwsError(
          s.client.send(new DeleteDomainCommand({ DomainName: 'twice' })),
          'ResourceNotFoundException',
          404,
          'twice',
        );
        await expectAwsError(
          s.client.send(new DeleteDomainCommand({ DomainName: 'never-existed' })),
          'ResourceNotFoundException',
          404,
          'never-existed',
        );
      });

      test('its tags go with it: a domain re-created under the same name starts with no tags', async () => {
        await s.client.send(new CreateDomainCommand({ DomainName: 'reborn', DefaultExpirationDays: 1, Tags: { old: 'yes' } }));
        await s.client.send(new TagResourceCommand({ resourceArn: arnOf('reborn'), tags: { added: 'later' } }));
        await s.client.send(new DeleteDomainCommand({ DomainName: 'reborn' }));
        await expectAwsError(
          s.client.send(new ListTagsForResourceCommand({ resourceArn: arnOf('reborn') })),
          'ResourceNotFoundException',
          404,
        );

        await s.client.send(new CreateDomainCommand({ DomainName: 'reborn', DefaultExpirationDays: 2 }));
        const got = await s.client.send(new GetDomainCommand({ DomainName: 'reborn' }));
        assert.equal(got.Tags, undefined);
        assert.equal(got.DefaultExpirationDays, 2);
        const listed = await s.client.send(new ListTagsForResourceCommand({ resourceArn: arnOf('reborn') }));
        assert.deepEqual(listed.tags, {});
        const item = (await s.client.send(new ListDomainsCommand({}))).Items?.find((i) => i.DomainName === 'reborn');
        assert.equal(item?.Tags, undefined);
      });

      test('deleting a domain leaves the tags of a domain whose name begins with the same characters', async () => {
        await s.client.send(new CreateDomainCommand({ DomainName: 'pre', DefaultExpirationDays: 1, Tags: { who: 'pre' } }));
        await s.client.send(new CreateDomainCommand({ DomainName: 'pre-fix', DefaultExpirationDays: 1, Tags: { who: 'pre-fix' } }));
        await s.client.send(new CreateDomainCommand({ DomainName: 'pre_fix', DefaultExpirationDays: 1, Tags: { who: 'pre_fix' } }));
        await s.client.send(new DeleteDomainCommand({ DomainName: 'pre' }));
        assert.deepEqual((await s.client.send(new GetDomainCommand({ DomainName: 'pre-fix' }))).Tags, { who: 'pre-fix' });
        assert.deepEqual((await s.client.send(new GetDomainCommand({ DomainName: 'pre_fix' }))).Tags, { who: 'pre_fix' });
      });

      test('another account and another region cannot delete the domain; their own same-named domains are separate', async () => {
        const otherAccount = s.clientFor({ accountId: '111122223333' });
        const otherRegion = s.clientFor({ region: 'eu-west-1' });
        await s.client.send(new CreateDomainCommand({ DomainName: 'shared-name', DefaultExpirationDays: 1, Tags: { mine: 'yes' } }));
        for (const other of [otherAccount, otherRegion]) {
          await expectAwsError(other.send(new DeleteDomainCommand({ DomainName: 'shared-name' })), 'ResourceNotFoundException', 404);
        }
        assert.deepEqual((await s.client.send(new GetDomainCommand({ DomainName: 'shared-name' }))).Tags, { mine: 'yes' });

        // Deleting the other account's domain of the same name leaves ours, tags included.
        await otherAccount.send(new CreateDomainCommand({ DomainName: 'shared-name', DefaultExpirationDays: 1, Tags: { theirs: 'yes' } }));
        await otherAccount.send(new DeleteDomainCommand({ DomainName: 'shared-name' }));
        assert.deepEqual((await s.client.send(new GetDomainCommand({ DomainName: 'shared-name' }))).Tags, { mine: 'yes' });
        await expectAwsError(otherAccount.send(new GetDomainCommand({ DomainName: 'shared-name' })), 'ResourceNotFoundException', 404);
      });
    });
  });
}
