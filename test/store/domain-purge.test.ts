import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AddProfileKeyCommand, CreateDomainCommand, DeleteDomainCommand, GetDomainCommand, type CustomerProfilesClient, PutProfileObjectCommand, PutProfileObjectTypeCommand, SearchProfilesCommand, UpdateProfileCommand } from '@aws-sdk/client-customer-profiles';
import pg from 'pg';
import { sql } from 'kysely';
import type { Scope } from '../../src/domain/scope.js';
import type { KyselyStore } from '../../src/store/kysely-store.js';
import { KEY_INDEX_TABLES } from '../../src/store/dialects/row-writers/queries.js';
import { availableBackends, POSTGRES_URL } from '../helpers/backends.js';
import { expectAwsError } from '../helpers/errors.js';
import { TEST_ACCOUNT, TEST_REGION, withTestServer } from '../helpers/server.js';

/**
 * DeleteDomain removed a domain's profiles, objects, history and keys in its own transaction: measured
 * at 300,000 records, 5.0 s on SQLite (the one thread every request shares: 17 s at a million records)
 * and 2.8 s on PostgreSQL, where a domain of some millions of records passed the statement timeout and
 * could not be deleted at all. The domain now goes at once and its data a part at a time.
 */

const HOME: Scope = { accountId: TEST_ACCOUNT, region: TEST_REGION };
const OTHER_ACCOUNT = '111111111111';
const BY_NAME = ['profiles', 'profile_objects', 'profile_history', 'profile_extra_keys'] as const;

async function seed(client: CustomerProfilesClient, domain: string, records: number): Promise<void> {
  await client.send(new CreateDomainCommand({ DomainName: domain, DefaultExpirationDays: 30 }));
  await client.send(
    new PutProfileObjectTypeCommand({
      DomainName: domain,
      ObjectTypeName: 'Contact',
      Description: 'contacts',
      AllowProfileCreation: true,
      Fields: {
        Id: { Source: '_source.Id', Target: '_profile.AccountNumber', ContentType: 'STRING' },
        Email: { Source: '_source.Email', Target: '_profile.EmailAddress', ContentType: 'EMAIL_ADDRESS' },
      },
      Keys: { Id: [{ StandardIdentifiers: ['UNIQUE', 'PROFILE'], FieldNames: ['Id'] }], Email: [{ StandardIdentifiers: ['PROFILE'], FieldNames: ['Email'] }] },
    }),
  );
  for (let i = 0; i < records; i++) {
    await client.send(new PutProfileObjectCommand({ DomainName: domain, ObjectTypeName: 'Contact', Object: JSON.stringify({ Id: `c${i}`, Email: `c${i}@example.com` }) }));
  }
  // A key added by hand and a change of the profile: rows of the extra keys and the history.
  const [first] = (await client.send(new SearchProfilesCommand({ DomainName: domain, KeyName: '_email', Values: ['c0@example.com'] }))).Items ?? [];
  await client.send(new AddProfileKeyCommand({ DomainName: domain, ProfileId: first.ProfileId!, KeyName: '_phone', Values: ['+15550100'] }));
  await client.send(new UpdateProfileCommand({ DomainName: domain, ProfileId: first.ProfileId!, FirstName: 'Ada' }));
}

/** Rows a domain holds in each table that grows with its records (its key index entries by the id it had). */
async function rowsOf(store: KyselyStore, scope: Scope, domainName: string, domainId: number | undefined): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const table of BY_NAME) {
    const r = await sql<{ n: number }>`select count(*) as n from ${sql.table(table)} where account_id = ${scope.accountId} and region = ${scope.region} and domain_name = ${domainName}`.execute(store.db);
    counts[table] = Number(r.rows[0].n);
  }
  let keys = 0;
  if (domainId !== undefined) {
    for (const table of KEY_INDEX_TABLES) {
      keys += Number((await sql<{ n: number }>`select count(*) as n from ${sql.table(table)} where domain_id = ${domainId}`.execute(store.db)).rows[0].n);
    }
  }
  counts.keys = keys;
  return counts;
}

async function domainIdOf(store: KyselyStore, scope: Scope, domainName: string): Promise<number> {
  const row = await store.db
    .selectFrom('domain_ids')
    .select('domain_id')
    .where('account_id', '=', scope.accountId)
    .where('region', '=', scope.region)
    .where('domain_name', '=', domainName)
    .executeTakeFirstOrThrow();
  return Number(row.domain_id);
}

const EMPTY = { profiles: 0, profile_objects: 0, profile_history: 0, profile_extra_keys: 0, keys: 0 };


