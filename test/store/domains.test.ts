import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { migrateStore, openStore, type StoreConfig } from '../../src/store/open-store.js';
import { purgeDeletedDomains } from '../../src/store/purge-domain.js';
import type { DomainRecord } from '../../src/store/types.js';
import type { Scope } from '../../src/domain/scope.js';
import { availableBackends, createTestStore, dropSchema, POSTGRES_URL, type TestStore } from '../helpers/backends.js';

const home: Scope = { accountId: '000000000000', region: 'us-east-1' };
const otherAccount: Scope = { accountId: '111122223333', region: 'us-east-1' };
const otherRegion: Scope = { accountId: '000000000000', region: 'eu-west-1' };

function domain(name: string, extra: Partial<DomainRecord> = {}): DomainRecord {
  return { domainName: name, defaultExpirationDays: 30, createdAt: 1_700_000_000_000, updatedAt: 1_700_000_000_000, ...extra };
}

for (const backend of await availableBackends()) {
  describe(`domain repository [${backend}]`, () => {
    let t: TestStore;
    before(async () => {
      t = await createTestStore(backend);
    });
    after(() => t?.dispose());

    describe('create and get', () => {
      test('a created domain reads back with every field, structured values included', async () => {
        const full = domain('full', {
          defaultExpirationDays: 1098,
          defaultEncryptionKey: 'arn:aws:kms:us-east-1:123456789012:key/abc',
          deadLetterQueueUrl: 'https://sqs.us-east-1.amazonaws.com/123456789012/dlq',
          matching: { Enabled: true, JobSchedule: { DayOfTheWeek: 'SUNDAY', Time: '03:00' } },
          ruleBasedMatching: { Enabled: false, MatchingRules: [{ Rule: ['EmailAddress'] }] },
          dataStore: { Enabled: true },
          createdAt: 1_700_000_000_123,
          updatedAt: 1_700_000_000_456,
        });
        assert.equal(await t.store.domains.create(home, full), true);
        assert.deepEqual(await t.store.domains.get(home, 'full'), full);
      });

      test('optional fields that were not given read back as undefined', async () => {
        await t.store.domains.create(home, { domainName: 'bare', createdAt: 1, updatedAt: 2 });
        assert.deepEqual(await t.store.domains.get(home, 'bare'), {
          domainName: 'bare',
          defaultExpirationDays: undefined,
          defaultEncryptionKey: undefined,
          deadLetterQueueUrl: undefined,
          matching: undefined,
          ruleBasedMatching: undefined,
          dataStore: undefined,
          createdAt: 1,
          updatedAt: 2,
        });
      });

      test('creating a name that exists answers false and leaves the first one as it was', async () => {
        await t.store.domains.create(home, domain('twice', { defaultExpirationDays: 5 }));
        assert.equal(await t.store.domains.create(home, domain('twice', { defaultExpirationDays: 9 })), false);
        assert.equal((await t.store.domains.get(home, 'twice'))?.defaultExpirationDays, 5);
      });

      test('a missing domain is undefined', async () => {
        assert.equal(await t.store.domains.get(home, 'never-created'), undefined);
      });
    });

    describe('scoping', () => {
      test('the same name lives separately in each account and region', async () => {
        assert.equal(await t.store.domains.create(home, domain('shared', { defaultExpirationDays: 1 })), true);
        assert.equal(await t.store.domains.get(otherAccount, 'shared'), undefined);
        assert.equal(await t.store.domains.get(otherRegion, 'shared'), undefined);
        assert.equal(await t.store.domains.create(otherAccount, domain('shared', { defaultExpirationDays: 2 })), true);
        assert.equal(await t.store.domains.create(otherRegion, domain('shared', { defaultExpirationDays: 3 })), true);
        assert.equal((await t.store.domains.get(home, 'shared'))?.defaultExpirationDays, 1);
        assert.equal((await t.store.domains.get(otherAccount, 'shared'))?.defaultExpirationDays, 2);
        assert.equal((await t.store.domains.get(otherRegion, 'shared'))?.defaultExpirationDays, 3);

        assert.equal(await t.store.domains.delete(otherAccount, 'shared', 1), true);
        assert.ok(await t.store.domains.get(home, 'shared'), 'deleting in one account leaves the others');
        assert.ok(await t.store.domains.get(otherRegion, 'shared'));
      });
    });

    describe('update', () => {
      test('replaces the stored fields but keeps the creation time', async () => {
        await t.store.domains.create(home, domain('upd', { deadLetterQueueUrl: 'https://q', matching: { Enabled: true } }));
        const changed = domain('upd', { defaultExpirationDays: 7, dataStore: { Enabled: false }, createdAt: 5, updatedAt: 1_800_000_000_000 });
        assert.equal(await t.store.domains.update(home, changed), true);
        assert.deepEqual(await t.store.domains.get(home, 'upd'), {
          ...changed,
          deadLetterQueueUrl: undefined,
          defaultEncryptionKey: undefined,
          matching: undefined,
          ruleBasedMatching: undefined,
          createdAt: 1_700_000_000_000,
        });
      });

      test('answers false for a domain that does not exist, in this scope', async () => {
        await t.store.domains.create(home, domain('upd-scope'));
        assert.equal(await t.store.domains.update(home, domain('upd-missing')), false);
        assert.equal(await t.store.domains.update(otherAccount, domain('upd-scope')), false);
        assert.equal(await t.store.domains.get(otherAccount, 'upd-missing'), undefined);
      });
    });

    describe('delete', () => {
      test('answers true once, then false', async () => {
        await t.store.domains.create(home, domain('del'));
        assert.equal(await t.store.domains.delete(home, 'del', 1), true);
        assert.equal(await t.store.domains.get(home, 'del'), undefined);
        assert.equal(await t.store.domains.delete(home, 'del', 1), false);
      });

      test('takes the domain contents with it, and only that domain contents', async () => {
        for (const name of ['gone', 'stays']) {
          await t.store.domains.create(home, domain(name));
          await seedProfile(t, home, name, `p-${name}`);
          await seedObject(t, home, name, `o-${name}`, 10);
        }
        await t.store.domains.delete(home, 'gone', 1);
        await purgeDeletedDomains(t.store);
        assert.deepEqual(await t.store.profiles.get(home, 'gone', 'p-gone'), undefined);
        assert.ok(await t.store.profiles.get(home, 'stays', 'p-stays'));
        assert.deepEqual(await t.store.domains.stats(home, 'gone'), { ProfileCount: 0, MeteringProfileCount: 0, ObjectCount: 0, TotalSize: 0 });
        assert.deepEqual(await t.store.domains.stats(home, 'stays'), { ProfileCount: 1, MeteringProfileCount: 1, ObjectCount: 1, TotalSize: 10 });
      });
    });

    describe('list', () => {
      let s: TestStore;
      const scope: Scope = { accountId: '999988887777', region: 'ap-south-1' };
      const names = ['B', 'Z9', 'a', 'a-b', 'a_b', 'b', 'b1', 'c'];
      before(async () => {
        s = await createTestStore(backend);
        // Inserted out of order.
        for (const n of [...names].reverse()) await s.store.domains.create(scope, domain(n));
        await s.store.domains.create({ ...scope, region: 'us-east-1' }, domain('elsewhere'));
      });
      after(() => s?.dispose());

      test('lists the scope only, ordered by name in code-point order', async () => {
        const all = await s.store.domains.list(scope, undefined, 100);
        assert.deepEqual(all.map((d) => d.domainName), names);
        assert.equal(all[0].defaultExpirationDays, 30);
        assert.equal(all[0].createdAt, 1_700_000_000_000);
      });

      test('walks with a keyset position: rows strictly after the name, limited', async () => {
        const walked: string[] = [];
        let after: string | undefined;
        for (;;) {
          const page = await s.store.domains.list(scope, after, 3);
          walked.push(...page.map((d) => d.domainName));
          if (page.length < 3) break;
          after = page[page.length - 1].domainName;
        }
        assert.deepEqual(walked, names);
        assert.deepEqual((await s.store.domains.list(scope, 'a-b', 2)).map((d) => d.domainName), ['a_b', 'b']);
        assert.deepEqual(await s.store.domains.list(scope, 'c', 10), []);
        // The position need not be an existing name.
        assert.deepEqual((await s.store.domains.list(scope, 'a0', 10)).map((d) => d.domainName), ['a_b', 'b', 'b1', 'c']);
      });

      test('an empty scope lists nothing', async () => {
        assert.deepEqual(await s.store.domains.list({ accountId: '123412341234', region: 'ap-south-1' }, undefined, 10), []);
      });
    });

    describe('stats', () => {
      test('counts the profiles and objects of the domain in this scope, and sums object sizes', async () => {
        await t.store.domains.create(home, domain('st'));
        assert.deepEqual(await t.store.domains.stats(home, 'st'), { ProfileCount: 0, MeteringProfileCount: 0, ObjectCount: 0, TotalSize: 0 });

        await seedProfile(t, home, 'st', 'p1');
        await seedProfile(t, home, 'st', 'p2');
        await seedObject(t, home, 'st', 'o1', 100);
        await seedObject(t, home, 'st', 'o2', 23);
        await seedObject(t, home, 'st', 'o3', 4000);
        // Same domain name elsewhere, and another domain here: not counted.
        await seedProfile(t, otherAccount, 'st', 'p9');
        await seedObject(t, otherRegion, 'st', 'o9', 5);
        await seedProfile(t, home, 'st-other', 'p8');

        assert.deepEqual(await t.store.domains.stats(home, 'st'), {
          ProfileCount: 2,
          MeteringProfileCount: 2,
          ObjectCount: 3,
          TotalSize: 4123,
        });
      });
    });

    describe('transactions', () => {
      test('work that throws leaves nothing behind, and the error comes out as it was', async () => {
        const boom = new Error('boom');
        await assert.rejects(
          t.store.transaction(async (tx) => {
            assert.equal(await tx.domains.create(home, domain('tx-rolled-back')), true);
            assert.ok(await tx.domains.get(home, 'tx-rolled-back'), 'visible inside the transaction');
            await tx.tags.put(home, 'arn:tx', { k: 'v' });
            throw boom;
          }),
          (err: unknown) => err === boom,
        );
        assert.equal(await t.store.domains.get(home, 'tx-rolled-back'), undefined);
        assert.deepEqual(await t.store.tags.get(home, 'arn:tx'), {});
      });

      test('work that succeeds is committed and its result returned', async () => {
        const result = await t.store.transaction(async (tx) => {
          await tx.domains.create(home, domain('tx-committed'));
          // A nested transaction joins the outer one.
          return tx.transaction(async (inner) => {
            await inner.tags.put(home, 'arn:tx-ok', { k: 'v' });
            return 42;
          });
        });
        assert.equal(result, 42);
        assert.ok(await t.store.domains.get(home, 'tx-committed'));
        assert.deepEqual(await t.store.tags.get(home, 'arn:tx-ok'), { k: 'v' });
      });

      test('a failure inside a nested transaction rolls back the outer work too', async () => {
        await assert.rejects(
          t.store.transaction(async (tx) => {
            await tx.domains.create(home, domain('tx-outer'));
            await tx.transaction(async () => {
              throw new Error('inner');
            });
          }),
          /inner/,
        );
        assert.equal(await t.store.domains.get(home, 'tx-outer'), undefined);
      });
    });

    describe('migrations', () => {
      test('a fresh database gets every migration once; running again applies nothing', async () => {
        let config: StoreConfig;
        let schema: string | undefined;
        if (backend === 'sqlite') config = { backend: 'sqlite', dataDir: '', file: ':memory:' };
        else {
          schema = `pf_test_mig_${process.pid}_${randomBytes(4).toString('hex')}`;
          config = { backend: 'postgres', databaseUrl: POSTGRES_URL, schema, poolSize: 2 };
        }
        const store = await openStore(config, { migrate: false });
        try {
          // Under the migration lock, as serve and migrate run it: Kysely's migrator reads every schema's
          // tables, and another test dropping its schema meanwhile would fail the read.
          const first = await migrateStore(config, store);
          assert.ok(first.includes('001-foundation'), `applied ${first.join(', ')}`);
          assert.deepEqual(await migrateStore(config, store), []);
          assert.deepEqual(await migrateStore(config, store), []);
          // The store works after it, and the page-token secret the first migration made is there.
          assert.equal((await store.pageTokenSecret()).length, 32);
          assert.equal(await store.domains.create(home, domain('after-migrate')), true);
        } finally {
          await store.close();
          if (schema) await dropSchema(schema);
        }
      });

      test('opening a migrated store migrates nothing more', async () => {
        assert.deepEqual(await migrateStore(t.config, t.store), []);
      });
    });
  });
}

/**
 * Stats are counters the profile repositories keep with every write (migration 006), so the rows are
 * seeded through those repositories, as ingestion and CreateProfile write them.
 */
async function seedProfile(t: TestStore, scope: Scope, domainName: string, profileId: string): Promise<void> {
  await t.store.profiles.upsert(scope, domainName, [
    { profileId, attributes: {}, attributeSources: {}, inferred: false, createdAt: 1, updatedAt: 1 },
  ]);
}

async function seedObject(t: TestStore, scope: Scope, domainName: string, key: string, size: number): Promise<void> {
  await t.store.profileObjects.upsert(scope, domainName, [
    { objectTypeName: 'Orders', uniqueKey: key, profileId: 'p1', object: '{}', keyValues: {}, sizeBytes: size, createdAt: 1, updatedAt: 1 },
  ]);
}
