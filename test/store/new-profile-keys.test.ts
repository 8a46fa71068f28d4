import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { CreateProfileCommand, DeleteProfileCommand, SearchProfilesCommand } from '@aws-sdk/client-customer-profiles';
import { seedIds } from '../../src/domain/ids.js';
import { ManualClock } from '../../src/engine/clock.js';
import type { ChangeSource } from '../../src/ingest/profile-changes.js';
import { availableBackends } from '../helpers/backends.js';
import { createDomain, HOME } from '../helpers/profile-objects.js';
import { contactIngestion } from '../helpers/profiles.js';
import { startServer, type TestServer } from '../helpers/server.js';

// The index entries of a profile just created are written without a conflict check on PostgreSQL
// (nothing can have indexed a profile no other transaction sees). Where that would not hold, or where
// two entries become one as the database stores them, the entries still go in, once each.

const STEP: ChangeSource = { kind: 'workflow', workflowId: 'ef'.repeat(16), stepNo: 1 };

for (const backend of await availableBackends()) {
  describe(`index entries of new profiles [${backend}]`, () => {
    let s: TestServer;
    const clock = new ManualClock(Date.UTC(2026, 5, 1));
    before(async () => {
      s = await startServer(backend, { clock });
    });
    after(async () => {
      seedIds(undefined);
      await s.close();
    });
    const { ingest, ingested } = contactIngestion(() => s, clock, STEP);
    const search = async (DomainName: string, KeyName: string, value: string) =>
      ((await s.client.send(new SearchProfilesCommand({ DomainName, KeyName, Values: [value] }))).Items ?? []).map((p) => p.ProfileId);

    test('CreateProfile with two emails that differ only by a lone surrogate', async () => {
      await createDomain(s.client, 'surrogate-emails');
      const { ProfileId } = await s.client.send(
        new CreateProfileCommand({ DomainName: 'surrogate-emails', EmailAddress: 'a\ud800@example.com', PersonalEmailAddress: 'a\ud801@example.com' }),
      );
      assert.ok(ProfileId);
      // Both entries went in, once each: each email finds the profile, and only it.
      assert.deepEqual(await search('surrogate-emails', '_email', 'a\ud800@example.com'), [ProfileId]);
      assert.deepEqual(await search('surrogate-emails', '_email', 'a\ud801@example.com'), [ProfileId]);
    });

    test('one page whose two records land on one new profile with emails that differ only by a lone surrogate', async () => {
      const ids = await ingested('surrogate-page', [
        { Id: '1', Email: 'a\ud800@example.com', Phone: '+15550001' },
        { Id: '2', Email: 'a\ud801@example.com', Phone: '+15550001' },
      ]);
      assert.equal(ids.length, 2);
      assert.equal(new Set(ids).size, 1, 'the shared phone puts both records on one profile');
      assert.equal((await s.store.profileObjects.ofProfiles(HOME, 'surrogate-page', [ids[0]])).length, 2);
      assert.deepEqual(await search('surrogate-page', '_email', 'a\ud800@example.com'), [ids[0]]);
      assert.deepEqual(await search('surrogate-page', '_email', 'a\ud801@example.com'), [ids[0]]);
    });

    test('seeded ids given again, on a database where a deleted profile of the same id left index entries', async () => {
      seedIds('run');
      const [first] = await ingested('seeded-again', [{ Id: 'C-1', Email: 'a@example.com', FirstName: 'Ann' }]);
      clock.advance(1000);
      // Renamed: the entry of the old full name stays in the index, and DeleteProfile does not know it.
      await ingest('seeded-again', [{ Id: 'C-1', Email: 'a@example.com', FirstName: 'Bob' }]);
      await s.client.send(new DeleteProfileCommand({ DomainName: 'seeded-again', ProfileId: first }));
      seedIds('run');
      clock.advance(1000);
      const [again] = await ingest('seeded-again', [{ Id: 'C-9', Email: 'c@example.com', FirstName: 'Ann' }]);
      assert.equal(again, first, 'the same seed gives the same id');
      assert.deepEqual(await search('seeded-again', '_email', 'c@example.com'), [again]);
      seedIds(undefined);
    });
  });
}
