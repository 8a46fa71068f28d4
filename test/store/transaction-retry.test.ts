import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import type { KyselyStore } from '../../src/store/kysely-store.js';
import type { Store } from '../../src/store/types.js';
import { availableBackends } from '../helpers/backends.js';
import { meetingOfTwo } from '../helpers/races.js';
import { startServer, type TestServer } from '../helpers/server.js';

// A transaction PostgreSQL aborts because it conflicted with another (a deadlock, 40P01; a serialization
// failure, 40001) is run again, so that the caller gets its answer, not a 500; other errors are not.

if ((await availableBackends()).includes('postgres')) {
  describe('transactions aborted by a conflict are run again [postgres]', () => {
    let s: TestServer;
    before(async () => {
      s = await startServer('postgres');
      await sql`insert into settings (key, value) values ('retry-a', '0'), ('retry-b', '0')`.execute(s.store.db);
    });
    after(() => s.close());

    const lock = (tx: Store, key: string) => sql`select value from settings where key = ${key} for update`.execute((tx as KyselyStore).db);
    const bump = (tx: Store, key: string) => sql`update settings set value = (value::int + 1)::text where key = ${key}`.execute((tx as KyselyStore).db);

    test('two transactions locking two rows in opposite orders: the one PostgreSQL picks as the deadlock victim runs again, and both commit', async () => {
      const meet = meetingOfTwo(s.store, 'the other transaction holding its first row');
      let runs = 0;
      const crossing = (first: string, second: string) =>
        s.store.transaction(async (tx) => {
          runs++;
          await lock(tx, first);
          await meet();
          await lock(tx, second);
          await bump(tx, first);
          await bump(tx, second);
        });
      await Promise.all([crossing('retry-a', 'retry-b'), crossing('retry-b', 'retry-a')]);
      assert.equal(runs, 3, 'each ran once, and the victim once more');
      const { rows } = await sql<{ key: string; value: string }>`select key, value from settings where key like 'retry-%' order by key`.execute(s.store.db);
      assert.deepEqual(rows, [
        { key: 'retry-a', value: '2' },
        { key: 'retry-b', value: '2' },
      ]);
    });

    test('any other error is not run again', async () => {
      let runs = 0;
      await assert.rejects(
        s.store.transaction(async () => {
          runs++;
          throw Object.assign(new Error('a unique violation'), { code: '23505' });
        }),
        /a unique violation/,
      );
      assert.equal(runs, 1);
    });

    test('a conflict every time: given up after the last attempt, the conflict thrown', async () => {
      let runs = 0;
      await assert.rejects(
        s.store.transaction(async () => {
          runs++;
          throw Object.assign(new Error('could not serialize access due to concurrent update'), { code: '40001' });
        }),
        /could not serialize/,
      );
      assert.equal(runs, 3);
    });
  });
}
