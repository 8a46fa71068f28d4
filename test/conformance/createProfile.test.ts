import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  CreateProfileCommand,
  type CreateProfileCommandInput,
  GetDomainCommand,
  ListProfileObjectsCommand,
  PutProfileObjectTypeCommand,
  SearchProfilesCommand,
} from '@aws-sdk/client-customer-profiles';
import { availableBackends } from '../helpers/backends.js';
import { expectAwsError } from '../helpers/errors.js';
import { createDomain, putObject, raw } from '../helpers/profile-objects.js';
import { startServer, type TestServer } from '../helpers/server.js';

const DOMAIN = 'people';

/** Every member of CreateProfileRequest but DomainName. */
const FULL: Omit<CreateProfileCommandInput, 'DomainName'> = {
  AccountNumber: 'ACC-0042',
  AdditionalInformation: 'Prefers calls in the morning.',
  PartyType: 'INDIVIDUAL',
  BusinessName: 'Example Corp',
  FirstName: 'Ada',
  MiddleName: 'King',
  LastName: 'Lovelace',
  BirthDate: '1815-12-10',
  Gender: 'FEMALE',
  PhoneNumber: '+1 (206) 555-0100',
  MobilePhoneNumber: '206-555-0101',
  HomePhoneNumber: '+12065550102',
  BusinessPhoneNumber: '(206) 555-0103',
  EmailAddress: 'Ada@Example.com',
  PersonalEmailAddress: 'ada.personal@example.com',
  BusinessEmailAddress: 'ada.work@example.com',
  Address: { Address1: '1 Main St', City: 'Seattle', State: 'WA', PostalCode: '98101', Country: 'US' },
  ShippingAddress: { Address1: '2 Dock Rd', City: 'Tacoma', Country: 'US' },
  MailingAddress: { Address1: 'PO Box 7', City: 'Seattle', County: 'King' },
  BillingAddress: { Address1: '3 Bank Ave', Address2: 'Suite 4', Province: 'BC', Country: 'CA' },
  Attributes: { tier: 'gold', favouriteColour: 'green' },
  PartyTypeString: 'Individual',
  GenderString: 'Female',
  ProfileType: 'PROFILE',
  EngagementPreferences: {
    Email: [{ KeyName: '_email', KeyValue: 'ada@example.com', ContactType: 'EmailAddress' }],
    Phone: [{ KeyName: '_phone', KeyValue: '+12065550100', ContactType: 'PhoneNumber' }],
  },
};

