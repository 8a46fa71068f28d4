import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  CreateDomainCommand,
  GetDomainCommand,
  ListTagsForResourceCommand,
  TagResourceCommand,
} from '@aws-sdk/client-customer-profiles';
import { availableBackends } from '../helpers/backends.js';
import { expectAwsError } from '../helpers/errors.js';
import { startServer, TEST_ACCOUNT, TEST_REGION, type TestServer } from '../helpers/server.js';

const arnOf = (name: string, account = TEST_ACCOUNT, region = TEST_REGION, partition = 'aws') =>
  `arn:${partition}:profile:${region}:${account}:domains/${name}`;
const tags = (n: number, prefix = 'k') => Object.fromEntries(Array.from({ length: n }, (_, i) => [`${prefix}${i}`, 'v']));

for (const backend of await availableBackends()) {
  describe(`TagResource [${backend}]`, () => {
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
        const out = await s.client.send(new TagResourceCommand({ resourceArn: arnOf('valid'), tags: { a: 'b' } }));
        assert.equal(out.$metadata.httpStatusCode, 200);
        assert.ok(out.$metadata.requestId, 'X-Amzn-RequestId is read by the SDK');
        assert.deepEqual(Object.keys(out), ['$metadata']);
      });
    });

    describe('validation', () => {
      test('resourceArn of 256 characters passes validation, 257 is rejected naming the member and the rule', async () => {
        const at = (length: number) => {
          const base = arnOf('valid') + '/integrations/';
          return base + 'u'.repeat(length - base.length);
        };
        assert.equal(at(256).length, 256);
        await expectAwsError(
          s.client.send(new TagResourceCommand({ resourceArn: at(256), tags: { a: 'b' } })),
          'ResourceNotFoundException',
          404,
        );
        await expectAwsError(
          s.client.send(new TagResourceCommand({ resourceArn: at(257), tags: { a: 'b' } })),
          'BadRequestException',
          400,
          "at 'resourceArn'",
          'length less than or equal to 256',
        );
      });

      test('resourceArn must begin with arn:<partition of 1..10 lowercase letters or digits>:profile', async () => {
        // Partitions of 1 and 10 characters pass validation (and name nothing here).
        for (const partition of ['a', 'abcdefgh10']) {
          await expectAwsError(
            s.client.send(new TagResourceCommand({ resourceArn: arnOf('valid', TEST_ACCOUNT, TEST_REGION, partition), tags: { a: 'b' } })),
            'ResourceNotFoundException',
            404,
          );
        }
        const rejected = [
          '',
          arnOf('valid', TEST_ACCOUNT, TEST_REGION, ''),
          arnOf('valid', TEST_ACCOUNT, TEST_REGION, 'abcdefghi11'),
          arnOf('valid', TEST_ACCOUNT, TEST_REGION, 'AWS'),
          arnOf('valid', TEST_ACCOUNT, TEST_REGION, 'aws-cn'),
          `x${arnOf('valid')}`,
          'arn:aws:kms:us-east-1:000000000000:key/abc',
          'domains/valid',
        ];
        for (const resourceArn of rejected) {
          await expectAwsError(
            s.client.send(new TagResourceCommand({ resourceArn, tags: { a: 'b' } })),
            'BadRequestException',
            400,
            "at 'resourceArn'",
            'regular expression pattern: ^arn:[a-z0-9]{1,10}:profile',
          );
        }
      });

      test('tags are required and take 1..50 entries', async () => {
        await expectAwsError(
          s.client.send(new TagResourceCommand({ resourceArn: arnOf('valid') } as never)),
          'BadRequestException',
          400,
          "Value null at 'tags' failed to satisfy constraint: Member must not be null",
        );
        await expectAwsError(
          s.client.send(new TagResourceCommand({ resourceArn: arnOf('valid'), tags: {} })),
          'BadRequestException',
          400,
          "at 'tags'",
          'length greater than or equal to 1',
        );
        await s.client.send(new CreateDomainCommand({ DomainName: 'fifty', DefaultExpirationDays: 1 }));
        await s.client.send(new TagResourceCommand({ resourceArn: arnOf('fifty'), tags: tags(50) }));
        assert.equal(Object.keys((await tagsOf('fifty')) ?? {}).length, 50);
        await expectAwsError(
          s.client.send(new TagResourceCommand({ resourceArn: arnOf('valid'), tags: tags(51) })),
          'BadRequestException',
          400,
          "at 'tags'",
          'length less than or equal to 50',
        );
      });

      test('a tag key takes 1..128 characters', async () => {
        await s.client.send(new TagResourceCommand({ resourceArn: arnOf('valid'), tags: { k: '1', ['k'.repeat(128)]: '2' } }));
        for (const key of ['', 'k'.repeat(129)]) {
          await expectAwsError(
            s.client.send(new TagResourceCommand({ resourceArn: arnOf('valid'), tags: { [key]: 'v' } })),
            'BadRequestException',
            400,
            "at 'tags.key'",
            key === '' ? 'length greater than or equal to 1' : 'length less than or equal to 128',
          );
        }
      });

      test('a tag key must match ^(?!aws:)[a-zA-Z+-=._:/]+$: aws: is reserved, digits fall inside the +-= range', async () => {
        const accepted = ['aws', 'awsx:', 'x:aws:', 'Az+-=._:/', 'a_b', '0123456789', 'a,b;c<'];
        await s.client.send(new TagResourceCommand({ resourceArn: arnOf('valid'), tags: Object.fromEntries(accepted.map((k) => [k, 'v'])) }));
        const listed = await tagsOf('valid');
        for (const key of accepted) assert.equal(listed?.[key], 'v', `key '${key}' is stored as given`);
        for (const key of ['aws:', 'aws:team', 'a b', 'a@b', 'caf\u00e9', 'a>b', 'a*b']) {
          await expectAwsError(
            s.client.send(new TagResourceCommand({ resourceArn: arnOf('valid'), tags: { [key]: 'v' } })),
            'BadRequestException',
            400,
            "at 'tags.key'",
            'regular expression pattern: ^(?!aws:)[a-zA-Z+-=._:/]+$',
          );
        }
      });

      test('a tag value takes 0..256 characters', async () => {
        await s.client.send(new TagResourceCommand({ resourceArn: arnOf('valid'), tags: { empty: '', long: 'v'.repeat(256) } }));
        const listed = await tagsOf('valid');
        assert.equal(listed?.empty, '');
        assert.equal(listed?.long, 'v'.repeat(256));
        await expectAwsError(
          s.client.send(new TagResourceCommand({ resourceArn: arnOf('valid'), tags: { toolong: 'v'.repeat(257) } })),
          'BadRequestException',
          400,
          "at 'tags.toolong'",
          'length less than or equal to 256',
        );
      });
    });

    describe('behaviour', () => {
      test('tags added are listed, and show on the domain', async () => {
        await s.client.send(new CreateDomainCommand({ DomainName: 'round', DefaultExpirationDays: 1 }));
        await s.client.send(new TagResourceCommand({ resourceArn: arnOf('round'), tags: { team: 'growth', cost: '42' } }));
        assert.deepEqual(await tagsOf('round'), { cost: '42', team: 'growth' });
        assert.deepEqual((await s.client.send(new GetDomainCommand({ DomainName: 'round' }))).Tags, { cost: '42', team: 'growth' });
      });

      test('tagging a key that exists overwrites its value and keeps the other keys', async () => {
        await s.client.send(new CreateDomainCommand({ DomainName: 'over', DefaultExpirationDays: 1, Tags: { a: '1', b: '2' } }));
        await s.client.send(new TagResourceCommand({ resourceArn: arnOf('over'), tags: { b: 'two', c: '3' } }));
        assert.deepEqual(await tagsOf('over'), { a: '1', b: 'two', c: '3' });
      });

      test('a resource holds at most 50 tags: overwriting at 50 is fine, a 51st key is refused and nothing is applied', async () => {
        await s.client.send(new CreateDomainCommand({ DomainName: 'limit', DefaultExpirationDays: 1, Tags: tags(49) }));
        await s.client.send(new TagResourceCommand({ resourceArn: arnOf('limit'), tags: { k0: 'new', last: 'v' } }));
        await expectAwsError(
          s.client.send(new TagResourceCommand({ resourceArn: arnOf('limit'), tags: { k1: 'changed', extra: 'v' } })),
          'BadRequestException',
          400,
          '50',
        );
        const listed = (await tagsOf('limit')) ?? {};
        assert.equal(Object.keys(listed).length, 50);
        assert.equal(listed.k0, 'new');
        assert.equal(listed.k1, 'v', 'the refused request changed nothing');
        assert.equal(listed.extra, undefined);
      });

      test('an ARN of a missing domain, another account or another region is a ResourceNotFoundException', async () => {
        await s.client.send(new CreateDomainCommand({ DomainName: 'mine', DefaultExpirationDays: 1 }));
        for (const resourceArn of [arnOf('missing'), arnOf('mine', '111122223333'), arnOf('mine', TEST_ACCOUNT, 'eu-west-1')]) {
          await expectAwsError(
            s.client.send(new TagResourceCommand({ resourceArn, tags: { a: 'b' } })),
            'ResourceNotFoundException',
            404,
          );
        }
        assert.deepEqual(await tagsOf('mine'), {});
      });

      test('an ARN of another account reveals nothing: an existing domain there answers as a missing one does', async () => {
        const other = '111122223333';
        await s.clientFor({ accountId: other }).send(new CreateDomainCommand({ DomainName: 'theirs', DefaultExpirationDays: 1 }));
        const existing = await expectAwsError(
          s.client.send(new TagResourceCommand({ resourceArn: arnOf('theirs', other), tags: { a: 'b' } })),
          'ResourceNotFoundException',
          404,
        );
        const missing = await expectAwsError(
          s.client.send(new TagResourceCommand({ resourceArn: arnOf('nothing', other), tags: { a: 'b' } })),
          'ResourceNotFoundException',
          404,
        );
        assert.equal(
          existing.message.replace(arnOf('theirs', other), '<arn>'),
          missing.message.replace(arnOf('nothing', other), '<arn>'),
        );
        const theirTags = await s.clientFor({ accountId: other }).send(
          new ListTagsForResourceCommand({ resourceArn: arnOf('theirs', other) }),
        );
        assert.deepEqual(theirTags.tags, {}, 'the other account domain was not tagged');
      });

      test('an ARN of another partition does not name the domain, and its tags land nowhere', async () => {
        await s.client.send(new CreateDomainCommand({ DomainName: 'partitioned', DefaultExpirationDays: 1 }));
        const foreign = arnOf('partitioned', TEST_ACCOUNT, TEST_REGION, 'awscn');
        await expectAwsError(s.client.send(new TagResourceCommand({ resourceArn: foreign, tags: { p: '1' } })), 'ResourceNotFoundException', 404);
        assert.deepEqual(await tagsOf('partitioned'), {});
      });

      test('an ARN that is not a profile domain, object type or integration ARN is a BadRequestException', async () => {
        for (const resourceArn of [
          `arn:aws:profilex:${TEST_REGION}:${TEST_ACCOUNT}:domains/valid`,
          `arn:aws:profile:${TEST_REGION}:${TEST_ACCOUNT}:workflows/valid`,
          `arn:aws:profile:${TEST_REGION}:${TEST_ACCOUNT}:domains/valid/`,
          `arn:aws:profile:${TEST_REGION}`,
          'arn:aws:profile',
        ]) {
          await expectAwsError(
            s.client.send(new TagResourceCommand({ resourceArn, tags: { a: 'b' } })),
            'BadRequestException',
            400,
            resourceArn,
          );
        }
      });

      test('the same domain name in another account has tags of its own', async () => {
        const other = s.clientFor({ accountId: '111122223333' });
        await s.client.send(new CreateDomainCommand({ DomainName: 'twin', DefaultExpirationDays: 1 }));
        await other.send(new CreateDomainCommand({ DomainName: 'twin', DefaultExpirationDays: 1 }));
        await s.client.send(new TagResourceCommand({ resourceArn: arnOf('twin'), tags: { side: 'ours' } }));
        await other.send(new TagResourceCommand({ resourceArn: arnOf('twin', '111122223333'), tags: { side: 'theirs' } }));
        assert.deepEqual(await tagsOf('twin'), { side: 'ours' });
        assert.deepEqual(
          (await other.send(new ListTagsForResourceCommand({ resourceArn: arnOf('twin', '111122223333') }))).tags,
          { side: 'theirs' },
        );
      });
    });
  });
}
