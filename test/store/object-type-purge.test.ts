import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  CreateDomainCommand,
  DeleteDomainCommand,
  DeleteProfileObjectTypeCommand,
  GetDomainCommand,
  ListProfileObjectsCommand,
  PutProfileObjectCommand,
  PutProfileObjectTypeCommand,
  SearchProfilesCommand,
} from '@aws-sdk/client-customer-profiles';
import pg from 'pg';
import { sql } from 'kysely';
import type { Scope } from '../../src/domain/scope.js';
import { purgeDeletedObjectTypes } from '../../src/ingest/object-type-purge.js';
import { availableBackends, POSTGRES_URL } from '../helpers/backends.js';
import { expectAwsError } from '../helpers/errors.js';
import { TEST_ACCOUNT, TEST_REGION, type TestServer, withTestServer } from '../helpers/server.js';

/**
 * DeleteProfileObjectType removed a type's objects, kept their keys and history and scrubbed the
 * profiles they filled, all in one transaction: a type of 100,000 objects held SQLite's only thread 19 s
 * and took 256 MB more memory, every key of the type read at once. The type now goes at once and its
 * objects a part at a time, each part going on where the last stopped.
 */

const HOME: Scope = { accountId: TEST_ACCOUNT, region: TEST_REGION };
/** More than a part's 500 objects. */
const OBJECTS = 1_100;

function contactType(domain: string, name = 'Contact') {
  return new PutProfileObjectTypeCommand({
    DomainName: domain,
    ObjectTypeName: name,
    Description: 'contacts',
    AllowProfileCreation: true,
    Fields: {
      Id: { Source: '_source.Id', Target: '_profile.AccountNumber', ContentType: 'STRING' },
      Email: { Source: '_source.Email', Target: '_profile.EmailAddress', ContentType: 'EMAIL_ADDRESS' },
      Name: { Source: '_source.Name', Target: '_profile.FirstName', ContentType: 'STRING' },
    },
    Keys: { Id: [{ StandardIdentifiers: ['UNIQUE', 'PROFILE'], FieldNames: ['Id'] }], Email: [{ StandardIdentifiers: ['PROFILE'], FieldNames: ['Email'] }] },
  });
}

async function seed(s: TestServer, domain: string, objects: number): Promise<void> {
  await s.client.send(new CreateDomainCommand({ DomainName: domain, DefaultExpirationDays: 30 }));
  await s.client.send(contactType(domain));
  for (let i = 0; i < objects; i += 50) {
    await Promise.all(
      Array.from({ length: Math.min(50, objects - i) }, (_, j) =>
        s.client.send(new PutProfileObjectCommand({ DomainName: domain, ObjectTypeName: 'Contact', Object: JSON.stringify({ Id: `c${i + j}`, Email: `c${i + j}@example.com`, Name: `N${i + j}` }) })),
      ),
    );
  }
}

async function objectsOfType(s: TestServer, domain: string, type = 'Contact'): Promise<number> {
  return s.store.profileObjects.countOfObjectType(HOME, domain, type);
}

/**
 * The profile holding the key `Email` the type gave it, which the profile keeps as an extra key when the
 * objects go (the standard `_email` goes with the scrubbed EmailAddress; a key of a type that no longer
 * exists is not searchable, so it is read from the store).
 */
async function profileByEmail(s: TestServer, domain: string, email: string): Promise<{ FirstName?: unknown; ProfileId: string }> {
  const [key] = await s.store.profiles.findByKeys(HOME, domain, [{ keyName: 'Email', keyValue: email }]);
  assert.ok(key, `a profile keeps the key Email=${email}`);
  const profile = await s.store.profiles.get(HOME, domain, key.profileId);
  assert.ok(profile);
  return { ...profile.attributes, ProfileId: profile.profileId };
}

/** The deletion's transaction alone, as a process that stopped before its purge ran leaves it. */
async function deleteTypeOnly(s: TestServer, domain: string, type = 'Contact'): Promise<void> {
  await s.store.transaction(async (tx) => {
    assert.equal(await tx.objectTypes.delete(HOME, domain, type), true);
    await tx.objectTypePurges.record(HOME, domain, type, 1);
  });
}


