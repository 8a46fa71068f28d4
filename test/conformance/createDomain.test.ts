import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { BadRequestException, CreateDomainCommand, GetDomainCommand } from '@aws-sdk/client-customer-profiles';
import { availableBackends } from '../helpers/backends.js';
import { expectAwsError } from '../helpers/errors.js';
import { startServer, type TestServer } from '../helpers/server.js';

for (const backend of await availableBackends()) {
  describe(`CreateDomain [${backend}]`, () => {
    let s: TestServer;
    before(async () => {
      s = await startServer(backend);
    });
    after(() => s.close());

    describe('serialization', () => {
      test('returns every member it was given, with epoch-second timestamps the SDK reads as Dates', async () => {
        const before = Date.now();
        const out = await s.client.send(
          new CreateDomainCommand({
            DomainName: 'ser-full',
            DefaultExpirationDays: 30,
            DefaultEncryptionKey: 'arn:aws:kms:us-east-1:123456789012:key/abc',
            DeadLetterQueueUrl: 'https://sqs.us-east-1.amazonaws.com/123456789012/dlq',
            Matching: { Enabled: true, JobSchedule: { DayOfTheWeek: 'SUNDAY', Time: '03:00' } },
            DataStore: { Enabled: true },
            Tags: { team: 'growth' },
          }),
        );
        assert.equal(out.$metadata.httpStatusCode, 200);
        assert.ok(out.$metadata.requestId, 'X-Amzn-RequestId is read by the SDK');
        assert.equal(out.DomainName, 'ser-full');
        assert.equal(out.DefaultExpirationDays, 30);
        assert.equal(out.DefaultEncryptionKey, 'arn:aws:kms:us-east-1:123456789012:key/abc');
        assert.equal(out.DeadLetterQueueUrl, 'https://sqs.us-east-1.amazonaws.com/123456789012/dlq');
        assert.deepEqual(out.Matching, { Enabled: true, JobSchedule: { DayOfTheWeek: 'SUNDAY', Time: '03:00' } });
        assert.equal(out.DataStore?.Enabled, true);
        assert.deepEqual(out.Tags, { team: 'growth' });
        assert.ok(out.CreatedAt instanceof Date && out.LastUpdatedAt instanceof Date);
        assert.ok(out.CreatedAt.getTime() >= before - 1000 && out.CreatedAt.getTime() <= Date.now() + 1000);
      });

      test('omits optional members that were not given', async () => {
        const out = await s.client.send(new CreateDomainCommand({ DomainName: 'ser-min', DefaultExpirationDays: 1 }));
        assert.equal(out.DefaultEncryptionKey, undefined);
        assert.equal(out.DeadLetterQueueUrl, undefined);
        assert.equal(out.Matching, undefined);
        assert.equal(out.Tags, undefined);
      });
    });

    describe('validation', () => {
      test('DomainName of 64 characters is accepted, 65 is rejected naming the member and the rule', async () => {
        await s.client.send(new CreateDomainCommand({ DomainName: 'a'.repeat(64), DefaultExpirationDays: 1 }));
        await expectAwsError(
          s.client.send(new CreateDomainCommand({ DomainName: 'a'.repeat(65), DefaultExpirationDays: 1 })),
          'BadRequestException',
          400,
          "at 'DomainName'",
          'length less than or equal to 64',
        );
      });

      test('DomainName must match ^[a-zA-Z0-9_-]+$', async () => {
        await expectAwsError(
          s.client.send(new CreateDomainCommand({ DomainName: 'bad.name', DefaultExpirationDays: 1 })),
          'BadRequestException',
          400,
          'regular expression pattern',
        );
      });

      test('DefaultExpirationDays is required and ranges 1..1098 at both bounds', async () => {
        await expectAwsError(
          s.client.send(new CreateDomainCommand({ DomainName: 'v-req' } as never)),
          'BadRequestException',
          400,
          "Value null at 'DefaultExpirationDays' failed to satisfy constraint: Member must not be null",
        );
        await expectAwsError(
          s.client.send(new CreateDomainCommand({ DomainName: 'v0', DefaultExpirationDays: 0 })),
          'BadRequestException',
          400,
          'greater than or equal to 1',
        );
        await expectAwsError(
          s.client.send(new CreateDomainCommand({ DomainName: 'v1099', DefaultExpirationDays: 1099 })),
          'BadRequestException',
          400,
          'less than or equal to 1098',
        );
        await s.client.send(new CreateDomainCommand({ DomainName: 'v1098', DefaultExpirationDays: 1098 }));
      });

      test('several violations are reported together in one BadRequestException', async () => {
        const err = await expectAwsError(
          s.client.send(
            new CreateDomainCommand({
              DomainName: 'multi',
              DefaultExpirationDays: 0,
              DefaultEncryptionKey: 'k'.repeat(256),
              Tags: { 'aws:reserved': 'x' },
            }),
          ),
          'BadRequestException',
          400,
          '3 validation errors detected',
        );
        assert.ok(err instanceof BadRequestException, 'the SDK maps the error to its typed class');
      });

      test('Tags accept 50 entries and reject 51', async () => {
        const tags = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, 'v']));
        await s.client.send(new CreateDomainCommand({ DomainName: 'tags50', DefaultExpirationDays: 1, Tags: tags(50) }));
        await expectAwsError(
          s.client.send(new CreateDomainCommand({ DomainName: 'tags51', DefaultExpirationDays: 1, Tags: tags(51) })),
          'BadRequestException',
          400,
          "at 'Tags'",
        );
      });
    });

    describe('behaviour', () => {
      test('creating a domain that exists is a BadRequestException naming it', async () => {
        await s.client.send(new CreateDomainCommand({ DomainName: 'dup', DefaultExpirationDays: 5 }));
        await expectAwsError(
          s.client.send(new CreateDomainCommand({ DomainName: 'dup', DefaultExpirationDays: 5 })),
          'BadRequestException',
          400,
          'dup',
          'already exists',
        );
      });

      test('the domain is readable afterwards, and invisible to another account and another region', async () => {
        await s.client.send(new CreateDomainCommand({ DomainName: 'scoped', DefaultExpirationDays: 7 }));
        const got = await s.client.send(new GetDomainCommand({ DomainName: 'scoped' }));
        assert.equal(got.DefaultExpirationDays, 7);
        await expectAwsError(
          s.clientFor({ accountId: '111122223333' }).send(new GetDomainCommand({ DomainName: 'scoped' })),
          'ResourceNotFoundException',
          404,
        );
        await expectAwsError(
          s.clientFor({ region: 'eu-west-1' }).send(new GetDomainCommand({ DomainName: 'scoped' })),
          'ResourceNotFoundException',
          404,
        );
        // The same name is free in another account.
        await s.clientFor({ accountId: '111122223333' }).send(
          new CreateDomainCommand({ DomainName: 'scoped', DefaultExpirationDays: 1 }),
        );
      });
    });
  });
}
