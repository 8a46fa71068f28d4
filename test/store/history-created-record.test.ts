import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  AddProfileKeyCommand,
  CreateDomainCommand,
  DeleteProfileCommand,
  DeleteProfileObjectTypeCommand,
  GetProfileHistoryRecordCommand,
  type GetProfileHistoryRecordCommandOutput,
  MergeProfilesCommand,
  PutProfileObjectTypeCommand,
  UpdateDomainCommand,
  UpdateProfileCommand,
} from '@aws-sdk/client-customer-profiles';
import { ManualClock } from '../../src/engine/clock.js';
import { type ChangeSource, ProfileChanges } from '../../src/ingest/profile-changes.js';
import type { Store } from '../../src/store/types.js';
import { availableBackends } from '../helpers/backends.js';
import { CONTACT, HOME } from '../helpers/profile-objects.js';
import { behindOpenTransaction } from '../helpers/races.js';
import { contactIngestion, historyOf, newProfile } from '../helpers/profiles.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { answersOf } from '../fixtures/history-before-015/scenario.js';

// A profile's CREATED record is held by the profile's row until the profile first changes (migration
// 015). Nothing a caller sees tells the two apart: the same Id, times, Content, PerformedBy, order and
// pages, and the same record after every kind of change.

const DAY = 86_400_000;
const STEP: ChangeSource = { kind: 'workflow', workflowId: 'ab'.repeat(16), stepNo: 2 };

