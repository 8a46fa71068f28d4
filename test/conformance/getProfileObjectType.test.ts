import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  GetProfileObjectTypeCommand,
  PutProfileObjectTypeCommand,
  TagResourceCommand,
  UntagResourceCommand,
} from '@aws-sdk/client-customer-profiles';
import { ManualClock } from '../../src/engine/clock.js';
import { availableBackends } from '../helpers/backends.js';
import { expectAwsError } from '../helpers/errors.js';
import { CONTACT, createDomain, domainWithType, objectTypeArnOf, raw } from '../helpers/profile-objects.js';
import { startServer, type TestServer } from '../helpers/server.js';

for (const backend of await availableBackends()) {
  describe(`GetProfileObjectType [${backend}]`, () => {
    const clock = new ManualClock(Date.UTC(2026, 3, 1, 8, 30, 0, 0));
    let s: TestServer;
    before(async () => {
      s = await startServer(backend, { clock });
      await domainWithType(s.client, 'get');
    });
    after(() => s.close());
    const get = (ObjectTypeName: string, DomainName = 'get') =>
      s.client.send(new GetProfileObjectTypeCommand({ DomainName, ObjectTypeName }));

    describe('serialization', () => {
      test('returns the stored definition with its times as Dates and MaxAvailableProfileObjectCount', async () => {
        const out = await get('Contact');
        assert.equal(out.$metadata.httpStatusCode, 200);
        assert.equal(out.ObjectTypeName, 'Contact');
        assert.equal(out.Description, CONTACT.Description);
        assert.equal(out.AllowProfileCreation, true);
        assert.deepEqual(out.Fields, CONTACT.Fields);
        assert.deepEqual(out.Keys, CONTACT.Keys);
        assert.deepEqual(out.CreatedAt, new Date(clock.now()));
        assert.deepEqual(out.LastUpdatedAt, new Date(clock.now()));
        assert.equal(out.MaxAvailableProfileObjectCount, 1000);
        assert.equal(out.Tags, undefined, 'no Tags member for a type without tags');
      });

      test('on the wire the body has exactly the output members, timestamps in epoch seconds', async () => {
        const res = await raw(s, 'GET', '/domains/get/object-types/Contact');
        assert.equal(res.status, 200);
        assert.equal(res.json.CreatedAt, clock.now() / 1000);
        assert.deepEqual(Object.keys(res.json).sort(), [
          'AllowProfileCreation',
          'CreatedAt',
          'Description',
          'Fields',
          'Keys',
          'LastUpdatedAt',
          'MaxAvailableProfileObjectCount',
          'ObjectTypeName',
        ]);
      });

      test('tags added with TagResource are returned, removed ones are gone', async () => {
        const arn = objectTypeArnOf('get', 'Contact');
        await s.client.send(new TagResourceCommand({ resourceArn: arn, tags: { a: '1', b: '2' } }));
        await s.client.send(new UntagResourceCommand({ resourceArn: arn, tagKeys: ['a'] }));
        assert.deepEqual((await get('Contact')).Tags, { b: '2' });
      });
    });

    describe('validation', () => {
      test('ObjectTypeName follows ^[a-zA-Z_][a-zA-Z_0-9-]*$ and 1..255 characters', async () => {
        await expectAwsError(get('9lives'), 'BadRequestException', 400, "at 'ObjectTypeName'", 'regular expression pattern');
        await expectAwsError(get(`a${'b'.repeat(255)}`), 'BadRequestException', 400, 'less than or equal to 255');
        await expectAwsError(get(`a${'b'.repeat(254)}`), 'ResourceNotFoundException', 404);
      });

      test('DomainName longer than 64 characters is rejected', async () => {
        await expectAwsError(get('Contact', 'd'.repeat(65)), 'BadRequestException', 400, "at 'DomainName'");
      });
    });

    describe('behaviour', () => {
      test('a missing type is a ResourceNotFoundException naming it and its domain', async () => {
        await expectAwsError(get('Orders'), 'ResourceNotFoundException', 404, 'Orders', 'get');
      });

      test('a missing domain is a ResourceNotFoundException naming the domain', async () => {
        await expectAwsError(get('Contact', 'elsewhere'), 'ResourceNotFoundException', 404, 'Domain elsewhere');
      });

      test('a type of the same name in another domain is another type', async () => {
        await createDomain(s.client, 'other');
        await s.client.send(
          new PutProfileObjectTypeCommand({ DomainName: 'other', ObjectTypeName: 'Contact', ...CONTACT, Description: 'other one' }),
        );
        assert.equal((await get('Contact', 'other')).Description, 'other one');
        assert.equal((await get('Contact')).Description, CONTACT.Description);
      });

      test('another region does not see the type', async () => {
        await expectAwsError(
          s.clientFor({ region: 'eu-west-1' }).send(new GetProfileObjectTypeCommand({ DomainName: 'get', ObjectTypeName: 'Contact' })),
          'ResourceNotFoundException',
          404,
        );
      });
    });
  });
}
