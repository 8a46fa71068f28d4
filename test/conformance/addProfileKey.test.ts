import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { AddProfileKeyCommand, ListProfileObjectsCommand } from '@aws-sdk/client-customer-profiles';
import { availableBackends } from '../helpers/backends.js';
import { expectAwsError } from '../helpers/errors.js';
import { createDomain, domainWithType, putObject, raw } from '../helpers/profile-objects.js';
import { historyOf, newProfile, searchIds } from '../helpers/profiles.js';
import { startServer, type TestServer } from '../helpers/server.js';

const DOMAIN = 'people';

for (const backend of await availableBackends()) {
  describe(`AddProfileKey [${backend}]`, () => {
    let s: TestServer;
    before(async () => {
      s = await startServer(backend);
      await domainWithType(s.client, DOMAIN);
    });
    after(() => s.close());
    const add = (ProfileId: string, KeyName: string, Values: string[], DomainName = DOMAIN) =>
      s.client.send(new AddProfileKeyCommand({ DomainName, ProfileId, KeyName, Values }));

    describe('serialization', () => {
      test('POST /domains/{DomainName}/profiles/keys echoes KeyName and Values', async () => {
        const id = await newProfile(s.client, DOMAIN);
        const res = await raw(s, 'POST', `/domains/${DOMAIN}/profiles/keys`, { ProfileId: id, KeyName: '_contactId', Values: ['C-1'] });
        assert.equal(res.status, 200);
        assert.deepEqual(res.json, { KeyName: '_contactId', Values: ['C-1'] });
        const out = await add(id, '_email', ['Mixed@Example.com']);
        assert.deepEqual([out.KeyName, out.Values], ['_email', ['Mixed@Example.com']]);
      });
    });

    describe('validation', () => {
      test('KeyName follows the name pattern; values are 1..255 characters', async () => {
        const id = await newProfile(s.client, DOMAIN);
        await expectAwsError(add(id, 'bad name', ['v']), 'BadRequestException', 400, "at 'KeyName'");
        await expectAwsError(add(id, '_email', ['']), 'BadRequestException', 400, 'Values');
        await expectAwsError(add(id, '_contactId', ['c'.repeat(256)]), 'BadRequestException', 400, 'Values');
        const out = await add(id, '_contactId', ['c'.repeat(255)]);
        assert.deepEqual(out.Values, ['c'.repeat(255)], 'a value of 255 characters is accepted');
        await expectAwsError(add('nope', '_email', ['a@example.com']), 'BadRequestException', 400, "at 'ProfileId'");
      });

      test('10,000 values are added in one call; 10,001 are a BadRequestException naming Values', async () => {
        const id = await newProfile(s.client, DOMAIN);
        const values = Array.from({ length: 10_001 }, (_, i) => `c-${i}`);
        await expectAwsError(add(id, '_contactId', values), 'BadRequestException', 400, "at 'Values' failed to satisfy constraint: Member must have length less than or equal to 10000");
        assert.equal((await add(id, '_contactId', values.slice(0, 10_000))).Values?.length, 10_000);
        assert.deepEqual(await searchIds(s.client, DOMAIN, '_contactId', ['c-9999']), [id]);
      });

      test('a key name the domain does not know, _profileId, or no values at all are refused naming the rule', async () => {
        const id = await newProfile(s.client, DOMAIN);
        await expectAwsError(add(id, '_unheardOf', ['v']), 'BadRequestException', 400, '_unheardOf', '_contactId');
        await expectAwsError(add(id, '_profileId', [id]), 'BadRequestException', 400, '_profileId');
        await expectAwsError(add(id, '_email', []), 'BadRequestException', 400, 'at least one');
      });
    });

    describe('behaviour', () => {
      test('a missing domain or profile is a ResourceNotFoundException', async () => {
        await expectAwsError(add('a'.repeat(32), '_email', ['x@example.com'], 'nowhere'), 'ResourceNotFoundException', 404, 'nowhere');
        await expectAwsError(add('d'.repeat(32), '_email', ['x@example.com']), 'ResourceNotFoundException', 404, 'd'.repeat(32));
      });

      test('SearchProfiles finds the profile by the added values, compared as the key indexes them', async () => {
        const id = await newProfile(s.client, DOMAIN, { FirstName: 'Keyed' });
        await add(id, '_phone', ['+1 (206) 555-0199']);
        await add(id, '_contactId', ['CRM-77', 'CRM-78']);
        assert.deepEqual(await searchIds(s.client, DOMAIN, '_phone', ['2065550199']), [id]);
        assert.deepEqual(await searchIds(s.client, DOMAIN, '_contactId', ['CRM-78']), [id]);
      });

      test('an object whose PROFILE key carries an added value lands on that profile', async () => {
        const id = await newProfile(s.client, DOMAIN);
        await add(id, '_email', ['joined@example.com']);
        await putObject(s.client, DOMAIN, { Id: 'J-1', Email: 'joined@example.com' });
        const objects = await s.client.send(new ListProfileObjectsCommand({ DomainName: DOMAIN, ObjectTypeName: 'Contact', ProfileId: id }));
        assert.equal(objects.Items?.length, 1);
      });

      test('the addition is an ADDED_PROFILE_KEY history record', async () => {
        const id = await newProfile(s.client, DOMAIN);
        await add(id, '_contactId', ['H-1']);
        assert.deepEqual((await historyOf(s.client, DOMAIN, id)).map((r) => r.ActionType), ['CREATED', 'ADDED_PROFILE_KEY']);
      });

      test('another account or region cannot add keys to the profile', async () => {
        const id = await newProfile(s.client, DOMAIN);
        for (const other of [s.clientFor({ accountId: '111122223333' }), s.clientFor({ region: 'eu-west-1' })]) {
          const theirs = () => other.send(new AddProfileKeyCommand({ DomainName: DOMAIN, ProfileId: id, KeyName: '_email', Values: ['thief@example.com'] }));
          await expectAwsError(theirs(), 'ResourceNotFoundException', 404);
          await createDomain(other, DOMAIN);
          await expectAwsError(theirs(), 'ResourceNotFoundException', 404, id);
        }
        assert.deepEqual(await searchIds(s.client, DOMAIN, '_email', ['thief@example.com']), []);
      });
    });
  });
}
