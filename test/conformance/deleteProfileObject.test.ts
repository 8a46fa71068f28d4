import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  DeleteProfileObjectCommand,
  type DeleteProfileObjectCommandInput,
  ListProfileObjectsCommand,
} from '@aws-sdk/client-customer-profiles';
import { availableBackends } from '../helpers/backends.js';
import { expectAwsError } from '../helpers/errors.js';
import { domainWithType, HOME, profileOf, putObject } from '../helpers/profile-objects.js';
import { startServer, type TestServer } from '../helpers/server.js';

for (const backend of await availableBackends()) {
  describe(`DeleteProfileObject [${backend}]`, () => {
    let s: TestServer;
    before(async () => {
      s = await startServer(backend);
      await domainWithType(s.client, 'dpo');
    });
    after(() => s.close());
    const del = (input: Partial<DeleteProfileObjectCommandInput>) =>
      s.client.send(
        new DeleteProfileObjectCommand({ DomainName: 'dpo', ObjectTypeName: 'Contact', ...input } as DeleteProfileObjectCommandInput),
      );
    const objectsOf = async (ProfileId: string) =>
      (await s.client.send(new ListProfileObjectsCommand({ DomainName: 'dpo', ObjectTypeName: 'Contact', ProfileId }))).Items ?? [];

    describe('serialization', () => {
      test('answers a Message naming the object', async () => {
        const key = await putObject(s.client, 'dpo', { Id: 'ser', Email: 'ser@x.com' });
        const out = await del({ ProfileId: await profileOf(s, 'dpo', key), ProfileObjectUniqueKey: key });
        assert.equal(out.$metadata.httpStatusCode, 200);
        assert.ok(out.Message?.includes(key));
      });
    });

    describe('validation', () => {
      test('ProfileId, ProfileObjectUniqueKey and ObjectTypeName are required', async () => {
        await expectAwsError(del({ ProfileObjectUniqueKey: 'k' }), 'BadRequestException', 400, "Value null at 'ProfileId'");
        await expectAwsError(del({ ProfileId: 'a'.repeat(32) }), 'BadRequestException', 400, "Value null at 'ProfileObjectUniqueKey'");
        await expectAwsError(
          del({ ObjectTypeName: undefined, ProfileId: 'a'.repeat(32), ProfileObjectUniqueKey: 'k' }),
          'BadRequestException',
          400,
          "Value null at 'ObjectTypeName'",
        );
      });

      test('ProfileId is 32 lowercase hex characters; ProfileObjectUniqueKey is 1..255 characters', async () => {
        await expectAwsError(del({ ProfileId: 'g'.repeat(32), ProfileObjectUniqueKey: 'k' }), 'BadRequestException', 400, "at 'ProfileId'");
        await expectAwsError(del({ ProfileId: 'a'.repeat(32), ProfileObjectUniqueKey: 'k'.repeat(256) }), 'BadRequestException', 400, "at 'ProfileObjectUniqueKey'");
        await expectAwsError(del({ ProfileId: 'a'.repeat(32), ProfileObjectUniqueKey: '' }), 'BadRequestException', 400, "at 'ProfileObjectUniqueKey'");
        await expectAwsError(del({ ProfileId: 'a'.repeat(32), ProfileObjectUniqueKey: 'k'.repeat(255) }), 'ResourceNotFoundException', 404);
      });
    });

    describe('behaviour', () => {
      test('removes the object; the profile keeps its other objects and its data', async () => {
        const a = await putObject(s.client, 'dpo', { Id: 'a', Email: 'kim@x.com', FirstName: 'Kim' });
        const b = await putObject(s.client, 'dpo', { Id: 'b', Email: 'kim@x.com' });
        const profileId = await profileOf(s, 'dpo', a);
        await del({ ProfileId: profileId, ProfileObjectUniqueKey: a });
        assert.deepEqual((await objectsOf(profileId)).map((i) => i.ProfileObjectUniqueKey), [b]);
        assert.equal((await s.store.profiles.get(HOME, 'dpo', profileId))?.attributes.FirstName, 'Kim');
        // The profile's keys stay: the same email still finds it.
        const c = await putObject(s.client, 'dpo', { Id: 'c', Email: 'kim@x.com' });
        assert.equal(await profileOf(s, 'dpo', c), profileId);
      });

      test('deleting it twice, or naming another profile, is a ResourceNotFoundException naming the object', async () => {
        const key = await putObject(s.client, 'dpo', { Id: 'twice', Email: 'twice@x.com' });
        const profileId = await profileOf(s, 'dpo', key);
        await expectAwsError(del({ ProfileId: 'e'.repeat(32), ProfileObjectUniqueKey: key }), 'ResourceNotFoundException', 404, key);
        assert.equal((await objectsOf(profileId)).length, 1, 'the object of another profile was not touched');
        await del({ ProfileId: profileId, ProfileObjectUniqueKey: key });
        await expectAwsError(del({ ProfileId: profileId, ProfileObjectUniqueKey: key }), 'ResourceNotFoundException', 404, key);
      });

      test('a missing domain or object type is a ResourceNotFoundException naming it', async () => {
        await expectAwsError(del({ DomainName: 'void', ProfileId: 'a'.repeat(32), ProfileObjectUniqueKey: 'k' }), 'ResourceNotFoundException', 404, 'void');
        await expectAwsError(del({ ObjectTypeName: 'Lead', ProfileId: 'a'.repeat(32), ProfileObjectUniqueKey: 'k' }), 'ResourceNotFoundException', 404, 'Lead');
      });

      test('another account cannot delete the object', async () => {
        const key = await putObject(s.client, 'dpo', { Id: 'mine', Email: 'mine@x.com' });
        const profileId = await profileOf(s, 'dpo', key);
        const other = s.clientFor({ accountId: '111122223333' });
        await domainWithType(other, 'dpo');
        await expectAwsError(
          other.send(new DeleteProfileObjectCommand({ DomainName: 'dpo', ObjectTypeName: 'Contact', ProfileId: profileId, ProfileObjectUniqueKey: key })),
          'ResourceNotFoundException',
          404,
        );
        assert.equal((await objectsOf(profileId)).length, 1);
      });
    });
  });
}
