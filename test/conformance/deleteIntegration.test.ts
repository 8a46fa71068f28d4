import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  DeleteIntegrationCommand,
  GetIntegrationCommand,
  ListProfileObjectsCommand,
  ListTagsForResourceCommand,
  PutIntegrationCommand,
} from '@aws-sdk/client-customer-profiles';
import { availableBackends } from '../helpers/backends.js';
import { expectAwsError } from '../helpers/errors.js';
import { domainWithType, integrationArnOf, profileOf, putObject, raw } from '../helpers/profile-objects.js';
import { startServer, type TestServer } from '../helpers/server.js';

for (const backend of await availableBackends()) {
  describe(`DeleteIntegration [${backend}]`, () => {
    let s: TestServer;
    before(async () => {
      s = await startServer(backend);
      await domainWithType(s.client, 'di');
    });
    after(() => s.close());
    const create = (Uri: string, Tags?: Record<string, string>) =>
      s.client.send(new PutIntegrationCommand({ DomainName: 'di', Uri, ObjectTypeName: 'Contact', Tags }));
    const del = (Uri: string | undefined, DomainName = 'di') => s.client.send(new DeleteIntegrationCommand({ DomainName, Uri } as never));

    describe('serialization', () => {
      test('answers a Message naming the Uri', async () => {
        await create('s3://ser');
        const out = await del('s3://ser');
        assert.equal(out.$metadata.httpStatusCode, 200);
        assert.ok(out.Message?.includes('s3://ser'));
      });

      test('DeleteIntegration is a POST to …/integrations/delete with the Uri in the body', async () => {
        await create('s3://wire');
        const res = await raw(s, 'POST', '/domains/di/integrations/delete', { Uri: 's3://wire' });
        assert.equal(res.status, 200);
        assert.deepEqual(Object.keys(res.json), ['Message']);
      });
    });

    describe('validation', () => {
      test('Uri is required and 1..255 characters', async () => {
        await expectAwsError(del(undefined), 'BadRequestException', 400, "Value null at 'Uri'");
        await expectAwsError(del(''), 'BadRequestException', 400, "at 'Uri'");
        await expectAwsError(del('u'.repeat(256)), 'BadRequestException', 400, "at 'Uri'");
        // 255 characters pass validation: the integration is then looked for, and not found.
        await expectAwsError(del('u'.repeat(255)), 'ResourceNotFoundException', 404);
      });
    });

    describe('behaviour', () => {
      test('removes the integration and its tags; the objects it brought in stay', async () => {
        const uri = 'arn:aws:appflow:us-east-1:000000000000:flow/crm';
        await create(uri, { owner: 'crm' });
        const key = await putObject(s.client, 'di', { Id: 'kept', Email: 'kept@x.com' });
        await del(uri);
        await expectAwsError(s.client.send(new GetIntegrationCommand({ DomainName: 'di', Uri: uri })), 'ResourceNotFoundException', 404);
        await expectAwsError(s.client.send(new ListTagsForResourceCommand({ resourceArn: integrationArnOf('di', uri) })), 'ResourceNotFoundException', 404);
        // Created again under the same Uri, it starts without the old tags.
        await create(uri);
        assert.deepEqual((await s.client.send(new ListTagsForResourceCommand({ resourceArn: integrationArnOf('di', uri) }))).tags, {});
        const objects = await s.client.send(
          new ListProfileObjectsCommand({ DomainName: 'di', ObjectTypeName: 'Contact', ProfileId: await profileOf(s, 'di', key) }),
        );
        assert.equal(objects.Items?.length, 1);
      });

      test('deleting it again is a ResourceNotFoundException naming the Uri', async () => {
        await create('s3://twice');
        await del('s3://twice');
        await expectAwsError(del('s3://twice'), 'ResourceNotFoundException', 404, 's3://twice');
      });

      test('a missing domain is a ResourceNotFoundException naming it', async () => {
        await expectAwsError(del('s3://x', 'nodomain'), 'ResourceNotFoundException', 404, 'nodomain');
      });

      test('another account cannot delete it', async () => {
        await create('s3://guarded');
        await expectAwsError(
          s.clientFor({ accountId: '111122223333' }).send(new DeleteIntegrationCommand({ DomainName: 'di', Uri: 's3://guarded' })),
          'ResourceNotFoundException',
          404,
        );
        assert.equal((await s.client.send(new GetIntegrationCommand({ DomainName: 'di', Uri: 's3://guarded' }))).Uri, 's3://guarded');
      });
    });
  });
}
