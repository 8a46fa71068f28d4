import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  AddProfileKeyCommand,
  DeleteProfileCommand,
  DeleteProfileObjectTypeCommand,
  GetDomainCommand,
  GetProfileHistoryRecordCommand,
  MergeProfilesCommand,
  PutProfileObjectCommand,
  PutProfileObjectTypeCommand,
  SearchProfilesCommand,
  UpdateProfileCommand,
} from '@aws-sdk/client-customer-profiles';
import { PageTokens } from '../../src/domain/page-token.js';
import { ManualClock } from '../../src/engine/clock.js';
import type { ChangeSource } from '../../src/ingest/profile-changes.js';
import type { OperationContext } from '../../src/operations/context.js';
import { deleteProfile } from '../../src/operations/deleteProfile.js';
import { deleteProfileObjectType } from '../../src/operations/deleteProfileObjectType.js';
import { putProfileObject } from '../../src/operations/putProfileObject.js';
import { ingestionTurn, putProfileObjects } from '../../src/ingest/profile-objects.js';
import { updateProfile } from '../../src/operations/updateProfile.js';
import { KyselyProfileRepository } from '../../src/store/repositories/profile-objects.js';
import { TURN_WAIT_MS } from '../../src/store/kysely-store.js';
import type { Store } from '../../src/store/types.js';
import { availableBackends } from '../helpers/backends.js';
import { expectAwsError } from '../helpers/errors.js';
import { CONTACT, createDomain, domainWithType, HOME } from '../helpers/profile-objects.js';
import { until } from '../helpers/poll.js';
import { afterEachCall, anotherNodeIngesting, behindOpenTransaction, lockWaiters, meetingOfTwo, openObserver } from '../helpers/races.js';
import { contactIngestion, historyOf } from '../helpers/profiles.js';
import { startServer, type TestServer } from '../helpers/server.js';

// Concurrent writers on one profile or object type, on PostgreSQL (SQLite has one writer at a time):
// who waits for whom (RowLock in src/store/profile-types.ts), and what each sees once the other is done.

const STEP: ChangeSource = { kind: 'workflow', workflowId: 'ab'.repeat(16), stepNo: 2 };

