import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  AddProfileKeyCommand,
  CreateDomainCommand,
  DeleteProfileCommand,
  DeleteProfileObjectCommand,
  DeleteProfileObjectTypeCommand,
  GetProfileHistoryRecordCommand,
  type GetProfileHistoryRecordCommandOutput,
  MergeProfilesCommand,
  PutProfileObjectTypeCommand,
  UpdateDomainCommand,
  UpdateProfileCommand,
} from '@aws-sdk/client-customer-profiles';
import { ManualClock } from '../../src/engine/clock.js';
import type { ChangeSource } from '../../src/ingest/profile-changes.js';
import { putProfileObjects } from '../../src/ingest/profile-objects.js';
import { availableBackends } from '../helpers/backends.js';
import { CONTACT, HOME } from '../helpers/profile-objects.js';
import { behindOpenTransaction } from '../helpers/races.js';
import { contactIngestion, historyOf } from '../helpers/profiles.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { answersOf } from '../fixtures/history-before-015/scenario.js';

// An object's latest INGESTED record is held by the object's row while that version is stored (migration
// 018). Nothing a caller sees tells the two apart: the same Id, times, Content, PerformedBy, order and
// pages, and the same record after every kind of change to the object or its profile.

const DAY = 86_400_000;
const STEP: ChangeSource = { kind: 'workflow', workflowId: 'cd'.repeat(16), stepNo: 4 };