for (const backend of await availableBackends()) {
  describe(`CreateProfile [${backend}]`, () => {
    let s: TestServer;
    before(async () => {
      s = await startServer(backend);
      await createDomain(s.client, DOMAIN);
    });
    after(() => s.close());
    const create = (input: Partial<CreateProfileCommandInput>) =>
      s.client.send(new CreateProfileCommand({ DomainName: DOMAIN, ...input } as CreateProfileCommandInput));
    const search = async (KeyName: string, Values: string[], DomainName = DOMAIN) =>
      (await s.client.send(new SearchProfilesCommand({ DomainName, KeyName, Values }))).Items ?? [];

    describe('serialization', () => {
      test('answers the new ProfileId: 32 lowercase hex characters', async () => {
        const out = await create({ FirstName: 'Ser' });
        assert.equal(out.$metadata.httpStatusCode, 200);
        assert.match(out.ProfileId ?? '', /^[a-f0-9]{32}$/);
      });

      test('on the wire the answer is exactly {"ProfileId": …}', async () => {
        const res = await raw(s, 'POST', `/domains/${DOMAIN}/profiles`, { FirstName: 'Wire' });
        assert.equal(res.status, 200);
        assert.deepEqual(Object.keys(res.json), ['ProfileId']);
      });

      test('every member comes back, as sent, from SearchProfiles', async () => {
        const { ProfileId } = await create(FULL);
        const [profile] = await search('_profileId', [ProfileId!]);
        assert.deepEqual(profile, { ProfileId, ...FULL });
      });

      test('a profile with no members at all is created, holding only its id', async () => {
        const { ProfileId } = await create({});
        assert.deepEqual(await search('_profileId', [ProfileId!]), [{ ProfileId }]);
      });
    });

    describe('validation', () => {
      test('enums are checked: Gender, PartyType, ProfileType', async () => {
        await expectAwsError(create({ Gender: 'ROBOT' as never }), 'BadRequestException', 400, "at 'Gender'", 'enum value set');
        await expectAwsError(create({ PartyType: 'GROUP' as never }), 'BadRequestException', 400, "at 'PartyType'");
        await expectAwsError(create({ ProfileType: 'LEAD' as never }), 'BadRequestException', 400, "at 'ProfileType'");
      });

      test('lengths are checked, and the sensitive values are not echoed', async () => {
        const err = await expectAwsError(create({ FirstName: '' }), 'BadRequestException', 400, "at 'FirstName'", 'greater than or equal to 1');
        await expectAwsError(create({ AdditionalInformation: 'x'.repeat(1001) }), 'BadRequestException', 400, 'less than or equal to 1000');
        await expectAwsError(create({ Address: { City: 'c'.repeat(256) } }), 'BadRequestException', 400, "at 'Address.City'");
        const secret = await expectAwsError(create({ LastName: 'SecretName'.repeat(30) }), 'BadRequestException', 400, "at 'LastName'");
        assert.ok(!secret.message.includes('SecretName'));
        assert.ok(err.message.length > 0);
      });

      test('Attributes keys and values are 1..255 characters', async () => {
        await expectAwsError(create({ Attributes: { tier: 'v'.repeat(256) } }), 'BadRequestException', 400, "at 'Attributes.tier'");
        await expectAwsError(create({ Attributes: { tier: '' } }), 'BadRequestException', 400, "at 'Attributes.tier'");
        await expectAwsError(create({ Attributes: { ['k'.repeat(256)]: 'v' } }), 'BadRequestException', 400, 'Attributes');
        await expectAwsError(create({ Attributes: { '': 'v' } }), 'BadRequestException', 400, 'Attributes');
        const { ProfileId } = await create({ Attributes: { ['k'.repeat(255)]: 'v'.repeat(255) } });
        assert.ok(ProfileId, 'a key and a value of 255 characters are accepted');
      });

      test('the DomainName follows its pattern', async () => {
        await expectAwsError(create({ DomainName: 'no spaces' }), 'BadRequestException', 400, "at 'DomainName'");
      });
    });

    describe('behaviour', () => {
      test('a missing domain is a ResourceNotFoundException naming it', async () => {
        await expectAwsError(create({ DomainName: 'nowhere', FirstName: 'A' }), 'ResourceNotFoundException', 404, 'nowhere');
      });

      test('every call creates a profile of its own, and GetDomain counts them', async () => {
        await createDomain(s.client, 'counting');
        const a = await create({ DomainName: 'counting', FirstName: 'Twin' });
        const b = await create({ DomainName: 'counting', FirstName: 'Twin' });
        assert.notEqual(a.ProfileId, b.ProfileId);
        const { Stats } = await s.client.send(new GetDomainCommand({ DomainName: 'counting' }));
        assert.deepEqual(Stats, { ProfileCount: 2, MeteringProfileCount: 2, ObjectCount: 0, TotalSize: 0 });
      });

      test('the profile is found by the standard search keys, in any spelling of their values', async () => {
        await createDomain(s.client, 'keys');
        const { ProfileId } = await create({ ...FULL, DomainName: 'keys' });
        const ids = async (key: string, values: string[]) => (await search(key, values, 'keys')).map((p) => p.ProfileId);
        assert.deepEqual(await ids('_email', ['ADA@example.COM']), [ProfileId]);
        assert.deepEqual(await ids('_email', ['ada.work@example.com']), [ProfileId], 'BusinessEmailAddress');
        assert.deepEqual(await ids('_email', ['ada.personal@example.com']), [ProfileId], 'PersonalEmailAddress');
        assert.deepEqual(await ids('_phone', ['2065550100']), [ProfileId], 'PhoneNumber');
        assert.deepEqual(await ids('_phone', ['+1 206 555 0101']), [ProfileId], 'MobilePhoneNumber');
        assert.deepEqual(await ids('_phone', ['(206) 555-0102']), [ProfileId], 'HomePhoneNumber');
        assert.deepEqual(await ids('_phone', ['+12065550103']), [ProfileId], 'BusinessPhoneNumber');
        assert.deepEqual(await ids('_account', ['ACC-0042']), [ProfileId]);
        assert.deepEqual(await ids('_fullName', ['ada  king LOVELACE']), [ProfileId]);
        assert.deepEqual(await ids('_fullName', ['Ada Lovelace']), [], '_fullName is FirstName MiddleName LastName');
        assert.deepEqual(await ids('_profileId', [ProfileId!]), [ProfileId]);
      });

      test('an object whose PROFILE key is named after a standard search key lands on the created profile', async () => {
        await createDomain(s.client, 'joined');
        const { ProfileId } = await create({ DomainName: 'joined', EmailAddress: 'grace@example.com', FirstName: 'Grace' });
        await s.client.send(
          new PutProfileObjectTypeCommand({
            DomainName: 'joined',
            ObjectTypeName: 'Ticket',
            Description: 'Support tickets',
            AllowProfileCreation: true,
            Fields: {
              Id: { Source: '_source.Id' },
              Email: { Source: '_source.Email', Target: '_profile.EmailAddress', ContentType: 'EMAIL_ADDRESS' },
              City: { Source: '_source.City', Target: '_profile.Address.City' },
            },
            Keys: {
              _ticketId: [{ StandardIdentifiers: ['UNIQUE'], FieldNames: ['Id'] }],
              _email: [{ StandardIdentifiers: ['PROFILE'], FieldNames: ['Email'] }],
            },
          }),
        );
        const key = await putObject(s.client, 'joined', { Id: 'T-1', Email: 'GRACE@example.com', City: 'Arlington' }, 'Ticket');
        const objects = await s.client.send(
          new ListProfileObjectsCommand({ DomainName: 'joined', ObjectTypeName: 'Ticket', ProfileId: ProfileId! }),
        );
        assert.deepEqual(objects.Items?.map((o) => o.ProfileObjectUniqueKey), [key]);
        const [profile] = await search('_profileId', [ProfileId!], 'joined');
        assert.equal(profile.FirstName, 'Grace', 'what CreateProfile set stays');
        assert.equal(profile.Address?.City, 'Arlington', 'the object filled its _profile targets');
        const { Stats } = await s.client.send(new GetDomainCommand({ DomainName: 'joined' }));
        assert.equal(Stats?.ProfileCount, 1, 'no second profile was created');
        assert.equal(Stats?.ObjectCount, 1);
      });

      test('another account or region sees none of the profiles, even in a domain of the same name', async () => {
        const { ProfileId } = await create({ EmailAddress: 'private@example.com' });
        for (const other of [s.clientFor({ accountId: '111122223333' }), s.clientFor({ region: 'eu-west-1' })]) {
          const elsewhere = (input: Omit<CreateProfileCommandInput, 'DomainName'>) => other.send(new CreateProfileCommand({ DomainName: DOMAIN, ...input }));
          const searchThere = (KeyName: string, Values: string[]) => other.send(new SearchProfilesCommand({ DomainName: DOMAIN, KeyName, Values }));
          await expectAwsError(elsewhere({ FirstName: 'Elsewhere' }), 'ResourceNotFoundException', 404, DOMAIN);
          await expectAwsError(searchThere('_profileId', [ProfileId!]), 'ResourceNotFoundException', 404);
          await createDomain(other, DOMAIN);
          const { ProfileId: theirs } = await elsewhere({ EmailAddress: 'private@example.com' });
          assert.deepEqual((await searchThere('_profileId', [ProfileId!])).Items, []);
          assert.deepEqual((await searchThere('_email', ['private@example.com'])).Items?.map((p) => p.ProfileId), [theirs]);
        }
        assert.deepEqual((await search('_email', ['private@example.com'])).map((p) => p.ProfileId), [ProfileId]);
      });
    });
  });
}
