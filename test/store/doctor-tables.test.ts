import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sql } from 'kysely';
import { diagnose } from '../../src/store/doctor.js';
import { STORE_TABLES } from '../../src/store/schema.js';
import { withMigrationLock } from '../../src/store/dialects/postgres.js';
import { availableBackends, createTestStore, POSTGRES_URL } from '../helpers/backends.js';

// doctor on PostgreSQL checks that every table of the store is in the schema (a schema half dropped by
// hand, or the wrong schema), and names the ones that are not.

if ((await availableBackends()).includes('postgres')) {
  test('doctor names every store table missing from the schema, whichever it is', async () => {
    const { store, config, dispose } = await createTestStore('postgres');
    try {
      const before = (await diagnose(config)).find((f) => f.check === 'tables');
      assert.deepEqual(before, { ok: true, check: 'tables', detail: `all ${Object.keys(STORE_TABLES).length} of the store's tables` });
      // Under the migration lock: another test's migrator reads every schema's tables meanwhile.
      await withMigrationLock(POSTGRES_URL, async () => {
        await sql`drop table tags`.execute(store.db);
        await sql`drop table profile_merges`.execute(store.db);
      });
      const after = (await diagnose(config)).find((f) => f.check === 'tables');
      assert.deepEqual(after, { ok: false, check: 'tables', detail: 'missing: tags, profile_merges' });
    } finally {
      await dispose();
    }
  });
}
