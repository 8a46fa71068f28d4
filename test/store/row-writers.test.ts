import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { genericRowWriters, postgresRowWriters, type RowWriters, sqliteRowWriters } from '../../src/store/dialects/row-writers/index.js';
import { KEY_INDEX_TABLES } from '../../src/store/dialects/row-writers/queries.js';
import { sqliteStatementsOf } from '../../src/store/dialects/sqlite-statements.js';
import { isStale } from '../../src/domain/staleness.js';
import type { KyselyStore } from '../../src/store/kysely-store.js';
import type { ProfileObjectRecord, ProfileRecord } from '../../src/store/types.js';
import type { Scope } from '../../src/domain/scope.js';
import { availableBackends, createTestStore, type TestStore } from '../helpers/backends.js';

// Every row writer of the ingestion write path, run explicitly on the backend it exists for: which
// implementation a test exercises is named here, not left to where the repository happens to run.

const scope: Scope = { accountId: '000000000000', region: 'us-east-1' };
const T0 = 1_700_000_000_000;

type Kind = RowWriters['kind'];

/** The writers of `kind` on a transaction of `store` (SQLite's prepared statements exist only there). */
function writersOn(kind: Kind, trx: KyselyStore, root: KyselyStore): RowWriters {
  if (kind === 'sqlite') return sqliteRowWriters(trx.db, sqliteStatementsOf(root.db) as NonNullable<ReturnType<typeof sqliteStatementsOf>>);
  if (kind === 'postgres') return postgresRowWriters(trx.db);
  return genericRowWriters(trx.db, { lockRows: root.backend === 'postgres' });
}

function profile(id: string, extra: Partial<ProfileRecord> = {}): ProfileRecord {
  return { profileId: id, attributes: { FirstName: id }, attributeSources: {}, inferred: false, createdAt: T0, updatedAt: T0, ...extra };
}

function object(uniqueKey: string, extra: Partial<ProfileObjectRecord> = {}): ProfileObjectRecord {
  const body = JSON.stringify({ Id: uniqueKey });
  return {
    objectTypeName: 'Order',
    uniqueKey,
    profileId: 'p1',
    object: body,
    keyValues: { _order: uniqueKey },
    sizeBytes: body.length,
    createdAt: T0,
    updatedAt: T0,
    ...extra,
  };
}