if ((await availableBackends()).includes('postgres')) {
  describe('concurrent writers on one profile [postgres]', () => {
    let s: TestServer;
    const clock = new ManualClock(Date.UTC(2026, 5, 1));
    before(async () => {
      s = await startServer('postgres', { clock });
    });
    after(() => s.close());

    const { ingest, ingested } = contactIngestion(() => s, clock, STEP);
    /** An operation's context on a transaction the test holds open. */
    const contextOf = (store: Store): OperationContext => ({ scope: HOME, requestId: 'racing', store, clock, tokens: new PageTokens(Buffer.alloc(32, 7)) });
    const contentOf = async (domainName: string, profileId: string, id: string) =>
      JSON.parse((await s.client.send(new GetProfileHistoryRecordCommand({ DomainName: domainName, ProfileId: profileId, Id: id }))).Content as string) as { Note: string };

    // A deletion or a merge racing PutProfileObject calls that land objects on the profile, a new one among
    // them. The ingestion holds the profile and the object type (key-share) until it commits, so the operation
    // waits for it even when it touches no row the operation would lock on its own, and then deletes or
    // moves the objects the ingestion added, their history kept. Without the hold the operation went
    // ahead: the new object was left on a deleted profile, or lost its record.
    const racing: [string, (domain: string, profileId: string, main: string) => Promise<unknown>, (domain: string, profileId: string, main: string) => Promise<void>][] = [
      [
        'DeleteProfile',
        (DomainName, ProfileId) => s.client.send(new DeleteProfileCommand({ DomainName, ProfileId })),
        async (domain, id) => assert.deepEqual(await s.store.profileObjects.ofProfiles(HOME, domain, [id]), [], 'no object is left on the deleted profile'),
      ],
      [
        'MergeProfiles',
        (DomainName, id, MainProfileId) => s.client.send(new MergeProfilesCommand({ DomainName, MainProfileId, ProfileIdsToBeMerged: [id] })),
        async (domain, id, main) => {
          assert.deepEqual(await s.store.profileObjects.ofProfiles(HOME, domain, [id]), [], 'no object is left on the merged profile');
          assert.equal((await s.store.profileObjects.ofProfiles(HOME, domain, [main])).length, 3, 'the main profile has every object');
        },
      ],
      [
        'DeleteProfileObjectType',
        (DomainName) => s.client.send(new DeleteProfileObjectTypeCommand({ DomainName, ObjectTypeName: 'Contact' })),
        async (domain, id, main) => assert.deepEqual(await s.store.profileObjects.ofProfiles(HOME, domain, [id, main]), [], 'no object of the type is left'),
      ],
    ];
    const batches: [string, Record<string, unknown>[], string[]][] = [
      ['a new object', [{ Id: 'N-2', Email: 'n@example.com', Note: 'new' }], ['new', 'v0']],
      [
        'a new version and a new object',
        [
          { Id: 'N-1', Email: 'n@example.com', FirstName: 'Zero', Note: 'v1' },
          { Id: 'N-2', Email: 'n@example.com', Note: 'new' },
        ],
        ['new', 'v0', 'v1'],
      ],
    ];
    for (const [operation, run, check] of racing) {
      for (const [what, batch, versions] of batches) {
        test(`${operation} racing an ingestion of ${what} onto its profile waits for it, and keeps every version’s record`, async () => {
          const domain = `racing-${operation.toLowerCase()}-${batch.length}`;
          const [id, main] = await ingested(domain, [
            { Id: 'N-1', Email: 'n@example.com', FirstName: 'Zero', Note: 'v0' },
            { Id: 'M-1', Email: 'main@example.com', FirstName: 'Main' },
          ]);
          clock.advance(1000);
          await behindOpenTransaction(
            s.store,
            async (tx) => {
              for (const record of batch) await putProfileObject(contextOf(tx), { DomainName: domain, ObjectTypeName: 'Contact', Object: JSON.stringify(record) });
            },
            () => run(domain, id, main),
          );
          await check(domain, id, main);
          const records = (await historyOf(s.client, domain, id)).filter((r) => r.ActionType === 'INGESTED');
          const notes = [];
          for (const r of records) notes.push((await contentOf(domain, id, r.Id as string)).Note);
          assert.deepEqual(notes.sort(), versions);
        });
      }
    }

    test('an ingestion racing a DeleteProfile of the profile its keys lead to waits for it, then creates a profile', async () => {
      const domain = 'racing-after-deleteprofile';
      const [id] = await ingested(domain, [{ Id: 'N-1', Email: 'n@example.com', FirstName: 'Zero' }]);
      clock.advance(1000);
      let landedOn = '';
      await behindOpenTransaction(
        s.store,
        (tx) => deleteProfile(contextOf(tx), { DomainName: domain, ProfileId: id }),
        async () => ([landedOn] = await ingest(domain, [{ Id: 'N-2', Email: 'n@example.com', Note: 'after' }])),
      );
      assert.notEqual(landedOn, id, 'not the deleted profile');
      assert.deepEqual((await s.store.profileObjects.ofProfiles(HOME, domain, [id])), []);
      const [object] = await s.store.profileObjects.ofProfiles(HOME, domain, [landedOn]);
      assert.equal(object?.uniqueKey, 'N-2');
      assert.ok(await s.store.profiles.get(HOME, domain, landedOn), 'the object’s profile exists');
    });

    test('a merge committed between an ingestion’s look-up and its hold: the ingestion looks up again and lands on the main profile', async () => {
      const domain = 'merged-before-hold';
      const [merged, main] = await ingested(domain, [
        { Id: 'N-1', Email: 'n@example.com', FirstName: 'Zero' },
        { Id: 'M-1', Email: 'm@example.com', FirstName: 'Main' },
      ]);
      clock.advance(1000);
      const hold = KyselyProfileRepository.prototype.holdExisting;
      KyselyProfileRepository.prototype.holdExisting = async function (this: KyselyProfileRepository, ...args) {
        KyselyProfileRepository.prototype.holdExisting = hold;
        await s.client.send(new MergeProfilesCommand({ DomainName: domain, MainProfileId: main, ProfileIdsToBeMerged: [merged] }));
        return hold.apply(this, args);
      };
      try {
        const [landed] = await ingest(domain, [{ Id: 'N-1', Email: 'n@example.com', FirstName: 'Zero', Note: 'v2' }]);
        assert.equal(landed, main);
      } finally {
        KyselyProfileRepository.prototype.holdExisting = hold;
      }
      const onMain = (await s.store.profileObjects.ofProfiles(HOME, domain, [main])).map((o) => o.uniqueKey).sort();
      assert.deepEqual(onMain, ['M-1', 'N-1']);
      const found = await s.client.send(new SearchProfilesCommand({ DomainName: domain, KeyName: '_email', Values: ['n@example.com'] }));
      assert.deepEqual(found.Items?.map((p) => p.ProfileId), [main]);
    });

    // Writers that rewrite a profile's attributes racing an ingestion that applies values to it: the
    // ingestion waits for a writer already at the profile (its key-share hold waits for UpdateProfile's
    // FOR UPDATE; the domain's ingestion lock for another ingestion) and then applies its values to what
    // that writer left, never over it.
    const rewriters: [string, (tx: Store, domain: string, profileId: string) => Promise<unknown>, Record<string, string>][] = [
      ['an UpdateProfile', (tx, DomainName, ProfileId) => updateProfile(contextOf(tx), { DomainName, ProfileId, LastName: 'Later' }), { LastName: 'Later' }],
      ['another ingestion', (tx, domain) => ingest(domain, [{ Id: 'N-3', Email: 'n@example.com', Phone: '+1 206 555 0100' }], STEP, tx), { PhoneNumber: '+1 206 555 0100' }],
    ];
    for (const [writer, write, kept] of rewriters) {
      test(`an ingestion applying values to a profile ${writer} is rewriting waits for it, and keeps its change`, async () => {
        const domain = `rewritten-by-${writer.split(' ').pop()!.toLowerCase()}`;
        const [id] = await ingested(domain, [{ Id: 'N-1', Email: 'n@example.com', FirstName: 'Zero' }]);
        clock.advance(1000);
        let landedOn = '';
        await behindOpenTransaction(
          s.store,
          (tx) => write(tx, domain, id),
          async () => ([landedOn] = await ingest(domain, [{ Id: 'N-2', Email: 'n@example.com', FirstName: 'One' }])),
        );
        assert.equal(landedOn, id);
        const profile = await s.store.profiles.get(HOME, domain, id);
        assert.ok(profile);
        assert.equal(profile.attributes.FirstName, 'One', 'the ingestion’s value');
        for (const [name, value] of Object.entries(kept)) assert.equal(profile.attributes[name], value, `${writer}’s ${name} is kept`);
      });
    }

    test('two ingestions applying values to one profile at once: the second waits for the first, nothing runs twice, both values kept', async () => {
      const domain = 'two-ingestions-held';
      const [id] = await ingested(domain, [{ Id: 'N-1', Email: 'n@example.com', FirstName: 'Zero' }]);
      clock.advance(1000);
      // Each ingestion, once it holds the profile, waits until the other holds it too, or is seen waiting
      // for a lock (the domain's ingestion lock keeps the second from looking up until the first
      // commits). Both past their holds, reading and rewriting the profile, deadlocked (one page run
      // again) or wrote one's stale copy over the other's values.
      let holds = 0;
      const meet = meetingOfTwo(s.store, 'the other ingestion holding the profile or waiting');
      const landed = await afterEachCall('holdExisting', async () => {
        holds++;
        await meet();
      }, () =>
        Promise.all([
          ingest(domain, [{ Id: 'N-2', Email: 'n@example.com', FirstName: 'One' }]),
          ingest(domain, [{ Id: 'N-3', Email: 'n@example.com', Phone: '+1 206 555 0100' }]),
        ]),
      );
      assert.deepEqual(landed, [[id], [id]]);
      assert.equal(holds, 2, 'each ingestion ran once');
      const profile = await s.store.profiles.get(HOME, domain, id);
      assert.ok(profile);
      assert.equal(profile.attributes.FirstName, 'One');
      assert.equal(profile.attributes.PhoneNumber, '+1 206 555 0100');
    });

    // A domain's ingestions go one at a time (serializeIngestion). Queued in PostgreSQL, each waiting
    // PutProfileObject held one of the process's pooled connections: a burst into one busy domain took
    // them all, and a request for any other domain failed with a 500 once it had waited 5 s for one. They
    // now wait for their turn in the process before they take a connection (ingestionTurn).
    test('PutProfileObject calls queued behind a busy domain leave the pool to other domains', async () => {
      const busy = 'busy-domain';
      const other = 'other-domain';
      await ingested(busy, [{ Id: 'seed', Email: 'seed@example.com' }]);
      await createDomain(s.client, other);
      const burst = 12;
      // Another node's page, holding the domain's ingestion lock.
      const node = anotherNodeIngesting(s.store, HOME, busy);
      await node.held;
      // Opened before the burst: once the pool is spent, nothing could ask through it.
      const observer = await openObserver(s.store);
      let settled = 0;
      const failures: string[] = [];
      const calls = Array.from({ length: burst }, (_, i) =>
        s.client
          .send(new PutProfileObjectCommand({ DomainName: busy, ObjectTypeName: 'Contact', Object: JSON.stringify({ Id: `B-${i}`, Email: 'burst@example.com' }) }))
          .then(
            (out) => out.ProfileObjectUniqueKey,
            (err: Error) => void failures.push(`${err.name}: ${err.message}`),
          )
          .finally(() => settled++),
      );
      let otherReply: string | undefined;
      try {
        // Every call is at the lock or in line for its turn, or (without turns) the pool is spent: the
        // testing toolkit's pool has 4 connections, 3 of them waiting at the lock beside the node's.
        await until(async () => (await lockWaiters(observer)) + s.store.waitingForTurn >= 3, 'the burst queued behind the lock');
        s.client.send(new GetDomainCommand({ DomainName: other })).then(
          () => (otherReply = 'answered'),
          (err: Error) => (otherReply = `${err.name}: ${err.message}`),
        );
        await until(() => otherReply !== undefined, 'GetDomain of another domain', { deadlineMs: 10_000 }).catch(() => undefined);
        assert.equal(otherReply, 'answered', 'another domain is answered while the busy domain’s calls wait');
        assert.equal(settled, 0, 'and every queued call is still waiting');
      } finally {
        await node.release();
        await observer.close();
      }
      const keys = await Promise.all(calls);
      assert.deepEqual(failures, []);
      assert.deepEqual(keys.sort(), Array.from({ length: burst }, (_, i) => `B-${i}`).sort());
      const found = await s.client.send(new SearchProfilesCommand({ DomainName: busy, KeyName: '_email', Values: ['burst@example.com'] }));
      assert.equal(found.Items?.length, 1, 'the burst’s one customer has one profile');
      assert.equal((await s.store.profileObjects.ofProfiles(HOME, busy, [found.Items?.[0]?.ProfileId as string])).length, burst);
    });

    test('a PutProfileObject whose turn in a busy domain does not come in time answers ThrottlingException and writes nothing', async () => {
      const busy = 'busy-throttled';
      await ingested(busy, [{ Id: 'seed', Email: 'seed@example.com' }]);
      // Another node's ingestion, holding the domain's ingestion lock.
      const node = anotherNodeIngesting(s.store, HOME, busy);
      const put = (Id: string) => s.client.send(new PutProfileObjectCommand({ DomainName: busy, ObjectTypeName: 'Contact', Object: JSON.stringify({ Id, Email: `${Id}@example.com` }) }));
      const observer = await openObserver(s.store);
      try {
        await node.held;
        const first = put('T-1');
        await until(async () => (await lockWaiters(observer)) >= 1, 'the first call at the lock');
        s.store.turnWaitMs = 100;
        await assert.rejects(put('T-2'), (err: Error & { $metadata?: { httpStatusCode?: number } }) => {
          assert.equal(err.name, 'ThrottlingException');
          assert.equal(err.$metadata?.httpStatusCode, 429);
          assert.match(err.message, /busy-throttled is busy with other ingestions/);
          return true;
        });
        await node.release();
        assert.equal((await first).ProfileObjectUniqueKey, 'T-1');
      } finally {
        s.store.turnWaitMs = TURN_WAIT_MS;
        await node.release();
        await observer.close();
      }
      const found = await s.client.send(new SearchProfilesCommand({ DomainName: busy, KeyName: '_email', Values: ['T-2@example.com'] }));
      assert.deepEqual(found.Items ?? [], [], 'the throttled object was not written');
    });

    test('behind a busy domain’s ingestion, a call bound to fail answers at once, and a good one waits its turn and lands', async () => {
      const busy = 'busy-bound-to-fail';
      await ingested(busy, [{ Id: 'seed', Email: 'seed@example.com' }]);
      let open!: () => void;
      const opened = new Promise<void>((resolve) => (open = resolve));
      // The domain's turn in this process, held as an ingestion's transaction holds it.
      const running = s.store.transaction(() => opened, ingestionTurn(HOME, busy));
      const put = (ObjectTypeName: string, object: object) =>
        s.client.send(new PutProfileObjectCommand({ DomainName: busy, ObjectTypeName, Object: JSON.stringify(object) }));
      // A call bound to fail that waited out the turn would answer ThrottlingException after this long.
      s.store.turnWaitMs = 3_000;
      try {
        const good = put('Contact', { Id: 'in-line', Email: 'in-line@example.com' });
        await until(() => s.store.waitingForTurn === 1, 'the good call in line');
        await expectAwsError(put('Orders', { Id: '1' }), 'ResourceNotFoundException', 404, 'Orders');
        await expectAwsError(put('Contact', { Email: 'nokey@example.com' }), 'BadRequestException', 400, 'UNIQUE key _contactId');
        assert.equal(s.store.waitingForTurn, 1, 'the good call still waits, in its place');
        open();
        await running;
        assert.equal((await good).ProfileObjectUniqueKey, 'in-line');
      } finally {
        open();
        s.store.turnWaitMs = TURN_WAIT_MS;
      }
    });

    test('another account’s calls into its own domain of the same name do not wait behind a busy domain', async () => {
      const name = 'same-name-busy';
      await ingested(name, [{ Id: 'seed', Email: 'seed@example.com' }]);
      const stranger = s.clientFor({ accountId: '111122223333' });
      await domainWithType(stranger, name);
      const node = anotherNodeIngesting(s.store, HOME, name);
      const observer = await openObserver(s.store);
      try {
        await node.held;
        const mine = s.client.send(new PutProfileObjectCommand({ DomainName: name, ObjectTypeName: 'Contact', Object: JSON.stringify({ Id: 'M-1', Email: 'm@example.com' }) }));
        await until(async () => (await lockWaiters(observer)) >= 1, 'this account’s call at the lock');
        // The other account's call commits while this account's still waits.
        const theirs = await stranger.send(new PutProfileObjectCommand({ DomainName: name, ObjectTypeName: 'Contact', Object: JSON.stringify({ Id: 'S-1', Email: 's@example.com' }) }));
        assert.equal(theirs.ProfileObjectUniqueKey, 'S-1');
        assert.equal(await lockWaiters(observer), 1, 'this account’s call still waits');
        await node.release();
        assert.equal((await mine).ProfileObjectUniqueKey, 'M-1');
      } finally {
        await node.release();
        await observer.close();
      }
    });

    test('a merge that starts waiting while an ingestion holds the profile: the ingestion still rewrites it, then the merge goes ahead', async () => {
      const domain = 'merge-waits-for-rewrite';
      const [merged, main] = await ingested(domain, [
        { Id: 'N-1', Email: 'n@example.com', FirstName: 'Zero' },
        { Id: 'M-1', Email: 'm@example.com', FirstName: 'Main' },
      ]);
      clock.advance(1000);
      // Once the ingestion holds the profile (key-share), the merge asks for FOR UPDATE and queues; the
      // ingestion then locks the same row to rewrite it, which must not queue behind the merge.
      let merge: Promise<unknown> | undefined;
      const landed = await afterEachCall(
        'holdExisting',
        async () => {
          merge ??= s.client.send(new MergeProfilesCommand({ DomainName: domain, MainProfileId: main, ProfileIdsToBeMerged: [merged] }));
          await until(async () => (await lockWaiters(s.store)) > 0, 'the merge waiting for the ingestion');
        },
        () => ingest(domain, [{ Id: 'N-1', Email: 'n@example.com', FirstName: 'One' }]),
      );
      await merge;
      assert.deepEqual(landed, [merged]);
      assert.equal(await s.store.profiles.get(HOME, domain, merged), undefined, 'merged away');
      const onMain = (await s.store.profileObjects.ofProfiles(HOME, domain, [main])).map((o) => o.uniqueKey).sort();
      assert.deepEqual(onMain, ['M-1', 'N-1']);
    });

    test('two ingestions of the same new customer at once create one profile, not two', async () => {
      const domain = 'same-new-customer';
      await ingested(domain, [{ Id: 'seed', Email: 'seed@example.com' }]);
      clock.advance(1000);
      // Each ingestion, once it has looked the keys up, goes on only when the other has looked up too, or
      // is seen waiting for a lock. Both finding nothing and both creating a profile for the email made
      // two profiles hold it, which then matched neither (a third profile at the next record).
      const landed = await afterEachCall('findByKeys', meetingOfTwo(s.store, 'the other ingestion looking up or waiting'), () =>
        Promise.all([
          ingest(domain, [{ Id: 'A-1', Email: 'x@example.com', FirstName: 'Ann' }]),
          ingest(domain, [{ Id: 'B-1', Email: 'X@example.com', Phone: '+1 206 555 0100' }]),
        ]),
      );
      const found = await s.client.send(new SearchProfilesCommand({ DomainName: domain, KeyName: '_email', Values: ['x@example.com'] }));
      assert.deepEqual(found.Items?.map((p) => p.ProfileId), [landed[0][0]], 'one profile holds the email');
      assert.equal(landed[1][0], landed[0][0], 'both objects landed on it');
      const [next] = await ingest(domain, [{ Id: 'C-1', Email: 'x@example.com' }]);
      assert.equal(next, landed[0][0], 'and the next record finds it');
    });

    // DeleteProfileObjectType scrubs the type's values from its profiles, rewriting them, while writers
    // that do not touch the type go on: an ingestion of another type, an UpdateProfile. The scrub reads
    // the profiles it rewrites with a no-key-update lock, as ingestion does, so whichever comes second
    // waits for the first and rewrites what the first left. Before, a scrub waiting for the writer wrote
    // its copy from before over the writer's change; an ingestion that did not wait for the scrub (its
    // key-share hold does not) and read without the lock brought the scrubbed values back.
    const scrubRacers: [string, (tx: Store | undefined, domain: string, profileId: string) => Promise<unknown>, Record<string, string>][] = [
      [
        'an ingestion of another type',
        async (tx, domain) => {
          const other = await s.store.objectTypes.get(HOME, domain, 'Other');
          assert.ok(other);
          const write = (store: Store) => putProfileObjects(store, HOME, domain, other, [{ Id: 'O-1', Email: 'n@example.com', Phone: '+1 206 555 0100' }], clock.now(), { source: STEP });
          return tx ? write(tx) : s.store.transaction(write);
        },
        { PhoneNumber: '+1 206 555 0100' },
      ],
      [
        'an UpdateProfile',
        (tx, DomainName, ProfileId) =>
          tx ? updateProfile(contextOf(tx), { DomainName, ProfileId, LastName: 'Later' }) : s.client.send(new UpdateProfileCommand({ DomainName, ProfileId, LastName: 'Later' })),
        { LastName: 'Later' },
      ],
    ];
    for (const [writer, write, kept] of scrubRacers) {
      for (const scrubFirst of [false, true]) {
        test(`DeleteProfileObjectType scrubbing a profile ${scrubFirst ? 'before' : 'after'} ${writer} rewrites it: the scrub and the change both stay`, async () => {
          const domain = `scrub-${scrubFirst ? 'first' : 'second'}-${writer.split(' ').pop()!.toLowerCase()}`;
          const [id] = await ingested(domain, [{ Id: 'N-1', Email: 'n@example.com', FirstName: 'Zero' }]);
          await s.client.send(new PutProfileObjectTypeCommand({ DomainName: domain, ObjectTypeName: 'Other', ...CONTACT }));
          clock.advance(1000);
          const scrub = (tx?: Store) =>
            tx
              ? deleteProfileObjectType(contextOf(tx), { DomainName: domain, ObjectTypeName: 'Contact' })
              : s.client.send(new DeleteProfileObjectTypeCommand({ DomainName: domain, ObjectTypeName: 'Contact' }));
          if (scrubFirst) await behindOpenTransaction(s.store, (tx) => scrub(tx), () => write(undefined, domain, id));
          else await behindOpenTransaction(s.store, (tx) => write(tx, domain, id), () => scrub());
          const profile = await s.store.profiles.get(HOME, domain, id);
          assert.ok(profile);
          assert.equal(profile.attributes.FirstName, undefined, 'the value Contact gave is scrubbed');
          for (const [name, value] of Object.entries(kept)) assert.equal(profile.attributes[name], value, `${writer}’s ${name} is kept`);
        });
      }
    }

    test('a scrub rewriting a profile an ingestion of another type holds does not wait for the hold: no deadlock, each runs once', async () => {
      const domain = 'scrub-while-held';
      const [id] = await ingested(domain, [{ Id: 'N-1', Email: 'n@example.com', FirstName: 'Zero' }]);
      await s.client.send(new PutProfileObjectTypeCommand({ DomainName: domain, ObjectTypeName: 'Other', ...CONTACT }));
      clock.advance(1000);
      const other = await s.store.objectTypes.get(HOME, domain, 'Other');
      assert.ok(other);
      // Once the ingestion holds the profile (key-share), the scrub runs to its end or until it waits;
      // then the ingestion reads the profile to rewrite it. A rewrite locking as FOR UPDATE does (the
      // generic upsert) waited for the hold while the ingestion waited for the scrub: a deadlock, and one
      // of the two run again.
      let holds = 0;
      let scrubPages = 0;
      let scrub: Promise<unknown> | undefined;
      let scrubbed = false;
      await afterEachCall(
        'listSourcedFrom',
        async () => void scrubPages++,
        () =>
          afterEachCall(
            'holdExisting',
            async () => {
              holds++;
              if (scrub) return;
              scrub = s.client.send(new DeleteProfileObjectTypeCommand({ DomainName: domain, ObjectTypeName: 'Contact' })).finally(() => (scrubbed = true));
              await until(async () => scrubbed || (await lockWaiters(s.store)) > 0, 'the scrub done or waiting');
            },
            async () => {
              await s.store.transaction((tx) => putProfileObjects(tx, HOME, domain, other, [{ Id: 'O-1', Email: 'n@example.com', Phone: '+1 206 555 0100' }], clock.now(), { source: STEP }));
              await scrub;
            },
          ),
      );
      assert.equal(holds, 1, 'the ingestion ran once');
      assert.equal(scrubPages, 1, 'the scrub ran once');
      const profile = await s.store.profiles.get(HOME, domain, id);
      assert.ok(profile);
      assert.equal(profile.attributes.FirstName, undefined);
      assert.equal(profile.attributes.PhoneNumber, '+1 206 555 0100');
    });

    const afterDeletion: [string, (domain: string, profileId: string) => Promise<unknown>][] = [
      ['UpdateProfile', (DomainName, ProfileId) => s.client.send(new UpdateProfileCommand({ DomainName, ProfileId, LastName: 'Later' }))],
      ['AddProfileKey', (DomainName, ProfileId) => s.client.send(new AddProfileKeyCommand({ DomainName, ProfileId, KeyName: '_email', Values: ['late@example.com'] }))],
    ];
    for (const [operation, run] of afterDeletion) {
      test(`${operation} racing a DeleteProfile waits for it, then finds the profile gone, and writes nothing back`, async () => {
        const domain = `deleted-before-${operation.toLowerCase()}`;
        const [id] = await ingested(domain, [{ Id: 'N-1', Email: 'n@example.com', FirstName: 'Zero' }]);
        clock.advance(1000);
        let answer: unknown;
        await behindOpenTransaction(
          s.store,
          (tx) => deleteProfile(contextOf(tx), { DomainName: domain, ProfileId: id }),
          () => run(domain, id).then((r) => (answer = r), (err: Error) => (answer = err)),
        );
        assert.equal((answer as Error).name, 'ResourceNotFoundException');
        assert.equal(await s.store.profiles.get(HOME, domain, id), undefined, 'the deleted profile stays deleted');
        const found = await s.client.send(new SearchProfilesCommand({ DomainName: domain, KeyName: '_email', Values: ['late@example.com'] }));
        assert.deepEqual(found.Items ?? [], []);
      });
    }
  });
}
