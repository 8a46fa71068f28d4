import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import type { KeyIndexTable } from '../../src/store/dialects/row-writers/queries.js';
import { keyStagingOf, type KeyStagingPolicy } from '../../src/store/dialects/row-writers/sqlite-key-staging.js';
import { sqliteStatementsOf } from '../../src/store/dialects/sqlite-statements.js';
import type { KyselyStore } from '../../src/store/kysely-store.js';
import { openStore } from '../../src/store/open-store.js';
import { purgeDeletedDomains } from '../../src/store/purge-domain.js';
import type { ProfileKey } from '../../src/store/types.js';
import type { Scope } from '../../src/domain/scope.js';
import { availableBackends, createTestStore, type TestStore } from '../helpers/backends.js';

// The key index is three tables (migrations 017 and 023): SQLite's ingestion writes entries into the recent
// table, moves them into the staging table together, and merges them into profile_keys a slice at a time,
// in key order. These tests drive the moves and merges with small policies and check that every read and
// delete of the index sees the union of the tables, whatever has moved.

const scope: Scope = { accountId: '000000000000', region: 'us-east-1' };
const other: Scope = { accountId: '111111111111', region: 'us-east-1' };
const entry = (keyValue: string, profileId = 'p1', keyName = '_email'): ProfileKey => ({ keyName, keyValue, profileId });
const text = (k: ProfileKey) => `${k.keyName}=${k.keyValue}:${k.profileId}`;

async function withStore(policy: KeyStagingPolicy | undefined, backend: 'sqlite' | 'postgres', work: (t: TestStore) => Promise<void>): Promise<void> {
  const t = await createTestStore(backend, { sqliteKeyStaging: policy });
  try {
    await work(t);
  } finally {
    await t.dispose();
  }
}

/** Each table's entries of the domain, as sorted text. */
async function tables(store: KyselyStore, domainName = 'd', at: Scope = scope): Promise<{ merged: string[]; staged: string[]; recent: string[] }> {
  const read = async (table: KeyIndexTable) =>
    (
      await store.db
        .selectFrom(table)
        .innerJoin('domain_ids', 'domain_ids.domain_id', `${table}.domain_id`)
        .select(['key_name', 'key_value', 'profile_id'])
        .where('account_id', '=', at.accountId)
        .where('region', '=', at.region)
        .where('domain_name', '=', domainName)
        .execute()
    )
      .map((r) => text({ keyName: r.key_name, keyValue: r.key_value, profileId: r.profile_id }))
      .sort();
  return { merged: await read('profile_keys'), staged: await read('profile_keys_staged'), recent: await read('profile_keys_recent') };
}

/** Ingestion's way in: a transaction's store, where SQLite writes through the staging writer. */
const addKeys = (store: KyselyStore, keys: ProfileKey[], domainName = 'd', at: Scope = scope) =>
  store.transaction((s) => s.profiles.addKeys(at, domainName, keys));

const values = (...vs: string[]) => vs.map((v) => text(entry(v)));

