import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { CompiledReads } from '../../src/store/repositories/compiled-reads.js';
import { availableBackends, createTestStore, type TestStore } from '../helpers/backends.js';

const home = { accountId: '000000000000', region: 'us-east-1' };

for (const backend of await availableBackends()) {
  describe(`compiled reads [${backend}]`, () => {
    let t: TestStore;
    before(async () => {
      t = await createTestStore(backend);
      for (const name of ['alpha', 'beta']) {
        assert.equal(await t.store.domains.create(home, { domainName: name, createdAt: 1_000, updatedAt: 1_000 }), true);
      }
    });
    after(() => t?.dispose());

    test('a shape compiled once answers later calls with their own parameters, in the order the builder put them', async () => {
      const reads = new CompiledReads(t.store.db);
      let builds = 0;
      const byName = (domainName: string) =>
        reads.rows<{ domain_name: string }>('by-name', { ...home, domainName }, (p) => {
          builds++;
          return t.store.db
            .selectFrom('domains')
            .select('domain_name')
            .where('account_id', '=', p('accountId'))
            .where('region', '=', p('region'))
            .where('domain_name', '=', p('domainName'));
        });
      assert.deepEqual(await byName('alpha'), [{ domain_name: 'alpha' }]);
      assert.deepEqual(await byName('beta'), [{ domain_name: 'beta' }]);
      assert.deepEqual(await byName('gamma'), []);
      assert.equal(builds, 1);
    });

    test('an IN list compiled for its length takes each call\'s elements, in order', async () => {
      const reads = new CompiledReads(t.store.db);
      let builds = 0;
      const byNames = (names: string[]) =>
        reads.rows<{ domain_name: string }>(`by-names:${names.length}`, { ...home, names }, (p) => {
          builds++;
          return t.store.db
            .selectFrom('domains')
            .select('domain_name')
            .where('account_id', '=', p('accountId'))
            .where(
              'domain_name',
              'in',
              names.map((_, i) => p('names', i)),
            )
            .where('region', '=', p('region'))
            .orderBy('domain_name');
        });
      assert.deepEqual(await byNames(['alpha', 'beta']), [{ domain_name: 'alpha' }, { domain_name: 'beta' }]);
      assert.deepEqual(await byNames(['beta', 'gamma']), [{ domain_name: 'beta' }]);
      assert.deepEqual(await byNames(['gamma']), []);
      assert.deepEqual(await byNames(['alpha']), [{ domain_name: 'alpha' }]);
      assert.equal(builds, 2, 'one build per length');
    });

    test('a value not given through p() is refused rather than frozen into every later call', async () => {
      const reads = new CompiledReads(t.store.db);
      await assert.rejects(
        reads.rows('frozen', {}, () => t.store.db.selectFrom('domains').select('domain_name').where('domain_name', '=', 'alpha')),
        /a parameter was not given through p\(\): alpha/,
      );
    });
  });
}
