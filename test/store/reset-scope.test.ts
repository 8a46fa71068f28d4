import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { sql } from 'kysely';
import { withMigrationLock } from '../../src/store/dialects/postgres.js';
import { availableBackends, createTestStore, POSTGRES_URL } from '../helpers/backends.js';

// reset() empties the store's tables and nothing else: an operator who points profileflow at a schema
// (or a SQLite file) that another application also uses must not lose that application's rows, with or
// without an account_id column.

for (const backend of await availableBackends()) {
  describe(`reset leaves tables that are not the store's [${backend}]`, () => {
    test('a whole reset and an account reset both leave another application\'s rows in place', async () => {
      const { store, dispose } = await createTestStore(backend);
      try {
        // On PostgreSQL under the migration lock: another test's migrator reads every schema's tables meanwhile.
        const createOther = () => sql`create table other_app (account_id text, note text)`.execute(store.db);
        if (backend === 'postgres') await withMigrationLock(POSTGRES_URL, createOther);
        else await createOther();
        await sql`insert into other_app (account_id, note) values ('111122223333', 'kept'), ('444455556666', 'kept too')`.execute(store.db);
        await store.domains.create({ accountId: '111122223333', region: 'us-east-1' }, { domainName: 'd', defaultExpirationDays: 30, createdAt: 0, updatedAt: 0 });

        const forAccount = await store.reset('111122223333');
        assert.ok(!forAccount.includes('other_app'), forAccount.join(', '));
        const whole = await store.reset();
        assert.ok(whole.includes('domains') && whole.includes('profile_keys'), whole.join(', '));
        assert.ok(!whole.includes('other_app'), whole.join(', '));
        const { rows } = await sql<{ n: number | string }>`select count(*) as n from other_app`.execute(store.db);
        assert.equal(Number(rows[0].n), 2);
        assert.deepEqual(await store.domains.list({ accountId: '111122223333', region: 'us-east-1' }, undefined, 10), []);
      } finally {
        await dispose();
      }
    });
  });
}
