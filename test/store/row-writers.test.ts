import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { genericRowWriters, postgresRowWriters, type RowWriters, sqliteRowWriters } from '../../src/store/dialects/row-writers/index.js';
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

      test(`${kind}: history — insert, then keepObjectContent fills only the INGESTED record that lacks its text`, async () => {
        await run('history', async (w, d, trx) => {
          await w.objects.insertNew(scope, d, [object('o1')]);
          const entry = (recordId: string, actionType: string, content?: string) => ({
            recordId, profileId: 'p1', objectTypeName: 'Order', actionType, uniqueKey: 'o1', content, performedBy: 'me', createdAt: T0, updatedAt: T0,
          });
          await w.history.insert(scope, d, [entry('r1', 'INGESTED', 'older'), entry('r2', 'INGESTED'), entry('r3', 'UPDATED')]);
          await w.history.keepObjectContent(scope, d, [{ profileId: 'p1', objectTypeName: 'Order', uniqueKey: 'o1' }]);
          const trxRows = await trx.db.selectFrom('profile_history').select(['record_id', 'content']).where('domain_name', '=', d).orderBy('record_id').execute();
          assert.deepEqual(trxRows.map((r) => [r.record_id, r.content]), [['r1', 'older'], ['r2', object('o1').object], ['r3', null]]);
        });
      });
    }
  });
}
