import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  ListProfileObjectsCommand,
  type ListProfileObjectsCommandInput,
  type ListProfileObjectsCommandOutput,
} from '@aws-sdk/client-customer-profiles';
import { availableBackends } from '../helpers/backends.js';
import { expectAwsError } from '../helpers/errors.js';
import { domainWithType, profileOf, putObject } from '../helpers/profile-objects.js';
import { startServer, type TestServer } from '../helpers/server.js';

for (const backend of await availableBackends()) {
  describe(`ListProfileObjects [${backend}]`, () => {
    let s: TestServer;
    let profileId: string;
    const keys: string[] = [];
    before(async () => {
      s = await startServer(backend);
      await domainWithType(s.client, 'lst');
      // Eight contacts of one person (one email), two of them with a work phone.
      for (let i = 0; i < 8; i++) {
        keys.push(
          await putObject(s.client, 'lst', {
            Id: `c${i}`,
            Email: 'pat@example.com',
            Phone: i % 4 === 1 ? `+1 555 010 500${i}` : undefined,
            Note: `contact ${i}`,
          }),
        );
      }
      profileId = await profileOf(s, 'lst', keys[0]);
      await putObject(s.client, 'lst', { Id: 'someone-else', Email: 'else@example.com' });
    });
    after(() => s.close());
    const list = (input: Partial<ListProfileObjectsCommandInput> = {}) =>
      s.client.send(
        new ListProfileObjectsCommand({ DomainName: 'lst', ObjectTypeName: 'Contact', ProfileId: profileId, ...input } as ListProfileObjectsCommandInput),
      );

    describe('serialization', () => {
      test('items carry ObjectTypeName, ProfileObjectUniqueKey and the Object as a JSON string', async () => {
        const out = await list({ MaxResults: 100 });
        assert.equal(out.$metadata.httpStatusCode, 200);
        assert.equal(out.Items?.length, 8);
        const item = out.Items?.find((i) => i.ProfileObjectUniqueKey === keys[3]);
        assert.equal(item?.ObjectTypeName, 'Contact');
        assert.deepEqual(JSON.parse(item?.Object ?? '{}'), { Id: 'c3', Email: 'pat@example.com', Note: 'contact 3' });
        assert.equal(out.NextToken, undefined);
      });

      test('every one of the profile’s objects is listed once, in a stable order', async () => {
        const listed = (await list()).Items?.map((i) => i.ProfileObjectUniqueKey) ?? [];
        assert.deepEqual([...listed].sort(), [...keys].sort());
        assert.deepEqual((await list()).Items?.map((i) => i.ProfileObjectUniqueKey), listed);
      });
    });

    describe('validation', () => {
      test('ProfileId must be 32 lowercase hex characters', async () => {
        await expectAwsError(list({ ProfileId: 'A'.repeat(32) }), 'BadRequestException', 400, "at 'ProfileId'", 'regular expression pattern');
        await expectAwsError(list({ ProfileId: 'a'.repeat(31) }), 'BadRequestException', 400, "at 'ProfileId'");
        await expectAwsError(list({ ProfileId: 'a'.repeat(33) }), 'BadRequestException', 400, "at 'ProfileId'");
        await expectAwsError(list({ ProfileId: 'a'.repeat(32) }), 'ResourceNotFoundException', 404);
      });

      test('ObjectTypeName and ProfileId are required', async () => {
        await expectAwsError(list({ ProfileId: undefined }), 'BadRequestException', 400, "Value null at 'ProfileId'");
        await expectAwsError(list({ ObjectTypeName: undefined }), 'BadRequestException', 400, "Value null at 'ObjectTypeName'");
      });

      test('MaxResults ranges 1..100; NextToken must be one this service issued', async () => {
        assert.equal((await list({ MaxResults: 1 })).Items?.length, 1);
        assert.equal((await list({ MaxResults: 100 })).Items?.length, 8);
        await expectAwsError(list({ MaxResults: 0 }), 'BadRequestException', 400, "at 'MaxResults'");
        await expectAwsError(list({ MaxResults: 101 }), 'BadRequestException', 400, "at 'MaxResults'");
        await expectAwsError(list({ NextToken: 'forged.token' }), 'BadRequestException', 400, 'NextToken');
      });

      test('ObjectFilter needs KeyName (the name pattern) and Values', async () => {
        await expectAwsError(list({ ObjectFilter: { KeyName: 'bad key', Values: ['x'] } }), 'BadRequestException', 400, "at 'ObjectFilter.KeyName'");
        await expectAwsError(list({ ObjectFilter: { KeyName: '_email' } as never }), 'BadRequestException', 400, "Value null at 'ObjectFilter.Values'");
        await expectAwsError(list({ ObjectFilter: { KeyName: '_email', Values: ['x'.repeat(256)] } }), 'BadRequestException', 400, "at 'ObjectFilter.Values.1'");
      });
    });

    describe('behaviour', () => {
      test('pages walk all of the profile’s objects once', async () => {
        const pages: ListProfileObjectsCommandOutput[] = [];
        let token: string | undefined;
        do {
          const page = await list({ MaxResults: 3, NextToken: token });
          pages.push(page);
          token = page.NextToken;
        } while (token);
        assert.deepEqual(pages.map((p) => p.Items?.length), [3, 3, 2]);
        // The database's collation decides the order; a walk follows the order of one full listing.
        const all = (await list()).Items?.map((i) => i.ProfileObjectUniqueKey);
        assert.deepEqual(pages.flatMap((p) => p.Items?.map((i) => i.ProfileObjectUniqueKey)), all);
      });

      test('ObjectFilter keeps the objects whose key has one of the values, compared as the key indexes them', async () => {
        const out = await list({ ObjectFilter: { KeyName: '_phone', Values: ['(555) 010-5001', '+15550105005', '+15550109999'] } });
        assert.deepEqual(out.Items?.map((i) => JSON.parse(i.Object ?? '{}').Id).sort(), ['c1', 'c5']);
        const byEmail = await list({ ObjectFilter: { KeyName: '_email', Values: ['PAT@example.com'] } });
        assert.equal(byEmail.Items?.length, 8);
        const byId = await list({ ObjectFilter: { KeyName: '_contactId', Values: ['c6'] } });
        assert.deepEqual(byId.Items?.map((i) => i.ProfileObjectUniqueKey), [keys[6]]);
      });

      test('a filtered walk pages too, and its token is refused without the filter', async () => {
        const filter = { KeyName: '_phone', Values: ['5550105001', '5550105005'] };
        const first = await list({ ObjectFilter: filter, MaxResults: 1 });
        assert.equal(first.Items?.length, 1);
        const second = await list({ ObjectFilter: filter, MaxResults: 1, NextToken: first.NextToken });
        assert.equal(second.Items?.length, 1);
        assert.notEqual(second.Items?.[0].ProfileObjectUniqueKey, first.Items?.[0].ProfileObjectUniqueKey);
        await expectAwsError(list({ NextToken: first.NextToken }), 'BadRequestException', 400, 'does not belong to this request');
      });

      test('filtering by a key the object type does not have is a BadRequestException naming it', async () => {
        await expectAwsError(list({ ObjectFilter: { KeyName: '_orderId', Values: ['1'] } }), 'BadRequestException', 400, '_orderId', 'Contact');
      });

      test('a missing domain, object type or profile is a ResourceNotFoundException naming it', async () => {
        await expectAwsError(list({ DomainName: 'gone' }), 'ResourceNotFoundException', 404, 'gone');
        await expectAwsError(list({ ObjectTypeName: 'Orders' }), 'ResourceNotFoundException', 404, 'Orders');
        await expectAwsError(list({ ProfileId: 'f'.repeat(32) }), 'ResourceNotFoundException', 404, 'f'.repeat(32));
      });

      test('another account does not see the profile', async () => {
        const other = s.clientFor({ accountId: '111122223333' });
        await domainWithType(other, 'lst');
        await expectAwsError(
          other.send(new ListProfileObjectsCommand({ DomainName: 'lst', ObjectTypeName: 'Contact', ProfileId: profileId })),
          'ResourceNotFoundException',
          404,
        );
      });
    });
  });
}
