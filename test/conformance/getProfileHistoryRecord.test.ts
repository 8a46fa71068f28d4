import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { CreateDomainCommand, DeleteProfileObjectCommand, GetProfileHistoryRecordCommand, MergeProfilesCommand, UpdateProfileCommand } from '@aws-sdk/client-customer-profiles';
import { ManualClock } from '../../src/engine/clock.js';
import { availableBackends } from '../helpers/backends.js';
import { expectAwsError } from '../helpers/errors.js';
import { createDomain, domainWithType, putObject, raw } from '../helpers/profile-objects.js';
import { historyOf, newProfile, searchIds } from '../helpers/profiles.js';
import { startServer, type TestServer } from '../helpers/server.js';

const DOMAIN = 'people';

for (const backend of await availableBackends()) {
  describe(`GetProfileHistoryRecord [${backend}]`, () => {
    let s: TestServer;
    const clock = new ManualClock(Date.UTC(2026, 3, 1));
    before(async () => {
      s = await startServer(backend, { clock });
      await domainWithType(s.client, DOMAIN);
    });
    after(() => s.close());
    const get = (ProfileId: string, Id: string, DomainName = DOMAIN) =>
      s.client.send(new GetProfileHistoryRecordCommand({ DomainName, ProfileId, Id }));

    describe('serialization', () => {
      test('GET /domains/{DomainName}/profiles/{ProfileId}/history-records/{Id} answers the record with its Content', async () => {
        const id = await newProfile(s.client, DOMAIN, { FirstName: 'Wire' });
        const [record] = await historyOf(s.client, DOMAIN, id);
        const res = await raw(s, 'GET', `/domains/${DOMAIN}/profiles/${id}/history-records/${record.Id}`);
        assert.equal(res.status, 200);
        assert.deepEqual(res.json, {
          Id: record.Id,
          ObjectTypeName: '_profile',
          ActionType: 'CREATED',
          CreatedAt: clock.now() / 1000,
          LastUpdatedAt: clock.now() / 1000,
          Content: JSON.stringify({ ProfileId: id, FirstName: 'Wire' }),
          PerformedBy: 'arn:aws:iam::000000000000:root',
        });
      });
    });

    describe('validation', () => {
      test('ProfileId and Id follow the uuid pattern', async () => {
        await expectAwsError(get('nope', 'a'.repeat(32)), 'BadRequestException', 400, "at 'ProfileId'");
        await expectAwsError(get('a'.repeat(32), 'NOPE'), 'BadRequestException', 400, "at 'Id'");
      });
    });

    describe('behaviour', () => {
      test('a missing domain, profile or record is a ResourceNotFoundException naming it', async () => {
        await expectAwsError(get('a'.repeat(32), 'b'.repeat(32), 'nowhere'), 'ResourceNotFoundException', 404, 'nowhere');
        await expectAwsError(get('a'.repeat(32), 'b'.repeat(32)), 'ResourceNotFoundException', 404, 'b'.repeat(32));
        const id = await newProfile(s.client, DOMAIN);
        const other = await newProfile(s.client, DOMAIN);
        const [record] = await historyOf(s.client, DOMAIN, id);
        // Another profile's record is not this one's.
        await expectAwsError(get(other, record.Id!), 'ResourceNotFoundException', 404, record.Id!, other);
      });

      test('Content is the profile as it was right after each change, and the object for INGESTED', async () => {
        const id = await newProfile(s.client, DOMAIN, { FirstName: 'One' });
        await s.client.send(new UpdateProfileCommand({ DomainName: DOMAIN, ProfileId: id, FirstName: 'Two', LastName: 'Last' }));
        await s.client.send(new UpdateProfileCommand({ DomainName: DOMAIN, ProfileId: id, FirstName: 'Three', LastName: '' }));
        const contents = [];
        for (const r of await historyOf(s.client, DOMAIN, id)) contents.push(JSON.parse((await get(id, r.Id!)).Content ?? 'null'));
        assert.deepEqual(contents, [
          { ProfileId: id, FirstName: 'One' },
          { ProfileId: id, FirstName: 'Two', LastName: 'Last' },
          { ProfileId: id, FirstName: 'Three' },
        ]);
        const key = await putObject(s.client, DOMAIN, { Id: 'C-1', Email: 'content@example.com' });
        const [owner] = await searchIds(s.client, DOMAIN, '_email', ['content@example.com']);
        const ingested = (await historyOf(s.client, DOMAIN, owner)).find((r) => r.ActionType === 'INGESTED');
        const record = await get(owner, ingested!.Id!);
        assert.equal(record.ProfileObjectUniqueKey, key);
        assert.deepEqual(JSON.parse(record.Content!), { Id: 'C-1', Email: 'content@example.com' });
      });

      test('an INGESTED record keeps its version of the object after the object is replaced, deleted or its profile merged', async () => {
        const key = await putObject(s.client, DOMAIN, { Id: 'V-1', Email: 'versions@example.com', FirstName: 'v1' });
        await putObject(s.client, DOMAIN, { Id: 'V-1', Email: 'versions@example.com', FirstName: 'v2' });
        const [owner] = await searchIds(s.client, DOMAIN, '_email', ['versions@example.com']);
        const objectContents = async (profileId: string) => {
          const out = [];
          for (const r of (await historyOf(s.client, DOMAIN, profileId)).filter((r) => r.ActionType === 'INGESTED')) {
            out.push(JSON.parse((await get(profileId, r.Id!)).Content!).FirstName);
          }
          return out;
        };
        assert.deepEqual(await objectContents(owner), ['v1', 'v2']);
        const main = await newProfile(s.client, DOMAIN);
        await s.client.send(new MergeProfilesCommand({ DomainName: DOMAIN, MainProfileId: main, ProfileIdsToBeMerged: [owner] }));
        await putObject(s.client, DOMAIN, { Id: 'V-1', Email: 'versions@example.com', FirstName: 'v3' });
        assert.deepEqual(await objectContents(owner), ['v1', 'v2'], 'the merged profile\'s records');
        assert.deepEqual(await objectContents(main), ['v3']);
        await s.client.send(new DeleteProfileObjectCommand({ DomainName: DOMAIN, ProfileId: main, ObjectTypeName: 'Contact', ProfileObjectUniqueKey: key }));
        assert.deepEqual(await objectContents(main), ['v3'], 'a deleted object\'s record keeps its last text');
      });

      test('the merged profile\'s records stay readable after the merge', async () => {
        const main = await newProfile(s.client, DOMAIN);
        const dup = await newProfile(s.client, DOMAIN, { FirstName: 'Dup' });
        await s.client.send(new MergeProfilesCommand({ DomainName: DOMAIN, MainProfileId: main, ProfileIdsToBeMerged: [dup] }));
        const [created] = await historyOf(s.client, DOMAIN, dup);
        assert.deepEqual(JSON.parse((await get(dup, created.Id!)).Content!), { ProfileId: dup, FirstName: 'Dup' });
      });

      test('an expired record answers as a missing one', async () => {
        await s.client.send(new CreateDomainCommand({ DomainName: 'brief', DefaultExpirationDays: 1 }));
        const id = await newProfile(s.client, 'brief');
        const [record] = await historyOf(s.client, 'brief', id);
        clock.advance(86_400_000 + 1);
        await expectAwsError(get(id, record.Id!, 'brief'), 'ResourceNotFoundException', 404, record.Id!);
      });

      test('another account or region cannot read the record', async () => {
        const id = await newProfile(s.client, DOMAIN, { FirstName: 'Mine' });
        const [record] = await historyOf(s.client, DOMAIN, id);
        for (const other of [s.clientFor({ accountId: '111122223333' }), s.clientFor({ region: 'eu-west-1' })]) {
          const theirs = () => other.send(new GetProfileHistoryRecordCommand({ DomainName: DOMAIN, ProfileId: id, Id: record.Id! }));
          await expectAwsError(theirs(), 'ResourceNotFoundException', 404);
          await createDomain(other, DOMAIN);
          await expectAwsError(theirs(), 'ResourceNotFoundException', 404, record.Id!);
        }
      });
    });
  });
}
