import assert from 'node:assert/strict';
import { type Kysely, sql } from 'kysely';
import { after, before, describe, test } from 'node:test';
import { integrationArn, objectTypeArn } from '../../src/domain/arns.js';
import { putProfileObjects } from '../../src/ingest/profile-objects.js';
import { objectKey, type ObjectTypeRecord, type ProfileRecord } from '../../src/store/types.js';
import type { Scope } from '../../src/domain/scope.js';
import { KEY_INDEX_TABLES } from '../../src/store/dialects/row-writers/queries.js';
import type { Database } from '../../src/store/schema.js';
import type { KyselyStore } from '../../src/store/kysely-store.js';
import { availableBackends, createTestStore, type TestStore } from '../helpers/backends.js';

const home: Scope = { accountId: '000000000000', region: 'us-east-1' };
const otherAccount: Scope = { accountId: '111122223333', region: 'us-east-1' };
const T0 = 1_700_000_000_000;

function objectType(name: string, extra: Partial<ObjectTypeRecord> = {}): ObjectTypeRecord {
  return {
    objectTypeName: name,
    description: `${name} objects`,
    allowProfileCreation: true,
    fields: {
      id: { Source: '_source.Id', ContentType: 'STRING' },
      email: { Source: '_source.Email', Target: '_profile.EmailAddress', ContentType: 'EMAIL_ADDRESS' },
      first: { Source: '_source.First', Target: '_profile.FirstName', ContentType: 'NAME' },
    },
    keys: {
      _id: [{ StandardIdentifiers: ['UNIQUE'], FieldNames: ['id'] }],
      _email: [{ StandardIdentifiers: ['PROFILE'], FieldNames: ['email'] }],
    },
    createdAt: T0,
    updatedAt: T0,
    ...extra,
  };
}

