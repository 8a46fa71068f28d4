import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  CreateDomainCommand,
  GetDomainCommand,
  TagResourceCommand,
  UntagResourceCommand,
} from '@aws-sdk/client-customer-profiles';
import { ManualClock } from '../../src/engine/clock.js';
import { availableBackends } from '../helpers/backends.js';
import { expectAwsError } from '../helpers/errors.js';
import { startServer, TEST_ACCOUNT, TEST_REGION, type TestServer } from '../helpers/server.js';

const arnOf = (name: string) => `arn:aws:profile:${TEST_REGION}:${TEST_ACCOUNT}:domains/${name}`;

for (const backend of await availableBackends()) {
  describe(`GetDomain [${backend}]`, () => {
    // A clock with a millisecond fraction, so that timestamps are checked to the millisecond.
    const clock = new ManualClock(Date.UTC(2026, 2, 14, 9, 30, 0, 250));
    let s: TestServer;
    before(async () => {
      s = await startServer(backend, { clock });
    });
    after(() => s.close());

    describe('serialization', () => {
      test('returns every member the model declares, with epoch-second timestamps the SDK reads as Dates', async () => {
        const createdAt = clock.now();
        await s.client.send(
          new CreateDomainCommand({
            DomainName: 'ser-full',
            DefaultExpirationDays: 30,
            DefaultEncryptionKey: 'arn:aws:kms:us-east-1:123456789012:key/abc',
            DeadLetterQueueUrl: 'https://sqs.us-east-1.amazonaws.com/123456789012/dlq',
            Matching: {
              Enabled: true,
              JobSchedule: { DayOfTheWeek: 'MONDAY', Time: '7:15' },
              AutoMerging: {
                Enabled: true,
                Consolidation: { MatchingAttributesList: [['EmailAddress'], ['FirstName', 'LastName']] },
                ConflictResolution: { ConflictResolvingModel: 'SOURCE', SourceName: 'crm' },
                MinAllowedConfidenceScoreForMerging: 0.75,
              },
              ExportingConfig: { S3Exporting: { S3BucketName: 'matches-bucket', S3KeyName: 'out/' } },
            },
            RuleBasedMatching: {
              Enabled: true,
              MatchingRules: [{ Rule: ['EmailAddress'] }, { Rule: ['PhoneNumber', 'LastName'] }],
              MaxAllowedRuleLevelForMerging: 2,
              MaxAllowedRuleLevelForMatching: 3,
              AttributeTypesSelector: { AttributeMatchingModel: 'ONE_TO_ONE', EmailAddress: ['PersonalEmailAddress'] },
              ConflictResolution: { ConflictResolvingModel: 'RECENCY' },
            },
            DataStore: { Enabled: true },
            Tags: { team: 'growth', env: 'test' },
          }),
        );
        clock.advance(5_000);

        const out = await s.client.send(new GetDomainCommand({ DomainName: 'ser-full' }));
        assert.equal(out.$metadata.httpStatusCode, 200);
        assert.ok(out.$metadata.requestId, 'X-Amzn-RequestId is read by the SDK');
        assert.deepEqual(
          Object.keys(out).filter((k) => k !== '$metadata').sort(),
          [
            'CreatedAt',
            'DataStore',
            'DeadLetterQueueUrl',
            'DefaultEncryptionKey',
            'DefaultExpirationDays',
            'DomainName',
            'LastUpdatedAt',
            'Matching',
            'RuleBasedMatching',
            'Stats',
            'Tags',
          ],
        );
        assert.equal(out.DomainName, 'ser-full');
        assert.equal(out.DefaultExpirationDays, 30);
        assert.equal(out.DefaultEncryptionKey, 'arn:aws:kms:us-east-1:123456789012:key/abc');
        assert.equal(out.DeadLetterQueueUrl, 'https://sqs.us-east-1.amazonaws.com/123456789012/dlq');
        assert.deepEqual(out.Stats, { ProfileCount: 0, MeteringProfileCount: 0, ObjectCount: 0, TotalSize: 0 });
        assert.deepEqual(out.Matching, {
          Enabled: true,
          JobSchedule: { DayOfTheWeek: 'MONDAY', Time: '7:15' },
          AutoMerging: {
            Enabled: true,
            Consolidation: { MatchingAttributesList: [['EmailAddress'], ['FirstName', 'LastName']] },
            ConflictResolution: { ConflictResolvingModel: 'SOURCE', SourceName: 'crm' },
            MinAllowedConfidenceScoreForMerging: 0.75,
          },
          ExportingConfig: { S3Exporting: { S3BucketName: 'matches-bucket', S3KeyName: 'out/' } },
        });
        assert.deepEqual(out.RuleBasedMatching, {
          Enabled: true,
          MatchingRules: [{ Rule: ['EmailAddress'] }, { Rule: ['PhoneNumber', 'LastName'] }],
          Status: 'ACTIVE',
          MaxAllowedRuleLevelForMerging: 2,
          MaxAllowedRuleLevelForMatching: 3,
          AttributeTypesSelector: { AttributeMatchingModel: 'ONE_TO_ONE', EmailAddress: ['PersonalEmailAddress'] },
          ConflictResolution: { ConflictResolvingModel: 'RECENCY' },
        });
        assert.equal(out.DataStore?.Enabled, true);
        assert.equal(out.DataStore?.Readiness?.ProgressPercentage, 100);
        assert.equal(typeof out.DataStore?.Readiness?.Message, 'string');
        assert.deepEqual(out.Tags, { env: 'test', team: 'growth' });
        assert.ok(out.CreatedAt instanceof Date && out.LastUpdatedAt instanceof Date);
        assert.equal(out.CreatedAt.getTime(), createdAt, 'the millisecond fraction survives epoch seconds');
        assert.equal(out.LastUpdatedAt.getTime(), createdAt);
      });

      test('omits optional members that were never set, but always reports Stats', async () => {
        await s.client.send(new CreateDomainCommand({ DomainName: 'ser-min', DefaultExpirationDays: 1 }));
        const out = await s.client.send(new GetDomainCommand({ DomainName: 'ser-min' }));
        assert.equal(out.DomainName, 'ser-min');
        assert.equal(out.DefaultExpirationDays, 1);
        assert.equal(out.DefaultEncryptionKey, undefined);
        assert.equal(out.DeadLetterQueueUrl, undefined);
        assert.equal(out.Matching, undefined);
        assert.equal(out.RuleBasedMatching, undefined);
        assert.equal(out.DataStore, undefined);
        assert.equal(out.Tags, undefined);
        assert.ok(out.Stats, 'Stats is present for every domain');
        assert.ok(out.CreatedAt instanceof Date && out.LastUpdatedAt instanceof Date);
      });
    });

    describe('validation', () => {
      test('DomainName of 1 and of 64 characters is accepted, 65 is rejected naming the member and the rule', async () => {
        for (const name of ['x', 'g'.repeat(64)]) {
          await s.client.send(new CreateDomainCommand({ DomainName: name, DefaultExpirationDays: 1 }));
          assert.equal((await s.client.send(new GetDomainCommand({ DomainName: name }))).DomainName, name);
        }
        await expectAwsError(
          s.client.send(new GetDomainCommand({ DomainName: 'g'.repeat(65) })),
          'BadRequestException',
          400,
          "at 'DomainName'",
          'length less than or equal to 64',
        );
      });

      test('an empty DomainName is rejected as shorter than 1', async () => {
        await expectAwsError(
          s.client.send(new GetDomainCommand({ DomainName: '' })),
          'BadRequestException',
          400,
          "at 'DomainName'",
          'length greater than or equal to 1',
        );
      });

      test('DomainName must match ^[a-zA-Z0-9_-]+$: every allowed character class passes, anything else is rejected', async () => {
        await s.client.send(new CreateDomainCommand({ DomainName: 'Az09_-', DefaultExpirationDays: 1 }));
        assert.equal((await s.client.send(new GetDomainCommand({ DomainName: 'Az09_-' }))).DomainName, 'Az09_-');
        for (const bad of ['bad.name', 'bad name', 'a/b', 'caf\u00e9', 'a%2Fb']) {
          await expectAwsError(
            s.client.send(new GetDomainCommand({ DomainName: bad })),
            'BadRequestException',
            400,
            "at 'DomainName'",
            'regular expression pattern: ^[a-zA-Z0-9_-]+$',
          );
        }
      });
    });

    describe('behaviour', () => {
      test('a new domain has Stats with every count and size at zero', async () => {
        await s.client.send(new CreateDomainCommand({ DomainName: 'stats-new', DefaultExpirationDays: 3 }));
        const out = await s.client.send(new GetDomainCommand({ DomainName: 'stats-new' }));
        assert.deepEqual(out.Stats, { ProfileCount: 0, MeteringProfileCount: 0, ObjectCount: 0, TotalSize: 0 });
      });

      test('Tags follow the domain: creation tags, then TagResource and UntagResource, omitted once none remain', async () => {
        await s.client.send(new CreateDomainCommand({ DomainName: 'tags-follow', DefaultExpirationDays: 1, Tags: { a: '1' } }));
        assert.deepEqual((await s.client.send(new GetDomainCommand({ DomainName: 'tags-follow' }))).Tags, { a: '1' });
        await s.client.send(new TagResourceCommand({ resourceArn: arnOf('tags-follow'), tags: { b: '2', a: '9' } }));
        assert.deepEqual((await s.client.send(new GetDomainCommand({ DomainName: 'tags-follow' }))).Tags, { a: '9', b: '2' });
        await s.client.send(new UntagResourceCommand({ resourceArn: arnOf('tags-follow'), tagKeys: ['a', 'b'] }));
        assert.equal((await s.client.send(new GetDomainCommand({ DomainName: 'tags-follow' }))).Tags, undefined);
      });

      test('a domain that does not exist is a ResourceNotFoundException naming it', async () => {
        await expectAwsError(
          s.client.send(new GetDomainCommand({ DomainName: 'never-created' })),
          'ResourceNotFoundException',
          404,
          'never-created',
        );
      });

      test('another account and another region never see the domain', async () => {
        await s.client.send(new CreateDomainCommand({ DomainName: 'private', DefaultExpirationDays: 1, Tags: { k: 'v' } }));
        for (const other of [s.clientFor({ accountId: '111122223333' }), s.clientFor({ region: 'eu-west-1' })]) {
          await expectAwsError(other.send(new GetDomainCommand({ DomainName: 'private' })), 'ResourceNotFoundException', 404);
        }
        // A domain of the same name elsewhere is a different domain, with its own settings and tags.
        const elsewhere = s.clientFor({ accountId: '111122223333' });
        await elsewhere.send(new CreateDomainCommand({ DomainName: 'private', DefaultExpirationDays: 9 }));
        const theirs = await elsewhere.send(new GetDomainCommand({ DomainName: 'private' }));
        assert.equal(theirs.DefaultExpirationDays, 9);
        assert.equal(theirs.Tags, undefined);
        const ours = await s.client.send(new GetDomainCommand({ DomainName: 'private' }));
        assert.equal(ours.DefaultExpirationDays, 1);
        assert.deepEqual(ours.Tags, { k: 'v' });
      });
    });
  });
}
