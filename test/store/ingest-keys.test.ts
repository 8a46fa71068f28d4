/**
 * Every kind of key through the real ingestion path (`putProfileObjects`) on both backends, with the
 * awkward cases: missing or null key fields, conflicting keys pointing at two profiles, NEW_ONLY on an
 * existing profile, LOOKUP_ONLY never indexing, _profileId, stale source timestamps, and Stats that
 * stay equal to true counts throughout.
 */
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { after, before, describe, test } from 'node:test';
import { putProfileObjects } from '../../src/ingest/profile-objects.js';
import type { ObjectTypeKey } from '../../src/api/shapes.generated.js';
import type { ObjectTypeRecord, ProfileRecord } from '../../src/store/types.js';
import type { Scope } from '../../src/domain/scope.js';
import { KEY_INDEX_TABLES } from '../../src/store/dialects/row-writers/queries.js';
import { availableBackends, createTestStore, type TestStore } from '../helpers/backends.js';

const home: Scope = { accountId: '000000000000', region: 'us-east-1' };
const T0 = 1_700_000_000_000;

function objectType(name: string, keys: Record<string, ObjectTypeKey[]>, extra: Partial<ObjectTypeRecord> = {}): ObjectTypeRecord {
  return {
    objectTypeName: name,
    description: name,
    allowProfileCreation: true,
    fields: {
      id: { Source: '_source.Id' },
      email: { Source: '_source.Email', Target: '_profile.EmailAddress', ContentType: 'EMAIL_ADDRESS' },
      phone: { Source: '_source.Phone', Target: '_profile.PhoneNumber', ContentType: 'PHONE_NUMBER' },
      first: { Source: '_source.First', Target: '_profile.FirstName', ContentType: 'NAME' },
      last: { Source: '_source.Last', Target: '_profile.LastName', ContentType: 'NAME' },
      city: { Source: '_source.City', Target: '_profile.Address.City' },
      loyalty: { Source: '_source.Loyalty', Target: '_profile.Attributes.loyalty' },
      pid: { Source: '_source.ProfileId' },
      updated: { Source: '_source.Updated', Target: '_profile.SourceLastUpdatedTimestamp' },
    },
    keys,
    createdAt: T0,
    updatedAt: T0,
    ...extra,
  };
}

const UNIQUE = { _id: [{ StandardIdentifiers: ['UNIQUE'], FieldNames: ['id'] }] } satisfies Record<string, ObjectTypeKey[]>;