async function count(t: TestStore, table: 'profiles' | 'profile_objects' | 'profile_keys', domainName: string, db: Kysely<Database> = t.store.db): Promise<number> {
  if (table === 'profile_keys') {
    // The key index names its domain by id (migration 012), and is every table of KEY_INDEX_TABLES: on
    // SQLite a transaction's entries wait in the recent table.
    let n = 0;
    for (const keyTable of KEY_INDEX_TABLES) {
      const { rows } = await sql<{ n: number }>`select count(*) as n from ${sql.table(keyTable)} k join domain_ids d on d.domain_id = k.domain_id
        where d.account_id = ${home.accountId} and d.region = ${home.region} and d.domain_name = ${domainName}`.execute(db);
      n += Number(rows[0].n);
    }
    return n;
  }
  const row = await db
    .selectFrom(table as 'profiles' | 'profile_objects')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('account_id', '=', home.accountId)
    .where('region', '=', home.region)
    .where('domain_name', '=', domainName)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

for (const backend of await availableBackends()) {
  describe(`object type repository [${backend}]`, () => {
    let t: TestStore;
    before(async () => {
      t = await createTestStore(backend);
    });
    after(() => t.dispose());

    test('a stored type reads back with every member; replacing it keeps its creation time', async () => {
      const full = objectType('Full', {
        templateId: undefined,
        expirationDays: 30,
        encryptionKey: 'arn:aws:kms:us-east-1:123456789012:key/k',
        sourceLastUpdatedTimestampFormat: 'EPOCHMILLI',
        maxProfileObjectCount: 10,
        sourcePriority: 2,
      });
      await t.store.objectTypes.put(home, 'd1', full);
      const { templateId, ...expected } = full;
      assert.deepEqual(await t.store.objectTypes.get(home, 'd1', 'Full'), expected);
      await t.store.objectTypes.put(home, 'd1', { ...full, description: 'changed', createdAt: T0 + 99, updatedAt: T0 + 99 });
      const replaced = await t.store.objectTypes.get(home, 'd1', 'Full');
      assert.equal(replaced?.description, 'changed');
      assert.equal(replaced?.createdAt, T0);
      assert.equal(replaced?.updatedAt, T0 + 99);
    });

    test('types list by name in keyset pages, only in their domain and scope', async () => {
      for (const name of ['b', 'a', 'c']) await t.store.objectTypes.put(home, 'd2', objectType(name));
      await t.store.objectTypes.put(otherAccount, 'd2', objectType('z'));
      assert.deepEqual((await t.store.objectTypes.list(home, 'd2', undefined, 2)).map((x) => x.objectTypeName), ['a', 'b']);
      assert.deepEqual((await t.store.objectTypes.list(home, 'd2', 'b', 2)).map((x) => x.objectTypeName), ['c']);
      assert.deepEqual((await t.store.objectTypes.all(home, 'd2')).map((x) => x.objectTypeName), ['a', 'b', 'c']);
      assert.equal(await t.store.objectTypes.get(home, 'd2', 'z'), undefined);
    });

    test('deleting a type removes it and its tags, and answers false the second time', async () => {
      await t.store.objectTypes.put(home, 'd3', objectType('Gone'));
      await t.store.tags.put(home, objectTypeArn(home, 'd3', 'Gone'), { k: 'v' });
      await t.store.tags.put(home, objectTypeArn(home, 'd3', 'Gone2'), { k: 'v' });
      assert.equal(await t.store.objectTypes.delete(home, 'd3', 'Gone'), true);
      assert.equal(await t.store.objectTypes.get(home, 'd3', 'Gone'), undefined);
      assert.deepEqual(await t.store.tags.get(home, objectTypeArn(home, 'd3', 'Gone')), {});
      assert.deepEqual(await t.store.tags.get(home, objectTypeArn(home, 'd3', 'Gone2')), { k: 'v' }, 'a longer name keeps its tags');
      assert.equal(await t.store.objectTypes.delete(home, 'd3', 'Gone'), false);
    });
  });

  describe(`integration repository [${backend}]`, () => {
    let t: TestStore;
    before(async () => {
      t = await createTestStore(backend);
    });
    after(() => t.dispose());

    test('an integration reads back with every member; replacing it keeps its creation time', async () => {
      const record = {
        uri: 'arn:aws:appflow:us-east-1:000000000000:flow/f1',
        objectTypeName: 'Contact',
        workflowId: 'a'.repeat(32),
        roleArn: 'arn:aws:iam::000000000000:role/r',
        eventTriggerNames: ['trigger'],
        scope: 'PROFILE' as const,
        isUnstructured: false,
        flowDefinition: { FlowName: 'f1', Tasks: [] },
        createdAt: T0,
        updatedAt: T0,
      };
      await t.store.integrations.put(home, 'd1', record);
      assert.deepEqual(await t.store.integrations.get(home, 'd1', record.uri), { ...record, hidden: undefined });
      await t.store.integrations.put(home, 'd1', { ...record, roleArn: undefined, createdAt: T0 + 5, updatedAt: T0 + 5 });
      const replaced = await t.store.integrations.get(home, 'd1', record.uri);
      assert.equal(replaced?.createdAt, T0);
      assert.equal(replaced?.updatedAt, T0 + 5);
      assert.equal(replaced?.roleArn, undefined);
    });

    test('hidden integrations are listed only when asked for; pages follow the Uri order', async () => {
      for (const uri of ['s3://c', 's3://a', 's3://b']) await t.store.integrations.put(home, 'd2', { uri, objectTypeName: 'X', createdAt: T0, updatedAt: T0 });
      await t.store.integrations.put(home, 'd2', { uri: 's3://h', objectTypeName: 'X', hidden: true, createdAt: T0, updatedAt: T0 });
      assert.deepEqual((await t.store.integrations.list(home, 'd2', undefined, 10)).map((i) => i.uri), ['s3://a', 's3://b', 's3://c']);
      assert.deepEqual((await t.store.integrations.list(home, 'd2', 's3://a', 1, true)).map((i) => i.uri), ['s3://b']);
      assert.deepEqual((await t.store.integrations.list(home, 'd2', 's3://c', 10, true)).map((i) => [i.uri, i.hidden]), [['s3://h', true]]);
    });

    test('deleting by workflow removes that workflow’s integrations and exactly their tags', async () => {
      const wf = 'b'.repeat(32);
      await t.store.integrations.put(home, 'd3', { uri: 'flow/a', objectTypeName: 'X', workflowId: wf, createdAt: T0, updatedAt: T0 });
      await t.store.integrations.put(home, 'd3', { uri: 'flow/a/b', objectTypeName: 'X', createdAt: T0, updatedAt: T0 });
      await t.store.tags.put(home, integrationArn(home, 'd3', 'flow/a'), { t: '1' });
      await t.store.tags.put(home, integrationArn(home, 'd3', 'flow/a/b'), { t: '2' });
      assert.deepEqual(await t.store.integrations.deleteByWorkflow(home, 'd3', wf), ['flow/a']);
      assert.equal(await t.store.integrations.get(home, 'd3', 'flow/a'), undefined);
      assert.deepEqual(await t.store.tags.get(home, integrationArn(home, 'd3', 'flow/a')), {});
      assert.deepEqual(await t.store.tags.get(home, integrationArn(home, 'd3', 'flow/a/b')), { t: '2' });
      assert.deepEqual(await t.store.integrations.deleteByWorkflow(home, 'd3', wf), []);
    });

    test('deleting by object type finds it in ObjectTypeName and in ObjectTypeNames', async () => {
      await t.store.integrations.put(home, 'd4', { uri: 'one', objectTypeName: 'Orders', createdAt: T0, updatedAt: T0 });
      await t.store.integrations.put(home, 'd4', { uri: 'two', objectTypeNames: { ShopifyCreateOrders: 'Orders' }, createdAt: T0, updatedAt: T0 });
      await t.store.integrations.put(home, 'd4', { uri: 'three', objectTypeName: 'Other', createdAt: T0, updatedAt: T0 });
      assert.deepEqual((await t.store.integrations.deleteByObjectType(home, 'd4', 'Orders')).sort(), ['one', 'two']);
      assert.deepEqual((await t.store.integrations.list(home, 'd4', undefined, 10)).map((i) => i.uri), ['three']);
      assert.equal(await t.store.integrations.delete(home, 'd4', 'three'), true);
      assert.equal(await t.store.integrations.delete(home, 'd4', 'three'), false);
    });
  });

  describe(`profiles and profile objects [${backend}]`, () => {
    let t: TestStore;
    before(async () => {
      t = await createTestStore(backend);
    });
    after(() => t.dispose());

    const profile = (id: string, extra: Partial<ProfileRecord> = {}): ProfileRecord => ({
      profileId: id,
      attributes: {},
      attributeSources: {},
      inferred: false,
      createdAt: T0,
      updatedAt: T0,
      ...extra,
    });

    test('profiles upsert in one call: new ones are inserted, existing ones updated keeping createdAt', async () => {
      await t.store.profiles.upsert(home, 'p1', [profile('a'.repeat(32), { inferred: true })]);
      await t.store.profiles.upsert(home, 'p1', [
        profile('a'.repeat(32), { attributes: { FirstName: 'Ann' }, attributeSources: { FirstName: { objectTypeName: 'C' } }, createdAt: T0 + 1, updatedAt: T0 + 1 }),
        profile('b'.repeat(32)),
      ]);
      const [a, b] = await t.store.profiles.getMany(home, 'p1', ['a'.repeat(32), 'b'.repeat(32)]).then((ps) => ps.sort((x, y) => x.profileId.localeCompare(y.profileId)));
      assert.deepEqual(a, profile('a'.repeat(32), { attributes: { FirstName: 'Ann' }, attributeSources: { FirstName: { objectTypeName: 'C' } }, updatedAt: T0 + 1 }));
      assert.deepEqual(b, profile('b'.repeat(32)));
      assert.equal(await t.store.profiles.get(otherAccount, 'p1', 'a'.repeat(32)), undefined);
    });

    test('the key index finds profiles by exact (key, value) pairs and ignores duplicates', async () => {
      await t.store.profiles.addKeys(home, 'p2', [
        { keyName: '_email', keyValue: 'a@x', profileId: '1'.repeat(32) },
        { keyName: '_phone', keyValue: 'a@x', profileId: '2'.repeat(32) },
        { keyName: '_email', keyValue: 'b@x', profileId: '3'.repeat(32) },
      ]);
      await t.store.profiles.addKeys(home, 'p2', [{ keyName: '_email', keyValue: 'a@x', profileId: '1'.repeat(32) }]);
      const found = await t.store.profiles.findByKeys(home, 'p2', [
        { keyName: '_email', keyValue: 'a@x' },
        { keyName: '_phone', keyValue: 'nothing' },
      ]);
      assert.deepEqual(found, [{ keyName: '_email', keyValue: 'a@x', profileId: '1'.repeat(32) }]);
      assert.equal(await count(t, 'profile_keys', 'p2'), 3);
    });

    test('profiles sourced from a type are found across scans, and only those; the last scan says none is left', async () => {
      const ids = Array.from({ length: 7 }, (_, i) => String(i).repeat(32));
      await t.store.profiles.upsert(
        home,
        'p3',
        ids.map((id, i) =>
          profile(id, { attributeSources: i % 2 === 0 ? { FirstName: { objectTypeName: 'My_Type' } } : { FirstName: { objectTypeName: 'MyXType' } } }),
        ),
      );
      const found: string[] = [];
      let after: string | undefined;
      let scans = 0;
      do {
        const scan = await t.store.profiles.listSourcedFrom(home, 'p3', 'My_Type', after, 2);
        found.push(...scan.profiles.map((p) => p.profileId));
        after = scan.scannedTo;
        scans++;
      } while (after !== undefined);
      assert.deepEqual(found, [ids[0], ids[2], ids[4], ids[6]]);
      assert.equal(scans, 3, 'two full scans of two, then one that finds the end');
    });

    test('an object with a newer source time is not replaced by an older one', async () => {
      const base = { objectTypeName: 'C', uniqueKey: 'k1', profileId: 'p', keyValues: {}, sizeBytes: 2, createdAt: T0, updatedAt: T0 };
      await t.store.profileObjects.upsert(home, 'p4', [{ ...base, object: '{"v":2}', sourceUpdatedAt: 200 }]);
      await t.store.profileObjects.upsert(home, 'p4', [{ ...base, object: '{"v":1}', sourceUpdatedAt: 100, updatedAt: T0 + 1 }]);
      assert.equal((await t.store.profileObjects.get(home, 'p4', 'C', 'k1'))?.object, '{"v":2}');
      await t.store.profileObjects.upsert(home, 'p4', [{ ...base, object: '{"v":3}', sourceUpdatedAt: 300, updatedAt: T0 + 2 }]);
      const stored = await t.store.profileObjects.get(home, 'p4', 'C', 'k1');
      assert.equal(stored?.object, '{"v":3}');
      assert.equal(stored?.createdAt, T0);
      assert.deepEqual(await t.store.profileObjects.findExisting(home, 'p4', 'C', ['k1', 'k2']), [
        { uniqueKey: 'k1', profileId: 'p', sourceUpdatedAt: 300, keyValues: {} },
      ]);
    });

    test('rows given as known stored are replaced with no insert tried, and Stats stay exact, even for an object deleted since', async () => {
      // Create both domains' stats rows and the rows to replace.
      const base = { objectTypeName: 'C', profileId: 'p', keyValues: {}, sizeBytes: 2, createdAt: T0, updatedAt: T0 };
      await t.store.profiles.upsert(home, 'p6', [profile('c'.repeat(32))]);
      await t.store.profileObjects.upsert(home, 'p6', [{ ...base, uniqueKey: 'k1', object: '{"v":1}' }, { ...base, uniqueKey: 'k2', object: '{"v":1}' }]);
      await t.store.profileObjects.delete(home, 'p6', 'C', 'k2');
      const stored = new Set([objectKey('C', 'k1'), objectKey('C', 'k2')]);
      const inserted = await t.store.profiles.upsert(home, 'p6', [profile('c'.repeat(32), { attributes: { FirstName: 'Cy' }, updatedAt: T0 + 1 })], {
        stored: new Set(['c'.repeat(32)]),
      });
      assert.deepEqual([...inserted], [], 'a held profile is replaced, not inserted');
      await t.store.profileObjects.upsert(home, 'p6', [{ ...base, uniqueKey: 'k1', object: '{"v":2}', sizeBytes: 7 }, { ...base, uniqueKey: 'k2', object: '{"v":2}' }], { stored });
      assert.equal((await t.store.profiles.get(home, 'p6', 'c'.repeat(32)))?.attributes.FirstName, 'Cy');
      assert.equal((await t.store.profileObjects.get(home, 'p6', 'C', 'k1'))?.object, '{"v":2}');
      assert.equal((await t.store.profileObjects.get(home, 'p6', 'C', 'k2'))?.object, '{"v":2}', 'deleted since the look-up: inserted by the replacement');
      const stats = await t.store.domains.stats(home, 'p6');
      assert.equal(stats.ProfileCount, 1);
      assert.equal(stats.ObjectCount, 2);
      assert.equal(stats.TotalSize, 7 + 2);
    });

    test("a profile's objects list in unique-key pages, filtered by key value when asked", async () => {
      const objects = Array.from({ length: 450 }, (_, i) => ({
        objectTypeName: 'C',
        uniqueKey: `k${String(i).padStart(3, '0')}`,
        profileId: i < 400 ? 'p' : 'other',
        object: '{}',
        keyValues: { _tier: i % 100 === 7 ? 'gold' : 'none' },
        sizeBytes: 2,
        createdAt: T0,
        updatedAt: T0,
      }));
      await t.store.profileObjects.upsert(home, 'p5', objects);
      const page = await t.store.profileObjects.list(home, 'p5', { objectTypeName: 'C', profileId: 'p' }, 'k100', 3);
      assert.deepEqual(page.map((o) => o.uniqueKey), ['k101', 'k102', 'k103']);
      const gold = await t.store.profileObjects.list(home, 'p5', { objectTypeName: 'C', profileId: 'p', keyFilter: { keyName: '_tier', values: ['gold'] } }, undefined, 3);
      assert.deepEqual(gold.map((o) => o.uniqueKey), ['k007', 'k107', 'k207']);
      const more = await t.store.profileObjects.list(home, 'p5', { objectTypeName: 'C', profileId: 'p', keyFilter: { keyName: '_tier', values: ['gold'] } }, 'k207', 3);
      assert.deepEqual(more.map((o) => o.uniqueKey), ['k307'], 'k407 belongs to another profile');
      assert.equal(await t.store.profileObjects.countOfObjectType(home, 'p5', 'C'), 450);
      const first = await t.store.profileObjects.keysOfObjectType(home, 'p5', 'C', undefined, 300);
      const rest = await t.store.profileObjects.keysOfObjectType(home, 'p5', 'C', first.uniqueKeys.at(-1), 300);
      assert.deepEqual([first.uniqueKeys.length, rest.uniqueKeys.length], [300, 150], 'pages of the type in unique-key order');
      assert.equal(await t.store.profileObjects.deleteByObjectType(home, 'p5', 'C', [...first.uniqueKeys, ...rest.uniqueKeys]), 450);
      assert.equal(await t.store.profileObjects.countOfObjectType(home, 'p5', 'C'), 0);
    });
  });

  describe(`putProfileObjects [${backend}]`, () => {
    let t: TestStore;
    before(async () => {
      t = await createTestStore(backend);
    });
    after(() => t.dispose());

    test('a 1,000-record batch with repeats stores each object once and each profile once', async () => {
      const type = objectType('Contact');
      // 600 distinct ids, 400 of them seen twice; ids sharing id % 250 share an email, hence a profile.
      const records = Array.from({ length: 1000 }, (_, i) => ({ Id: `c${i % 600}`, Email: `u${(i % 600) % 250}@example.com`, Seq: i }));
      const results = await putProfileObjects(t.store, home, 'big', type, records, T0);
      assert.equal(results.length, 1000);
      assert.equal(results.filter((r) => r.created).length, 600);
      assert.equal(new Set(results.map((r) => r.uniqueKey)).size, 600);
      assert.equal(new Set(results.map((r) => r.profileId)).size, 250);
      for (const r of results) assert.match(r.profileId, /^[0-9a-f]{32}$/);
      assert.equal(results[0].profileId, results[250].profileId, 'the same email lands on the same profile');
      assert.equal(await count(t, 'profile_objects', 'big'), 600);
      assert.equal(await count(t, 'profiles', 'big'), 250);
      assert.equal(await count(t, 'profile_keys', 'big'), 600 + 250, 'one _id entry per object, one _email per profile');
      const stats = await t.store.domains.stats(home, 'big');
      assert.equal(stats.ProfileCount, 250);
      assert.equal(stats.ObjectCount, 600);

      // The last occurrence of a repeated id is the one kept.
      const stored = await t.store.profileObjects.get(home, 'big', 'Contact', results[999].uniqueKey);
      assert.equal(JSON.parse(stored?.object ?? '{}').Seq, 999);

      // The same batch again changes no counts and creates nothing.
      const again = await putProfileObjects(t.store, home, 'big', type, records, T0 + 1);
      assert.equal(again.filter((r) => r.created).length, 0);
      assert.deepEqual(again.map((r) => r.profileId), results.map((r) => r.profileId));
      assert.equal(await count(t, 'profile_objects', 'big'), 600);
      assert.equal(await count(t, 'profiles', 'big'), 250);
      assert.equal(await count(t, 'profile_keys', 'big'), 850);
    });

    test('_profile targets fill the profile, later records update it', async () => {
      const type = objectType('Contact');
      const [first] = await putProfileObjects(t.store, home, 'attrs', type, [{ Id: '1', Email: 'Ann@X.com', First: 'Ann' }], T0);
      await putProfileObjects(t.store, home, 'attrs', type, [{ Id: '2', Email: 'ann@x.com', First: 'Annie' }], T0 + 1);
      const p = await t.store.profiles.get(home, 'attrs', first.profileId);
      assert.deepEqual(p?.attributes, { EmailAddress: 'ann@x.com', FirstName: 'Annie' });
      assert.equal(p?.inferred, false);
      assert.equal(p?.updatedAt, T0 + 1);
      assert.equal(await count(t, 'profiles', 'attrs'), 1, 'the email matched case-insensitively');
    });

    test('an older source-last-updated time does not overwrite a newer object, in one batch or across batches', async () => {
      const type = objectType('Timed', {
        sourceLastUpdatedTimestampFormat: 'EPOCHMILLI',
        fields: {
          id: { Source: '_source.Id' },
          at: { Source: '_source.Modified', Target: '_profile.SourceLastUpdatedTimestamp' },
          first: { Source: '_source.First', Target: '_profile.FirstName' },
        },
        keys: { _id: [{ StandardIdentifiers: ['UNIQUE', 'PROFILE'], FieldNames: ['id'] }] },
      });
      const r = await putProfileObjects(t.store, home, 'timed', type, [
        { Id: 'x', Modified: 200, First: 'new' },
        { Id: 'x', Modified: 100, First: 'old' },
      ], T0);
      const read = async () => JSON.parse((await t.store.profileObjects.get(home, 'timed', 'Timed', r[0].uniqueKey))?.object ?? '{}');
      assert.equal((await read()).First, 'new');
      await putProfileObjects(t.store, home, 'timed', type, [{ Id: 'x', Modified: 150, First: 'older' }], T0 + 1);
      assert.equal((await read()).First, 'new');
      assert.deepEqual((await t.store.profiles.get(home, 'timed', r[0].profileId))?.attributes, { FirstName: 'new' });
      await putProfileObjects(t.store, home, 'timed', type, [{ Id: 'x', Modified: 300, First: 'newest' }], T0 + 2);
      assert.equal((await read()).First, 'newest');
    });

    test('without AllowProfileCreation an unmatched object gets an inferred profile holding only its email', async () => {
      const type = objectType('Calls', { allowProfileCreation: false });
      const [call] = await putProfileObjects(t.store, home, 'inferred', type, [{ Id: 'call-1', Email: 'bo@x.com', First: 'Bo' }], T0);
      const inferred = await t.store.profiles.get(home, 'inferred', call.profileId);
      assert.deepEqual(inferred?.attributes, { EmailAddress: 'bo@x.com' });
      assert.equal(inferred?.inferred, true);
      // A later object of a type that may create profiles lands on it by email and fills it in.
      const [contact] = await putProfileObjects(t.store, home, 'inferred', objectType('Contact'), [{ Id: 'c', Email: 'BO@x.com', First: 'Bo' }], T0 + 1);
      assert.equal(contact.profileId, call.profileId);
      const filled = await t.store.profiles.get(home, 'inferred', call.profileId);
      assert.deepEqual(filled?.attributes, { EmailAddress: 'BO@x.com', FirstName: 'Bo' });
      assert.equal(filled?.inferred, false);
    });

    test('LOOKUP_ONLY keys match but are not kept; NEW_ONLY keys are kept only by the object that created the profile', async () => {
      const type = objectType('K', {
        fields: { id: { Source: '_source.Id' }, l: { Source: '_source.L' }, n: { Source: '_source.N' }, e: { Source: '_source.E' } },
        keys: {
          _id: [{ StandardIdentifiers: ['UNIQUE'], FieldNames: ['id'] }],
          _l: [{ StandardIdentifiers: ['PROFILE', 'LOOKUP_ONLY'], FieldNames: ['l'] }],
          _n: [{ StandardIdentifiers: ['PROFILE', 'NEW_ONLY'], FieldNames: ['n'] }],
          _e: [{ StandardIdentifiers: ['PROFILE'], FieldNames: ['e'] }],
        },
      });
      const [a] = await putProfileObjects(t.store, home, 'keys', type, [{ Id: '1', L: 'l1', N: 'n1', E: 'e1' }], T0);
      const [b] = await putProfileObjects(t.store, home, 'keys', type, [{ Id: '2', N: 'n2', E: 'e1' }], T0);
      assert.equal(b.profileId, a.profileId);
      const keys = await t.store.profiles.findByKeys(home, 'keys', [
        { keyName: '_l', keyValue: 'l1' },
        { keyName: '_n', keyValue: 'n1' },
        { keyName: '_n', keyValue: 'n2' },
      ]);
      assert.deepEqual(keys.map((k) => `${k.keyName}=${k.keyValue}`), ['_n=n1']);
      const [c] = await putProfileObjects(t.store, home, 'keys', type, [{ Id: '3', L: 'l1' }], T0);
      assert.notEqual(c.profileId, a.profileId, 'a LOOKUP_ONLY value was never indexed, so it finds nothing later');
    });

    test('a record without its UNIQUE value throws before anything is written, unless rejections are collected', async () => {
      const type = objectType('Contact');
      await assert.rejects(
        putProfileObjects(t.store, home, 'reject', type, [{ Id: 'ok', Email: 'a@x' }, { Email: 'b@x' }], T0),
        (err: Error) => err.name === 'BadRequestException' && /UNIQUE key _id/.test(err.message),
      );
      assert.equal(await count(t, 'profile_objects', 'reject'), 0);
      const rejected: [number, string][] = [];
      const results = await putProfileObjects(t.store, home, 'reject', type, [{ Id: 'ok', Email: 'a@x' }, { Email: 'b@x' }, { Id: 'ok2' }], T0, {
        onRejected: (index, message) => rejected.push([index, message]),
      });
      assert.equal(results.length, 2);
      assert.deepEqual(rejected.map(([i]) => i), [1]);
      assert.equal(await count(t, 'profile_objects', 'reject'), 2);
    });

    test('inside a transaction that fails, nothing of the batch remains', async () => {
      await assert.rejects(
        t.store.transaction(async (tx) => {
          const [r] = await putProfileObjects(tx, home, 'rollback', objectType('Contact'), [{ Id: '1', Email: 'a@x' }], T0);
          assert.ok(await tx.profileObjects.get(home, 'rollback', 'Contact', r.uniqueKey), 'visible inside the transaction');
          assert.ok((await count(t, 'profile_keys', 'rollback', (tx as KyselyStore).db)) > 0, 'its key entries are counted inside the transaction');
          throw new Error('step failed');
        }),
        /step failed/,
      );
      assert.equal(await count(t, 'profile_objects', 'rollback'), 0);
      assert.equal(await count(t, 'profiles', 'rollback'), 0);
      assert.equal(await count(t, 'profile_keys', 'rollback'), 0);
    });

    test('objects of another account never meet', async () => {
      const type = objectType('Contact');
      const [mine] = await putProfileObjects(t.store, home, 'shared', type, [{ Id: '1', Email: 'a@x' }], T0);
      const [theirs] = await putProfileObjects(t.store, otherAccount, 'shared', type, [{ Id: '1', Email: 'a@x' }], T0);
      assert.equal(theirs.created, true);
      assert.notEqual(theirs.profileId, mine.profileId);
    });
  });
}
