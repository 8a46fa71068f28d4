import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  CreateProfileCommand,
  type CreateProfileCommandInput,
  type Profile,
  SearchProfilesCommand,
  type SearchProfilesCommandInput,
} from '@aws-sdk/client-customer-profiles';
import { availableBackends } from '../helpers/backends.js';
import { expectAwsError } from '../helpers/errors.js';
import { domainWithType, putObject, raw } from '../helpers/profile-objects.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { alterToken } from '../helpers/workflows.js';

const DOMAIN = 'search';

for (const backend of await availableBackends()) {
  describe(`SearchProfiles [${backend}]`, () => {
    let s: TestServer;
    const ids: Record<string, string> = {};
    const create = async (name: string, input: Omit<CreateProfileCommandInput, 'DomainName'>) => {
      const out = await s.client.send(new CreateProfileCommand({ DomainName: DOMAIN, ...input }));
      ids[name] = out.ProfileId!;
      return out.ProfileId!;
    };
    before(async () => {
      s = await startServer(backend);
      // The Contact type of the helpers: _contactId (UNIQUE, PROFILE), _email and _phone (PROFILE).
      await domainWithType(s.client, DOMAIN);
      await create('ada', { FirstName: 'Ada', LastName: 'Lovelace', EmailAddress: 'ada@example.com', PhoneNumber: '+12065550100', AccountNumber: 'A-1' });
      await create('grace', { FirstName: 'Grace', LastName: 'Hopper', EmailAddress: 'grace@example.com', PhoneNumber: '+12065550100', AccountNumber: 'A-2' });
      await create('alan', { FirstName: 'Alan', LastName: 'Turing', EmailAddress: 'alan@example.com', AccountNumber: 'A-1' });
      for (let i = 0; i < 25; i++) await create(`smith${i}`, { FirstName: 'John', LastName: 'Smith', Attributes: { n: String(i) } });
    });
    after(() => s.close());
    const search = (input: Partial<SearchProfilesCommandInput>) =>
      s.client.send(new SearchProfilesCommand({ DomainName: DOMAIN, KeyName: '_email', Values: ['ada@example.com'], ...input } as SearchProfilesCommandInput));
    const idsOf = (items: Profile[] | undefined) => (items ?? []).map((p) => p.ProfileId).sort();

    describe('serialization', () => {
      test('Items are whole profiles; no NextToken when everything fits; no FoundByItems without AdditionalSearchKeys', async () => {
        const out = await search({});
        assert.equal(out.$metadata.httpStatusCode, 200);
        assert.deepEqual(out.Items, [
          { ProfileId: ids.ada, FirstName: 'Ada', LastName: 'Lovelace', EmailAddress: 'ada@example.com', PhoneNumber: '+12065550100', AccountNumber: 'A-1' },
        ]);
        assert.equal(out.NextToken, undefined);
      });

      test('on the wire: POST /domains/{DomainName}/profiles/search with max-results in the query', async () => {
        const res = await raw(s, 'POST', `/domains/${DOMAIN}/profiles/search?max-results=1`, { KeyName: '_phone', Values: ['+12065550100'] });
        assert.equal(res.status, 200);
        assert.deepEqual(Object.keys(res.json).sort(), ['Items', 'NextToken']);
        assert.equal((res.json.Items as unknown[]).length, 1);
      });

      test('nothing found is an empty Items list', async () => {
        const out = await search({ Values: ['nobody@example.com'] });
        assert.deepEqual(out.Items, []);
      });
    });

    describe('validation', () => {
      test('KeyName and Values are required', async () => {
        await expectAwsError(search({ KeyName: undefined }), 'BadRequestException', 400, "Value null at 'KeyName'");
        await expectAwsError(search({ Values: undefined }), 'BadRequestException', 400, "Value null at 'Values'");
      });

      test('KeyName follows the name pattern; LogicalOperator is AND or OR', async () => {
        await expectAwsError(search({ KeyName: 'not a key' }), 'BadRequestException', 400, "at 'KeyName'", 'pattern');
        await expectAwsError(search({ LogicalOperator: 'XOR' as never }), 'BadRequestException', 400, "at 'LogicalOperator'");
      });

      test('AdditionalSearchKeys holds 1..4 keys, each with KeyName and Values', async () => {
        const key = { KeyName: '_phone', Values: ['1'] };
        await expectAwsError(search({ AdditionalSearchKeys: [key, key, key, key, key] }), 'BadRequestException', 400, "at 'AdditionalSearchKeys'", 'less than or equal to 4');
        await expectAwsError(search({ AdditionalSearchKeys: [] }), 'BadRequestException', 400, 'greater than or equal to 1');
        await expectAwsError(search({ AdditionalSearchKeys: [{ KeyName: '_phone' } as never] }), 'BadRequestException', 400, "at 'AdditionalSearchKeys.1.Values'");
      });

      test('MaxResults is 1..100 and NextToken 1..1024 characters', async () => {
        await expectAwsError(search({ MaxResults: 0 }), 'BadRequestException', 400, "at 'MaxResults'");
        await expectAwsError(search({ MaxResults: 101 }), 'BadRequestException', 400, "at 'MaxResults'");
        await expectAwsError(search({ NextToken: 'x'.repeat(1025) }), 'BadRequestException', 400, "at 'NextToken'");
        await expectAwsError(search({ NextToken: '' }), 'BadRequestException', 400, "at 'NextToken'");
      });

      test('a KeyName that is no predefined search key and no key of any object type is named in the error', async () => {
        await expectAwsError(search({ KeyName: 'shoeSize' }), 'BadRequestException', 400, 'shoeSize', 'predefined search key');
        await expectAwsError(
          search({ AdditionalSearchKeys: [{ KeyName: '_emial', Values: ['x'] }] }),
          'BadRequestException',
          400,
          '_emial',
        );
      });

      test('a key without any value is a BadRequestException', async () => {
        await expectAwsError(search({ Values: [] }), 'BadRequestException', 400, 'no Values');
      });
    });

    describe('behaviour', () => {
      test('a missing domain is a ResourceNotFoundException', async () => {
        await expectAwsError(search({ DomainName: 'nope' }), 'ResourceNotFoundException', 404, 'nope');
      });

      test('the standard keys compare values as they are indexed', async () => {
        assert.deepEqual(idsOf((await search({ Values: ['ADA@EXAMPLE.COM'] })).Items), [ids.ada]);
        assert.deepEqual(idsOf((await search({ KeyName: '_phone', Values: ['(206) 555-0100'] })).Items), [ids.ada, ids.grace].sort());
        assert.deepEqual(idsOf((await search({ KeyName: '_account', Values: ['A-1'] })).Items), [ids.ada, ids.alan].sort());
        assert.deepEqual(idsOf((await search({ KeyName: '_fullName', Values: ['grace hopper'] })).Items), [ids.grace]);
        assert.deepEqual(idsOf((await search({ KeyName: '_profileId', Values: [ids.alan, '0'.repeat(32)] })).Items), [ids.alan]);
      });

      test('several Values of one key are alternatives', async () => {
        const out = await search({ Values: ['ada@example.com', 'alan@example.com', 'nobody@example.com'] });
        assert.deepEqual(idsOf(out.Items), [ids.ada, ids.alan].sort());
      });

      test('a list of 10,000 Values, the most accepted, is searched in parts of 5,000: matches in both parts walk page by page, in Values and in AdditionalSearchKeys', async () => {
        const fillers = (from: number, length: number) => Array.from({ length }, (_, i) => `nobody-${from + i}@example.com`);
        const Values = ['ada@example.com', ...fillers(0, 4_999), 'alan@example.com', ...fillers(4_999, 4_998), 'grace@example.com'];
        assert.equal(Values.length, 10_000);
        const seen: (string | undefined)[] = [];
        let token: string | undefined;
        do {
          const out = await search({ Values, MaxResults: 1, NextToken: token });
          seen.push(...idsOf(out.Items));
          token = out.NextToken;
        } while (token && seen.length < 5);
        assert.deepEqual(seen, [ids.ada, ids.alan, ids.grace].sort());
        const both = await search({ KeyName: '_account', Values: ['A-2'], AdditionalSearchKeys: [{ KeyName: '_email', Values }], LogicalOperator: 'AND' });
        assert.deepEqual(idsOf(both.Items), [ids.grace]);
        // AND names every value asked for (the test of AND above).
        assert.deepEqual(both.Items![0].FoundByItems?.map((f) => [f.KeyName, f.Values?.length]), [['_account', 1], ['_email', Values.length]]);
        const either = await search({ KeyName: '_account', Values: ['A-2'], AdditionalSearchKeys: [{ KeyName: '_email', Values }] });
        assert.deepEqual(idsOf(either.Items), [ids.ada, ids.alan, ids.grace].sort());
        assert.deepEqual(either.Items!.find((p) => p.ProfileId === ids.alan)?.FoundByItems, [{ KeyName: '_email', Values: ['alan@example.com'] }]);
      });

      test('a Values list of more than 10,000 values is a BadRequestException naming the list, in Values and in AdditionalSearchKeys', async () => {
        const Values = Array.from({ length: 10_001 }, (_, i) => `v${i}`);
        await expectAwsError(search({ Values }), 'BadRequestException', 400, /at 'Values' failed to satisfy constraint: Member must have length less than or equal to 10000/);
        await expectAwsError(
          search({ AdditionalSearchKeys: [{ KeyName: '_phone', Values }] }),
          'BadRequestException',
          400,
          /at 'AdditionalSearchKeys\.1\.Values' failed to satisfy constraint: Member must have length less than or equal to 10000/,
        );
      });

      test('a key of an object type finds the profiles its objects landed on; a predefined key nobody fills finds nothing', async () => {
        const key = await putObject(s.client, DOMAIN, { Id: 'crm-77', Email: 'ada@example.com', Phone: '555 0199' });
        assert.equal(key, 'crm-77');
        const out = await search({ KeyName: '_contactId', Values: ['crm-77'] });
        assert.deepEqual(idsOf(out.Items), [ids.ada], 'the object found Ada by _email');
        assert.deepEqual((await search({ KeyName: '_orderId', Values: ['o-1'] })).Items, []);
      });

      test('OR (the default) returns profiles matching any key, FoundByItems naming the keys and values each matched', async () => {
        const out = await search({
          KeyName: '_account',
          Values: ['A-2'],
          AdditionalSearchKeys: [{ KeyName: '_email', Values: ['Alan@example.com', 'x@example.com'] }],
        });
        assert.deepEqual(idsOf(out.Items), [ids.grace, ids.alan].sort());
        const byId = new Map(out.Items!.map((p) => [p.ProfileId, p.FoundByItems]));
        assert.deepEqual(byId.get(ids.grace), [{ KeyName: '_account', Values: ['A-2'] }]);
        assert.deepEqual(byId.get(ids.alan), [{ KeyName: '_email', Values: ['Alan@example.com'] }]);
      });

      test('AND returns only profiles matching every key, FoundByItems listing every key and value asked for', async () => {
        const out = await search({
          KeyName: '_phone',
          Values: ['+12065550100'],
          AdditionalSearchKeys: [{ KeyName: '_account', Values: ['A-1', 'A-9'] }],
          LogicalOperator: 'AND',
        });
        assert.deepEqual(idsOf(out.Items), [ids.ada]);
        assert.deepEqual(out.Items![0].FoundByItems, [
          { KeyName: '_phone', Values: ['+12065550100'] },
          { KeyName: '_account', Values: ['A-1', 'A-9'] },
        ]);
        const none = await search({
          KeyName: '_phone',
          Values: ['+12065550100'],
          AdditionalSearchKeys: [{ KeyName: '_fullName', Values: ['alan turing'] }],
          LogicalOperator: 'AND',
        });
        assert.deepEqual(none.Items, []);
      });

      test('pages of MaxResults walk every match once, in ProfileId order; the default page is 20', async () => {
        const smiths = Array.from({ length: 25 }, (_, i) => ids[`smith${i}`]).sort();
        const first = await search({ KeyName: '_fullName', Values: ['John Smith'] });
        assert.equal(first.Items?.length, 20);
        assert.ok(first.NextToken);
        const seen: string[] = [];
        let token: string | undefined;
        let pages = 0;
        do {
          const out = await search({ KeyName: '_fullName', Values: ['john smith'], MaxResults: 7, NextToken: token });
          seen.push(...(out.Items ?? []).map((p) => p.ProfileId!));
          token = out.NextToken;
          pages += 1;
        } while (token && pages < 10);
        assert.equal(pages, 4);
        assert.deepEqual(seen, smiths);
      });

      test('an AND walk pages through matches the first key has many of', async () => {
        const out = await search({
          KeyName: '_fullName',
          Values: ['John Smith'],
          AdditionalSearchKeys: [{ KeyName: '_profileId', Values: [ids.smith3, ids.smith17, ids.ada] }],
          LogicalOperator: 'AND',
          MaxResults: 1,
        });
        assert.equal(out.Items?.length, 1);
        const next = await search({
          KeyName: '_fullName',
          Values: ['John Smith'],
          AdditionalSearchKeys: [{ KeyName: '_profileId', Values: [ids.smith3, ids.smith17, ids.ada] }],
          LogicalOperator: 'AND',
          MaxResults: 1,
          NextToken: out.NextToken,
        });
        assert.deepEqual([out.Items![0].ProfileId, next.Items![0].ProfileId].sort(), [ids.smith3, ids.smith17].sort());
        assert.equal(next.NextToken, undefined);
      });

      test('a NextToken is bound to its search: other values, an altered token or garbage are rejected', async () => {
        const first = await search({ KeyName: '_fullName', Values: ['John Smith'], MaxResults: 5 });
        assert.ok(first.NextToken);
        await expectAwsError(search({ KeyName: '_fullName', Values: ['Ada Lovelace'], NextToken: first.NextToken }), 'BadRequestException', 400, 'NextToken');
        await expectAwsError(search({ KeyName: '_fullName', Values: ['John Smith'], NextToken: alterToken(first.NextToken) }), 'BadRequestException', 400, 'NextToken');
        await expectAwsError(search({ KeyName: '_fullName', Values: ['John Smith'], NextToken: 'garbage' }), 'BadRequestException', 400, 'NextToken');
        // The same search in another spelling is the same search, and goes on where the token left it.
        const second = await search({ KeyName: '_fullName', Values: ['John Smith'], MaxResults: 5, NextToken: first.NextToken });
        const again = await search({ KeyName: '_fullName', Values: ['JOHN  SMITH'], MaxResults: 5, NextToken: first.NextToken });
        assert.equal(again.Items?.length, 5);
        assert.deepEqual(idsOf(again.Items), idsOf(second.Items));
        assert.ok(idsOf(first.Items).every((id) => !idsOf(again.Items).includes(id!)), 'no profile of the first page again');
      });

      test('a NextToken is bound to the AdditionalSearchKeys and the LogicalOperator too', async () => {
        const base = {
          KeyName: '_fullName',
          Values: ['John Smith'],
          AdditionalSearchKeys: [{ KeyName: '_fullName', Values: ['John Smith'] }],
          LogicalOperator: 'AND' as const,
          MaxResults: 5,
        };
        const first = await search(base);
        assert.ok(first.NextToken);
        await expectAwsError(search({ ...base, LogicalOperator: 'OR', NextToken: first.NextToken }), 'BadRequestException', 400, 'NextToken');
        await expectAwsError(
          search({ ...base, AdditionalSearchKeys: [{ KeyName: '_fullName', Values: ['Ada Lovelace'] }], NextToken: first.NextToken }),
          'BadRequestException',
          400,
          'NextToken',
        );
        await expectAwsError(search({ ...base, AdditionalSearchKeys: undefined, LogicalOperator: undefined, NextToken: first.NextToken }), 'BadRequestException', 400, 'NextToken');
        const next = await search({ ...base, NextToken: first.NextToken });
        assert.equal(next.Items?.length, 5);
      });

      test('another account sees none of these profiles, even in a domain of the same name', async () => {
        const other = s.clientFor({ accountId: '111122223333' });
        const searchOther = (KeyName: string, Values: string[]) =>
          other.send(new SearchProfilesCommand({ DomainName: DOMAIN, KeyName, Values }));
        await expectAwsError(searchOther('_email', ['ada@example.com']), 'ResourceNotFoundException', 404, DOMAIN);
        await domainWithType(other, DOMAIN);
        const { ProfileId: theirs } = await other.send(new CreateProfileCommand({ DomainName: DOMAIN, EmailAddress: 'ada@example.com' }));
        assert.deepEqual(idsOf((await searchOther('_email', ['ada@example.com'])).Items), [theirs]);
        assert.deepEqual((await searchOther('_profileId', [ids.ada])).Items, []);
        assert.deepEqual(idsOf((await search({})).Items), [ids.ada], 'and the first account still sees only its own');
      });
    });
  });
}