for (const backend of await availableBackends()) {
  describe(`a deleted object type's objects [${backend}]`, () => {
    test('go a part at a time from where the last stopped; the profiles keep their keys, lose the scrubbed fields, and the engine finishes a purge left pending', async () => {
      await withTestServer(backend, async (s) => {
        await seed(s, 'shop', OBJECTS);
        await deleteTypeOnly(s, 'shop');
        await purgeDeletedObjectTypes(s.store, () => Date.now(), { until: performance.now() });
        const purge = await s.store.objectTypePurges.of(HOME, 'shop', 'Contact');
        assert.ok(purge);
        assert.equal(purge.objectsDone, false);
        assert.equal(await objectsOfType(s, 'shop'), OBJECTS - 500, 'one part: 500 objects');
        await purgeDeletedObjectTypes(s.store, () => Date.now(), { until: performance.now() });
        assert.equal(await objectsOfType(s, 'shop'), OBJECTS - 1000, 'the next part went on from the last key');
        assert.ok((await s.store.objectTypePurges.of(HOME, 'shop', 'Contact'))!.objectsAfter! > purge.objectsAfter!);

        await s.engine.runUntilIdle();
        assert.equal(await objectsOfType(s, 'shop'), 0);
        assert.equal(await s.store.objectTypePurges.of(HOME, 'shop', 'Contact'), undefined);
        // The profiles stay, found by the keys the objects gave them, without the fields the type filled.
        for (const i of [0, 777, OBJECTS - 1]) {
          const profile = await profileByEmail(s, 'shop', `c${i}@example.com`);
          assert.equal(profile.FirstName, undefined, `profile ${i} scrubbed`);
        }
        const stats = await s.client.send(new GetDomainCommand({ DomainName: 'shop' }));
        assert.equal(stats.Stats?.ObjectCount, 0);
      });
    });

    test('DeleteProfileObjectType removes a small type before it answers, with the count of its objects', async () => {
      await withTestServer(backend, async (s) => {
        await seed(s, 'small', 30);
        const out = await s.client.send(new DeleteProfileObjectTypeCommand({ DomainName: 'small', ObjectTypeName: 'Contact' }));
        assert.equal(out.Message, 'Object type Contact was deleted from domain small, with 30 objects and 0 integrations.');
        assert.equal(await objectsOfType(s, 'small'), 0);
        assert.equal(await s.store.objectTypePurges.of(HOME, 'small', 'Contact'), undefined);
        const profile = await profileByEmail(s, 'small', 'c3@example.com');
        assert.equal(profile.FirstName, undefined);
      });
    });

    test('a type created again under the name waits for the purge, and keeps its own objects', async () => {
      await withTestServer(backend, async (s) => {
        await seed(s, 'again', 20);
        await deleteTypeOnly(s, 'again');
        await s.client.send(contactType('again'));
        assert.equal(await s.store.objectTypePurges.of(HOME, 'again', 'Contact'), undefined, 'the purge ended first');
        await s.client.send(new PutProfileObjectCommand({ DomainName: 'again', ObjectTypeName: 'Contact', Object: JSON.stringify({ Id: 'new', Email: 'new@example.com', Name: 'New' }) }));
        await s.engine.runUntilIdle();
        const [profile] = (await s.client.send(new SearchProfilesCommand({ DomainName: 'again', KeyName: '_email', Values: ['new@example.com'] }))).Items ?? [];
        const objects = await s.client.send(new ListProfileObjectsCommand({ DomainName: 'again', ObjectTypeName: 'Contact', ProfileId: profile.ProfileId! }));
        assert.equal(objects.Items?.length, 1);
        assert.equal(profile.FirstName, 'New');
      });
    });

    test("a DeleteDomain during a type's purge ends it: the domain's own purge takes what is left", async () => {
      await withTestServer(backend, async (s) => {
        await seed(s, 'both', 20);
        await deleteTypeOnly(s, 'both');
        await s.client.send(new DeleteDomainCommand({ DomainName: 'both' }));
        assert.equal(await s.store.objectTypePurges.of(HOME, 'both', 'Contact'), undefined);
        assert.equal(await objectsOfType(s, 'both'), 0);
      });
    });

    if (backend === 'postgres') {
      test('PutProfileObjectType answers 429 while another transaction holds the purge of its name, and succeeds once it is let go', async () => {
        await withTestServer(backend, async (s) => {
          await seed(s, 'held', 5);
          await deleteTypeOnly(s, 'held');
          const schema = (await sql<{ schema: string }>`select current_schema() as schema`.execute(s.store.db)).rows[0].schema;
          const holder = new pg.Client({ connectionString: POSTGRES_URL, options: `-c search_path="${schema}"` });
          await holder.connect();
          try {
            await holder.query('begin');
            assert.equal((await holder.query(`select 1 from object_type_purges where domain_name = 'held' for update`)).rowCount, 1);
            const started = performance.now();
            await expectAwsError(s.client.send(contactType('held')), 'ThrottlingException', 429, /still being removed/);
            assert.ok(performance.now() - started >= 9_000, 'it waited for the purge first');
            assert.equal(await objectsOfType(s, 'held'), 5, 'nothing of the held purge was done');
            await holder.query('rollback');
            await s.client.send(contactType('held'));
            assert.equal(await objectsOfType(s, 'held'), 0);
          } finally {
            await holder.end();
          }
        });
      });
    }
  });
}