for (const backend of await availableBackends()) {
  describe(`ingestion keys [${backend}]`, () => {
    let t: TestStore;
    let n = 0;
    /** A fresh domain per test, so counts are the test's own. */
    const domain = () => `keys${++n}`;
    before(async () => {
      t = await createTestStore(backend);
    });
    after(() => t.dispose());

    const put = (d: string, type: ObjectTypeRecord, records: Record<string, unknown>[], now = T0, onRejected?: (i: number, m: string) => void) =>
      t.store.transaction((tx) => putProfileObjects(tx, home, d, type, records, now, onRejected ? { onRejected } : {}));
    const profile = async (d: string, id: string): Promise<ProfileRecord> => {
      const p = await t.store.profiles.get(home, d, id);
      assert.ok(p, `profile ${id} exists`);
      return p;
    };
    const indexed = async (d: string, keyName: string, keyValue: string) =>
      (await t.store.profiles.findByKeys(home, d, [{ keyName, keyValue }])).map((k) => k.profileId).sort();
    /** Stats must equal what COUNT(*) and SUM(size_bytes) say. */
    const assertTrueStats = async (d: string) => {
      const stats = await t.store.domains.stats(home, d);
      const profiles = await t.store.db.selectFrom('profiles').select((eb) => eb.fn.countAll<number>().as('n'))
        .where('account_id', '=', home.accountId).where('region', '=', home.region).where('domain_name', '=', d).executeTakeFirstOrThrow();
      const objects = await t.store.db.selectFrom('profile_objects')
        .select((eb) => [eb.fn.countAll<number>().as('n'), eb.fn.sum<number>('size_bytes').as('bytes')])
        .where('account_id', '=', home.accountId).where('region', '=', home.region).where('domain_name', '=', d).executeTakeFirstOrThrow();
      assert.deepEqual(stats, {
        ProfileCount: Number(profiles.n),
        MeteringProfileCount: Number(profiles.n),
        ObjectCount: Number(objects.n),
        TotalSize: Number(objects.bytes ?? 0),
      });
      return stats;
    };

    test('UNIQUE: an object seen again is replaced, not duplicated, and TotalSize follows its new size', async () => {
      const d = domain();
      const type = objectType('C', { ...UNIQUE, _email: [{ StandardIdentifiers: ['PROFILE'], FieldNames: ['email'] }] });
      const [a] = await put(d, type, [{ Id: 'c1', Email: 'a@x.com' }]);
      const [b] = await put(d, type, [{ Id: 'c1', Email: 'a@x.com', First: 'Ada', Notes: 'a much longer object than before' }]);
      assert.equal(a.created, true);
      assert.equal(b.created, false);
      assert.equal(b.uniqueKey, a.uniqueKey);
      const stats = await assertTrueStats(d);
      assert.equal(stats.ObjectCount, 1);
      assert.equal(stats.ProfileCount, 1);
      const stored = await t.store.profileObjects.get(home, d, 'C', 'c1');
      assert.equal(JSON.parse(stored!.object).First, 'Ada');
    });

    test('UNIQUE: a record missing the key field, or holding null or blank there, is rejected and the rest of the batch lands', async () => {
      const d = domain();
      const type = objectType('C', UNIQUE);
      const rejected: number[] = [];
      const results = await put(d, type, [{ Email: 'no-id@x.com' }, { Id: null }, { Id: '  ' }, { Id: 'ok' }], T0, (i) => rejected.push(i));
      assert.deepEqual(rejected, [0, 1, 2]);
      assert.deepEqual(results.map((r) => r.uniqueKey), ['ok']);
      await assert.rejects(put(d, type, [{ Id: 'fine' }, { Email: 'x' }]), /UNIQUE key _id/);
      assert.equal((await assertTrueStats(d)).ObjectCount, 1, 'without onRejected nothing of the failed batch was written');
    });

    test('a stale source timestamp does not overwrite a newer object or its profile values', async () => {
      const d = domain();
      const type = objectType('C', { ...UNIQUE, _email: [{ StandardIdentifiers: ['PROFILE'], FieldNames: ['email'] }] }, {
        sourceLastUpdatedTimestampFormat: 'EPOCHMILLI',
      });
      const [r] = await put(d, type, [{ Id: 'c1', Email: 'a@x.com', First: 'New', Updated: '2000' }]);
      await put(d, type, [{ Id: 'c1', Email: 'a@x.com', First: 'Old', Updated: '1000', Padding: 'x'.repeat(100) }]);
      assert.equal((await profile(d, r.profileId)).attributes.FirstName, 'New');
      assert.equal(JSON.parse((await t.store.profileObjects.get(home, d, 'C', 'c1'))!.object).First, 'New');
      await put(d, type, [{ Id: 'c1', Email: 'a@x.com', First: 'Newer', Updated: '3000' }]);
      assert.equal((await profile(d, r.profileId)).attributes.FirstName, 'Newer');
      await assertTrueStats(d);
    });

    test('PROFILE keys find the profile; SECONDARY keys only when no PROFILE key does', async () => {
      const d = domain();
      const type = objectType('C', {
        ...UNIQUE,
        _email: [{ StandardIdentifiers: ['PROFILE'], FieldNames: ['email'] }],
        _phone: [{ StandardIdentifiers: ['PROFILE', 'SECONDARY'], FieldNames: ['phone'] }],
      });
      const [a] = await put(d, type, [{ Id: '1', Email: 'a@x.com', Phone: '206 555 0100' }]);
      const [b] = await put(d, type, [{ Id: '2', Email: 'b@x.com' }]);
      const [byPhone] = await put(d, type, [{ Id: '3', Phone: '+1 (206) 555-0100' }]);
      assert.equal(byPhone.profileId, a.profileId, 'SECONDARY found it when no PROFILE key had a value');
      const [emailWins] = await put(d, type, [{ Id: '4', Email: 'b@x.com', Phone: '2065550100' }]);
      assert.equal(emailWins.profileId, b.profileId, 'a PROFILE match beats a SECONDARY one');
      const [fresh] = await put(d, type, [{ Id: '5', Email: 'c@x.com' }]);
      assert.ok(![a.profileId, b.profileId].includes(fresh.profileId), 'no key found a profile: a new one');
      await assertTrueStats(d);
    });

    test('conflicting keys pointing at two profiles: the earlier key wins and the shared value stops matching', async () => {
      const d = domain();
      const type = objectType('C', {
        ...UNIQUE,
        _email: [{ StandardIdentifiers: ['PROFILE'], FieldNames: ['email'] }],
        _phone: [{ StandardIdentifiers: ['PROFILE'], FieldNames: ['phone'] }],
      });
      const [p1] = await put(d, type, [{ Id: '1', Email: 'one@x.com' }]);
      const [p2] = await put(d, type, [{ Id: '2', Phone: '2065550199' }]);
      const [both] = await put(d, type, [{ Id: '3', Email: 'one@x.com', Phone: '2065550199' }]);
      assert.equal(both.profileId, p1.profileId, '_email comes first in Keys');
      assert.deepEqual(await indexed(d, '_phone', '+12065550199'), [p1.profileId, p2.profileId].sort());
      const [later] = await put(d, type, [{ Id: '4', Phone: '206-555-0199' }]);
      assert.ok(![p1.profileId, p2.profileId].includes(later.profileId), 'a value shared by two profiles is no match');
      await assertTrueStats(d);
    });

    test('NEW_ONLY keys are indexed for a profile the object creates, never for an existing one', async () => {
      const d = domain();
      const type = objectType('C', {
        ...UNIQUE,
        _email: [{ StandardIdentifiers: ['PROFILE'], FieldNames: ['email'] }],
        _loyalty: [{ StandardIdentifiers: ['PROFILE', 'NEW_ONLY'], FieldNames: ['loyalty'] }],
      });
      const [created] = await put(d, type, [{ Id: '1', Email: 'a@x.com', Loyalty: 'L-1' }]);
      assert.deepEqual(await indexed(d, '_loyalty', 'L-1'), [created.profileId]);
      const [existing] = await put(d, type, [{ Id: '2', Email: 'a@x.com', Loyalty: 'L-2' }]);
      assert.equal(existing.profileId, created.profileId);
      assert.deepEqual(await indexed(d, '_loyalty', 'L-2'), [], 'not kept: the profile existed');
      const [matched] = await put(d, type, [{ Id: '3', Loyalty: 'L-1' }]);
      assert.equal(matched.profileId, created.profileId, 'a NEW_ONLY key still matches');
    });

    test('LOOKUP_ONLY keys match but never create index entries, not even on a new profile', async () => {
      const d = domain();
      const type = objectType('C', {
        ...UNIQUE,
        _email: [{ StandardIdentifiers: ['PROFILE'], FieldNames: ['email'] }],
        _lookup: [{ StandardIdentifiers: ['PROFILE', 'LOOKUP_ONLY'], FieldNames: ['loyalty'] }],
      });
      const [a] = await put(d, type, [{ Id: '1', Email: 'a@x.com', Loyalty: 'L-9' }]);
      assert.deepEqual(await indexed(d, '_lookup', 'L-9'), []);
      const [b] = await put(d, type, [{ Id: '2', Loyalty: 'L-9' }]);
      assert.notEqual(b.profileId, a.profileId, 'nothing was kept to look it up by');
      await t.store.profiles.addKeys(home, d, [{ keyName: '_lookup', keyValue: 'L-5', profileId: a.profileId }]);
      const [c] = await put(d, type, [{ Id: '3', Loyalty: 'L-5' }]);
      assert.equal(c.profileId, a.profileId, 'it looks up what is indexed');
      // Every table of the index: on SQLite a transaction's entries wait in the recent table.
      const stored: string[] = [];
      for (const table of KEY_INDEX_TABLES) {
        const { rows } = await sql<{ key_value: string }>`select k.key_value from ${sql.table(table)} k join domain_ids d on d.domain_id = k.domain_id
          where d.domain_name = ${d} and k.key_name = '_lookup'`.execute(t.store.db);
        stored.push(...rows.map((r) => r.key_value));
      }
      assert.deepEqual(stored, ['L-5']);
    });

    test('a _profileId key (LOOKUP_ONLY) puts the object on the profile of that id, and is never indexed', async () => {
      const d = domain();
      const type = objectType('C', {
        ...UNIQUE,
        _profileId: [{ StandardIdentifiers: ['PROFILE', 'LOOKUP_ONLY'], FieldNames: ['pid'] }],
      });
      const [first] = await put(d, type, [{ Id: '1', Email: 'a@x.com' }]);
      const [second] = await put(d, type, [{ Id: '2', ProfileId: first.profileId }]);
      assert.equal(second.profileId, first.profileId);
      const [unknown] = await put(d, type, [{ Id: '3', ProfileId: 'f'.repeat(32) }]);
      assert.notEqual(unknown.profileId, first.profileId);
      assert.deepEqual(await indexed(d, '_profileId', first.profileId), []);
    });

    test('_profile targets fill standard attributes, addresses and custom Attributes, and the standard search keys', async () => {
      const d = domain();
      const type = objectType('C', { ...UNIQUE, _email: [{ StandardIdentifiers: ['PROFILE'], FieldNames: ['email'] }] });
      const [r] = await put(d, type, [{ Id: '1', Email: 'Ada@X.com', Phone: '206.555.0100', First: 'Ada', Last: 'Lovelace', City: 'London', Loyalty: 'gold' }]);
      assert.deepEqual((await profile(d, r.profileId)).attributes, {
        EmailAddress: 'Ada@X.com',
        PhoneNumber: '206.555.0100',
        FirstName: 'Ada',
        LastName: 'Lovelace',
        Address: { City: 'London' },
        Attributes: { loyalty: 'gold' },
      });
      assert.deepEqual(await indexed(d, '_email', 'ada@x.com'), [r.profileId]);
      assert.deepEqual(await indexed(d, '_phone', '+12065550100'), [r.profileId]);
      assert.deepEqual(await indexed(d, '_fullName', 'ada lovelace'), [r.profileId]);
      await put(d, type, [{ Id: '2', Email: 'ada@x.com', First: 'Augusta' }]);
      assert.deepEqual(await indexed(d, '_fullName', 'augusta lovelace'), [r.profileId], 'a changed name is indexed too');
    });

    test('without AllowProfileCreation an unmatched object lands on an inferred profile holding its contact values', async () => {
      const d = domain();
      const type = objectType('C', { ...UNIQUE, _email: [{ StandardIdentifiers: ['PROFILE'], FieldNames: ['email'] }] }, { allowProfileCreation: false });
      const [r] = await put(d, type, [{ Id: '1', Email: 'a@x.com', First: 'Ada' }]);
      const p = await profile(d, r.profileId);
      assert.equal(p.inferred, true);
      assert.deepEqual(p.attributes, { EmailAddress: 'a@x.com' });
      await assertTrueStats(d);
    });

    test('a batch with repeated objects and deletes keeps Stats equal to true counts', async () => {
      const d = domain();
      const type = objectType('C', { ...UNIQUE, _email: [{ StandardIdentifiers: ['PROFILE'], FieldNames: ['email'] }] });
      const records = Array.from({ length: 30 }, (_, i) => ({ Id: `o${i % 20}`, Email: `p${i % 7}@x.com`, Pad: 'y'.repeat(i) }));
      await put(d, type, records);
      await assertTrueStats(d);
      await t.store.transaction((tx) => tx.profileObjects.delete(home, d, 'C', 'o3'));
      await assertTrueStats(d);
      await t.store.transaction(async (tx) => {
        const { uniqueKeys } = await tx.profileObjects.keysOfObjectType(home, d, 'C', undefined, 1000);
        await tx.profileObjects.deleteByObjectType(home, d, 'C', uniqueKeys);
      });
      const stats = await assertTrueStats(d);
      assert.equal(stats.ObjectCount, 0);
      assert.equal(stats.ProfileCount, 7);
    });
  });
}