describe('the staged key index [sqlite]', () => {
  test('a write stages its entries; once enough wait, each write merges the next slice in key order, and the walk wraps', async () => {
    // Every write moves its entries on (recentAt 1), so a merge is due once mergeAt + 1 wait: six here.
    await withStore({ recentAt: 1, mergeAt: 5, sliceEntries: 3 }, 'sqlite', async ({ store }) => {
      await addKeys(store, ['v1', 'v2', 'v3', 'v4', 'v5'].map((v) => entry(v)));
      assert.deepEqual(await tables(store), { merged: [], staged: values('v1', 'v2', 'v3', 'v4', 'v5'), recent: [] });

      // The sixth waiting entry makes a merge due: the three lowest keys move.
      await addKeys(store, [entry('v6')]);
      assert.deepEqual(await tables(store), { merged: values('v1', 'v2', 'v3'), staged: values('v4', 'v5', 'v6'), recent: [] });

      // Below the cursor: it waits for the next walk, while the slice after the cursor moves.
      await addKeys(store, [entry('v0'), entry('v7'), entry('v8')]);
      assert.deepEqual(await tables(store), { merged: values('v1', 'v2', 'v3', 'v4', 'v5', 'v6'), staged: values('v0', 'v7', 'v8'), recent: [] });

      await addKeys(store, [entry('v9'), entry('va'), entry('vb')]);
      assert.deepEqual((await tables(store)).staged, values('v0', 'va', 'vb'));

      // Fewer than a slice after the cursor: they are the slice, and the walk starts over.
      await addKeys(store, [entry('a1'), entry('a2'), entry('a3')]);
      assert.deepEqual((await tables(store)).staged, values('a1', 'a2', 'a3', 'v0'));
      await addKeys(store, [entry('a4'), entry('a5')]);
      assert.deepEqual((await tables(store)).staged, values('a4', 'a5', 'v0'), 'the new walk starts at the lowest key');
      assert.deepEqual((await tables(store)).merged, values('a1', 'a2', 'a3', 'v1', 'v2', 'v3', 'v4', 'v5', 'v6', 'v7', 'v8', 'v9', 'va', 'vb'));
    });
  });

  test('a slice takes every profile of its last key value, however many', async () => {
    await withStore({ recentAt: 1, mergeAt: 4, sliceEntries: 1 }, 'sqlite', async ({ store }) => {
      await addKeys(store, [entry('same', 'p1'), entry('same', 'p2'), entry('same', 'p3'), entry('zzz', 'p1')]);
      assert.deepEqual(await tables(store), { merged: [], staged: ['_email=same:p1', '_email=same:p2', '_email=same:p3', '_email=zzz:p1'], recent: [] });
      // Five waiting, and a write of one entry merges a slice of one.
      await addKeys(store, [entry('zzzz', 'p1')]);
      assert.deepEqual(await tables(store), { merged: ['_email=same:p1', '_email=same:p2', '_email=same:p3'], staged: ['_email=zzz:p1', '_email=zzzz:p1'], recent: [] });
    });
  });

  test('an entry staged again while it is in the index is read once, and its merge leaves one row', async () => {
    await withStore({ recentAt: 1, mergeAt: 1, sliceEntries: 10 }, 'sqlite', async ({ store }) => {
      await addKeys(store, [entry('a'), entry('b')]);
      assert.deepEqual(await tables(store), { merged: values('a', 'b'), staged: [], recent: [] });
      await addKeys(store, [entry('a')]);
      assert.deepEqual(await tables(store), { merged: values('a', 'b'), staged: values('a'), recent: [] });
      assert.deepEqual((await store.profiles.findByKeys(scope, 'd', [entry('a')])).map(text), values('a'));
      assert.deepEqual(await store.profiles.searchByKey(scope, 'd', '_email', ['a', 'b'], undefined, 10), ['p1']);
      assert.deepEqual((await store.profiles.keysAmong(scope, 'd', '_email', ['a'], ['p1'])).map(text), values('a'));
      await addKeys(store, [entry('c')]);
      assert.deepEqual(await tables(store), { merged: values('a', 'b', 'c'), staged: [], recent: [] });
    });
  });

  test('a write rolled back leaves the tables as they were, and later merges still move every entry', async () => {
    await withStore({ recentAt: 1, mergeAt: 2, sliceEntries: 2 }, 'sqlite', async ({ store }) => {
      await addKeys(store, [entry('a'), entry('b')]);
      const before = await tables(store);
      await assert.rejects(
        store.transaction(async (s) => {
          await s.profiles.addKeys(scope, 'd', [entry('c'), entry('d'), entry('e')]);
          throw new Error('rolled back');
        }),
        /rolled back/,
      );
      assert.deepEqual(await tables(store), before);
      await addKeys(store, [entry('f')]);
      keyStagingOf(store.db, sqliteStatementsOf(store.db) as NonNullable<ReturnType<typeof sqliteStatementsOf>>).mergeAll();
      assert.deepEqual(await tables(store), { merged: values('a', 'b', 'f'), staged: [], recent: [] });
    });
  });

  test("a write's entries wait in the recent table; once enough wait, all of them move to the staging table in one write", async () => {
    await withStore({ recentAt: 4, mergeAt: 100, sliceEntries: 10 }, 'sqlite', async ({ store }) => {
      await addKeys(store, [entry('c'), entry('a')]);
      assert.deepEqual(await tables(store), { merged: [], staged: [], recent: values('a', 'c') });
      // Read wherever they are: the lookups, a search page, a key filter.
      assert.deepEqual((await store.profiles.findByKeys(scope, 'd', [entry('a'), entry('c')])).map(text).sort(), values('a', 'c'));
      assert.deepEqual(await store.profiles.searchByKey(scope, 'd', '_email', ['c'], undefined, 10), ['p1']);
      assert.deepEqual((await store.profiles.keysAmong(scope, 'd', '_email', ['a'], ['p1'])).map(text), values('a'));

      await addKeys(store, [entry('b')]);
      assert.deepEqual(await tables(store), { merged: [], staged: [], recent: values('a', 'b', 'c') });
      // The fourth makes the move due; an entry already staged is not staged twice.
      await addKeys(store, [entry('d'), entry('a', 'p2')]);
      assert.deepEqual(await tables(store), { merged: [], staged: [...values('a', 'b', 'c', 'd'), '_email=a:p2'].sort(), recent: [] });
      await addKeys(store, [entry('e'), entry('a')]);
      assert.deepEqual(await tables(store), { merged: [], staged: [...values('a', 'b', 'c', 'd'), '_email=a:p2'].sort(), recent: values('a', 'e') });
      assert.deepEqual((await store.profiles.findByKeys(scope, 'd', [entry('a')])).map(text).sort(), ['_email=a:p1', '_email=a:p2'], 'held twice, found once');
      await addKeys(store, [entry('f'), entry('g')]);
      assert.deepEqual(await tables(store), { merged: [], staged: [...values('a', 'b', 'c', 'd', 'e', 'f', 'g'), '_email=a:p2'].sort(), recent: [] });
    });
  });

  test('a write that moves merges only once more wait than the move brought over the threshold; else the next write merges', async () => {
    await withStore({ recentAt: 3, mergeAt: 3, sliceEntries: 2 }, 'sqlite', async ({ store }) => {
      await addKeys(store, [entry('b'), entry('a')]);
      assert.deepEqual(await tables(store), { merged: [], staged: [], recent: values('a', 'b') });
      await addKeys(store, [entry('c')]);
      assert.deepEqual(await tables(store), { merged: [], staged: values('a', 'b', 'c'), recent: [] });
      await addKeys(store, [entry('d')]);
      assert.deepEqual(await tables(store), { merged: values('a', 'b'), staged: values('c'), recent: values('d') });
    });
  });

  test('when every write moves, merges still keep pace', async () => {
    await withStore({ recentAt: 1, mergeAt: 2, sliceEntries: 1 }, 'sqlite', async ({ store }) => {
      await addKeys(store, [entry('a')]);
      await addKeys(store, [entry('b')]);
      assert.deepEqual(await tables(store), { merged: [], staged: values('a', 'b'), recent: [] });
      for (const [next, merged] of [['c', ['a']], ['d', ['a', 'b']], ['e', ['a', 'b', 'c']]] as const) {
        await addKeys(store, [entry(next)]);
        assert.deepEqual((await tables(store)).merged, values(...merged), `after ${next}`);
        assert.equal((await tables(store)).staged.length, 2);
      }
    });
  });

  test('writes of more entries than a slice keep the staging table within a write of its threshold', async () => {
    const policy: KeyStagingPolicy = { recentAt: 3, mergeAt: 6, sliceEntries: 2 };
    await withStore(policy, 'sqlite', async ({ store }) => {
      let most = 0;
      for (let w = 0; w < 40; w++) {
        await addKeys(store, [0, 1, 2, 3, 4].map((i) => entry(`w${String(w).padStart(2, '0')}-${i}`)));
        most = Math.max(most, (await tables(store)).staged.length);
      }
      assert.ok(most <= policy.mergeAt + policy.recentAt + 5, `the staging table held ${most}`);
      const all = await tables(store);
      assert.equal(new Set([...all.merged, ...all.staged, ...all.recent]).size, 200);
    });
  });

  test('a rolled-back move leaves its entries waiting, and the next write counts and moves them', async () => {
    await withStore({ recentAt: 3, mergeAt: 100, sliceEntries: 10 }, 'sqlite', async ({ store }) => {
      await addKeys(store, [entry('a'), entry('b')]);
      await assert.rejects(
        store.transaction(async (s) => {
          await s.profiles.addKeys(scope, 'd', [entry('c')]);
          throw new Error('rolled back');
        }),
        /rolled back/,
      );
      assert.deepEqual(await tables(store), { merged: [], staged: [], recent: values('a', 'b') });
      await addKeys(store, [entry('d')]);
      assert.deepEqual(await tables(store), { merged: [], staged: values('a', 'b', 'd'), recent: [] });
    });
  });

  test('a store opened again counts the entries left in its tables, and moves them when due', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'pf-recent-keys-'));
    const policy: KeyStagingPolicy = { recentAt: 3, mergeAt: 100, sliceEntries: 10 };
    try {
      const first = await openStore({ backend: 'sqlite', dataDir, keyStaging: policy });
      await addKeys(first, [entry('a'), entry('b')]);
      await first.close();
      const again = await openStore({ backend: 'sqlite', dataDir, keyStaging: policy });
      try {
        assert.deepEqual(await tables(again), { merged: [], staged: [], recent: values('a', 'b') });
        await addKeys(again, [entry('c')]);
        assert.deepEqual(await tables(again), { merged: [], staged: values('a', 'b', 'c'), recent: [] });
      } finally {
        await again.close();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  test('any sequence of writes, removals and rollbacks leaves the union of the tables equal to a plain set', async () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('add' as const), keys: fc.array(fc.tuple(fc.nat(7), fc.nat(2)), { minLength: 1, maxLength: 6 }), rollback: fc.boolean() }),
      fc.record({ kind: fc.constant('remove' as const), keys: fc.array(fc.tuple(fc.nat(7), fc.nat(2)), { minLength: 1, maxLength: 3 }), rollback: fc.constant(false) }),
    );
    await fc.assert(
      fc.asyncProperty(fc.record({ recentAt: fc.integer({ min: 1, max: 6 }), mergeAt: fc.integer({ min: 1, max: 8 }), sliceEntries: fc.integer({ min: 1, max: 5 }) }), fc.array(op, { minLength: 1, maxLength: 25 }), async (policy, ops) => {
        await withStore(policy, 'sqlite', async ({ store }) => {
          const model = new Set<string>();
          for (const o of ops) {
            const keys = o.keys.map(([v, p]) => entry(`v${v}`, `p${p}`));
            if (o.kind === 'remove') {
              await store.transaction((s) => s.profiles.removeKeys(scope, 'd', keys));
              for (const k of keys) model.delete(text(k));
            } else if (o.rollback) {
              await assert.rejects(
                store.transaction(async (s) => {
                  await s.profiles.addKeys(scope, 'd', keys);
                  throw new Error('rolled back');
                }),
              );
            } else {
              await addKeys(store, keys);
              for (const k of keys) model.add(text(k));
            }
            const { merged, staged, recent } = await tables(store);
            assert.deepEqual([...new Set([...merged, ...staged, ...recent])].sort(), [...model].sort());
            const found = await store.profiles.findByKeys(scope, 'd', [...Array(8).keys()].map((v) => entry(`v${v}`)));
            assert.deepEqual(found.map(text).sort(), [...model].sort(), 'every entry found once');
          }
          keyStagingOf(store.db, sqliteStatementsOf(store.db) as NonNullable<ReturnType<typeof sqliteStatementsOf>>).mergeAll();
          assert.deepEqual(await tables(store), { merged: [...model].sort(), staged: [], recent: [] });
        });
      }),
      { numRuns: 60 },
    );
  });
});

