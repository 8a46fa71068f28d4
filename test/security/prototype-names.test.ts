import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { availableBackends } from '../helpers/backends.js';
import { startServer, TEST_ACCOUNT, type TestServer } from '../helpers/server.js';
import { type RawResponse, send } from '../protocol/raw.js';

/**
 * Names that are also members of Object.prototype (`__proto__`, `constructor`, `toString`,
 * `hasOwnProperty`, `valueOf`) are ordinary names for the service: field and key names of an object
 * type, a record's source fields, custom attribute names, tag keys. Before, such definitions were
 * accepted and then every object rejected, and `__proto__` tags were dropped with a 200; checked once
 * against the old code. Raw HTTP throughout: the SDK's own serializer builds maps with `acc[k] = v`
 * and would drop a `__proto__` key before it left the client.
 */
const NAMES = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', 'isPrototypeOf'];

/** An object with the given own members, whatever their names (a literal `{ __proto__: … }` sets the prototype). */
const own = (entries: [string, unknown][]): Record<string, unknown> => JSON.parse(JSON.stringify(Object.fromEntries(entries)));

for (const backend of await availableBackends()) {
  describe(`names of Object.prototype members (${backend})`, () => {
    let server: TestServer;
    const call = async (method: string, path: string, body?: unknown): Promise<RawResponse> =>
      send(server.url, method, path, body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
    const ok = async (method: string, path: string, body?: unknown): Promise<Record<string, unknown>> => {
      const res = await call(method, path, body);
      assert.equal(res.status, 200, `${method} ${path}: ${res.text}`);
      return res.json as Record<string, unknown>;
    };
    const arn = (domain: string) => `arn:aws:profile:us-east-1:${TEST_ACCOUNT}:domains/${domain}`;

    before(async () => {
      server = await startServer(backend);
    });
    after(() => server.close());

    test('CreateDomain Tags and TagResource keep every such tag key, and UntagResource removes them', async () => {
      const tags = own(NAMES.map((n) => [n, `v-${n}`]));
      await ok('POST', '/domains/proto-tags', { DefaultExpirationDays: 30, Tags: tags });
      assert.deepEqual((await ok('GET', '/domains/proto-tags')).Tags, tags);
      const path = `/tags/${encodeURIComponent(arn('proto-tags'))}`;
      assert.deepEqual((await ok('GET', path)).tags, tags);

      await ok('POST', '/domains/proto-tags2', { DefaultExpirationDays: 30 });
      const path2 = `/tags/${encodeURIComponent(arn('proto-tags2'))}`;
      await ok('POST', path2, { tags: own([['__proto__', 'p'], ['constructor', 'c']]) });
      assert.deepEqual((await ok('GET', path2)).tags, own([['__proto__', 'p'], ['constructor', 'c']]));
      await ok('DELETE', `${path2}?tagKeys=__proto__`);
      assert.deepEqual((await ok('GET', path2)).tags, own([['constructor', 'c']]));
    });

    test('an object type whose fields and keys have such names ingests records and fills profiles with them', async () => {
      await ok('POST', '/domains/proto-objects', { DefaultExpirationDays: 30 });
      const fields = own([
        ['__proto__', { Source: '_source.__proto__', ContentType: 'STRING' }],
        ['constructor', { Source: '_source.constructor', Target: '_profile.Attributes.__proto__' }],
        ['toString', { Source: '_source.toString', Target: '_profile.Attributes.constructor' }],
        ['valueOf', { Source: '_source.valueOf', Target: '_profile.EmailAddress', ContentType: 'EMAIL_ADDRESS' }],
      ]);
      const keys = own([
        ['__proto__', [{ FieldNames: ['__proto__'], StandardIdentifiers: ['UNIQUE'] }]],
        ['constructor', [{ FieldNames: ['valueOf'], StandardIdentifiers: ['PROFILE'] }]],
      ]);
      await ok('PUT', '/domains/proto-objects/object-types/Proto', { Description: 'p', AllowProfileCreation: true, Fields: fields, Keys: keys });
      const stored = await ok('GET', '/domains/proto-objects/object-types/Proto');
      assert.deepEqual(stored.Fields, JSON.parse(JSON.stringify(fields)));
      assert.deepEqual(stored.Keys, keys);

      const record = own([
        ['__proto__', 'u-1'],
        ['constructor', 'gold'],
        ['toString', 'blue'],
        ['valueOf', 'Someone@Example.com'],
      ]);
      const put = await ok('PUT', '/domains/proto-objects/profiles/objects', { ObjectTypeName: 'Proto', Object: JSON.stringify(record) });
      assert.deepEqual(put, { ProfileObjectUniqueKey: 'u-1' });

      const found = await ok('POST', '/domains/proto-objects/profiles/search', { KeyName: 'constructor', Values: ['someone@example.com'] });
      const items = found.Items as Record<string, unknown>[];
      assert.equal(items.length, 1, JSON.stringify(found));
      assert.equal(items[0].EmailAddress, 'Someone@Example.com');
      assert.deepEqual(items[0].Attributes, own([['__proto__', 'gold'], ['constructor', 'blue']]));

      const objects = await ok('POST', '/domains/proto-objects/profiles/objects', { ObjectTypeName: 'Proto', ProfileId: items[0].ProfileId });
      const listed = objects.Items as { Object: string; ProfileObjectUniqueKey: string }[];
      assert.deepEqual(listed.map((o) => [o.ProfileObjectUniqueKey, JSON.parse(o.Object)]), [['u-1', record]]);
      for (const [KeyName, value, expected] of [['__proto__', 'u-1', 1], ['constructor', 'someone@example.com', 1], ['toString', 'x', 0]] as const) {
        const filtered = await ok('POST', '/domains/proto-objects/profiles/objects', {
          ObjectTypeName: 'Proto',
          ProfileId: items[0].ProfileId,
          ObjectFilter: { KeyName, Values: [value] },
        });
        assert.equal((filtered.Items as unknown[]).length, expected, `ObjectFilter on ${KeyName}`);
      }
    });

    test('a key naming a field called toString that Fields does not define is refused, not taken for a method', async () => {
      await ok('POST', '/domains/proto-undefined', { DefaultExpirationDays: 30 });
      const res = await call('PUT', '/domains/proto-undefined/object-types/T', {
        Description: 'p',
        Fields: { id: { Source: '_source.id' } },
        Keys: { id: [{ FieldNames: ['id'], StandardIdentifiers: ['UNIQUE'] }], other: [{ FieldNames: ['toString'], StandardIdentifiers: ['PROFILE'] }] },
      });
      assert.equal(res.status, 400, res.text);
      assert.match(res.text, /names the field toString, which is not defined in Fields/);
    });

    test('a record without such source fields does not read them from Object.prototype', async () => {
      await ok('POST', '/domains/proto-absent', { DefaultExpirationDays: 30 });
      await ok('PUT', '/domains/proto-absent/object-types/T', {
        Description: 'p',
        Fields: { id: { Source: '_source.id' }, c: { Source: '_source.constructor', Target: '_profile.Attributes.c' } },
        Keys: { id: [{ FieldNames: ['id'], StandardIdentifiers: ['UNIQUE', 'PROFILE'] }] },
      });
      await ok('PUT', '/domains/proto-absent/profiles/objects', { ObjectTypeName: 'T', Object: '{"id":"x1"}' });
      const found = await ok('POST', '/domains/proto-absent/profiles/search', { KeyName: 'id', Values: ['x1'] });
      assert.equal((found.Items as Record<string, unknown>[])[0].Attributes, undefined);
    });

    test('CreateProfile and SearchProfiles keep custom attributes of such names', async () => {
      await ok('POST', '/domains/proto-profiles', { DefaultExpirationDays: 30 });
      const attributes = own(NAMES.map((n) => [n, `a-${n}`]));
      const created = await ok('POST', '/domains/proto-profiles/profiles', { AccountNumber: 'acc-1', Attributes: attributes });
      const found = await ok('POST', '/domains/proto-profiles/profiles/search', { KeyName: '_account', Values: ['acc-1'] });
      const items = found.Items as Record<string, unknown>[];
      assert.equal(items[0].ProfileId, created.ProfileId);
      assert.deepEqual(items[0].Attributes, attributes);
    });
  });
}
