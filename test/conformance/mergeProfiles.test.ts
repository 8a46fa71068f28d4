import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { AddProfileKeyCommand, ListProfileObjectsCommand, MergeProfilesCommand, type MergeProfilesCommandInput } from '@aws-sdk/client-customer-profiles';
import { availableBackends } from '../helpers/backends.js';
import { expectAwsError } from '../helpers/errors.js';
import { createDomain, domainWithType, putObject, raw } from '../helpers/profile-objects.js';
import { historyOf, newProfile, profileById, searchIds, statsOf } from '../helpers/profiles.js';
import { startServer, type TestServer } from '../helpers/server.js';

const DOMAIN = 'people';

for (const backend of await availableBackends()) {
  describe(`MergeProfiles [${backend}]`, () => {
    let s: TestServer;
    before(async () => {
      s = await startServer(backend);
      await domainWithType(s.client, DOMAIN);
    });
    after(() => s.close());
    const merge = (input: Omit<MergeProfilesCommandInput, 'DomainName'> & { DomainName?: string }) =>
      s.client.send(new MergeProfilesCommand({ DomainName: DOMAIN, ...input }));

    describe('serialization', () => {
      test('POST /domains/{DomainName}/profiles/objects/merge answers {"Message": …}', async () => {
        const main = await newProfile(s.client, DOMAIN);
        const dup = await newProfile(s.client, DOMAIN);
        const res = await raw(s, 'POST', `/domains/${DOMAIN}/profiles/objects/merge`, { MainProfileId: main, ProfileIdsToBeMerged: [dup] });
        assert.equal(res.status, 200);
        assert.deepEqual(Object.keys(res.json), ['Message']);
      });
    });

    describe('validation', () => {
      test('ProfileIdsToBeMerged holds 1 to 20 uuids; FieldSourceProfileIds values are uuids', async () => {
        const main = await newProfile(s.client, DOMAIN);
        await expectAwsError(merge({ MainProfileId: main, ProfileIdsToBeMerged: [] }), 'BadRequestException', 400, "at 'ProfileIdsToBeMerged'");
        await expectAwsError(merge({ MainProfileId: main, ProfileIdsToBeMerged: ['x'] }), 'BadRequestException', 400, "at 'ProfileIdsToBeMerged");
        const twenty: string[] = [];
        for (let i = 0; i < 20; i++) twenty.push(await newProfile(s.client, DOMAIN));
        await expectAwsError(merge({ MainProfileId: main, ProfileIdsToBeMerged: [...twenty, 'c'.repeat(32)] }), 'BadRequestException', 400, "at 'ProfileIdsToBeMerged'");
        const merged = await merge({ MainProfileId: main, ProfileIdsToBeMerged: twenty });
        assert.ok(merged.Message, 'twenty are merged');
        await expectAwsError(merge({ MainProfileId: 'x', ProfileIdsToBeMerged: [main] }), 'BadRequestException', 400, "at 'MainProfileId'");
        await expectAwsError(
          merge({ MainProfileId: main, ProfileIdsToBeMerged: ['a'.repeat(32)], FieldSourceProfileIds: { FirstName: 'nope' } }),
          'BadRequestException', 400, "at 'FieldSourceProfileIds.FirstName'",
        );
      });

      test('the main profile among those merged, or a field source outside the merge, is refused naming it', async () => {
        const main = await newProfile(s.client, DOMAIN);
        const dup = await newProfile(s.client, DOMAIN);
        await expectAwsError(merge({ MainProfileId: main, ProfileIdsToBeMerged: [main] }), 'BadRequestException', 400, main);
        const stranger = 'b'.repeat(32);
        await expectAwsError(
          merge({ MainProfileId: main, ProfileIdsToBeMerged: [dup], FieldSourceProfileIds: { LastName: stranger } }),
          'BadRequestException', 400, 'FieldSourceProfileIds.LastName', stranger,
        );
      });
    });

    describe('behaviour', () => {
      test('a missing domain, main or merged profile is a ResourceNotFoundException and nothing is merged', async () => {
        const main = await newProfile(s.client, DOMAIN, { FirstName: 'Main' });
        const dup = await newProfile(s.client, DOMAIN, { FirstName: 'Dup' });
        await expectAwsError(merge({ DomainName: 'nowhere', MainProfileId: main, ProfileIdsToBeMerged: [dup] }), 'ResourceNotFoundException', 404, 'nowhere');
        await expectAwsError(merge({ MainProfileId: 'c'.repeat(32), ProfileIdsToBeMerged: [dup] }), 'ResourceNotFoundException', 404, 'c'.repeat(32));
        await expectAwsError(merge({ MainProfileId: main, ProfileIdsToBeMerged: [dup, 'd'.repeat(32)] }), 'ResourceNotFoundException', 404, 'd'.repeat(32));
        assert.equal((await profileById(s.client, DOMAIN, dup))?.FirstName, 'Dup');
      });

      test('objects and keys move to the main profile; the merged ones are gone; ProfileCount drops', async () => {
        await domainWithType(s.client, 'merging');
        await putObject(s.client, 'merging', { Id: 'M-1', Email: 'main@example.com', FirstName: 'Ada' });
        await putObject(s.client, 'merging', { Id: 'D-1', Email: 'dup@example.com', Phone: '+12065550111' });
        await putObject(s.client, 'merging', { Id: 'D-2', Email: 'dup@example.com' });
        const [main] = await searchIds(s.client, 'merging', '_email', ['main@example.com']);
        const [dup] = await searchIds(s.client, 'merging', '_email', ['dup@example.com']);
        await s.client.send(new AddProfileKeyCommand({ DomainName: 'merging', ProfileId: dup, KeyName: '_contactId', Values: ['EXTRA-1'] }));
        const before = await statsOf(s.client, 'merging');
        await merge({ DomainName: 'merging', MainProfileId: main, ProfileIdsToBeMerged: [dup] });
        assert.equal(await profileById(s.client, 'merging', dup), undefined);
        for (const [key, value] of [['_email', 'dup@example.com'], ['_phone', '2065550111'], ['_contactId', 'D-2'], ['_contactId', 'EXTRA-1']]) {
          assert.deepEqual(await searchIds(s.client, 'merging', key, [value]), [main], `${key} ${value}`);
        }
        const objects = await s.client.send(new ListProfileObjectsCommand({ DomainName: 'merging', ObjectTypeName: 'Contact', ProfileId: main }));
        assert.equal(objects.Items?.length, 3);
        assert.deepEqual(await statsOf(s.client, 'merging'), { ...before, ProfileCount: 1, MeteringProfileCount: 1 });
        // A later object with the merged profile's key value lands on the main profile.
        await putObject(s.client, 'merging', { Id: 'D-3', Email: 'dup@example.com' });
        assert.equal((await statsOf(s.client, 'merging'))?.ProfileCount, 1);
      });

      test('fields are united; on a conflict the main value wins unless FieldSourceProfileIds names the source, even an empty one', async () => {
        const main = await newProfile(s.client, DOMAIN, { FirstName: 'Main', LastName: 'Kept', BirthDate: '1900-01-01', Attributes: { a: 'main', b: 'main' } });
        const one = await newProfile(s.client, DOMAIN, { FirstName: 'One', MiddleName: 'From-one', Address: { City: 'Seattle' }, Attributes: { b: 'one', c: 'one' } });
        const two = await newProfile(s.client, DOMAIN, { FirstName: 'Two', LastName: 'Two-last', AccountNumber: 'ACC-2' });
        await merge({
          MainProfileId: main,
          ProfileIdsToBeMerged: [one, two],
          FieldSourceProfileIds: { FirstName: two, BirthDate: one, Attributes: { b: one } },
        });
        assert.deepEqual(await profileById(s.client, DOMAIN, main), {
          ProfileId: main,
          FirstName: 'Two',
          MiddleName: 'From-one',
          LastName: 'Kept',
          AccountNumber: 'ACC-2',
          Address: { City: 'Seattle' },
          Attributes: { a: 'main', b: 'one', c: 'one' },
        });
        assert.deepEqual(await searchIds(s.client, DOMAIN, '_account', ['ACC-2']), [main]);
        assert.deepEqual(await searchIds(s.client, DOMAIN, '_fullName', ['Two From-one Kept']), [main]);
      });

      test('fields that FieldSourceProfileIds cannot name (GenderString, PartyTypeString) are united too, the main value first', async () => {
        const main = await newProfile(s.client, DOMAIN, { FirstName: 'Main', GenderString: 'woman' });
        const one = await newProfile(s.client, DOMAIN, { LastName: 'One', GenderString: 'man', PartyTypeString: 'individual' });
        await merge({ MainProfileId: main, ProfileIdsToBeMerged: [one] });
        assert.deepEqual(await profileById(s.client, DOMAIN, main), {
          ProfileId: main,
          FirstName: 'Main',
          LastName: 'One',
          GenderString: 'woman',
          PartyTypeString: 'individual',
        });
      });

      test('history: MERGED on the main profile, DELETED_BY_MERGE on each merged one', async () => {
        const main = await newProfile(s.client, DOMAIN);
        const dup = await newProfile(s.client, DOMAIN);
        await merge({ MainProfileId: main, ProfileIdsToBeMerged: [dup] });
        assert.deepEqual((await historyOf(s.client, DOMAIN, main)).map((r) => r.ActionType), ['CREATED', 'MERGED']);
        assert.deepEqual((await historyOf(s.client, DOMAIN, dup)).map((r) => r.ActionType), ['CREATED', 'DELETED_BY_MERGE']);
      });

      test('another account or region cannot merge the profiles', async () => {
        const main = await newProfile(s.client, DOMAIN, { FirstName: 'Main' });
        const dup = await newProfile(s.client, DOMAIN, { FirstName: 'Dup' });
        for (const other of [s.clientFor({ accountId: '111122223333' }), s.clientFor({ region: 'eu-west-1' })]) {
          const theirs = () => other.send(new MergeProfilesCommand({ DomainName: DOMAIN, MainProfileId: main, ProfileIdsToBeMerged: [dup] }));
          await expectAwsError(theirs(), 'ResourceNotFoundException', 404);
          await createDomain(other, DOMAIN);
          await expectAwsError(theirs(), 'ResourceNotFoundException', 404, main);
        }
        assert.equal((await profileById(s.client, DOMAIN, dup))?.FirstName, 'Dup');
      });
    });
  });
}
