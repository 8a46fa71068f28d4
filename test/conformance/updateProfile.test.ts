import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { GetProfileHistoryRecordCommand, UpdateProfileCommand, type UpdateProfileCommandInput } from '@aws-sdk/client-customer-profiles';
import { availableBackends } from '../helpers/backends.js';
import { expectAwsError } from '../helpers/errors.js';
import { createDomain, raw } from '../helpers/profile-objects.js';
import { historyOf, newProfile, profileById, searchIds } from '../helpers/profiles.js';
import { startServer, type TestServer } from '../helpers/server.js';

const DOMAIN = 'people';

for (const backend of await availableBackends()) {
  describe(`UpdateProfile [${backend}]`, () => {
    let s: TestServer;
    before(async () => {
      s = await startServer(backend);
      await createDomain(s.client, DOMAIN);
    });
    after(() => s.close());
    const update = (input: Omit<UpdateProfileCommandInput, 'DomainName'> & { DomainName?: string }) =>
      s.client.send(new UpdateProfileCommand({ DomainName: DOMAIN, ...input }));

    describe('serialization', () => {
      test('PUT /domains/{DomainName}/profiles answers exactly {"ProfileId": …}', async () => {
        const id = await newProfile(s.client, DOMAIN, { FirstName: 'Wire' });
        const res = await raw(s, 'PUT', `/domains/${DOMAIN}/profiles`, { ProfileId: id, LastName: 'Test' });
        assert.equal(res.status, 200);
        assert.deepEqual(res.json, { ProfileId: id });
      });

      test('the client reads the ProfileId back', async () => {
        const id = await newProfile(s.client, DOMAIN);
        const out = await update({ ProfileId: id, FirstName: 'Sdk' });
        assert.equal(out.ProfileId, id);
      });
    });

    describe('validation', () => {
      test('ProfileId is required and is 32 lowercase hex characters', async () => {
        await expectAwsError(update({ ProfileId: undefined as never, FirstName: 'A' }), 'BadRequestException', 400, 'ProfileId');
        await expectAwsError(update({ ProfileId: 'not-a-uuid', FirstName: 'A' }), 'BadRequestException', 400, "at 'ProfileId'");
      });

      test('lengths and enums are checked from the model; the empty string is allowed (it removes)', async () => {
        const id = await newProfile(s.client, DOMAIN);
        await expectAwsError(update({ ProfileId: id, FirstName: 'x'.repeat(256) }), 'BadRequestException', 400, "at 'FirstName'");
        await expectAwsError(update({ ProfileId: id, Gender: 'ROBOT' as never }), 'BadRequestException', 400, "at 'Gender'");
        await expectAwsError(update({ ProfileId: id, Address: { City: 'c'.repeat(256) } }), 'BadRequestException', 400, "at 'Address.City'");
        await update({ ProfileId: id, FirstName: '' });
      });
    });

    describe('behaviour', () => {
      test('a missing domain or profile is a ResourceNotFoundException naming it', async () => {
        await expectAwsError(update({ DomainName: 'nowhere', ProfileId: 'a'.repeat(32) }), 'ResourceNotFoundException', 404, 'nowhere');
        await expectAwsError(update({ ProfileId: 'b'.repeat(32), FirstName: 'A' }), 'ResourceNotFoundException', 404, 'b'.repeat(32));
      });

      test('an empty string removes a value, an absent member keeps it; addresses and Attributes merge the same way', async () => {
        const id = await newProfile(s.client, DOMAIN, {
          FirstName: 'Ada',
          LastName: 'Lovelace',
          BirthDate: '1815-12-10',
          Address: { Address1: '1 Main St', City: 'Seattle', PostalCode: '98101' },
          Attributes: { tier: 'gold', colour: 'green' },
        });
        await update({
          ProfileId: id,
          LastName: '',
          MiddleName: 'King',
          Address: { City: 'Tacoma', PostalCode: '' },
          BillingAddress: { City: 'Olympia' },
          Attributes: { tier: '', shoe: '42' },
        });
        assert.deepEqual(await profileById(s.client, DOMAIN, id), {
          ProfileId: id,
          FirstName: 'Ada',
          MiddleName: 'King',
          BirthDate: '1815-12-10',
          Address: { Address1: '1 Main St', City: 'Tacoma' },
          BillingAddress: { City: 'Olympia' },
          Attributes: { colour: 'green', shoe: '42' },
        });
        await update({ ProfileId: id, BillingAddress: { City: '' }, Attributes: { colour: '', shoe: '' } });
        const after = await profileById(s.client, DOMAIN, id);
        assert.equal(after?.BillingAddress, undefined, 'an address left empty is removed');
        assert.equal(after?.Attributes, undefined, 'Attributes left empty are removed');
        const email = [{ KeyName: '_email', KeyValue: 'ada@example.com', ContactType: 'EmailAddress' as const }];
        await update({ ProfileId: id, EngagementPreferences: { Email: email } });
        assert.deepEqual((await profileById(s.client, DOMAIN, id))?.EngagementPreferences, { Email: email }, 'a structure is replaced');
        await update({ ProfileId: id, EngagementPreferences: {} });
        assert.equal((await profileById(s.client, DOMAIN, id))?.EngagementPreferences, undefined, 'and removed when given empty');
      });

      test('the search-key index follows the new values', async () => {
        const id = await newProfile(s.client, DOMAIN, { EmailAddress: 'old@example.com', FirstName: 'Grace', LastName: 'Hopper' });
        await update({ ProfileId: id, EmailAddress: 'new@example.com', LastName: '' });
        assert.deepEqual(await searchIds(s.client, DOMAIN, '_email', ['old@example.com']), []);
        assert.deepEqual(await searchIds(s.client, DOMAIN, '_email', ['NEW@example.com']), [id]);
        assert.deepEqual(await searchIds(s.client, DOMAIN, '_fullName', ['grace hopper']), []);
        assert.deepEqual(await searchIds(s.client, DOMAIN, '_fullName', ['grace']), [id]);
      });

      test('the update is an UPDATED history record whose Content is the profile after it', async () => {
        const id = await newProfile(s.client, DOMAIN, { FirstName: 'Before' });
        await update({ ProfileId: id, FirstName: 'After' });
        const records = await historyOf(s.client, DOMAIN, id);
        assert.deepEqual(records.map((r) => r.ActionType), ['CREATED', 'UPDATED']);
        assert.equal(records[1].ObjectTypeName, '_profile');
        assert.equal(records[1].PerformedBy, 'arn:aws:iam::000000000000:root');
        const record = await s.client.send(new GetProfileHistoryRecordCommand({ DomainName: DOMAIN, ProfileId: id, Id: records[1].Id }));
        const content = JSON.parse(record.Content ?? '{}') as Record<string, unknown>;
        assert.equal(content.ProfileId, id);
        assert.equal(content.FirstName, 'After', 'the profile as the update left it');
      });

      test('another account or region cannot update the profile, even in a domain of the same name', async () => {
        const id = await newProfile(s.client, DOMAIN, { FirstName: 'Mine' });
        for (const other of [s.clientFor({ accountId: '111122223333' }), s.clientFor({ region: 'eu-west-1' })]) {
          await expectAwsError(other.send(new UpdateProfileCommand({ DomainName: DOMAIN, ProfileId: id, FirstName: 'Theirs' })), 'ResourceNotFoundException', 404);
          await createDomain(other, DOMAIN);
          await expectAwsError(other.send(new UpdateProfileCommand({ DomainName: DOMAIN, ProfileId: id, FirstName: 'Theirs' })), 'ResourceNotFoundException', 404, id);
        }
        assert.equal((await profileById(s.client, DOMAIN, id))?.FirstName, 'Mine');
      });
    });
  });
}