for (const backend of await availableBackends()) {
  describe(`INGESTED records held by object rows [${backend}]`, () => {
    let s: TestServer;
    const clock = new ManualClock(Date.UTC(2026, 5, 1));
    before(async () => {
      s = await startServer(backend, { clock });
    });
    after(() => s.close());

    const { ingest, ingested } = contactIngestion(() => s, clock, STEP);
    const get = (DomainName: string, ProfileId: string, Id: string) => s.client.send(new GetProfileHistoryRecordCommand({ DomainName, ProfileId, Id }));
    const seen = ({ $metadata: _, ...record }: GetProfileHistoryRecordCommandOutput) => record;
    /** Record ids held by object rows, and those in the history table, of the domain's INGESTED records. */
    const placesOf = async (domainName: string) => ({
      held: (await s.store.db.selectFrom('profile_objects').select('ingested_record_id').where('domain_name', '=', domainName).where('ingested_record_id', 'is not', null).execute())
        .map((r) => r.ingested_record_id as string)
        .sort(),
      table: (await s.store.db.selectFrom('profile_history').select('record_id').where('domain_name', '=', domainName).where('action_type', '=', 'INGESTED').execute())
        .map((r) => r.record_id)
        .sort(),
    });

    test('an INGESTED record held by its object row answers exactly as the same record in the history table', async () => {
      const ids = await ingested('held', [
        { Id: 'H-1', Email: 'h1@example.com', FirstName: 'Ada' },
        { Id: 'H-2', Email: 'h2@example.com' },
        { Id: 'H-3', Email: 'h3@example.com', Phone: '+1 555 0100' },
      ]);
      // A second type's object on the first profile: a profile's records come from several rows.
      await s.client.send(
        new PutProfileObjectTypeCommand({
          DomainName: 'held', ObjectTypeName: 'Note', Description: 'Notes', AllowProfileCreation: false,
          Fields: { Id: { Source: '_source.Id', ContentType: 'STRING' }, Email: { Source: '_source.Email', ContentType: 'EMAIL_ADDRESS' } },
          Keys: { _noteId: [{ StandardIdentifiers: ['UNIQUE'], FieldNames: ['Id'] }], _email: [{ StandardIdentifiers: ['PROFILE'], FieldNames: ['Email'] }] },
        }),
      );
      clock.advance(1);
      const noteType = await s.store.objectTypes.get(HOME, 'held', 'Note');
      assert.ok(noteType);
      await s.store.transaction((tx) => putProfileObjects(tx, HOME, 'held', noteType, [{ Id: 'N-1', Email: 'h1@example.com' }], clock.now(), { source: STEP }));
      const places = await placesOf('held');
      assert.equal(places.held.length, 4);
      assert.deepEqual(places.table, []);
      const asHeld = await answersOf(s.store, clock);
      assert.equal((asHeld[`held/${ids[0]}`] as { all: unknown[] }).all.length, 3, 'CREATED, and two INGESTED from two rows');

      // The records move to the history table, as a change to their objects moves them.
      await s.store.transaction(async (tx) => {
        await tx.profileHistory.keepIngestedRecords(HOME, 'held', { profileIds: ids });
        await (tx as typeof s.store).db.updateTable('profile_objects').set({ ingested_record_id: null, ingested_by: null }).where('domain_name', '=', 'held').execute();
      });
      const moved = await placesOf('held');
      assert.deepEqual(moved, { held: [], table: places.held });
      assert.deepEqual(await answersOf(s.store, clock), asHeld);
    });

    test('the INGESTED record answers the same after each kind of change to its object or profile, and is in one place', async () => {
      const [a, b, c, d, e, f] = await ingested('changes', [1, 2, 3, 4, 5, 6].map((n) => ({ Id: `C-${n}`, Email: `c${n}@example.com`, FirstName: `N${n}` })));
      const changes: [string, string[], () => Promise<unknown>][] = [
        ['a new version of the object', [a], () => ingest('changes', [{ Id: 'C-1', Email: 'c1@example.com', FirstName: 'Renamed' }])],
        ['UpdateProfile', [b], () => s.client.send(new UpdateProfileCommand({ DomainName: 'changes', ProfileId: b, LastName: 'Later' }))],
        ['MergeProfiles', [c, d], () => s.client.send(new MergeProfilesCommand({ DomainName: 'changes', MainProfileId: c, ProfileIdsToBeMerged: [d] }))],
        ['DeleteProfile', [e], () => s.client.send(new DeleteProfileCommand({ DomainName: 'changes', ProfileId: e }))],
        [
          'DeleteProfileObject',
          [f],
          async () => {
            const [object] = await s.store.profileObjects.ofProfiles(HOME, 'changes', [f]);
            await s.client.send(new DeleteProfileObjectCommand({ DomainName: 'changes', ProfileId: f, ObjectTypeName: 'Contact', ProfileObjectUniqueKey: object.uniqueKey }));
          },
        ],
        ['another new version', [a], () => ingest('changes', [{ Id: 'C-1', Email: 'c1@example.com', FirstName: 'Again' }])],
        ['DeleteProfileObjectType', [a, b, c], () => s.client.send(new DeleteProfileObjectTypeCommand({ DomainName: 'changes', ObjectTypeName: 'Contact' }))],
      ];
      for (const [change, touched, run] of changes) {
        clock.advance(1000);
        const before = new Map<string, { history: { Id?: string; ActionType?: string }[]; ingested: unknown[] }>();
        for (const id of touched) {
          const history = await historyOf(s.client, 'changes', id);
          const ingestedIds = history.filter((r) => r.ActionType === 'INGESTED').map((r) => r.Id as string);
          assert.ok(ingestedIds.length > 0, change);
          before.set(id, { history, ingested: await Promise.all(ingestedIds.map(async (Id) => seen(await get('changes', id, Id)))) });
        }
        await run();
        for (const id of touched) {
          const { history, ingested } = before.get(id) as { history: { Id?: string }[]; ingested: { Id?: string }[] };
          const now = await historyOf(s.client, 'changes', id);
          assert.deepEqual(now.slice(0, history.length), history, `${change}: the records answered before are answered as they were`);
          for (const record of ingested) assert.deepEqual(seen(await get('changes', id, record.Id as string)), record, `${change}: the INGESTED record keeps its Content`);
        }
        const { held, table } = await placesOf('changes');
        assert.equal(new Set([...held, ...table]).size, held.length + table.length, `${change}: no record is both held and in the table`);
      }
      // The versions the changes replaced are told apart by their Content.
      const contents = [];
      for (const r of (await historyOf(s.client, 'changes', a)).filter((x) => x.ActionType === 'INGESTED')) {
        contents.push((JSON.parse((await get('changes', a, r.Id as string)).Content as string) as { FirstName: string }).FirstName);
      }
      assert.deepEqual(contents, ['N1', 'Renamed', 'Again']);
    });

    test('a record that expired while its row held it stays purged once its profile is touched, as a history row would', async () => {
      await s.client.send(new CreateDomainCommand({ DomainName: 'brief', DefaultExpirationDays: 2 }));
      await s.client.send(new PutProfileObjectTypeCommand({ DomainName: 'brief', ObjectTypeName: 'Contact', ...CONTACT }));
      const [touched, untouched] = await ingest('brief', [{ Id: 'B-1', Email: 'b1@example.com' }, { Id: 'B-2', Email: 'b2@example.com' }]);
      const kept = await historyOf(s.client, 'brief', untouched);
      clock.advance(3 * DAY);
      assert.deepEqual(await historyOf(s.client, 'brief', untouched), []);
      await s.client.send(new AddProfileKeyCommand({ DomainName: 'brief', ProfileId: touched, KeyName: '_account', Values: ['acc'] }));
      // A longer expiration brings back what was not purged, and only that.
      await s.client.send(new UpdateDomainCommand({ DomainName: 'brief', DefaultExpirationDays: 30 }));
      assert.deepEqual((await historyOf(s.client, 'brief', touched)).map((r) => r.ActionType), ['ADDED_PROFILE_KEY']);
      assert.deepEqual(await historyOf(s.client, 'brief', untouched), kept);
    });

    // PostgreSQL has concurrent writers: the second transaction reads the object's row while the first,
    // which has handed its record to the history and replaced it, is still open.
    if (backend === 'postgres') {
      test('two transactions replacing one object at once write each version’s record once', async () => {
        const [id] = await ingested('racing', [{ Id: 'R-1', Email: 'r1@example.com', FirstName: 'Zero' }]);
        clock.advance(1000);
        await behindOpenTransaction(
          s.store,
          (tx) => ingest('racing', [{ Id: 'R-1', Email: 'r1@example.com', FirstName: 'One' }], STEP, tx),
          () => ingest('racing', [{ Id: 'R-1', Email: 'r1@example.com', FirstName: 'Two' }]),
        );
        const records = (await historyOf(s.client, 'racing', id)).filter((r) => r.ActionType === 'INGESTED');
        const names = [];
        for (const r of records) names.push((JSON.parse((await get('racing', id, r.Id as string)).Content as string) as { FirstName: string }).FirstName);
        assert.deepEqual(names, ['Zero', 'One', 'Two']);
        const { held: h, table } = await placesOf('racing');
        assert.equal(h.length + table.length, 3);
      });

      test('a deletion racing a new version of its object hands over the new version’s record, once', async () => {
        const [id] = await ingested('racing-delete', [{ Id: 'D-1', Email: 'd1@example.com', FirstName: 'Zero', Note: 'v0' }]);
        const [stored] = await s.store.profileObjects.ofProfiles(HOME, 'racing-delete', [id]);
        clock.advance(1000);
        // A new version that leaves the profile as it is: the deletion meets only the object's row.
        await behindOpenTransaction(
          s.store,
          (tx) => ingest('racing-delete', [{ Id: 'D-1', Email: 'd1@example.com', FirstName: 'Zero', Note: 'v1' }], STEP, tx),
          () =>
            s.client.send(
              new DeleteProfileObjectCommand({ DomainName: 'racing-delete', ProfileId: id, ObjectTypeName: 'Contact', ProfileObjectUniqueKey: stored.uniqueKey }),
            ),
        );
        const records = (await historyOf(s.client, 'racing-delete', id)).filter((r) => r.ActionType === 'INGESTED');
        const notes = [];
        for (const r of records) notes.push((JSON.parse((await get('racing-delete', id, r.Id as string)).Content as string) as { Note: string }).Note);
        assert.deepEqual(notes, ['v0', 'v1']);
        assert.deepEqual(await placesOf('racing-delete'), { held: [], table: records.map((r) => r.Id as string).sort() });
      });
    }
  });
}
