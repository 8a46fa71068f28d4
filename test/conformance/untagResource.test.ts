import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  CreateDomainCommand,
  GetDomainCommand,
  ListDomainsCommand,
  ListTagsForResourceCommand,
  TagResourceCommand,
  UntagResourceCommand,
} from '@aws-sdk/client-customer-profiles';
import { availableBackends } from '../helpers/backends.js';
import { expectAwsError } from '../helpers/errors.js';
import { startServer, TEST_ACCOUNT, TEST_REGION, type TestServer } from '../helpers/server.js';

const arnOf = (name: string, account = TEST_ACCOUNT, region = TEST_REGION, partition = 'aws') =>
  `arn:${partition}:profile:${region}:${account}:domains/${name}`;
const keys = (n: number, prefix = 'k') => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

for (const backend of await availableBackends()) {
  describe(`UntagResource [${backend}]`, () => {
    let s: TestServer;
    const tagsOf = async (name: string) =>
      (await s.client.send(new ListTagsForResourceCommand({ resourceArn: arnOf(name) }))).tags;
    before(async () => {
      s = await startServer(backend);
      await s.client.send(new CreateDomainCommand({ DomainName: 'valid', DefaultExpirationDays: 1 }));
    });
    after(() => s.close());

    describe('serialization', () => {
      test('answers 200 with no members and the request id', async () => {
        const out = await s.client.send(new UntagResourceCommand({ resourceArn: arnOf('valid'), tagKeys: ['a'] }));
        assert.equal(out.$metadata.httpStatusCode, 200);
        assert.ok(out.$metadata.requestId, 'X-Amzn-RequestId is read by the SDK');
        assert.deepEqual(Object.keys(out), ['$metadata']);
      });
    });

    describe('validation', () => {
      test('resourceArn of 256 characters passes validation, 257 is rejected naming the member and the rule', async () => {
        const at = (length: number) => {
          const base = arnOf('valid') + '/object-types/';
          return base + 'o'.repeat(length - base.length);
        };
        await expectAwsError(
          s.client.send(new UntagResourceCommand({ resourceArn: at(256), tagKeys: ['a'] })),
          'ResourceNotFoundException',
          404,
        );
        await expectAwsError(
          s.client.send(new UntagResourceCommand({ resourceArn: at(257), tagKeys: ['a'] })),
          'BadRequestException',
          400,
          "at 'resourceArn'",
          'length less than or equal to 256',
        );
      });

      test('resourceArn must begin with arn:<partition of 1..10 lowercase letters or digits>:profile', async () => {
        for (const partition of ['a', 'abcdefgh10']) {
          await expectAwsError(
            s.client.send(new UntagResourceCommand({ resourceArn: arnOf('valid', TEST_ACCOUNT, TEST_REGION, partition), tagKeys: ['a'] })),
            'ResourceNotFoundException',
            404,
          );
        }
        for (const resourceArn of ['', arnOf('valid', TEST_ACCOUNT, TEST_REGION, ''), arnOf('valid', TEST_ACCOUNT, TEST_REGION, 'abcdefghi11'), 'arn:aws:sqs:q']) {
          await expectAwsError(
            s.client.send(new UntagResourceCommand({ resourceArn, tagKeys: ['a'] })),
            'BadRequestException',
            400,
            "at 'resourceArn'",
            'regular expression pattern: ^arn:[a-z0-9]{1,10}:profile',
          );
        }
      });

      test('tagKeys takes 1..50 keys; none at all is refused (the SDK sends no tagKeys for an empty list)', async () => {
        await expectAwsError(
          s.client.send(new UntagResourceCommand({ resourceArn: arnOf('valid'), tagKeys: [] })),
          'BadRequestException',
          400,
          "at 'tagKeys'",
        );
        await expectAwsError(
          s.client.send(new UntagResourceCommand({ resourceArn: arnOf('valid') } as never)),
          'BadRequestException',
          400,
          "Value null at 'tagKeys' failed to satisfy constraint: Member must not be null",
        );
        await s.client.send(new UntagResourceCommand({ resourceArn: arnOf('valid'), tagKeys: ['one'] }));
        await s.client.send(new UntagResourceCommand({ resourceArn: arnOf('valid'), tagKeys: keys(50) }));
        await expectAwsError(
          s.client.send(new UntagResourceCommand({ resourceArn: arnOf('valid'), tagKeys: keys(51) })),
          'BadRequestException',
          400,
          "at 'tagKeys'",
          'length less than or equal to 50',
        );
      });

      test('each key takes 1..128 characters and must match ^(?!aws:)[a-zA-Z+-=._:/]+$', async () => {
        await s.client.send(new UntagResourceCommand({ resourceArn: arnOf('valid'), tagKeys: ['k'.repeat(128), 'awsx:', '0'] }));
        await expectAwsError(
          s.client.send(new UntagResourceCommand({ resourceArn: arnOf('valid'), tagKeys: ['ok', 'k'.repeat(129)] })),
          'BadRequestException',
          400,
          "at 'tagKeys.2'",
          'length less than or equal to 128',
        );
        await expectAwsError(
          s.client.send(new UntagResourceCommand({ resourceArn: arnOf('valid'), tagKeys: [''] })),
          'BadRequestException',
          400,
          "at 'tagKeys.1'",
          'length greater than or equal to 1',
        );
        for (const key of ['aws:team', 'a b', 'a@b']) {
          await expectAwsError(
            s.client.send(new UntagResourceCommand({ resourceArn: arnOf('valid'), tagKeys: [key] })),
            'BadRequestException',
            400,
            "at 'tagKeys.1'",
            'regular expression pattern: ^(?!aws:)[a-zA-Z+-=._:/]+$',
          );
        }
      });
    });

    describe('behaviour', () => {
      test('removes exactly the keys named, keeps the others, and ignores keys the resource does not have', async () => {
        await s.client.send(new CreateDomainCommand({ DomainName: 'some', DefaultExpirationDays: 1, Tags: { a: '1', b: '2', c: '3' } }));
        await s.client.send(new UntagResourceCommand({ resourceArn: arnOf('some'), tagKeys: ['a', 'c', 'never-there'] }));
        assert.deepEqual(await tagsOf('some'), { b: '2' });
        assert.deepEqual((await s.client.send(new GetDomainCommand({ DomainName: 'some' }))).Tags, { b: '2' });
      });

      test('tag, list, untag round trip: once every key is removed the domain shows no Tags', async () => {
        await s.client.send(new CreateDomainCommand({ DomainName: 'trip', DefaultExpirationDays: 1 }));
        await s.client.send(new TagResourceCommand({ resourceArn: arnOf('trip'), tags: { x: '1', y: '2' } }));
        assert.deepEqual(await tagsOf('trip'), { x: '1', y: '2' });
        await s.client.send(new UntagResourceCommand({ resourceArn: arnOf('trip'), tagKeys: ['x', 'y'] }));
        assert.deepEqual(await tagsOf('trip'), {});
        assert.equal((await s.client.send(new GetDomainCommand({ DomainName: 'trip' }))).Tags, undefined);
        const item = (await s.client.send(new ListDomainsCommand({}))).Items?.find((i) => i.DomainName === 'trip');
        assert.equal(item?.Tags, undefined);
      });

      test('keys with + = / : , and . survive the query string and remove exactly their tag', async () => {
        const special = ['a+b', 'a=b', 'a/b', 'a:b', 'a,b', 'a.b', '+/=:'];
        await s.client.send(new CreateDomainCommand({ DomainName: 'special', DefaultExpirationDays: 1 }));
        await s.client.send(
          new TagResourceCommand({ resourceArn: arnOf('special'), tags: { ...Object.fromEntries(special.map((k) => [k, k])), ab: 'plain' } }),
        );
        await s.client.send(new UntagResourceCommand({ resourceArn: arnOf('special'), tagKeys: special }));
        assert.deepEqual(await tagsOf('special'), { ab: 'plain' });
      });

      test('an ARN of a missing domain, another account, region or partition is a ResourceNotFoundException, and nothing is removed', async () => {
        await s.client.send(new CreateDomainCommand({ DomainName: 'kept', DefaultExpirationDays: 1, Tags: { a: '1' } }));
        for (const resourceArn of [
          arnOf('missing'),
          arnOf('kept', '111122223333'),
          arnOf('kept', TEST_ACCOUNT, 'eu-west-1'),
          arnOf('kept', TEST_ACCOUNT, TEST_REGION, 'awscn'),
        ]) {
          await expectAwsError(
            s.client.send(new UntagResourceCommand({ resourceArn, tagKeys: ['a'] })),
            'ResourceNotFoundException',
            404,
          );
        }
        // The domain's owner in another account or region cannot reach it either.
        for (const other of [s.clientFor({ accountId: '111122223333' }), s.clientFor({ region: 'eu-west-1' })]) {
          await expectAwsError(
            other.send(new UntagResourceCommand({ resourceArn: arnOf('kept'), tagKeys: ['a'] })),
            'ResourceNotFoundException',
            404,
          );
        }
        assert.deepEqual(await tagsOf('kept'), { a: '1' });
      });

      test('an ARN of another account reveals nothing: an existing domain there answers as a missing one does', async () => {
        const other = '111122223333';
        await s.clientFor({ accountId: other }).send(
          new CreateDomainCommand({ DomainName: 'theirs', DefaultExpirationDays: 1, Tags: { a: '1' } }),
        );
        const existing = await expectAwsError(
          s.client.send(new UntagResourceCommand({ resourceArn: arnOf('theirs', other), tagKeys: ['a'] })),
          'ResourceNotFoundException',
          404,
        );
        const missing = await expectAwsError(
          s.client.send(new UntagResourceCommand({ resourceArn: arnOf('nothing', other), tagKeys: ['a'] })),
          'ResourceNotFoundException',
          404,
        );
        assert.equal(
          existing.message.replace(arnOf('theirs', other), '<arn>'),
          missing.message.replace(arnOf('nothing', other), '<arn>'),
        );
        const theirs = await s.clientFor({ accountId: other }).send(new ListTagsForResourceCommand({ resourceArn: arnOf('theirs', other) }));
        assert.deepEqual(theirs.tags, { a: '1' });
      });

      test('an ARN that is not a profile domain, object type or integration ARN is a BadRequestException', async () => {
        for (const resourceArn of [
          `arn:aws:profilex:${TEST_REGION}:${TEST_ACCOUNT}:domains/valid`,
          `arn:aws:profile:${TEST_REGION}:${TEST_ACCOUNT}:workflows/valid`,
          'arn:aws:profile',
        ]) {
          await expectAwsError(
            s.client.send(new UntagResourceCommand({ resourceArn, tagKeys: ['a'] })),
            'BadRequestException',
            400,
            resourceArn,
          );
        }
      });
    });
  });
}