for (const backend of await availableBackends()) {
  describe(`every read and delete of the key index sees every table [${backend}]`, () => {
    /**
     * p1..p4 hold `_email` values, some entries merged, some staged, some recent and one (p2's) in all
     * three, written straight into the tables so that the split is the same on both backends.
     */
    async function seed(store: KyselyStore, domainName = 'd', at: Scope = scope): Promise<void> {
      await store.profiles.addKeys(at, domainName, [entry('x', 'p1'), entry('x', 'p2')]);
      const [{ domain_id }] = await store.db
        .selectFrom('domain_ids')
        .select('domain_id')
        .where('account_id', '=', at.accountId)
        .where('domain_name', '=', domainName)
        .execute();
      const rows = { profile_keys_staged: [['x', 'p2'], ['y', 'p4']], profile_keys_recent: [['x', 'p2'], ['x', 'p3']] } as const;
      for (const [table, pairs] of Object.entries(rows) as [keyof typeof rows, (typeof rows)[keyof typeof rows]][]) {
        await store.db
          .insertInto(table)
          .values(pairs.map(([key_value, profile_id]) => ({ domain_id, key_name: '_email', key_value, profile_id })))
          .execute();
      }
    }

    test('lookups, search pages and key filters read each entry once', async () => {
      await withStore(undefined, backend, async ({ store }) => {
        await seed(store);
        const found = await store.profiles.findByKeys(scope, 'd', [entry('x'), entry('y')]);
        assert.deepEqual(found.map(text).sort(), ['_email=x:p1', '_email=x:p2', '_email=x:p3', '_email=y:p4']);
        assert.deepEqual(await store.profiles.searchByKey(scope, 'd', '_email', ['x', 'y'], undefined, 10), ['p1', 'p2', 'p3', 'p4']);
        // Pages of two: the recent p3 follows the merged p1 and the p2 held three times, each once.
        assert.deepEqual(await store.profiles.searchByKey(scope, 'd', '_email', ['x', 'y'], undefined, 2), ['p1', 'p2']);
        assert.deepEqual(await store.profiles.searchByKey(scope, 'd', '_email', ['x', 'y'], 'p2', 2), ['p3', 'p4']);
        const among = await store.profiles.keysAmong(scope, 'd', '_email', ['x'], ['p2', 'p3', 'p4']);
        assert.deepEqual(among.map(text).sort(), ['_email=x:p2', '_email=x:p3']);
      });
    });

    test('a removed key leaves every table', async () => {
      await withStore(undefined, backend, async ({ store }) => {
        await seed(store);
        await store.profiles.removeKeys(scope, 'd', [entry('x', 'p2'), entry('x', 'p3')]);
        assert.deepEqual(await tables(store), { merged: ['_email=x:p1'], staged: ['_email=y:p4'], recent: [] });
      });
    });

    test("deleting a domain or resetting an account empties every table of its entries and no one else's", async () => {
      await withStore(undefined, backend, async ({ store }) => {
        await seed(store, 'd');
        await seed(store, 'e');
        await seed(store, 'd', other);
        await store.domains.delete(scope, 'd', 1);
        await purgeDeletedDomains(store);
        assert.deepEqual(await tables(store, 'd'), { merged: [], staged: [], recent: [] });
        const e = await tables(store, 'e');
        assert.deepEqual([e.merged.length, e.staged.length, e.recent.length], [2, 2, 2]);
        await store.reset(scope.accountId);
        const otherId = await store.db.selectFrom('domain_ids').select('domain_id').where('account_id', '=', other.accountId).executeTakeFirstOrThrow();
        for (const table of ['profile_keys', 'profile_keys_staged', 'profile_keys_recent'] as const) {
          const left = await store.db.selectFrom(table).select('domain_id').execute();
          assert.deepEqual(left.map((r) => Number(r.domain_id)), [Number(otherId.domain_id), Number(otherId.domain_id)], table);
        }
        assert.deepEqual(await tables(store, 'd', other), { merged: ['_email=x:p1', '_email=x:p2'], staged: ['_email=x:p2', '_email=y:p4'], recent: ['_email=x:p2', '_email=x:p3'] });
      });
    });
  });
}