for (const backend of await availableBackends()) {
  describe(`a deleted domain's data [${backend}]`, () => {
    test("DeleteDomain removes a small domain's profiles, objects, history and keys before it answers, and no other domain's", async () => {
      await withTestServer(backend, async (s) => {
        const other = s.clientFor({ accountId: OTHER_ACCOUNT });
        await seed(s.client, 'shop', 12);
        await seed(s.client, 'stays', 3);
        await seed(other, 'shop', 4);
        const id = await domainIdOf(s.store, HOME, 'shop');
        assert.deepEqual(await rowsOf(s.store, HOME, 'shop', id), { profiles: 12, profile_objects: 12, profile_history: 3, profile_extra_keys: 1, keys: 50 });

        await s.client.send(new DeleteDomainCommand({ DomainName: 'shop' }));
        await expectAwsError(s.client.send(new GetDomainCommand({ DomainName: 'shop' })), 'ResourceNotFoundException', 404);
        assert.deepEqual(await rowsOf(s.store, HOME, 'shop', id), EMPTY);
        assert.equal(await s.store.domainPurges.of(HOME, 'shop'), undefined, 'the purge is over');
        assert.equal((await rowsOf(s.store, HOME, 'stays', await domainIdOf(s.store, HOME, 'stays'))).profiles, 3);
        const otherScope = { accountId: OTHER_ACCOUNT, region: TEST_REGION };
        assert.equal((await rowsOf(s.store, otherScope, 'shop', await domainIdOf(s.store, otherScope, 'shop'))).profiles, 4);
      });
    });

    test('a purge left unfinished (a large domain, a process that stopped) goes a bounded part at a time; the engine finishes it; a new domain of the name starts empty', async () => {
      await withTestServer(backend, async (s) => {
        await seed(s.client, 'old', 10);
        const id = await domainIdOf(s.store, HOME, 'old');
        // The deletion's transaction alone, as a process that stopped before its purge ran leaves it.
        assert.equal(await s.store.transaction((tx) => tx.domains.delete(HOME, 'old', 1)), true);
        const purge = await s.store.domainPurges.of(HOME, 'old');
        assert.deepEqual(purge, { scope: HOME, domainName: 'old', domainId: id });
        const first = await s.store.transaction((tx) => tx.domainPurges.removeSome(purge!, 7));
        assert.equal(first.removed, 7, 'a part takes at most the rows asked for');
        // PostgreSQL answers where the part stopped, and the next goes on from there.
        if (backend === 'postgres') assert.equal(first.position?.after.length, 3);
        const second = await s.store.transaction((tx) => tx.domainPurges.removeSome(purge!, 7, first.position));
        assert.equal(second.removed, 7);
        assert.equal(await s.store.transaction((tx) => tx.domainPurges.finish(purge!)), false, 'not over while rows are left');

        await s.engine.advance({ pages: 1 });
        assert.deepEqual(await rowsOf(s.store, HOME, 'old', id), EMPTY);
        assert.equal(await s.store.domainPurges.of(HOME, 'old'), undefined);

        await seed(s.client, 'again', 2);
        assert.equal(await s.store.transaction((tx) => tx.domains.delete(HOME, 'again', 2)), true);
        assert.ok(await s.store.domainPurges.of(HOME, 'again'));
        // CreateDomain finishes the purge of its namesake first: the old records must not outlive it,
        // and the purge must not take the new domain's.
        await s.client.send(new CreateDomainCommand({ DomainName: 'again', DefaultExpirationDays: 30 }));
        assert.equal(await s.store.domainPurges.of(HOME, 'again'), undefined);
        const found = await s.client.send(new SearchProfilesCommand({ DomainName: 'again', KeyName: '_email', Values: ['c0@example.com'] }));
        assert.deepEqual(found.Items ?? [], []);
      });
    });

    test("a reset of the account takes the key index entries of its domains still being purged", async () => {
      await withTestServer(backend, async (s) => {
        await seed(s.client, 'gone', 3);
        const id = await domainIdOf(s.store, HOME, 'gone');
        await s.store.transaction((tx) => tx.domains.delete(HOME, 'gone', 1));
        await s.store.reset(HOME.accountId);
        assert.deepEqual(await rowsOf(s.store, HOME, 'gone', id), EMPTY);
        assert.equal(await s.store.domainPurges.of(HOME, 'gone'), undefined);
      });
    });

    if (backend === 'postgres') {
      test('CreateDomain answers 429 while the last rows of its namesake are held by another transaction, and succeeds once they go', async () => {
        await withTestServer(backend, async (s) => {
          await seed(s.client, 'held', 3);
          await s.store.transaction((tx) => tx.domains.delete(HOME, 'held', 1));
          const schema = (await sql<{ schema: string }>`select current_schema() as schema`.execute(s.store.db)).rows[0].schema;
          const holder = new pg.Client({ connectionString: POSTGRES_URL, options: `-c search_path="${schema}"` });
          await holder.connect();
          try {
            await holder.query('begin');
            const held = await holder.query(`select profile_id from profiles where domain_name = 'held' limit 1 for update`);
            assert.equal(held.rowCount, 1);
            const started = performance.now();
            await expectAwsError(s.client.send(new CreateDomainCommand({ DomainName: 'held', DefaultExpirationDays: 30 })), 'ThrottlingException', 429, /still being removed/);
            assert.ok(performance.now() - started >= 9_000, 'it waited for the purge first');
            const left = await rowsOf(s.store, HOME, 'held', undefined);
            assert.equal(left.profiles, 1, 'everything but the held row went');
            await holder.query('rollback');
            await s.client.send(new CreateDomainCommand({ DomainName: 'held', DefaultExpirationDays: 30 }));
            assert.equal((await rowsOf(s.store, HOME, 'held', undefined)).profiles, 0);
          } finally {
            await holder.end();
          }
        });
      });
    }
  });
}