for (const backend of await availableBackends()) {
  describe(`CREATED records held by profile rows [${backend}]`, () => {
    let s: TestServer;
    const clock = new ManualClock(Date.UTC(2026, 4, 1));
    before(async () => {
      s = await startServer(backend, { clock });
    });
    after(() => s.close());

    /** A fresh domain with the Contact type, and a profile per record ingested by a workflow step. */
    const { ingest, ingested } = contactIngestion(() => s, clock, STEP);
    const get = (DomainName: string, ProfileId: string, Id: string) => s.client.send(new GetProfileHistoryRecordCommand({ DomainName, ProfileId, Id }));
    /** A record as a caller sees it (the SDK's response metadata left out). */
    const seen = ({ $metadata: _, ...record }: GetProfileHistoryRecordCommandOutput) => record;
    const heldBy = async (domainName: string) =>
      (await s.store.db.selectFrom('profiles').select('profile_id').where('domain_name', '=', domainName).where('created_record_id', 'is not', null).execute()).map((r) => r.profile_id).sort();
    const createdRows = async (domainName: string) =>
      (await s.store.db.selectFrom('profile_history').select('profile_id').where('domain_name', '=', domainName).where('action_type', '=', 'CREATED').execute()).map((r) => r.profile_id).sort();

    test('a CREATED record held by its row answers exactly as the same record in the history table', async () => {
      const ids = await ingested('held', [
        { Id: 'H-1', Email: 'h1@example.com', FirstName: 'Ada' },
        { Id: 'H-2', Email: 'h2@example.com' },
        { Id: 'H-3', Email: 'h3@example.com', Phone: '+1 555 0100' },
      ]);
      clock.advance(1);
      const api = await newProfile(s.client, 'held', { FirstName: 'Direct', Address: { City: 'Oslo' } });
      const profiles = [...new Set([...ids, api])].sort();
      assert.deepEqual(await heldBy('held'), profiles);
      assert.deepEqual(await createdRows('held'), []);
      const asHeld = await answersOf(s.store, clock);

      // The records move to the history table, as a profile's first change moves them.
      await s.store.transaction((tx) => tx.profileHistory.keepCreatedRecords(HOME, 'held', profiles));
      assert.deepEqual(await heldBy('held'), []);
      assert.deepEqual(await createdRows('held'), profiles);
      assert.deepEqual(await answersOf(s.store, clock), asHeld);
    });

    test('the CREATED record answers the same after each kind of change to its profile', async () => {
      const [a, b, c, d, e, f] = await ingested('changes', [1, 2, 3, 4, 5, 6].map((n) => ({ Id: `C-${n}`, Email: `c${n}@example.com`, FirstName: `N${n}` })));
      const changes: [string, string[], () => Promise<unknown>][] = [
        ['UpdateProfile', [a], () => s.client.send(new UpdateProfileCommand({ DomainName: 'changes', ProfileId: a, LastName: 'Later' }))],
        ['ingestion updating the profile', [b], () => ingest('changes', [{ Id: 'C-2', Email: 'c2@example.com', FirstName: 'Renamed' }])],
        ['MergeProfiles', [c, d], () => s.client.send(new MergeProfilesCommand({ DomainName: 'changes', MainProfileId: c, ProfileIdsToBeMerged: [d] }))],
        ['DeleteProfile', [e], () => s.client.send(new DeleteProfileCommand({ DomainName: 'changes', ProfileId: e }))],
        ['AddProfileKey', [f], () => s.client.send(new AddProfileKeyCommand({ DomainName: 'changes', ProfileId: f, KeyName: '_account', Values: ['acc'] }))],
        ['DeleteProfileObjectType', [a, b, c, f], () => s.client.send(new DeleteProfileObjectTypeCommand({ DomainName: 'changes', ObjectTypeName: 'Contact' }))],
      ];
      for (const [change, touched, run] of changes) {
        clock.advance(1000);
        const before = new Map<string, { history: unknown[]; created: unknown }>();
        for (const id of touched) {
          const history = await historyOf(s.client, 'changes', id);
          assert.equal(history[0].ActionType, 'CREATED', change);
          before.set(id, { history, created: seen(await get('changes', id, history[0].Id as string)) });
        }
        await run();
        for (const id of touched) {
          const { history, created } = before.get(id) as { history: unknown[]; created: unknown };
          const now = await historyOf(s.client, 'changes', id);
          assert.deepEqual(now.slice(0, history.length), history, `${change}: the records answered before are answered as they were`);
          assert.ok(now.length > history.length || change === 'DeleteProfileObjectType', `${change}: and a record of the change follows them`);
          assert.deepEqual(seen(await get('changes', id, now[0].Id as string)), created, `${change}: the CREATED record keeps its Content`);
        }
      }
    });

    test('a record that expired while its row held it stays purged once its profile is touched, as a history row would', async () => {
      await s.client.send(new CreateDomainCommand({ DomainName: 'brief', DefaultExpirationDays: 2 }));
      await s.client.send(new PutProfileObjectTypeCommand({ DomainName: 'brief', ObjectTypeName: 'Contact', ...CONTACT }));
      const [touched, untouched] = await ingest('brief', [{ Id: 'B-1', Email: 'b1@example.com' }, { Id: 'B-2', Email: 'b2@example.com' }]);
      const [created] = await historyOf(s.client, 'brief', untouched);
      clock.advance(3 * DAY);
      assert.deepEqual(await historyOf(s.client, 'brief', untouched), []);
      await s.client.send(new AddProfileKeyCommand({ DomainName: 'brief', ProfileId: touched, KeyName: '_account', Values: ['acc'] }));
      // A longer expiration brings back what was not purged, and only that.
      await s.client.send(new UpdateDomainCommand({ DomainName: 'brief', DefaultExpirationDays: 30 }));
      assert.deepEqual((await historyOf(s.client, 'brief', touched)).map((r) => r.ActionType), ['ADDED_PROFILE_KEY']);
      assert.deepEqual((await historyOf(s.client, 'brief', untouched)).map((r) => r.ActionType), ['CREATED', 'INGESTED']);
      assert.deepEqual((await historyOf(s.client, 'brief', untouched))[0], created);
    });

    // PostgreSQL has concurrent writers: the second transaction reads the row while the first, which
    // has written the record, is still open.
    if (backend === 'postgres') {
      test('two transactions changing one profile at once write its CREATED record once', async () => {
        const [id] = await ingested('racing', [{ Id: 'R-1', Email: 'r1@example.com' }]);
        const [created] = await historyOf(s.client, 'racing', id);
        clock.advance(1000);
        const rename = async (tx: Store, FirstName: string) => {
          const profile = await tx.profiles.get(HOME, 'racing', id);
          assert.ok(profile);
          const changes = new ProfileChanges(tx, HOME, 'racing', clock.now(), { kind: 'api' });
          changes.saveProfile({ ...profile, attributes: { ...profile.attributes, FirstName }, updatedAt: clock.now() }, 'UPDATED');
          await changes.commit();
        };
        await behindOpenTransaction(s.store, (tx) => rename(tx, 'One'), () => s.store.transaction((tx) => rename(tx, 'Two')));
        const history = await historyOf(s.client, 'racing', id);
        assert.deepEqual(history.map((r) => r.ActionType), ['CREATED', 'INGESTED', 'UPDATED', 'UPDATED']);
        assert.deepEqual(history[0], created);
      });
    }
  });
}
