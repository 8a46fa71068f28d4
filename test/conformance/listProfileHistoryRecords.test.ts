import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  AddProfileKeyCommand,
  CreateDomainCommand,
  DeleteProfileKeyCommand,
  ListProfileHistoryRecordsCommand,
  type ListProfileHistoryRecordsCommandInput,
  UpdateProfileCommand,
} from '@aws-sdk/client-customer-profiles';
import { ManualClock } from '../../src/engine/clock.js';
import { putProfileObjects } from '../../src/ingest/profile-objects.js';
import { availableBackends } from '../helpers/backends.js';
import { expectAwsError } from '../helpers/errors.js';
import { createDomain, domainWithType, HOME, putObject, raw } from '../helpers/profile-objects.js';
import { historyOf, newProfile, searchIds } from '../helpers/profiles.js';
import { startServer, type TestServer } from '../helpers/server.js';

const DOMAIN = 'people';
const DAY = 86_400_000;

for (const backend of await availableBackends()) {
  describe(`ListProfileHistoryRecords [${backend}]`, () => {
    let s: TestServer;
    const clock = new ManualClock(Date.UTC(2026, 2, 1));
    before(async () => {
      s = await startServer(backend, { clock });
      await domainWithType(s.client, DOMAIN);
    });
    after(() => s.close());
    const list = (input: Omit<ListProfileHistoryRecordsCommandInput, 'DomainName'> & { DomainName?: string }) =>
      s.client.send(new ListProfileHistoryRecordsCommand({ DomainName: DOMAIN, ...input }));

    describe('serialization', () => {
      test('POST /domains/{DomainName}/profiles/history-records answers records with epoch-second times', async () => {
        const id = await newProfile(s.client, DOMAIN, { FirstName: 'Wire' });
        const res = await raw(s, 'POST', `/domains/${DOMAIN}/profiles/history-records`, { ProfileId: id });
        assert.equal(res.status, 200);
        const [record] = res.json.ProfileHistoryRecords as Record<string, unknown>[];
        assert.match(String(record.Id), /^[a-f0-9]{32}$/);
        assert.deepEqual(
          { ...record, Id: undefined },
          {
            Id: undefined,
            ObjectTypeName: '_profile',
            ActionType: 'CREATED',
            CreatedAt: clock.now() / 1000,
            LastUpdatedAt: clock.now() / 1000,
            PerformedBy: 'arn:aws:iam::000000000000:root',
          },
        );
        const out = await list({ ProfileId: id });
        assert.ok(out.ProfileHistoryRecords?.[0].CreatedAt instanceof Date);
      });
    });

    describe('validation', () => {
      test('ProfileId, ActionType and max-results are checked from the model', async () => {
        await expectAwsError(list({ ProfileId: 'nope' }), 'BadRequestException', 400, "at 'ProfileId'");
        await expectAwsError(list({ ProfileId: 'a'.repeat(32), ActionType: 'EXPLODED' as never }), 'BadRequestException', 400, "at 'ActionType'");
        await expectAwsError(list({ ProfileId: 'a'.repeat(32), MaxResults: 101 }), 'BadRequestException', 400, 'MaxResults');
      });
    });

    describe('behaviour', () => {
      test('a missing domain, or a profile with neither a row nor a record, is a ResourceNotFoundException', async () => {
        await expectAwsError(list({ DomainName: 'nowhere', ProfileId: 'a'.repeat(32) }), 'ResourceNotFoundException', 404, 'nowhere');
        await expectAwsError(list({ ProfileId: 'a'.repeat(32) }), 'ResourceNotFoundException', 404, 'a'.repeat(32));
      });

      test('every change is recorded in order, with its object type and unique key where it has them', async () => {
        const key = await putObject(s.client, DOMAIN, { Id: 'H-1', Email: 'hist@example.com' });
        const [id] = await searchIds(s.client, DOMAIN, '_email', ['hist@example.com']);
        await putObject(s.client, DOMAIN, { Id: 'H-1', Email: 'hist@example.com', FirstName: 'Later' });
        await s.client.send(new UpdateProfileCommand({ DomainName: DOMAIN, ProfileId: id, LastName: 'Updated' }));
        await s.client.send(new AddProfileKeyCommand({ DomainName: DOMAIN, ProfileId: id, KeyName: '_contactId', Values: ['K-1'] }));
        await s.client.send(new DeleteProfileKeyCommand({ DomainName: DOMAIN, ProfileId: id, KeyName: '_contactId', Values: ['K-1'] }));
        const records = await historyOf(s.client, DOMAIN, id);
        assert.deepEqual(
          records.map((r) => [r.ActionType, r.ObjectTypeName, r.ProfileObjectUniqueKey]),
          [
            ['CREATED', '_profile', undefined],
            ['INGESTED', 'Contact', key],
            ['INGESTED', 'Contact', key],
            ['UPDATED', '_profile', undefined],
            ['UPDATED', '_profile', undefined],
            ['ADDED_PROFILE_KEY', '_profile', undefined],
            ['DELETED_PROFILE_KEY', '_profile', undefined],
          ],
        );
        // The same values again change nothing a user sees: an INGESTED record, no UPDATED one.
        await putObject(s.client, DOMAIN, { Id: 'H-1', Email: 'hist@example.com', FirstName: 'Later' });
        assert.deepEqual((await historyOf(s.client, DOMAIN, id)).slice(records.length).map((r) => r.ActionType), ['INGESTED']);
        const ingested = await list({ ProfileId: id, ActionType: 'INGESTED' });
        assert.equal(ingested.ProfileHistoryRecords?.length, 3);
        const contact = await list({ ProfileId: id, ObjectTypeName: 'Contact' });
        assert.equal(contact.ProfileHistoryRecords?.length, 3);
        const byApi = await list({ ProfileId: id, PerformedBy: 'arn:aws:iam::000000000000:root' });
        assert.equal(byApi.ProfileHistoryRecords?.length, records.length + 1);
      });

      test('records a workflow step ingests name the service principal that ran it', async () => {
        const objectType = await s.store.objectTypes.get(HOME, DOMAIN, 'Contact');
        assert.ok(objectType);
        await s.store.transaction((tx) => putProfileObjects(tx, HOME, DOMAIN, objectType, [{ Id: 'W-1', Email: 'flow@example.com' }], clock.now()));
        const [id] = await searchIds(s.client, DOMAIN, '_email', ['flow@example.com']);
        const records = await historyOf(s.client, DOMAIN, id);
        assert.deepEqual(records.map((r) => [r.ActionType, r.PerformedBy]), [
          ['CREATED', 'appflow.amazonaws.com'],
          ['INGESTED', 'appflow.amazonaws.com'],
        ]);
      });

      test('pages follow MaxResults and tokens bound to the filters', async () => {
        const id = await newProfile(s.client, DOMAIN);
        for (let i = 0; i < 4; i++) await s.client.send(new UpdateProfileCommand({ DomainName: DOMAIN, ProfileId: id, FirstName: `N${i}` }));
        const first = await list({ ProfileId: id, MaxResults: 2 });
        assert.equal(first.ProfileHistoryRecords?.length, 2);
        assert.ok(first.NextToken);
        const rest = await list({ ProfileId: id, MaxResults: 10, NextToken: first.NextToken });
        assert.deepEqual(
          [...(first.ProfileHistoryRecords ?? []), ...(rest.ProfileHistoryRecords ?? [])].map((r) => r.ActionType),
          ['CREATED', 'UPDATED', 'UPDATED', 'UPDATED', 'UPDATED'],
        );
        await expectAwsError(list({ ProfileId: id, ActionType: 'UPDATED', NextToken: first.NextToken }), 'BadRequestException', 400);
      });

      test('records older than the domain\'s DefaultExpirationDays are no longer answered', async () => {
        await s.client.send(new CreateDomainCommand({ DomainName: 'brief', DefaultExpirationDays: 2 }));
        const id = await newProfile(s.client, 'brief', { FirstName: 'Old' });
        clock.advance(DAY);
        await s.client.send(new UpdateProfileCommand({ DomainName: 'brief', ProfileId: id, FirstName: 'Newer' }));
        clock.advance(DAY + 1);
        assert.deepEqual((await historyOf(s.client, 'brief', id)).map((r) => r.ActionType), ['UPDATED']);
        clock.advance(DAY);
        assert.deepEqual(await historyOf(s.client, 'brief', id), [], 'the profile stays; its records expired');
      });

      test('another account or region sees none of the profile\'s history', async () => {
        const id = await newProfile(s.client, DOMAIN, { FirstName: 'Mine' });
        for (const other of [s.clientFor({ accountId: '111122223333' }), s.clientFor({ region: 'eu-west-1' })]) {
          const theirs = () => other.send(new ListProfileHistoryRecordsCommand({ DomainName: DOMAIN, ProfileId: id }));
          await expectAwsError(theirs(), 'ResourceNotFoundException', 404);
          await createDomain(other, DOMAIN);
          await expectAwsError(theirs(), 'ResourceNotFoundException', 404, id);
        }
      });
    });
  });
}