for (const backend of await availableBackends()) {
  const kinds: Kind[] = backend === 'sqlite' ? ['generic', 'sqlite'] : ['generic', 'postgres'];

  describe(`row writers [${backend}]`, () => {
    let t: TestStore;
    before(async () => {
      t = await createTestStore(backend);
    });
    after(() => t.dispose());

    test('the store picks the backend’s writers: prepared statements in a SQLite transaction, arrays on PostgreSQL', async () => {
      assert.equal(t.store.writers.kind, backend === 'sqlite' ? 'generic' : 'postgres');
      await t.store.transaction(async (trx) => {
        assert.equal((trx as KyselyStore).writers.kind, backend === 'sqlite' ? 'sqlite' : 'postgres');
      });
    });

    for (const kind of kinds) {
      /** Runs `work` on the writers of `kind`, in a transaction, in a domain of its own. */
      const run = (domain: string, work: (w: RowWriters, domainName: string, trx: KyselyStore) => Promise<void>) =>
        t.store.transaction((trx) => work(writersOn(kind, trx as KyselyStore, t.store), `${kind}-${domain}`, trx as KyselyStore));

      test(`${kind}: profiles — insertNew inserts only the new ones, replace keeps createdAt and brings back a deleted one`, async () => {
        await run('profiles', async (w, d, trx) => {
          assert.deepEqual([...(await w.profiles.insertNew(scope, d, [profile('a'), profile('b')]))].sort(), ['a', 'b']);
          assert.deepEqual([...(await w.profiles.insertNew(scope, d, [profile('a'), profile('c')]))], ['c']);
          await w.profiles.replace(scope, d, [profile('a', { attributes: { FirstName: 'Ann' }, createdAt: T0 + 5, updatedAt: T0 + 9, inferred: true }), profile('z')]);
          const rows = await trx.db.selectFrom('profiles').selectAll().where('domain_name', '=', d).orderBy('profile_id').execute();
          assert.deepEqual(rows.map((r) => r.profile_id), ['a', 'b', 'c', 'z']);
          assert.equal(rows[0].attributes, JSON.stringify({ FirstName: 'Ann' }));
          assert.equal(Number(rows[0].created_at), T0);
          assert.equal(Number(rows[0].updated_at), T0 + 9);
          assert.equal(Number(rows[0].is_inferred), 1);
        });
      });

      test(`${kind}: profiles — fresh ids are inserted as they are, every character and NULL kept, and all answered inserted`, async () => {
        // PostgreSQL copies these (COPY's text format): its separators, escapes and NULL marker inside values.
        const attributes = { FirstName: 'tab\there', LastName: 'line\nbreak\r', Note: 'back\\slash \\N \\t 𝄞 \ud800' };
        await run('fresh', async (w, d, trx) => {
          const fresh = profile('f1', { attributes, createdRecord: { recordId: 'r\t1', performedBy: 'by\\N' } });
          const inserted = await w.profiles.insertNew(scope, d, [fresh, profile('f2', { inferred: true }), profile('old')], new Set(['f1', 'f2']));
          assert.deepEqual([...inserted].sort(), ['f1', 'f2', 'old']);
          const rows = await trx.db.selectFrom('profiles').selectAll().where('domain_name', '=', d).orderBy('profile_id').execute();
          assert.deepEqual(rows.map((r) => r.profile_id), ['f1', 'f2', 'old']);
          assert.equal(rows[0].attributes, JSON.stringify(attributes));
          assert.equal(rows[0].attribute_sources, null);
          assert.equal(rows[0].created_record_id, 'r\t1');
          assert.equal(rows[0].created_by, 'by\\N');
          assert.equal(Number(rows[1].is_inferred), 1);
          assert.equal(rows[1].created_record_id, null);
          assert.equal(Number(rows[1].created_at), T0);
        });
        if (kind === 'postgres') {
          // A fresh id that is stored after all is a conflict the statement does not check: it fails.
          await assert.rejects(
            run('fresh', (w, d) => w.profiles.insertNew(scope, d, [profile('f1')], new Set(['f1'])).then(() => undefined)),
            /duplicate key value violates unique constraint "profiles_pk"/,
          );
        } else {
          await run('fresh', async (w, d) => assert.deepEqual([...(await w.profiles.insertNew(scope, d, [profile('f1')], new Set(['f1'])))], []));
        }
      });

      test(`${kind}: key index — insert ignores present entries, find returns each (name, value)’s profiles`, async () => {
        await run('keys', async (w, d) => {
          await w.keys.insert(scope, d, [
            { keyName: '_email', keyValue: 'a@x', profileId: 'p1' },
            { keyName: '_email', keyValue: 'a@x', profileId: 'p2' },
            { keyName: '_phone', keyValue: '+1', profileId: 'p1' },
          ]);
          await w.keys.insert(scope, d, [{ keyName: '_email', keyValue: 'a@x', profileId: 'p1' }]);
          const found = await w.keys.find(scope, d, new Map([['_email', new Set(['a@x', 'none'])], ['_phone', new Set(['+1'])]]));
          assert.deepEqual(
            found.map((k) => `${k.keyName}=${k.keyValue}:${k.profileId}`).sort(),
            ['_email=a@x:p1', '_email=a@x:p2', '_phone=+1:p1'],
          );
          const other = await w.keys.find({ ...scope, accountId: '111122223333' }, d, new Map([['_email', new Set(['a@x'])]]));
          assert.deepEqual(other, []);
        });
      });

      test(`${kind}: key index — entries of new profiles are written once each, however often the batch names them`, async () => {
        await run('new-keys', async (w, d, trx) => {
          const entry = { keyName: '_email', keyValue: 'n@x', profileId: `new-${kind}` };
          const odd = { ...entry, keyName: 'Note', keyValue: 'a\tb\nc\\N\\' };
          await w.keys.insert(scope, d, [entry, { ...entry, keyName: '_phone', keyValue: '+2' }, { ...entry }, odd], true);
          const found = await w.keys.find(scope, d, new Map([['_email', new Set(['n@x'])], ['_phone', new Set(['+2'])], ['Note', new Set([odd.keyValue])]]));
          assert.deepEqual(
            found.map((k) => `${k.keyName}=${k.keyValue}:${k.profileId}`).sort(),
            [`Note=${odd.keyValue}:new-${kind}`, `_email=n@x:new-${kind}`, `_phone=+2:new-${kind}`],
          );
          const rows = await trx.db.selectFrom(kind === 'sqlite' ? 'profile_keys_recent' : 'profile_keys').select('key_name').where('profile_id', '=', `new-${kind}`).execute();
          assert.equal(rows.length, 3);
        });
      });

      test(`${kind}: key index — remove deletes exactly the named entries, from every table, and nothing of another profile or domain`, async () => {
        await run('remove', async (w, d, trx) => {
          const domainId = (await w.keys.domainId(scope, d, true)) as number;
          const otherDomain = `${d}-other`;
          const odd = 'a\tb\nc\\N\\';
          await w.keys.insert(scope, d, [
            { keyName: '_email', keyValue: 'a@x', profileId: 'p1' },
            { keyName: '_email', keyValue: 'a@x', profileId: 'p2' },
            { keyName: '_email', keyValue: 'b@x', profileId: 'p1' },
            { keyName: '_phone', keyValue: '+1', profileId: 'p1' },
            { keyName: 'Note', keyValue: odd, profileId: 'p2' },
          ]);
          await w.keys.insert(scope, otherDomain, [{ keyName: '_email', keyValue: 'a@x', profileId: 'p1' }]);
          // The same entry merged, still staged and recent (sqlite-key-staging.ts): every copy goes.
          const stagedToo = { domain_id: domainId, key_name: '_phone', key_value: '+1', profile_id: 'p1' };
          for (const table of KEY_INDEX_TABLES) {
            await trx.db.insertInto(table).values(stagedToo).onConflict((oc) => oc.doNothing()).execute();
          }
          await w.keys.remove(scope, d, [
            { keyName: '_email', keyValue: 'a@x', profileId: 'p1' },
            { keyName: '_email', keyValue: 'a@x', profileId: 'p1' },
            { keyName: '_phone', keyValue: '+1', profileId: 'p1' },
            { keyName: 'Note', keyValue: odd, profileId: 'p2' },
            { keyName: '_email', keyValue: 'never@x', profileId: 'p1' },
          ]);
          const left = await w.keys.find(scope, d, new Map([['_email', new Set(['a@x', 'b@x'])], ['_phone', new Set(['+1'])], ['Note', new Set([odd])]]));
          assert.deepEqual(left.map((k) => `${k.keyName}=${k.keyValue}:${k.profileId}`).sort(), ['_email=a@x:p2', '_email=b@x:p1']);
          for (const table of KEY_INDEX_TABLES) {
            const rows = await trx.db.selectFrom(table).select('key_name').where('domain_id', '=', domainId).where('key_name', '=', '_phone').execute();
            assert.deepEqual(rows, [], table);
          }
          const other = await w.keys.find(scope, otherDomain, new Map([['_email', new Set(['a@x'])]]));
          assert.deepEqual(other.map((k) => k.profileId), ['p1']);
          // A domain with no id yet holds no entries: nothing to remove, and no id is allocated for it.
          await w.keys.remove(scope, `${d}-none`, [{ keyName: '_email', keyValue: 'a@x', profileId: 'p1' }]);
          assert.equal(await w.keys.domainId(scope, `${d}-none`, false), undefined);
          await w.keys.remove(scope, d, []);
        });
      });

      test(`${kind}: profiles and objects keep every character of their text, and a lone surrogate as the backend always stored it`, async () => {
        await run('text', async (w, d, trx) => {
          const attributes = { FirstName: 'Zoë "Q" \\ \t ✓ 𝄞 \ud800' };
          await w.profiles.insertNew(scope, d, [profile('t1', { attributes })]);
          await w.objects.insertNew(scope, d, [object('k\ud800"\\', { object: JSON.stringify({ Note: 'line\nbreak "quoted" \\ 𝄞 \udc00' }) })]);
          const p = await trx.db.selectFrom('profiles').select('attributes').where('domain_name', '=', d).executeTakeFirstOrThrow();
          assert.equal(p.attributes, JSON.stringify(attributes));
          const o = await trx.db.selectFrom('profile_objects').select(['unique_key', 'object']).where('domain_name', '=', d).executeTakeFirstOrThrow();
          // PostgreSQL: one U+FFFD, as pg's UTF-8 encoding of a parameter makes it; SQLite keeps the three
          // bytes a lone surrogate encodes to, which read back as three.
          assert.equal(o.unique_key, backend === 'postgres' ? 'k\ufffd"\\' : 'k\ufffd\ufffd\ufffd"\\');
          assert.equal(o.object, JSON.stringify({ Note: 'line\nbreak "quoted" \\ 𝄞 \udc00' }));
        });
      });

      test(`${kind}: objects — insertNew, findExisting and storedVersions see what is stored`, async () => {
        await run('objects', async (w, d) => {
          const inserted = await w.objects.insertNew(scope, d, [object('o1', { sourceUpdatedAt: 7 }), object('o2')]);
          assert.equal(inserted.size, 2);
          assert.equal((await w.objects.insertNew(scope, d, [object('o1'), object('o3')])).size, 1);
          const existing = await w.objects.findExisting(scope, d, 'Order', ['o1', 'o9', 'o1']);
          assert.deepEqual(existing, [{ uniqueKey: 'o1', profileId: 'p1', sourceUpdatedAt: 7, keyValues: { _order: 'o1' } }]);
          const versions = await w.objects.storedVersions(scope, d, [object('o1'), object('o9')]);
          assert.deepEqual([...versions.values()], [{ sizeBytes: object('o1').sizeBytes, sourceUpdatedAt: 7 }]);
        });
      });

      test(`${kind}: objects — fresh ones are inserted as they are and all answered inserted; keys that store as one take the conflict check`, async () => {
        await run('fresh-objects', async (w, d, trx) => {
          const odd = object('o\t1\\N', { object: JSON.stringify({ Note: 'tab\t back\\slash \\N 𝄞 \ud800' }), sourceUpdatedAt: undefined });
          // Two unique keys PostgreSQL stores as one ('k' and U+FFFD), and a stored one.
          const twins = [object('k\ud800'), object('k\udc00')];
          await w.objects.insertNew(scope, d, [object('stored')]);
          const fresh = new Set([odd, ...twins].map((o) => `${o.objectTypeName}\u0000${o.uniqueKey}`));
          const inserted = await w.objects.insertNew(scope, d, [odd, ...twins, object('plain'), object('stored')], fresh);
          const rows = await trx.db.selectFrom('profile_objects').selectAll().where('domain_name', '=', d).orderBy('unique_key').execute();
          if (kind === 'postgres') {
            // The checked insert answers the key as stored.
            assert.deepEqual([...inserted].map((k) => k.split('\u0000')[1]).sort(), ['k\ufffd', 'o\t1\\N', 'plain']);
            assert.deepEqual(rows.map((r) => r.unique_key), ['k\ufffd', 'o\t1\\N', 'plain', 'stored']);
          } else {
            // The other writers check every insert.
            const keys = [...inserted].map((k) => k.split('\u0000')[1]);
            assert.ok(keys.includes('o\t1\\N') && keys.includes('plain') && !keys.includes('stored'));
          }
          const stored = rows.find((r) => r.unique_key === 'o\t1\\N');
          assert.equal(stored?.object, odd.object);
          assert.equal(stored?.source_updated_at, null);
          assert.equal(stored?.key_values, JSON.stringify(odd.keyValues));
        });
        if (kind === 'postgres') {
          await assert.rejects(
            run('fresh-objects', (w, d) => w.objects.insertNew(scope, d, [object('plain')], new Set(['Order\u0000plain'])).then(() => undefined)),
            /duplicate key value violates unique constraint "profile_objects_pk"/,
          );
        }
      });

      test(`${kind}: objects — replace follows the one staleness rule on every combination of source times`, async () => {
        const times = [undefined, 4, 5, 6];
        await run('stale', async (w, d) => {
          const cases = times.flatMap((stored) => times.map((incoming) => ({ stored, incoming, key: `k-${stored}-${incoming}` })));
          await w.objects.insertNew(scope, d, cases.map((c) => object(c.key, { sourceUpdatedAt: c.stored === undefined ? undefined : 5, profileId: 'before' })));
          await w.objects.replace(scope, d, cases.map((c) => object(c.key, { sourceUpdatedAt: c.incoming, profileId: 'after' })));
          const stored = await w.objects.findExisting(scope, d, 'Order', cases.map((c) => c.key));
          const byKey = new Map(stored.map((s) => [s.uniqueKey, s.profileId]));
          for (const c of cases) {
            const storedTime = c.stored === undefined ? undefined : 5;
            const expected = isStale(c.incoming, storedTime) ? 'before' : 'after';
            assert.equal(byKey.get(c.key), expected, `stored ${storedTime}, incoming ${c.incoming}`);
          }
        });
      });

      test(`${kind}: history — insert, and keepIngestedRecords writes the records named objects' rows hold, with their text`, async () => {
        await run('history', async (w, d, trx) => {
          const held = (recordId: string) => ({ ingestedRecord: { recordId, performedBy: `by-${recordId}` } });
          await w.objects.insertNew(scope, d, [
            object('o1', held('h1')),
            object('o2', held('h2')),
            object('o3', { ...held('h3'), profileId: 'p2', updatedAt: T0 + 5 }),
            object('o4', { ...held('h4'), profileId: 'p3', objectTypeName: 'Case' }),
            object('o5', { profileId: 'p2' }),
          ]);
          await w.history.insert(scope, d, [
            { recordId: 'r1', profileId: 'p1', objectTypeName: '_profile', actionType: 'UPDATED', content: '{}', performedBy: 'me', createdAt: T0, updatedAt: T0 },
            // COPY's text format on PostgreSQL: tabs, newlines, backslashes and `\N` stay as they are.
            { recordId: 'r2', profileId: 'p1', objectTypeName: 'Order', actionType: 'DELETED_BY_CUSTOMER', uniqueKey: 'u\t\\N', content: 'a\tb\nc\\d\\N', performedBy: 'me', createdAt: T0, updatedAt: T0 + 1 },
          ]);
          await w.history.keepIngestedRecords(scope, d, { objectTypeName: 'Order', uniqueKeys: ['o1', 'o5'] });
          await w.history.keepIngestedRecords(scope, d, { profileIds: ['p2'] });
          await w.history.keepIngestedRecords(scope, d, { objectTypeName: 'Case' });
          const rows = await trx.db.selectFrom('profile_history').selectAll().where('domain_name', '=', d).orderBy('record_id').execute();
          const text = (k: string) => object(k).object;
          assert.deepEqual(
            rows.map((r) => [r.record_id, r.profile_id, r.object_type_name, r.action_type, r.unique_key, r.content, r.performed_by, Number(r.created_at), Number(r.updated_at)]),
            [
              ['h1', 'p1', 'Order', 'INGESTED', 'o1', text('o1'), 'by-h1', T0, T0],
              ['h3', 'p2', 'Order', 'INGESTED', 'o3', text('o3'), 'by-h3', T0 + 5, T0 + 5],
              ['h4', 'p3', 'Case', 'INGESTED', 'o4', text('o4'), 'by-h4', T0, T0],
              ['r1', 'p1', '_profile', 'UPDATED', null, '{}', 'me', T0, T0],
              ['r2', 'p1', 'Order', 'DELETED_BY_CUSTOMER', 'u\t\\N', 'a\tb\nc\\d\\N', 'me', T0, T0 + 1],
            ],
          );
        });
      });
    }
  });
}
