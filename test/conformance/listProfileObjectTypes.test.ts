import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  ListProfileObjectTypesCommand,
  type ListProfileObjectTypesCommandOutput,
  PutProfileObjectTypeCommand,
} from '@aws-sdk/client-customer-profiles';
import type { StructureShape } from '../../src/api/model-types.js';
import { serviceModel } from '../../src/api/model.generated.js';
import { ManualClock } from '../../src/engine/clock.js';
import { availableBackends } from '../helpers/backends.js';
import { expectAwsError } from '../helpers/errors.js';
import { CONTACT, createDomain, raw } from '../helpers/profile-objects.js';
import { startServer, type TestServer } from '../helpers/server.js';

for (const backend of await availableBackends()) {
  describe(`ListProfileObjectTypes [${backend}]`, () => {
    const clock = new ManualClock(Date.UTC(2026, 4, 5, 12, 0, 0, 500));
    let s: TestServer;
    const names = Array.from({ length: 7 }, (_, i) => `Type${i}`);
    before(async () => {
      s = await startServer(backend, { clock });
      await createDomain(s.client, 'many');
      for (const name of [...names].reverse()) {
        await s.client.send(
          new PutProfileObjectTypeCommand({
            DomainName: 'many',
            ObjectTypeName: name,
            ...CONTACT,
            MaxProfileObjectCount: name === 'Type0' ? 100 : undefined,
            SourcePriority: name === 'Type1' ? 3 : undefined,
            Tags: name === 'Type2' ? { t: '2' } : undefined,
          }),
        );
      }
      await createDomain(s.client, 'empty');
    });
    after(() => s.close());
    const list = (input: { DomainName?: string; MaxResults?: number; NextToken?: string } = {}) =>
      s.client.send(new ListProfileObjectTypesCommand({ DomainName: 'many', ...input }));

    describe('serialization', () => {
      test('items carry the list members only: name, description, times, counts, priority and tags', async () => {
        const out = await list();
        const [t0, t1, t2] = out.Items ?? [];
        assert.equal(t0.ObjectTypeName, 'Type0');
        assert.equal(t0.Description, CONTACT.Description);
        assert.deepEqual(t0.CreatedAt, new Date(clock.now()));
        assert.deepEqual(t0.LastUpdatedAt, new Date(clock.now()));
        assert.equal(t0.MaxProfileObjectCount, 100);
        assert.equal(t0.MaxAvailableProfileObjectCount, 1000);
        assert.equal(t1.MaxAvailableProfileObjectCount, 900, 'what Type0 holds is not available to the others');
        assert.equal(t1.SourcePriority, 3);
        assert.deepEqual(t2.Tags, { t: '2' });
        assert.equal(t0.Tags, undefined);
        // On the wire (the SDK would drop a member its model lacks): each item has the list item's members only.
        const wire = await raw(s, 'GET', '/domains/many/object-types');
        const members = Object.keys((serviceModel.shapes.ListProfileObjectTypeItem as StructureShape).members);
        for (const item of wire.json.Items as Record<string, unknown>[]) {
          assert.deepEqual(Object.keys(item).filter((k) => !members.includes(k)), [], `members of ${String(item.ObjectTypeName)}`);
          assert.equal(item.Fields, undefined, 'the list does not carry the definition');
        }
        assert.equal(out.NextToken, undefined);
      });

      test('a domain without types answers an empty list', async () => {
        const out = await list({ DomainName: 'empty' });
        assert.deepEqual(out.Items, []);
        assert.equal(out.NextToken, undefined);
      });
    });

    describe('validation', () => {
      test('MaxResults ranges 1..100 at both bounds', async () => {
        assert.equal((await list({ MaxResults: 1 })).Items?.length, 1);
        assert.equal((await list({ MaxResults: 100 })).Items?.length, 7);
        await expectAwsError(list({ MaxResults: 0 }), 'BadRequestException', 400, "at 'MaxResults'");
        await expectAwsError(list({ MaxResults: 101 }), 'BadRequestException', 400, 'less than or equal to 100');
      });

      test('NextToken must be 1..1024 characters and one this service issued', async () => {
        await expectAwsError(list({ NextToken: 'x'.repeat(1025) }), 'BadRequestException', 400, "at 'NextToken'");
        await expectAwsError(list({ NextToken: '' }), 'BadRequestException', 400, "at 'NextToken'");
        await expectAwsError(list({ NextToken: 'made-up.token' }), 'BadRequestException', 400, 'NextToken is not valid');
        // 1,024 characters pass the length check: the token is then read, and was not issued here.
        await expectAwsError(list({ NextToken: `${'x'.repeat(1019)}.abcd` }), 'BadRequestException', 400, 'NextToken is not valid');
      });
    });

    describe('behaviour', () => {
      test('pages walk every type once, in name order', async () => {
        const pages: ListProfileObjectTypesCommandOutput[] = [];
        let token: string | undefined;
        do {
          const page = await list({ MaxResults: 3, NextToken: token });
          pages.push(page);
          token = page.NextToken;
        } while (token);
        assert.deepEqual(pages.map((p) => p.Items?.length), [3, 3, 1]);
        assert.deepEqual(pages.flatMap((p) => p.Items?.map((i) => i.ObjectTypeName)), names);
      });

      test('a token of one domain is refused for another', async () => {
        const first = await list({ MaxResults: 1 });
        await expectAwsError(list({ DomainName: 'empty', NextToken: first.NextToken }), 'BadRequestException', 400, 'does not belong to this request');
      });

      test('a missing domain is a ResourceNotFoundException naming it', async () => {
        await expectAwsError(list({ DomainName: 'ghost' }), 'ResourceNotFoundException', 404, 'ghost');
      });
    });
  });
}
