import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  BadRequestException,
  GetProfileObjectTypeCommand,
  GetProfileObjectTypeTemplateCommand,
  ListTagsForResourceCommand,
  PutProfileObjectTypeCommand,
  type PutProfileObjectTypeCommandInput,
} from '@aws-sdk/client-customer-profiles';
import { ManualClock } from '../../src/engine/clock.js';
import { availableBackends } from '../helpers/backends.js';
import { expectAwsError } from '../helpers/errors.js';
import { CONTACT, createDomain, objectTypeArnOf } from '../helpers/profile-objects.js';
import { startServer, type TestServer } from '../helpers/server.js';

/** The members a TemplateId sets, left out of CONTACT's definition. */
const WITHOUT_MAPPING = { Fields: undefined, Keys: undefined, AllowProfileCreation: undefined };

const put = (s: TestServer, input: Partial<PutProfileObjectTypeCommandInput>) =>
  s.client.send(new PutProfileObjectTypeCommand({ DomainName: 'types', ObjectTypeName: 'Contact', ...CONTACT, ...input } as PutProfileObjectTypeCommandInput));

for (const backend of await availableBackends()) {
  describe(`PutProfileObjectType [${backend}]`, () => {
    const clock = new ManualClock(Date.UTC(2026, 2, 3, 10, 0, 0, 250));
    let s: TestServer;
    before(async () => {
      s = await startServer(backend, { clock });
      await createDomain(s.client, 'types');
    });
    after(() => s.close());

    describe('serialization', () => {
      test('returns every member it was given, with epoch-second timestamps the SDK reads as Dates', async () => {
        const out = await put(s, {
          ObjectTypeName: 'Full',
          ExpirationDays: 90,
          EncryptionKey: 'arn:aws:kms:us-east-1:123456789012:key/abc',
          SourceLastUpdatedTimestampFormat: 'EPOCHMILLI',
          MaxProfileObjectCount: 10,
          SourcePriority: 2,
          Tags: { team: 'crm' },
        });
        assert.equal(out.$metadata.httpStatusCode, 200);
        assert.equal(out.ObjectTypeName, 'Full');
        assert.equal(out.Description, CONTACT.Description);
        assert.equal(out.ExpirationDays, 90);
        assert.equal(out.EncryptionKey, 'arn:aws:kms:us-east-1:123456789012:key/abc');
        assert.equal(out.AllowProfileCreation, true);
        assert.equal(out.SourceLastUpdatedTimestampFormat, 'EPOCHMILLI');
        assert.equal(out.MaxProfileObjectCount, 10);
        assert.equal(out.MaxAvailableProfileObjectCount, 1000);
        assert.equal(out.SourcePriority, 2);
        assert.deepEqual(out.Fields, CONTACT.Fields);
        assert.deepEqual(out.Keys, CONTACT.Keys);
        assert.deepEqual(out.Tags, { team: 'crm' });
        assert.deepEqual(out.CreatedAt, new Date(clock.now()));
        assert.deepEqual(out.LastUpdatedAt, new Date(clock.now()));
      });

      test('omits optional members that were not given; AllowProfileCreation defaults to false', async () => {
        const out = await put(s, { ObjectTypeName: 'Min', AllowProfileCreation: undefined });
        for (const member of ['TemplateId', 'ExpirationDays', 'EncryptionKey', 'SourceLastUpdatedTimestampFormat', 'MaxProfileObjectCount', 'SourcePriority', 'Tags'] as const) {
          assert.equal(out[member], undefined, member);
        }
        assert.equal(out.AllowProfileCreation, false);
      });
    });

    describe('validation', () => {
      test('ObjectTypeName of 255 characters is accepted, 256 is rejected; it must start with a letter or _', async () => {
        await put(s, { ObjectTypeName: `T${'a'.repeat(254)}` });
        await expectAwsError(put(s, { ObjectTypeName: `T${'a'.repeat(255)}` }), 'BadRequestException', 400, "at 'ObjectTypeName'", 'less than or equal to 255');
        await put(s, { ObjectTypeName: '_private-1' });
        await expectAwsError(put(s, { ObjectTypeName: '1st' }), 'BadRequestException', 400, "at 'ObjectTypeName'", 'regular expression pattern');
      });

      test('Description is required, 1..1000 characters, and never echoed in a message', async () => {
        await put(s, { ObjectTypeName: 'D1', Description: 'd' });
        await put(s, { ObjectTypeName: 'D1000', Description: 'd'.repeat(1000) });
        await expectAwsError(put(s, { Description: undefined }), 'BadRequestException', 400, "Value null at 'Description'", 'must not be null');
        const err = await expectAwsError(put(s, { Description: 'secret'.repeat(200) }), 'BadRequestException', 400, "'***' at 'Description'");
        assert.ok(!err.message.includes('secret'));
        await expectAwsError(put(s, { Description: '' }), 'BadRequestException', 400, 'greater than or equal to 1');
      });

      test('ExpirationDays ranges 1..1098; MaxProfileObjectCount and SourcePriority start at 1', async () => {
        await put(s, { ObjectTypeName: 'E1', ExpirationDays: 1, MaxProfileObjectCount: 1, SourcePriority: 1 });
        await put(s, { ObjectTypeName: 'E1098', ExpirationDays: 1098 });
        await expectAwsError(put(s, { ExpirationDays: 0 }), 'BadRequestException', 400, "at 'ExpirationDays'");
        await expectAwsError(put(s, { ExpirationDays: 1099 }), 'BadRequestException', 400, 'less than or equal to 1098');
        await expectAwsError(put(s, { MaxProfileObjectCount: 0 }), 'BadRequestException', 400, "at 'MaxProfileObjectCount'");
        await expectAwsError(put(s, { SourcePriority: 0 }), 'BadRequestException', 400, "at 'SourcePriority'");
      });

      test('EncryptionKey may be empty or up to 255 characters; TemplateId follows the name pattern', async () => {
        await put(s, { ObjectTypeName: 'K0', EncryptionKey: '' });
        await put(s, { ObjectTypeName: 'K255', EncryptionKey: 'k'.repeat(255) });
        await expectAwsError(put(s, { EncryptionKey: 'k'.repeat(256) }), 'BadRequestException', 400, "at 'EncryptionKey'");
        await expectAwsError(put(s, { TemplateId: 'not valid' }), 'BadRequestException', 400, "at 'TemplateId'", 'regular expression pattern');
      });

      test('Fields and Keys are checked member by member: names, ContentType and StandardIdentifiers', async () => {
        await expectAwsError(
          put(s, { Fields: { 'bad name': { Source: '_source.x' } } }),
          'BadRequestException',
          400,
          "at 'Fields.key'",
        );
        await expectAwsError(
          put(s, { Fields: { ...CONTACT.Fields, Id: { Source: '_source.Id', ContentType: 'DATE' as never } } }),
          'BadRequestException',
          400,
          'enum value set',
        );
        await expectAwsError(
          put(s, { Keys: { _contactId: [{ StandardIdentifiers: ['PRIMARY' as never], FieldNames: ['Id'] }] } }),
          'BadRequestException',
          400,
          'enum value set',
        );
        await expectAwsError(put(s, { Keys: { 'bad.key': [{ StandardIdentifiers: ['UNIQUE'], FieldNames: ['Id'] }] } }), 'BadRequestException', 400, "at 'Keys.key'");
      });

      test('Tags accept 50 entries and reject 51; DomainName follows its pattern', async () => {
        const tags = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, 'v']));
        await put(s, { ObjectTypeName: 'Tags50', Tags: tags(50) });
        await expectAwsError(put(s, { ObjectTypeName: 'Tags51', Tags: tags(51) }), 'BadRequestException', 400, "at 'Tags'");
        await expectAwsError(put(s, { DomainName: 'no.dots' }), 'BadRequestException', 400, "at 'DomainName'");
      });
    });

    describe('behaviour', () => {
      test('a missing domain is a ResourceNotFoundException naming it', async () => {
        await expectAwsError(put(s, { DomainName: 'nowhere' }), 'ResourceNotFoundException', 404, 'nowhere');
      });

      test('a TemplateId gives the type the Fields, Keys and AllowProfileCreation of the template', async () => {
        const template = await s.client.send(new GetProfileObjectTypeTemplateCommand({ TemplateId: 'Salesforce-Contact' }));
        const out = await put(s, { ObjectTypeName: 'SfContact', TemplateId: 'Salesforce-Contact', ...WITHOUT_MAPPING });
        assert.equal(out.TemplateId, 'Salesforce-Contact');
        assert.deepEqual(out.Fields, template.Fields);
        assert.deepEqual(out.Keys, template.Keys);
        assert.equal(out.AllowProfileCreation, template.AllowProfileCreation);
        const got = await s.client.send(new GetProfileObjectTypeCommand({ DomainName: 'types', ObjectTypeName: 'SfContact' }));
        assert.equal(got.TemplateId, 'Salesforce-Contact');
        assert.deepEqual(got.Keys, template.Keys);
      });

      test('a TemplateId together with Fields, Keys, AllowProfileCreation or SourceLastUpdatedTimestampFormat is a BadRequestException naming them', async () => {
        await expectAwsError(
          put(s, { ObjectTypeName: 'Mixed', TemplateId: 'Salesforce-Account' }),
          'BadRequestException',
          400,
          'Salesforce-Account',
          'leave out AllowProfileCreation and Fields and Keys',
        );
        await expectAwsError(
          put(s, { ObjectTypeName: 'Mixed', TemplateId: 'Salesforce-Account', ...WITHOUT_MAPPING, SourceLastUpdatedTimestampFormat: 'EPOCHMILLI' }),
          'BadRequestException',
          400,
          'leave out SourceLastUpdatedTimestampFormat,',
        );
        await expectAwsError(
          s.client.send(new GetProfileObjectTypeCommand({ DomainName: 'types', ObjectTypeName: 'Mixed' })),
          'ResourceNotFoundException',
          404,
          'Mixed',
        );
      });

      test('an unknown TemplateId, or one whose mappings AWS does not publish, is a BadRequestException naming it', async () => {
        const err = await expectAwsError(
          put(s, { ObjectTypeName: 'FromTemplate', TemplateId: 'Nowhere-Object', ...WITHOUT_MAPPING }),
          'BadRequestException',
          400,
          'Nowhere-Object',
          'not known',
        );
        assert.ok(err instanceof BadRequestException);
        await expectAwsError(
          put(s, { ObjectTypeName: 'CTR', TemplateId: 'CTR-NoInferred', ...WITHOUT_MAPPING }),
          'BadRequestException',
          400,
          'CTR-NoInferred',
          'does not publish',
        );
      });

      test('replacing a template-based type with a hand-written definition drops the TemplateId', async () => {
        await put(s, { ObjectTypeName: 'Swap', TemplateId: 'Zendesk-users', ...WITHOUT_MAPPING });
        const out = await put(s, { ObjectTypeName: 'Swap' });
        assert.equal(out.TemplateId, undefined);
        assert.deepEqual(out.Keys, CONTACT.Keys);
      });

      test('a definition ingestion could not follow is rejected with every problem named', async () => {
        await expectAwsError(put(s, { Fields: undefined, Keys: undefined }), 'BadRequestException', 400, 'must define Fields', 'must define Keys');
        await expectAwsError(
          put(s, { Keys: { _email: [{ StandardIdentifiers: ['PROFILE'], FieldNames: ['Email'] }] } }),
          'BadRequestException',
          400,
          'No key has the UNIQUE standard identifier',
        );
        await expectAwsError(
          put(s, { Keys: { _id: [{ StandardIdentifiers: ['UNIQUE'], FieldNames: ['Nope'] }] } }),
          'BadRequestException',
          400,
          'Key _id names the field Nope',
        );
        await expectAwsError(
          put(s, { Fields: { Id: { Source: 'Id' } }, Keys: { _id: [{ StandardIdentifiers: ['UNIQUE'], FieldNames: ['Id'] }] } }),
          'BadRequestException',
          400,
          "Field Id has the Source 'Id'",
        );
        await expectAwsError(put(s, { SourceLastUpdatedTimestampFormat: 'whenever' }), 'BadRequestException', 400, "'whenever' is not a supported format");
      });

      test('putting a type again replaces its definition, keeps CreatedAt and adds the new tags', async () => {
        const created = await put(s, { ObjectTypeName: 'Again', Tags: { a: '1' } });
        clock.advance(5_000);
        const replaced = await put(s, { ObjectTypeName: 'Again', Description: 'second', Tags: { b: '2' } });
        assert.deepEqual(replaced.CreatedAt, created.CreatedAt);
        assert.equal(replaced.LastUpdatedAt?.getTime(), clock.now());
        assert.equal(replaced.Description, 'second');
        assert.deepEqual(replaced.Tags, { a: '1', b: '2' });
        const tags = await s.client.send(new ListTagsForResourceCommand({ resourceArn: objectTypeArnOf('types', 'Again') }));
        assert.deepEqual(tags.tags, { a: '1', b: '2' });
      });

      test('MaxProfileObjectCount shares the 1000 objects per profile among the domain’s types', async () => {
        await createDomain(s.client, 'limits');
        const a = await put(s, { DomainName: 'limits', ObjectTypeName: 'A', MaxProfileObjectCount: 600 });
        assert.equal(a.MaxAvailableProfileObjectCount, 1000);
        const b = await put(s, { DomainName: 'limits', ObjectTypeName: 'B' });
        assert.equal(b.MaxAvailableProfileObjectCount, 400);
        await expectAwsError(put(s, { DomainName: 'limits', ObjectTypeName: 'B', MaxProfileObjectCount: 401 }), 'BadRequestException', 400, '401', '400 objects per profile');
        await put(s, { DomainName: 'limits', ObjectTypeName: 'B', MaxProfileObjectCount: 400 });
      });

      test('the type is visible to its own account and region only', async () => {
        await put(s, { ObjectTypeName: 'Mine' });
        const got = await s.client.send(new GetProfileObjectTypeCommand({ DomainName: 'types', ObjectTypeName: 'Mine' }));
        assert.equal(got.ObjectTypeName, 'Mine');
        for (const other of [s.clientFor({ accountId: '111122223333' }), s.clientFor({ region: 'eu-west-1' })]) {
          await expectAwsError(other.send(new GetProfileObjectTypeCommand({ DomainName: 'types', ObjectTypeName: 'Mine' })), 'ResourceNotFoundException', 404);
        }
      });
    });
  });
}
