import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  DeleteProfileObjectTypeCommand,
  GetIntegrationCommand,
  GetProfileObjectTypeCommand,
  ListProfileObjectsCommand,
  ListTagsForResourceCommand,
  PutIntegrationCommand,
  PutProfileObjectTypeCommand,
} from '@aws-sdk/client-customer-profiles';
import { availableBackends } from '../helpers/backends.js';
import { expectAwsError } from '../helpers/errors.js';
import { CONTACT, domainWithType, HOME, objectTypeArnOf, profileOf, putObject } from '../helpers/profile-objects.js';
import { startServer, type TestServer } from '../helpers/server.js';

/** Web visits: they set the profile's first name, looked up by email. */
const VISIT = {
  Description: 'Web visits',
  AllowProfileCreation: true,
  Fields: {
    VisitId: { Source: '_source.VisitId' },
    Email: { Source: '_source.Email', ContentType: 'EMAIL_ADDRESS' as const },
    Nick: { Source: '_source.Nick', Target: '_profile.MiddleName' },
  },
  Keys: {
    _visitId: [{ StandardIdentifiers: ['UNIQUE' as const], FieldNames: ['VisitId'] }],
    _email: [{ StandardIdentifiers: ['PROFILE' as const], FieldNames: ['Email'] }],
  },
};

for (const backend of await availableBackends()) {
  describe(`DeleteProfileObjectType [${backend}]`, () => {
    let s: TestServer;
    before(async () => {
      s = await startServer(backend);
    });
    after(() => s.close());
    const del = (ObjectTypeName: string, DomainName = 'del') =>
      s.client.send(new DeleteProfileObjectTypeCommand({ DomainName, ObjectTypeName }));

    describe('serialization', () => {
      test('answers a Message naming the type', async () => {
        await domainWithType(s.client, 'ser');
        const out = await del('Contact', 'ser');
        assert.equal(out.$metadata.httpStatusCode, 200);
        assert.match(out.Message ?? '', /Object type Contact was deleted from domain ser/);
      });
    });

    describe('validation', () => {
      test('ObjectTypeName and DomainName follow their patterns', async () => {
        await expectAwsError(del('has space'), 'BadRequestException', 400, "at 'ObjectTypeName'");
        await expectAwsError(del('Contact', 'a/b'), 'BadRequestException', 400, "at 'DomainName'");
      });
    });

    describe('behaviour', () => {
      test("removes the type, its objects, the integrations that use it, its tags, and the profile fields it wrote", async () => {
        await domainWithType(s.client, 'del');
        await s.client.send(new PutProfileObjectTypeCommand({ DomainName: 'del', ObjectTypeName: 'Visit', ...VISIT, Tags: { t: '1' } }));
        const contactKey = await putObject(s.client, 'del', { Id: 'c1', Email: 'ann@x.com', FirstName: 'Ann' });
        const visitKey = await putObject(s.client, 'del', { VisitId: 'v1', Email: 'ann@x.com', Nick: 'Annie' }, 'Visit');
        const profileId = await profileOf(s, 'del', contactKey);
        assert.equal(await profileOf(s, 'del', visitKey, 'Visit'), profileId);
        await s.client.send(new PutIntegrationCommand({ DomainName: 'del', Uri: 's3://visits', ObjectTypeName: 'Visit' }));
        await s.client.send(new PutIntegrationCommand({ DomainName: 'del', Uri: 's3://events', ObjectTypeNames: { SegmentIdentify: 'Visit' } }));
        await s.client.send(new PutIntegrationCommand({ DomainName: 'del', Uri: 's3://contacts', ObjectTypeName: 'Contact' }));
        assert.deepEqual((await s.store.profiles.get(HOME, 'del', profileId))?.attributes, {
          EmailAddress: 'ann@x.com',
          FirstName: 'Ann',
          MiddleName: 'Annie',
        });

        const out = await del('Visit');
        assert.match(out.Message ?? '', /with 1 object and 2 integrations/);

        await expectAwsError(s.client.send(new GetProfileObjectTypeCommand({ DomainName: 'del', ObjectTypeName: 'Visit' })), 'ResourceNotFoundException', 404);
        for (const Uri of ['s3://visits', 's3://events']) {
          await expectAwsError(s.client.send(new GetIntegrationCommand({ DomainName: 'del', Uri })), 'ResourceNotFoundException', 404);
        }
        assert.equal((await s.client.send(new GetIntegrationCommand({ DomainName: 'del', Uri: 's3://contacts' }))).Uri, 's3://contacts');
        assert.deepEqual((await s.store.profiles.get(HOME, 'del', profileId))?.attributes, { EmailAddress: 'ann@x.com', FirstName: 'Ann' });

        // Defined again, the type starts with no objects and no tags.
        await s.client.send(new PutProfileObjectTypeCommand({ DomainName: 'del', ObjectTypeName: 'Visit', ...VISIT }));
        const listed = await s.client.send(
          new ListProfileObjectsCommand({ DomainName: 'del', ObjectTypeName: 'Visit', ProfileId: profileId }),
        );
        assert.deepEqual(listed.Items, []);
        const tags = await s.client.send(new ListTagsForResourceCommand({ resourceArn: objectTypeArnOf('del', 'Visit') }));
        assert.deepEqual(tags.tags, {});
        // The other type's objects are untouched.
        const contacts = await s.client.send(new ListProfileObjectsCommand({ DomainName: 'del', ObjectTypeName: 'Contact', ProfileId: profileId }));
        assert.equal(contacts.Items?.length, 1);
      });

      test('deleting it again, or a type that never existed, is a ResourceNotFoundException naming it', async () => {
        await domainWithType(s.client, 'twice');
        await del('Contact', 'twice');
        await expectAwsError(del('Contact', 'twice'), 'ResourceNotFoundException', 404, 'Contact', 'twice');
        await expectAwsError(del('Never', 'twice'), 'ResourceNotFoundException', 404, 'Never');
      });

      test('a missing domain is a ResourceNotFoundException naming it', async () => {
        await expectAwsError(del('Contact', 'nodomain'), 'ResourceNotFoundException', 404, 'nodomain');
      });

      test('another account cannot delete the type', async () => {
        await domainWithType(s.client, 'guarded', 'Contact', CONTACT);
        await expectAwsError(
          s.clientFor({ accountId: '111122223333' }).send(new DeleteProfileObjectTypeCommand({ DomainName: 'guarded', ObjectTypeName: 'Contact' })),
          'ResourceNotFoundException',
          404,
        );
        assert.equal((await s.client.send(new GetProfileObjectTypeCommand({ DomainName: 'guarded', ObjectTypeName: 'Contact' }))).ObjectTypeName, 'Contact');
      });
    });
  });
}
