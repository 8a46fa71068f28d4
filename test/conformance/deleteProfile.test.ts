import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DeleteProfileCommand, ListProfileObjectsCommand } from '@aws-sdk/client-customer-profiles';
import { availableBackends } from '../helpers/backends.js';
import { expectAwsError } from '../helpers/errors.js';
import { createDomain, domainWithType, putObject, raw } from '../helpers/profile-objects.js';
import { historyOf, newProfile, profileById, searchIds, statsOf } from '../helpers/profiles.js';
import { startServer, type TestServer } from '../helpers/server.js';

const DOMAIN = 'people';

for (const backend of await availableBackends()) {
  describe(`DeleteProfile [${backend}]`, () => {
    let s: TestServer;
    before(async () => {
      s = await startServer(backend);
      await domainWithType(s.client, DOMAIN);
    });
    after(() => s.close());
    const del = (ProfileId: string, DomainName = DOMAIN) => s.client.send(new DeleteProfileCommand({ DomainName, ProfileId }));

    describe('serialization', () => {
      test('POST /domains/{DomainName}/profiles/delete answers {"Message": …}', async () => {
        const id = await newProfile(s.client, DOMAIN);
        const res = await raw(s, 'POST', `/domains/${DOMAIN}/profiles/delete`, { ProfileId: id });
        assert.equal(res.status, 200);
        assert.deepEqual(Object.keys(res.json), ['Message']);
        assert.match(String(res.json.Message), new RegExp(id));
      });
    });

    describe('validation', () => {
      test('ProfileId is required and follows the uuid pattern', async () => {
        await expectAwsError(del(undefined as never), 'BadRequestException', 400, 'ProfileId');
        await expectAwsError(del('XYZ'), 'BadRequestException', 400, "at 'ProfileId'");
      });
    });

    describe('behaviour', () => {
      test('a missing domain or profile is a ResourceNotFoundException', async () => {
        await expectAwsError(del('a'.repeat(32), 'nowhere'), 'ResourceNotFoundException', 404, 'nowhere');
        await expectAwsError(del('c'.repeat(32)), 'ResourceNotFoundException', 404, 'c'.repeat(32));
      });

      test('the profile, its objects and its keys go; Stats stay exact', async () => {
        await domainWithType(s.client, 'counted');
        const keep = await putObject(s.client, 'counted', { Id: 'K-1', Email: 'keep@example.com' });
        const gone = await putObject(s.client, 'counted', { Id: 'G-1', Email: 'gone@example.com', FirstName: 'Gone' });
        await putObject(s.client, 'counted', { Id: 'G-2', Email: 'gone@example.com' });
        const [goneId] = await searchIds(s.client, 'counted', '_email', ['gone@example.com']);
        const [keepId] = await searchIds(s.client, 'counted', '_email', ['keep@example.com']);
        assert.ok(goneId && keepId && gone && keep);
        const statsBefore = await statsOf(s.client, 'counted');
        assert.equal(statsBefore?.ProfileCount, 2);
        assert.equal(statsBefore?.ObjectCount, 3);
        await del(goneId, 'counted');
        assert.equal(await profileById(s.client, 'counted', goneId), undefined);
        assert.deepEqual(await searchIds(s.client, 'counted', '_email', ['gone@example.com']), []);
        assert.deepEqual(await searchIds(s.client, 'counted', '_contactId', ['G-1', 'G-2']), []);
        assert.deepEqual(await searchIds(s.client, 'counted', '_fullName', ['gone']), []);
        const keptObjects = await s.client.send(new ListProfileObjectsCommand({ DomainName: 'counted', ObjectTypeName: 'Contact', ProfileId: keepId }));
        const keptSize = keptObjects.Items?.reduce((n, o) => n + Buffer.byteLength(o.Object ?? ''), 0);
        assert.deepEqual(await statsOf(s.client, 'counted'), { ProfileCount: 1, MeteringProfileCount: 1, ObjectCount: 1, TotalSize: keptSize });
        // The same object again creates a new profile: the old one's keys no longer lead anywhere.
        await putObject(s.client, 'counted', { Id: 'G-1', Email: 'gone@example.com' });
        const [again] = await searchIds(s.client, 'counted', '_email', ['gone@example.com']);
        assert.ok(again && again !== goneId);
      });

      test('the keys of a deleted object and those added by AddProfileKey go too', async () => {
        const id = await newProfile(s.client, DOMAIN, { AccountNumber: 'ACC-9' });
        const key = await putObject(s.client, DOMAIN, { Id: 'X-9', Email: 'x9@example.com' });
        const { DeleteProfileObjectCommand, AddProfileKeyCommand } = await import('@aws-sdk/client-customer-profiles');
        const [owner] = await searchIds(s.client, DOMAIN, '_contactId', ['X-9']);
        await s.client.send(new DeleteProfileObjectCommand({ DomainName: DOMAIN, ProfileId: owner, ObjectTypeName: 'Contact', ProfileObjectUniqueKey: key }));
        assert.deepEqual(await searchIds(s.client, DOMAIN, '_contactId', ['X-9']), [owner], 'a deleted object leaves its keys');
        await s.client.send(new AddProfileKeyCommand({ DomainName: DOMAIN, ProfileId: id, KeyName: '_contactId', Values: ['ADDED-1'] }));
        await del(owner);
        await del(id);
        assert.deepEqual(await searchIds(s.client, DOMAIN, '_contactId', ['X-9', 'ADDED-1']), []);
        assert.deepEqual(await searchIds(s.client, DOMAIN, '_account', ['ACC-9']), []);
      });

      test('the deletion is the profile history\'s last record (DELETED_BY_CUSTOMER)', async () => {
        const id = await newProfile(s.client, DOMAIN, { FirstName: 'Brief' });
        await del(id);
        assert.deepEqual((await historyOf(s.client, DOMAIN, id)).map((r) => r.ActionType), ['CREATED', 'DELETED_BY_CUSTOMER']);
      });

      test('another account or region cannot delete the profile', async () => {
        const id = await newProfile(s.client, DOMAIN, { FirstName: 'Mine' });
        for (const other of [s.clientFor({ accountId: '111122223333' }), s.clientFor({ region: 'eu-west-1' })]) {
          const theirs = () => other.send(new DeleteProfileCommand({ DomainName: DOMAIN, ProfileId: id }));
          await expectAwsError(theirs(), 'ResourceNotFoundException', 404);
          await createDomain(other, DOMAIN);
          await expectAwsError(theirs(), 'ResourceNotFoundException', 404, id);
        }
        assert.equal((await profileById(s.client, DOMAIN, id))?.FirstName, 'Mine');
      });
    });
  });
}
