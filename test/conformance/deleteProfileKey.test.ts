import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { AddProfileKeyCommand, DeleteProfileKeyCommand } from '@aws-sdk/client-customer-profiles';
import { availableBackends } from '../helpers/backends.js';
import { expectAwsError } from '../helpers/errors.js';
import { createDomain, domainWithType, putObject, raw } from '../helpers/profile-objects.js';
import { historyOf, newProfile, profileById, searchIds } from '../helpers/profiles.js';
import { startServer, type TestServer } from '../helpers/server.js';

const DOMAIN = 'people';

for (const backend of await availableBackends()) {
  describe(`DeleteProfileKey [${backend}]`, () => {
    let s: TestServer;
    before(async () => {
      s = await startServer(backend);
      await domainWithType(s.client, DOMAIN);
    });
    after(() => s.close());
    const del = (ProfileId: string, KeyName: string, Values: string[], DomainName = DOMAIN) =>
      s.client.send(new DeleteProfileKeyCommand({ DomainName, ProfileId, KeyName, Values }));

    describe('serialization', () => {
      test('POST /domains/{DomainName}/profiles/keys/delete answers {"Message": …}', async () => {
        const id = await newProfile(s.client, DOMAIN, { EmailAddress: 'wire@example.com' });
        const res = await raw(s, 'POST', `/domains/${DOMAIN}/profiles/keys/delete`, { ProfileId: id, KeyName: '_email', Values: ['wire@example.com'] });
        assert.equal(res.status, 200);
        assert.deepEqual(Object.keys(res.json), ['Message']);
      });

      test('the Message claims no removal: a value the profile never held is ignored and answered the same way', async () => {
        const id = await newProfile(s.client, DOMAIN, { EmailAddress: 'held@example.com' });
        const { Message } = await del(id, '_email', ['held@example.com', 'never@example.com']);
        assert.equal(Message, `Profile ${id} is no longer found by key _email with the 2 value(s) given.`);
      });
    });

    describe('validation', () => {
      test('the members are checked from the model, and the key name against the domain', async () => {
        const id = await newProfile(s.client, DOMAIN);
        await expectAwsError(del(id, 'bad name', ['v']), 'BadRequestException', 400, "at 'KeyName'");
        await expectAwsError(del(id, '_nothing', ['v']), 'BadRequestException', 400, '_nothing');
        await expectAwsError(del(id, '_email', []), 'BadRequestException', 400, 'at least one');
      });
    });

    describe('behaviour', () => {
      test('a missing domain or profile is a ResourceNotFoundException', async () => {
        await expectAwsError(del('a'.repeat(32), '_email', ['x@example.com'], 'nowhere'), 'ResourceNotFoundException', 404, 'nowhere');
        await expectAwsError(del('e'.repeat(32), '_email', ['x@example.com']), 'ResourceNotFoundException', 404, 'e'.repeat(32));
      });

      test('SearchProfiles no longer finds the profile by a removed value, whatever gave it', async () => {
        const id = await newProfile(s.client, DOMAIN, { EmailAddress: 'std@example.com', FirstName: 'Kept' });
        await s.client.send(new AddProfileKeyCommand({ DomainName: DOMAIN, ProfileId: id, KeyName: '_contactId', Values: ['A-1', 'A-2'] }));
        await del(id, '_email', ['STD@example.com']);
        await del(id, '_contactId', ['A-1', 'never-there']);
        assert.deepEqual(await searchIds(s.client, DOMAIN, '_email', ['std@example.com']), []);
        assert.deepEqual(await searchIds(s.client, DOMAIN, '_contactId', ['A-1']), []);
        assert.deepEqual(await searchIds(s.client, DOMAIN, '_contactId', ['A-2']), [id], 'other values stay');
        assert.equal((await profileById(s.client, DOMAIN, id))?.EmailAddress, 'std@example.com', 'the attribute stays');
      });

      test('an object key removed from the index no longer matches the profile: the next object with it finds another', async () => {
        await putObject(s.client, DOMAIN, { Id: 'O-1', Email: 'obj@example.com' });
        const [owner] = await searchIds(s.client, DOMAIN, '_email', ['obj@example.com']);
        await del(owner, '_email', ['obj@example.com']);
        await del(owner, '_contactId', ['O-1']);
        assert.deepEqual(await searchIds(s.client, DOMAIN, '_email', ['obj@example.com']), []);
        // Another object with the removed email value: nothing matches it to the owner any more.
        await putObject(s.client, DOMAIN, { Id: 'O-2', Email: 'obj@example.com' });
        const found = await searchIds(s.client, DOMAIN, '_email', ['obj@example.com']);
        assert.equal(found.length, 1);
        assert.notEqual(found[0], owner, 'the object made a profile of its own');
        assert.deepEqual(await searchIds(s.client, DOMAIN, '_contactId', ['O-2']), found);
      });

      test('the removal is a DELETED_PROFILE_KEY history record', async () => {
        const id = await newProfile(s.client, DOMAIN, { AccountNumber: 'N-1' });
        await del(id, '_account', ['N-1']);
        assert.deepEqual((await historyOf(s.client, DOMAIN, id)).map((r) => r.ActionType), ['CREATED', 'DELETED_PROFILE_KEY']);
      });

      test('another account or region cannot remove the profile\'s keys', async () => {
        const id = await newProfile(s.client, DOMAIN, { EmailAddress: 'mine@example.com' });
        for (const other of [s.clientFor({ accountId: '111122223333' }), s.clientFor({ region: 'eu-west-1' })]) {
          const theirs = () => other.send(new DeleteProfileKeyCommand({ DomainName: DOMAIN, ProfileId: id, KeyName: '_email', Values: ['mine@example.com'] }));
          await expectAwsError(theirs(), 'ResourceNotFoundException', 404);
          await createDomain(other, DOMAIN);
          await expectAwsError(theirs(), 'ResourceNotFoundException', 404, id);
        }
        assert.deepEqual(await searchIds(s.client, DOMAIN, '_email', ['mine@example.com']), [id]);
      });
    });
  });
}
