import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  CreateDomainCommand,
  GetDomainCommand,
  ListTagsForResourceCommand,
  UpdateDomainCommand,
  type UpdateDomainCommandInput,
} from '@aws-sdk/client-customer-profiles';
import { ManualClock } from '../../src/engine/clock.js';
import { availableBackends } from '../helpers/backends.js';
import { expectAwsError } from '../helpers/errors.js';
import { startServer, TEST_ACCOUNT, TEST_REGION, type TestServer } from '../helpers/server.js';

const arnOf = (name: string) => `arn:aws:profile:${TEST_REGION}:${TEST_ACCOUNT}:domains/${name}`;
const tags = (n: number, prefix = 'k') => Object.fromEntries(Array.from({ length: n }, (_, i) => [`${prefix}${i}`, 'v']));

const KEY = 'arn:aws:kms:us-east-1:123456789012:key/abc';
const DLQ = 'https://sqs.us-east-1.amazonaws.com/123456789012/dlq';

for (const backend of await availableBackends()) {
  describe(`UpdateDomain [${backend}]`, () => {
    const clock = new ManualClock(Date.UTC(2026, 4, 2, 8, 0, 0, 125));
    let s: TestServer;
    before(async () => {
      s = await startServer(backend, { clock });
      await s.client.send(new CreateDomainCommand({ DomainName: 'valid', DefaultExpirationDays: 1 }));
    });
    after(() => s.close());

    /** An update of the shared 'valid' domain that must fail validation with these words. */
    const rejects = (input: Omit<UpdateDomainCommandInput, 'DomainName'>, ...parts: string[]) =>
      expectAwsError(
        s.client.send(new UpdateDomainCommand({ DomainName: 'valid', ...input })),
        'BadRequestException',
        400,
        ...parts,
      );
    const accepts = (input: Omit<UpdateDomainCommandInput, 'DomainName'>) =>
      s.client.send(new UpdateDomainCommand({ DomainName: 'valid', ...input }));

    describe('serialization', () => {
      test('returns every member the model declares, with epoch-second timestamps the SDK reads as Dates', async () => {
        const createdAt = clock.now();
        await s.client.send(new CreateDomainCommand({ DomainName: 'ser-full', DefaultExpirationDays: 1, Tags: { a: '1' } }));
        clock.advance(61_500);
        const out = await s.client.send(
          new UpdateDomainCommand({
            DomainName: 'ser-full',
            DefaultExpirationDays: 45,
            DefaultEncryptionKey: KEY,
            DeadLetterQueueUrl: DLQ,
            Matching: { Enabled: true, JobSchedule: { DayOfTheWeek: 'FRIDAY', Time: '23:59' } },
            RuleBasedMatching: { Enabled: true, MatchingRules: [{ Rule: ['EmailAddress'] }], MaxAllowedRuleLevelForMatching: 1 },
            DataStore: { Enabled: true },
            Tags: { b: '2' },
          }),
        );
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
            'Tags',
          ],
        );
        assert.equal(out.DomainName, 'ser-full');
        assert.equal(out.DefaultExpirationDays, 45);
        assert.equal(out.DefaultEncryptionKey, KEY);
        assert.equal(out.DeadLetterQueueUrl, DLQ);
        assert.deepEqual(out.Matching, { Enabled: true, JobSchedule: { DayOfTheWeek: 'FRIDAY', Time: '23:59' } });
        assert.deepEqual(out.RuleBasedMatching, {
          Enabled: true,
          MatchingRules: [{ Rule: ['EmailAddress'] }],
          MaxAllowedRuleLevelForMatching: 1,
          Status: 'ACTIVE',
        });
        assert.equal(out.DataStore?.Enabled, true);
        assert.equal(out.DataStore?.Readiness?.ProgressPercentage, 100);
        assert.deepEqual(out.Tags, { a: '1', b: '2' });
        assert.ok(out.CreatedAt instanceof Date && out.LastUpdatedAt instanceof Date);
        assert.equal(out.CreatedAt.getTime(), createdAt);
        assert.equal(out.LastUpdatedAt.getTime(), createdAt + 61_500);
      });

      test('omits optional members the domain does not have', async () => {
        await s.client.send(new CreateDomainCommand({ DomainName: 'ser-min', DefaultExpirationDays: 1 }));
        const out = await s.client.send(new UpdateDomainCommand({ DomainName: 'ser-min', DefaultExpirationDays: 2 }));
        assert.equal(out.DefaultExpirationDays, 2);
        assert.equal(out.DefaultEncryptionKey, undefined);
        assert.equal(out.DeadLetterQueueUrl, undefined);
        assert.equal(out.Matching, undefined);
        assert.equal(out.RuleBasedMatching, undefined);
        assert.equal(out.DataStore, undefined);
        assert.equal(out.Tags, undefined);
      });
    });

    describe('validation', () => {
      test('DomainName of 64 characters is accepted, 65 is rejected naming the member and the rule', async () => {
        const name = 'u'.repeat(64);
        await s.client.send(new CreateDomainCommand({ DomainName: name, DefaultExpirationDays: 1 }));
        assert.equal((await s.client.send(new UpdateDomainCommand({ DomainName: name, DefaultExpirationDays: 2 }))).DomainName, name);
        await expectAwsError(
          s.client.send(new UpdateDomainCommand({ DomainName: 'u'.repeat(65), DefaultExpirationDays: 2 })),
          'BadRequestException',
          400,
          "at 'DomainName'",
          'length less than or equal to 64',
        );
        await expectAwsError(
          s.client.send(new UpdateDomainCommand({ DomainName: '' })),
          'BadRequestException',
          400,
          "at 'DomainName'",
          'length greater than or equal to 1',
        );
      });

      test('DomainName must match ^[a-zA-Z0-9_-]+$', async () => {
        for (const bad of ['bad.name', 'a b', 'a/b']) {
          await expectAwsError(
            s.client.send(new UpdateDomainCommand({ DomainName: bad, DefaultExpirationDays: 2 })),
            'BadRequestException',
            400,
            "at 'DomainName'",
            'regular expression pattern: ^[a-zA-Z0-9_-]+$',
          );
        }
      });

      test('DefaultExpirationDays is optional and ranges 1..1098 at both bounds', async () => {
        await accepts({});
        assert.equal((await accepts({ DefaultExpirationDays: 1 })).DefaultExpirationDays, 1);
        assert.equal((await accepts({ DefaultExpirationDays: 1098 })).DefaultExpirationDays, 1098);
        await rejects({ DefaultExpirationDays: 0 }, "at 'DefaultExpirationDays'", 'greater than or equal to 1');
        await rejects({ DefaultExpirationDays: 1099 }, "at 'DefaultExpirationDays'", 'less than or equal to 1098');
      });

      test('DefaultEncryptionKey and DeadLetterQueueUrl take 0..255 characters', async () => {
        for (const member of ['DefaultEncryptionKey', 'DeadLetterQueueUrl'] as const) {
          assert.equal((await accepts({ [member]: 'k'.repeat(255) }))[member], 'k'.repeat(255));
          await accepts({ [member]: '' });
          await rejects({ [member]: 'k'.repeat(256) }, `at '${member}'`, 'length less than or equal to 255');
        }
      });

      test('Matching: Enabled is required, JobSchedule day and time are checked, the confidence score ranges 0..1, the bucket name 3..63', async () => {
        await rejects({ Matching: {} as never }, "Value null at 'Matching.Enabled'", 'must not be null');
        await rejects(
          { Matching: { Enabled: true, JobSchedule: { DayOfTheWeek: 'FUNDAY' as never, Time: '1:00' } } },
          "at 'Matching.JobSchedule.DayOfTheWeek'",
          'enum value set',
        );
        await accepts({ Matching: { Enabled: true, JobSchedule: { DayOfTheWeek: 'SUNDAY', Time: '0:00' } } });
        await accepts({ Matching: { Enabled: true, JobSchedule: { DayOfTheWeek: 'SUNDAY', Time: '23:59' } } });
        for (const time of ['24:00', '12:60', '7']) {
          await rejects(
            { Matching: { Enabled: true, JobSchedule: { DayOfTheWeek: 'SUNDAY', Time: time } } },
            "at 'Matching.JobSchedule.Time'",
          );
        }
        for (const score of [0, 1]) {
          await accepts({ Matching: { Enabled: true, AutoMerging: { Enabled: true, MinAllowedConfidenceScoreForMerging: score } } });
        }
        await rejects(
          { Matching: { Enabled: true, AutoMerging: { Enabled: true, MinAllowedConfidenceScoreForMerging: 1.01 } } },
          "at 'Matching.AutoMerging.MinAllowedConfidenceScoreForMerging'",
          'less than or equal to 1',
        );
        await rejects(
          { Matching: { Enabled: true, AutoMerging: { Enabled: true, MinAllowedConfidenceScoreForMerging: -0.01 } } },
          "at 'Matching.AutoMerging.MinAllowedConfidenceScoreForMerging'",
          'greater than or equal to 0',
        );
        const bucket = (name: string) => ({ Matching: { Enabled: true, ExportingConfig: { S3Exporting: { S3BucketName: name } } } });
        await accepts(bucket('abc'));
        await accepts(bucket('b'.repeat(63)));
        await rejects(bucket('ab'), "at 'Matching.ExportingConfig.S3Exporting.S3BucketName'", 'greater than or equal to 3');
        await rejects(bucket('b'.repeat(64)), "at 'Matching.ExportingConfig.S3Exporting.S3BucketName'", 'less than or equal to 63');
        await rejects(bucket('Upper'), "at 'Matching.ExportingConfig.S3Exporting.S3BucketName'", 'regular expression pattern');
      });

      test('RuleBasedMatching: Enabled is required, 1..15 rules of 1..15 attributes, rule levels 1..15, the attribute selector checked', async () => {
        const rules = (n: number, width = 1) =>
          Array.from({ length: n }, () => ({ Rule: Array.from({ length: width }, (_, i) => `Attr${i}`) }));
        await rejects({ RuleBasedMatching: {} as never }, "Value null at 'RuleBasedMatching.Enabled'");
        await accepts({ RuleBasedMatching: { Enabled: true, MatchingRules: rules(1, 15) } });
        await accepts({ RuleBasedMatching: { Enabled: true, MatchingRules: rules(15) } });
        await rejects({ RuleBasedMatching: { Enabled: true, MatchingRules: [] } }, "at 'RuleBasedMatching.MatchingRules'", 'greater than or equal to 1');
        await rejects({ RuleBasedMatching: { Enabled: true, MatchingRules: rules(16) } }, "at 'RuleBasedMatching.MatchingRules'", 'less than or equal to 15');
        await rejects(
          { RuleBasedMatching: { Enabled: true, MatchingRules: rules(1, 16) } },
          "at 'RuleBasedMatching.MatchingRules.1.Rule'",
          'less than or equal to 15',
        );
        for (const member of ['MaxAllowedRuleLevelForMerging', 'MaxAllowedRuleLevelForMatching'] as const) {
          await accepts({ RuleBasedMatching: { Enabled: true, [member]: 1 } });
          await accepts({ RuleBasedMatching: { Enabled: true, [member]: 15 } });
          await rejects({ RuleBasedMatching: { Enabled: true, [member]: 0 } }, `at 'RuleBasedMatching.${member}'`, 'greater than or equal to 1');
          await rejects({ RuleBasedMatching: { Enabled: true, [member]: 16 } }, `at 'RuleBasedMatching.${member}'`, 'less than or equal to 15');
        }
        await rejects(
          { RuleBasedMatching: { Enabled: true, AttributeTypesSelector: { AttributeMatchingModel: 'SOME' as never } } },
          "at 'RuleBasedMatching.AttributeTypesSelector.AttributeMatchingModel'",
          'enum value set',
        );
        await accepts({
          RuleBasedMatching: { Enabled: true, AttributeTypesSelector: { AttributeMatchingModel: 'MANY_TO_MANY', EmailAddress: ['a', 'b', 'c'] } },
        });
        await rejects(
          { RuleBasedMatching: { Enabled: true, AttributeTypesSelector: { AttributeMatchingModel: 'MANY_TO_MANY', EmailAddress: ['a', 'b', 'c', 'd'] } } },
          "at 'RuleBasedMatching.AttributeTypesSelector.EmailAddress'",
          'less than or equal to 3',
        );
      });

      test('Tags take 1..50 entries, keys 1..128 characters not starting with aws:, values up to 256', async () => {
        await s.client.send(new CreateDomainCommand({ DomainName: 'tagcheck', DefaultExpirationDays: 1 }));
        await s.client.send(new UpdateDomainCommand({ DomainName: 'tagcheck', Tags: tags(50) }));
        await rejects({ Tags: {} }, "at 'Tags'", 'length greater than or equal to 1');
        await rejects({ Tags: tags(51) }, "at 'Tags'", 'length less than or equal to 50');
        await rejects({ Tags: { 'aws:team': 'x' } }, "at 'Tags.key'", 'regular expression pattern');
        await rejects({ Tags: { ['k'.repeat(129)]: 'x' } }, "at 'Tags.key'", 'length less than or equal to 128');
        await rejects({ Tags: { big: 'v'.repeat(257) } }, "at 'Tags.big'", 'length less than or equal to 256');
        await accepts({ Tags: { ['k'.repeat(128)]: 'v'.repeat(256) } });
      });

      test('several violations are reported together in one BadRequestException', async () => {
        await rejects(
          { DefaultExpirationDays: 0, DefaultEncryptionKey: 'k'.repeat(256), DeadLetterQueueUrl: 'q'.repeat(256), Tags: { 'aws:x': 'y' } },
          '4 validation errors detected',
          "at 'DefaultExpirationDays'",
          "at 'DefaultEncryptionKey'",
          "at 'DeadLetterQueueUrl'",
          "at 'Tags.key'",
        );
      });
    });

    describe('behaviour', () => {
      test('members that are given replace the stored ones; members left out are kept', async () => {
        await s.client.send(
          new CreateDomainCommand({
            DomainName: 'partial',
            DefaultExpirationDays: 10,
            DefaultEncryptionKey: KEY,
            DeadLetterQueueUrl: DLQ,
            Matching: { Enabled: true, JobSchedule: { DayOfTheWeek: 'TUESDAY', Time: '4:30' } },
            RuleBasedMatching: { Enabled: true, MatchingRules: [{ Rule: ['EmailAddress'] }] },
            DataStore: { Enabled: true },
          }),
        );
        const out = await s.client.send(new UpdateDomainCommand({ DomainName: 'partial', DefaultExpirationDays: 20 }));
        const got = await s.client.send(new GetDomainCommand({ DomainName: 'partial' }));
        for (const view of [out, got]) {
          assert.equal(view.DefaultExpirationDays, 20);
          assert.equal(view.DefaultEncryptionKey, KEY);
          assert.equal(view.DeadLetterQueueUrl, DLQ);
          assert.deepEqual(view.Matching, { Enabled: true, JobSchedule: { DayOfTheWeek: 'TUESDAY', Time: '4:30' } });
          assert.deepEqual(view.RuleBasedMatching?.MatchingRules, [{ Rule: ['EmailAddress'] }]);
          assert.equal(view.DataStore?.Enabled, true);
        }

        // A structure that is given replaces the stored one as a whole; it is not merged into it.
        await s.client.send(new UpdateDomainCommand({ DomainName: 'partial', Matching: { Enabled: false } }));
        const replaced = await s.client.send(new GetDomainCommand({ DomainName: 'partial' }));
        assert.deepEqual(replaced.Matching, { Enabled: false });
        assert.equal(replaced.DefaultExpirationDays, 20);
      });

      test('an empty DefaultEncryptionKey or DeadLetterQueueUrl clears it', async () => {
        await s.client.send(
          new CreateDomainCommand({ DomainName: 'clearing', DefaultExpirationDays: 1, DefaultEncryptionKey: KEY, DeadLetterQueueUrl: DLQ }),
        );
        const out = await s.client.send(new UpdateDomainCommand({ DomainName: 'clearing', DefaultEncryptionKey: '' }));
        assert.equal(out.DefaultEncryptionKey, undefined);
        assert.equal(out.DeadLetterQueueUrl, DLQ);
        await s.client.send(new UpdateDomainCommand({ DomainName: 'clearing', DeadLetterQueueUrl: '' }));
        const got = await s.client.send(new GetDomainCommand({ DomainName: 'clearing' }));
        assert.equal(got.DefaultEncryptionKey, undefined);
        assert.equal(got.DeadLetterQueueUrl, undefined);
        assert.equal(got.DefaultExpirationDays, 1);
      });

      test('LastUpdatedAt moves to the time of the update while CreatedAt stays', async () => {
        const createdAt = clock.now();
        await s.client.send(new CreateDomainCommand({ DomainName: 'times', DefaultExpirationDays: 1 }));
        clock.advance(90_750);
        const first = await s.client.send(new UpdateDomainCommand({ DomainName: 'times', DefaultExpirationDays: 2 }));
        assert.equal(first.CreatedAt?.getTime(), createdAt);
        assert.equal(first.LastUpdatedAt?.getTime(), createdAt + 90_750);
        clock.advance(3_600_000);
        await s.client.send(new UpdateDomainCommand({ DomainName: 'times' }));
        const got = await s.client.send(new GetDomainCommand({ DomainName: 'times' }));
        assert.equal(got.CreatedAt?.getTime(), createdAt);
        assert.equal(got.LastUpdatedAt?.getTime(), createdAt + 90_750 + 3_600_000);
      });

      test('Tags given to an update are merged into the domain tags: new keys added, existing keys overwritten, others kept', async () => {
        await s.client.send(new CreateDomainCommand({ DomainName: 'merge', DefaultExpirationDays: 1, Tags: { a: '1', b: '2' } }));
        const out = await s.client.send(new UpdateDomainCommand({ DomainName: 'merge', Tags: { b: '3', c: '4' } }));
        assert.deepEqual(out.Tags, { a: '1', b: '3', c: '4' });
        const listed = await s.client.send(new ListTagsForResourceCommand({ resourceArn: arnOf('merge') }));
        assert.deepEqual(listed.tags, { a: '1', b: '3', c: '4' });
        // An update without Tags leaves them alone.
        assert.deepEqual((await s.client.send(new UpdateDomainCommand({ DomainName: 'merge' }))).Tags, { a: '1', b: '3', c: '4' });
      });

      test('an update that would leave more than 50 tags is refused as a whole, and changes nothing', async () => {
        await s.client.send(new CreateDomainCommand({ DomainName: 'full', DefaultExpirationDays: 1, Tags: tags(50) }));
        // Overwriting keys the domain already has keeps it at 50: allowed.
        await s.client.send(new UpdateDomainCommand({ DomainName: 'full', Tags: { k0: 'changed' } }));
        await expectAwsError(
          s.client.send(new UpdateDomainCommand({ DomainName: 'full', DefaultExpirationDays: 7, Tags: { extra: 'x' } })),
          'BadRequestException',
          400,
          '50',
        );
        const got = await s.client.send(new GetDomainCommand({ DomainName: 'full' }));
        assert.equal(got.DefaultExpirationDays, 1, 'the refused update did not change the domain');
        assert.equal(Object.keys(got.Tags ?? {}).length, 50);
        assert.equal(got.Tags?.k0, 'changed');
        assert.equal(got.Tags?.extra, undefined);
      });

      test('updating a domain that does not exist is a ResourceNotFoundException naming it, and creates nothing', async () => {
        await expectAwsError(
          s.client.send(new UpdateDomainCommand({ DomainName: 'ghost', DefaultExpirationDays: 5 })),
          'ResourceNotFoundException',
          404,
          'ghost',
        );
        await expectAwsError(s.client.send(new GetDomainCommand({ DomainName: 'ghost' })), 'ResourceNotFoundException', 404);
      });

      test('another account and another region cannot update the domain, and it stays as it was', async () => {
        await s.client.send(new CreateDomainCommand({ DomainName: 'guarded', DefaultExpirationDays: 3 }));
        for (const other of [s.clientFor({ accountId: '111122223333' }), s.clientFor({ region: 'eu-west-1' })]) {
          await expectAwsError(
            other.send(new UpdateDomainCommand({ DomainName: 'guarded', DefaultExpirationDays: 99, Tags: { x: 'y' } })),
            'ResourceNotFoundException',
            404,
          );
        }
        const got = await s.client.send(new GetDomainCommand({ DomainName: 'guarded' }));
        assert.equal(got.DefaultExpirationDays, 3);
        assert.equal(got.Tags, undefined);
      });
    });
  });
}
