import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  CreateDomainCommand,
  ListTagsForResourceCommand,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateDomainCommand,
} from '@aws-sdk/client-customer-profiles';
import { availableBackends } from '../helpers/backends.js';
import { expectAwsError } from '../helpers/errors.js';
import { startServer, TEST_ACCOUNT, TEST_REGION, type TestServer } from '../helpers/server.js';

const arnOf = (name: string, account = TEST_ACCOUNT, region = TEST_REGION, partition = 'aws') =>
  `arn:${partition}:profile:${region}:${account}:domains/${name}`;

for (const backend of await availableBackends()) {
  describe(`ListTagsForResource [${backend}]`, () => {
    let s: TestServer;
    const list = (resourceArn: string) => s.client.send(new ListTagsForResourceCommand({ resourceArn }));
    before(async () => {
      s = await startServer(backend);
      await s.client.send(new CreateDomainCommand({ DomainName: 'valid', DefaultExpirationDays: 1 }));
    });
    after(() => s.close());

    describe('serialization', () => {
      test('returns the tags map as given, with the request id', async () => {
        await s.client.send(
          new CreateDomainCommand({ DomainName: 'ser', DefaultExpirationDays: 1, Tags: { team: 'growth', 'cost:center': '42', empty: '' } }),
        );
        const out = await list(arnOf('ser'));
        assert.equal(out.$metadata.httpStatusCode, 200);
        assert.ok(out.$metadata.requestId, 'X-Amzn-RequestId is read by the SDK');
        assert.deepEqual(Object.keys(out).filter((k) => k !== '$metadata'), ['tags']);
        assert.deepEqual(out.tags, { 'cost:center': '42', empty: '', team: 'growth' });
      });

      test('a resource without tags answers an empty tags map', async () => {
        assert.deepEqual((await list(arnOf('valid'))).tags, {});
      });
    });

    describe('validation', () => {
      test('resourceArn of 256 characters passes validation, 257 is rejected naming the member and the rule', async () => {
        const at = (length: number) => {
          const base = arnOf('valid') + '/integrations/';
          return base + 'i'.repeat(length - base.length);
        };
        await expectAwsError(list(at(256)), 'ResourceNotFoundException', 404);
        await expectAwsError(list(at(257)), 'BadRequestException', 400, "at 'resourceArn'", 'length less than or equal to 256');
      });

      test('resourceArn must begin with arn:<partition of 1..10 lowercase letters or digits>:profile', async () => {
        for (const partition of ['a', 'abcdefgh10']) {
          await expectAwsError(list(arnOf('valid', TEST_ACCOUNT, TEST_REGION, partition)), 'ResourceNotFoundException', 404);
        }
        for (const resourceArn of [
          '',
          arnOf('valid', TEST_ACCOUNT, TEST_REGION, ''),
          arnOf('valid', TEST_ACCOUNT, TEST_REGION, 'abcdefghi11'),
          arnOf('valid', TEST_ACCOUNT, TEST_REGION, 'Aws'),
          'arn:aws:s3:::bucket',
        ]) {
          await expectAwsError(
            list(resourceArn),
            'BadRequestException',
            400,
            "at 'resourceArn'",
            'regular expression pattern: ^arn:[a-z0-9]{1,10}:profile',
          );
        }
      });
    });

    describe('behaviour', () => {
      test('reflects every way tags change: CreateDomain, TagResource, UpdateDomain and UntagResource', async () => {
        await s.client.send(new CreateDomainCommand({ DomainName: 'life', DefaultExpirationDays: 1, Tags: { a: '1' } }));
        assert.deepEqual((await list(arnOf('life'))).tags, { a: '1' });
        await s.client.send(new TagResourceCommand({ resourceArn: arnOf('life'), tags: { b: '2' } }));
        assert.deepEqual((await list(arnOf('life'))).tags, { a: '1', b: '2' });
        await s.client.send(new UpdateDomainCommand({ DomainName: 'life', Tags: { a: 'one', c: '3' } }));
        assert.deepEqual((await list(arnOf('life'))).tags, { a: 'one', b: '2', c: '3' });
        await s.client.send(new UntagResourceCommand({ resourceArn: arnOf('life'), tagKeys: ['b', 'c'] }));
        assert.deepEqual((await list(arnOf('life'))).tags, { a: 'one' });
      });

      test('a missing domain, and an object type or integration of a domain that has none, is a ResourceNotFoundException', async () => {
        for (const resourceArn of [
          arnOf('missing'),
          `${arnOf('valid')}/object-types/Customer`,
          `${arnOf('valid')}/integrations/arn:aws:flow:us-east-1:000000000000:flow/f`,
          `${arnOf('missing')}/object-types/Customer`,
        ]) {
          await expectAwsError(list(resourceArn), 'ResourceNotFoundException', 404);
        }
      });

      test('another account and another region see neither the domain nor its tags', async () => {
        await s.client.send(new CreateDomainCommand({ DomainName: 'secret', DefaultExpirationDays: 1, Tags: { s: '1' } }));
        // Asking with the owner's ARN from elsewhere …
        for (const other of [s.clientFor({ accountId: '111122223333' }), s.clientFor({ region: 'eu-west-1' })]) {
          await expectAwsError(other.send(new ListTagsForResourceCommand({ resourceArn: arnOf('secret') })), 'ResourceNotFoundException', 404);
        }
        // … or with ARNs of another account, region or partition from the owner's own client.
        for (const resourceArn of [
          arnOf('secret', '111122223333'),
          arnOf('secret', TEST_ACCOUNT, 'eu-west-1'),
          arnOf('secret', TEST_ACCOUNT, TEST_REGION, 'awscn'),
        ]) {
          await expectAwsError(list(resourceArn), 'ResourceNotFoundException', 404);
        }
      });

      test('an ARN of another account reveals nothing: an existing domain there answers as a missing one does', async () => {
        const other = '111122223333';
        await s.clientFor({ accountId: other }).send(
          new CreateDomainCommand({ DomainName: 'theirs', DefaultExpirationDays: 1, Tags: { hidden: 'yes' } }),
        );
        const existing = await expectAwsError(list(arnOf('theirs', other)), 'ResourceNotFoundException', 404);
        const missing = await expectAwsError(list(arnOf('nothing', other)), 'ResourceNotFoundException', 404);
        assert.equal(
          existing.message.replace(arnOf('theirs', other), '<arn>'),
          missing.message.replace(arnOf('nothing', other), '<arn>'),
        );
        assert.ok(!existing.message.includes('hidden'));
      });

      test('an ARN that is not a profile domain, object type or integration ARN is a BadRequestException', async () => {
        for (const resourceArn of [
          `arn:aws:profilex:${TEST_REGION}:${TEST_ACCOUNT}:domains/valid`,
          `arn:aws:profile:${TEST_REGION}:${TEST_ACCOUNT}:workflows/valid`,
          `arn:aws:profile:${TEST_REGION}:${TEST_ACCOUNT}:domains/valid/workflows/w`,
          'arn:aws:profile:',
        ]) {
          await expectAwsError(list(resourceArn), 'BadRequestException', 400, resourceArn);
        }
      });
    });
  });
}
