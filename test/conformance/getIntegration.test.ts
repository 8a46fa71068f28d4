import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { GetIntegrationCommand, PutIntegrationCommand, TagResourceCommand } from '@aws-sdk/client-customer-profiles';
import { ManualClock } from '../../src/engine/clock.js';
import { availableBackends } from '../helpers/backends.js';
import { expectAwsError } from '../helpers/errors.js';
import { domainWithType, HOME, integrationArnOf, raw } from '../helpers/profile-objects.js';
import { startServer, type TestServer } from '../helpers/server.js';

for (const backend of await availableBackends()) {
  describe(`GetIntegration [${backend}]`, () => {
    const clock = new ManualClock(Date.UTC(2026, 6, 1, 0, 0, 0, 0));
    let s: TestServer;
    before(async () => {
      s = await startServer(backend, { clock });
      await domainWithType(s.client, 'gi');
      await s.client.send(
        new PutIntegrationCommand({
          DomainName: 'gi',
          Uri: 's3://bucket/prefix',
          ObjectTypeName: 'Contact',
          RoleArn: 'arn:aws:iam::123456789012:role/r',
          EventTriggerNames: ['t1'],
        }),
      );
    });
    after(() => s.close());
    const get = (Uri: string | undefined, DomainName = 'gi') => s.client.send(new GetIntegrationCommand({ DomainName, Uri } as never));

    describe('serialization', () => {
      test('returns the integration as PutIntegration stored it', async () => {
        const out = await get('s3://bucket/prefix');
        assert.equal(out.$metadata.httpStatusCode, 200);
        assert.equal(out.DomainName, 'gi');
        assert.equal(out.Uri, 's3://bucket/prefix');
        assert.equal(out.ObjectTypeName, 'Contact');
        assert.equal(out.RoleArn, 'arn:aws:iam::123456789012:role/r');
        assert.deepEqual(out.EventTriggerNames, ['t1']);
        assert.equal(out.Scope, 'PROFILE');
        assert.deepEqual(out.CreatedAt, new Date(clock.now()));
        assert.equal(out.Tags, undefined);
      });

      test('an integration the workflow engine wrote shows its WorkflowId, and tags added later', async () => {
        await s.store.integrations.put(HOME, 'gi', {
          uri: 'arn:aws:appflow:us-east-1:000000000000:flow/wf',
          objectTypeName: 'Contact',
          workflowId: '0123456789abcdef0123456789abcdef',
          isUnstructured: false,
          createdAt: clock.now(),
          updatedAt: clock.now(),
        });
        await s.client.send(
          new TagResourceCommand({ resourceArn: integrationArnOf('gi', 'arn:aws:appflow:us-east-1:000000000000:flow/wf'), tags: { w: '1' } }),
        );
        const out = await get('arn:aws:appflow:us-east-1:000000000000:flow/wf');
        assert.equal(out.WorkflowId, '0123456789abcdef0123456789abcdef');
        assert.deepEqual(out.Tags, { w: '1' });
      });

      test('GetIntegration is a POST with the Uri in the body', async () => {
        const res = await raw(s, 'POST', '/domains/gi/integrations', { Uri: 's3://bucket/prefix' });
        assert.equal(res.status, 200);
        assert.equal(res.json.Uri, 's3://bucket/prefix');
      });
    });

    describe('validation', () => {
      test('Uri is required and 1..255 characters', async () => {
        await expectAwsError(get(undefined), 'BadRequestException', 400, "Value null at 'Uri'");
        await expectAwsError(get(''), 'BadRequestException', 400, "at 'Uri'");
        await expectAwsError(get('u'.repeat(256)), 'BadRequestException', 400, 'less than or equal to 255');
        await expectAwsError(get('u'.repeat(255)), 'ResourceNotFoundException', 404);
      });
    });

    describe('behaviour', () => {
      test('a missing integration is a ResourceNotFoundException naming its Uri', async () => {
        await expectAwsError(get('s3://other'), 'ResourceNotFoundException', 404, 's3://other');
      });

      test('a missing domain is a ResourceNotFoundException naming it', async () => {
        await expectAwsError(get('s3://bucket/prefix', 'nodom'), 'ResourceNotFoundException', 404, 'nodom');
      });

      test('another account does not see the integration', async () => {
        await expectAwsError(
          s.clientFor({ accountId: '111122223333' }).send(new GetIntegrationCommand({ DomainName: 'gi', Uri: 's3://bucket/prefix' })),
          'ResourceNotFoundException',
          404,
        );
      });
    });
  });
}
