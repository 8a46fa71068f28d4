/**
 * The realistic case end to end: a Salesforce export (20 Accounts, 50 Contacts, as JSON Lines and CSV
 * under test/fixtures/salesforce-export) read by the files connector, one object type and one
 * integration workflow per Salesforce object, run to COMPLETE by the manual-mode engine, then
 * SearchProfiles through the official SDK — and a second pair of workflows over the same windows that
 * changes nothing.
 *
 * The mapping (a choice, after the admin guide's Salesforce mapping pages):
 * - Account → a business profile: Name → BusinessName, AccountNumber → AccountNumber, Phone →
 *   BusinessPhoneNumber, Billing* → BillingAddress, Industry and Website → Attributes. Keys: the
 *   Salesforce Id (_salesforceAccountId, UNIQUE + PROFILE) and the account number (_account, PROFILE).
 * - Contact → a person profile keyed by email (_email, PROFILE): FirstName, LastName, EmailAddress,
 *   PhoneNumber, Mailing* → MailingAddress, Title and AccountId → Attributes. The Salesforce Id is the
 *   UNIQUE key (_salesforceContactId) and finds nothing by itself, so two Contacts of one person (the
 *   same email in another case) share a profile, and a Contact without email gets one of its own.
 * Both types read LastModifiedDate as the source's last-updated time, so a replayed export never
 * replaces a newer version.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import {
  CreateDomainCommand,
  CreateIntegrationWorkflowCommand,
  GetDomainCommand,
  GetWorkflowCommand,
  ListProfileObjectsCommand,
  type Profile,
  PutProfileObjectTypeCommand,
  type PutProfileObjectTypeCommandInput,
  SearchProfilesCommand,
} from '@aws-sdk/client-customer-profiles';
import { availableBackends } from '../helpers/backends.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { KMS_ARN, ROLE_ARN } from '../helpers/workflows.js';

const FIXTURES = new URL('../fixtures/salesforce-export/', import.meta.url);
const DOMAIN = 'crm';
const TIMESTAMP_FORMAT = "yyyy-MM-dd'T'HH:mm:ss.SSSZ";

interface SfContact {
  Id: string;
  FirstName: string;
  LastName: string;
  Email: string;
  Phone: string;
  MailingCity: string;
  MailingCountry: string;
  Title: string;
  AccountId: string;
  LastModifiedDate: string;
  IsDeleted: boolean;
}
interface SfAccount {
  Id: string;
  Name: string;
  AccountNumber: string;
  Phone: string;
  BillingCity: string;
  BillingCountry: string;
  Industry: string;
  Website: string;
  LastModifiedDate: string;
}

const contacts: SfContact[] = readFileSync(new URL('Contact/contacts.jsonl', FIXTURES), 'utf8')
  .trim()
  .split('\n')
  .map((line) => JSON.parse(line) as SfContact);
const accounts: SfAccount[] = [
  ...readFileSync(new URL('Account/accounts-part1.jsonl', FIXTURES), 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as SfAccount),
  // The CSV part holds no quoted commas: its rows split plainly.
  ...(() => {
    const [header, ...rows] = readFileSync(new URL('Account/accounts-part2.csv', FIXTURES), 'utf8').trim().split(/\r?\n/);
    const names = header.split(',');
    return rows.map((row) => Object.fromEntries(row.split(',').map((v, i) => [names[i], v])) as unknown as SfAccount);
  })(),
];

const ACCOUNT_TYPE: Omit<PutProfileObjectTypeCommandInput, 'DomainName' | 'ObjectTypeName'> = {
  Description: 'Salesforce Accounts as business profiles',
  AllowProfileCreation: true,
  SourceLastUpdatedTimestampFormat: TIMESTAMP_FORMAT,
  Fields: {
    Id: { Source: '_source.Id', ContentType: 'STRING' },
    Name: { Source: '_source.Name', Target: '_profile.BusinessName', ContentType: 'NAME' },
    AccountNumber: { Source: '_source.AccountNumber', Target: '_profile.AccountNumber', ContentType: 'STRING' },
    Phone: { Source: '_source.Phone', Target: '_profile.BusinessPhoneNumber', ContentType: 'PHONE_NUMBER' },
    BillingCity: { Source: '_source.BillingCity', Target: '_profile.BillingAddress.City' },
    BillingCountry: { Source: '_source.BillingCountry', Target: '_profile.BillingAddress.Country' },
    Industry: { Source: '_source.Industry', Target: '_profile.Attributes.Industry' },
    Website: { Source: '_source.Website', Target: '_profile.Attributes.Website' },
    LastModifiedDate: { Source: '_source.LastModifiedDate', Target: '_profile.SourceLastUpdatedTimestamp' },
  },
  Keys: {
    _salesforceAccountId: [{ StandardIdentifiers: ['UNIQUE', 'PROFILE'], FieldNames: ['Id'] }],
    _account: [{ StandardIdentifiers: ['PROFILE'], FieldNames: ['AccountNumber'] }],
  },
};

const CONTACT_TYPE: Omit<PutProfileObjectTypeCommandInput, 'DomainName' | 'ObjectTypeName'> = {
  Description: 'Salesforce Contacts as person profiles, keyed by email',
  AllowProfileCreation: true,
  SourceLastUpdatedTimestampFormat: TIMESTAMP_FORMAT,
  Fields: {
    Id: { Source: '_source.Id', ContentType: 'STRING' },
    FirstName: { Source: '_source.FirstName', Target: '_profile.FirstName', ContentType: 'NAME' },
    LastName: { Source: '_source.LastName', Target: '_profile.LastName', ContentType: 'NAME' },
    Email: { Source: '_source.Email', Target: '_profile.EmailAddress', ContentType: 'EMAIL_ADDRESS' },
    Phone: { Source: '_source.Phone', Target: '_profile.PhoneNumber', ContentType: 'PHONE_NUMBER' },
    MailingCity: { Source: '_source.MailingCity', Target: '_profile.MailingAddress.City' },
    MailingCountry: { Source: '_source.MailingCountry', Target: '_profile.MailingAddress.Country' },
    Title: { Source: '_source.Title', Target: '_profile.Attributes.Title' },
    AccountId: { Source: '_source.AccountId', Target: '_profile.Attributes.SalesforceAccountId' },
    LastModifiedDate: { Source: '_source.LastModifiedDate', Target: '_profile.SourceLastUpdatedTimestamp' },
  },
  Keys: {
    _salesforceContactId: [{ StandardIdentifiers: ['UNIQUE'], FieldNames: ['Id'] }],
    _email: [{ StandardIdentifiers: ['PROFILE'], FieldNames: ['Email'] }],
  },
};

const WINDOWS = [
  { StartTime: new Date('2025-01-01T00:00:00Z'), EndTime: new Date('2025-01-16T00:00:00Z') },
  { StartTime: new Date('2025-01-16T00:00:00Z'), EndTime: new Date('2025-02-01T00:00:00Z') },
];

const live = contacts.filter((c) => !c.IsDeleted);
const emails = new Set(live.filter((c) => c.Email).map((c) => c.Email.toLowerCase()));
/** One profile per distinct email, one per Contact without email, one per Account. */
const EXPECTED_PROFILES = emails.size + live.filter((c) => !c.Email).length + accounts.length;

for (const backend of await availableBackends()) {
  describe(`a Salesforce export through integration workflows [${backend}]`, () => {
    let s: TestServer;
    before(async () => {
      s = await startServer(backend);
      const response = await fetch(`${s.url}/_profileflow/connector-profiles/sf-export`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ kind: 'files', connectorTypes: ['Salesforce'], settings: { directory: new URL('.', FIXTURES).pathname } }),
      });
      assert.ok(response.status === 200 || response.status === 201, await response.text());
      await s.client.send(new CreateDomainCommand({ DomainName: DOMAIN, DefaultExpirationDays: 365 }));
      await s.client.send(new PutProfileObjectTypeCommand({ DomainName: DOMAIN, ObjectTypeName: 'SalesforceAccount', ...ACCOUNT_TYPE }));
      await s.client.send(new PutProfileObjectTypeCommand({ DomainName: DOMAIN, ObjectTypeName: 'SalesforceContact', ...CONTACT_TYPE }));
    });
    after(() => s.close());

    /** One workflow per Salesforce object: a Map task for every field, names unchanged. */
    async function runWorkflow(object: 'Account' | 'Contact', fields: string[], run: number): Promise<number> {
      const { WorkflowId } = await s.client.send(
        new CreateIntegrationWorkflowCommand({
          DomainName: DOMAIN,
          WorkflowType: 'APPFLOW_INTEGRATION',
          ObjectTypeName: `Salesforce${object}`,
          RoleArn: ROLE_ARN,
          IntegrationConfig: {
            AppflowIntegration: {
              FlowDefinition: {
                FlowName: `sf-${object.toLowerCase()}-history-${run}`,
                KmsArn: KMS_ARN,
                SourceFlowConfig: {
                  ConnectorType: 'Salesforce',
                  ConnectorProfileName: 'sf-export',
                  SourceConnectorProperties: { Salesforce: { Object: object } },
                },
                Tasks: fields.map((f) => ({ TaskType: 'Map', SourceFields: [f], DestinationField: f, ConnectorOperator: { Salesforce: 'NO_OP' } })),
                TriggerConfig: { TriggerType: 'OnDemand' },
              },
              Batches: WINDOWS,
            },
          },
        }),
      );
      await s.engine.runUntilIdle();
      const out = await s.client.send(new GetWorkflowCommand({ DomainName: DOMAIN, WorkflowId }));
      assert.equal(out.Status, 'COMPLETE', out.ErrorDescription);
      assert.equal(out.Metrics?.AppflowIntegration?.StepsCompleted, WINDOWS.length);
      return out.Metrics?.AppflowIntegration?.RecordsProcessed ?? -1;
    }

    const search = async (KeyName: string, Values: string[]): Promise<Profile[]> =>
      (await s.client.send(new SearchProfilesCommand({ DomainName: DOMAIN, KeyName, Values, MaxResults: 100 }))).Items ?? [];
    /** Everything a user could notice: Stats, and every profile found by every source id. */
    const snapshot = async () => ({
      stats: (await s.client.send(new GetDomainCommand({ DomainName: DOMAIN }))).Stats,
      accounts: await search('_salesforceAccountId', accounts.map((a) => a.Id)),
      contacts: await search('_salesforceContactId', contacts.map((c) => c.Id)),
    });

    let first: Awaited<ReturnType<typeof snapshot>>;

    test('both workflows run to COMPLETE over both windows', async () => {
      assert.equal(await runWorkflow('Account', Object.keys(accounts[0]), 1), accounts.length);
      assert.equal(await runWorkflow('Contact', Object.keys(contacts[0]), 1), live.length, 'the deleted Contact is left out');
      first = await snapshot();
      assert.deepEqual(first.stats?.ProfileCount, EXPECTED_PROFILES);
      assert.deepEqual(first.stats?.ObjectCount, accounts.length + live.length);
      assert.equal(EXPECTED_PROFILES, 20 + 47 + 1, 'the fixture: 20 Accounts, 47 distinct emails, 1 Contact without email');
      assert.ok((first.stats?.TotalSize ?? 0) > 0);
      assert.equal(first.accounts.length, accounts.length);
      assert.equal(first.contacts.length, emails.size + 1);
    });

    test('every Contact is found by its email, on a person profile with its attributes', async () => {
      const shared = (c: SfContact) => live.filter((x) => x.Email.toLowerCase() === c.Email.toLowerCase()).length > 1;
      for (const c of live.filter((x) => x.Email && !shared(x))) {
        const found = await search('_email', [c.Email.toUpperCase()]);
        assert.equal(found.length, 1, c.Email);
        const [p] = found;
        assert.equal(p.FirstName, c.FirstName);
        assert.equal(p.LastName, c.LastName);
        assert.equal(p.PhoneNumber, c.Phone);
        assert.deepEqual(p.MailingAddress, { City: c.MailingCity, Country: c.MailingCountry });
        assert.deepEqual(p.Attributes, { Title: c.Title, SalesforceAccountId: c.AccountId });
        assert.equal(p.BusinessName, undefined, 'a person profile, not the account');
      }
    });

    test('two Contacts of one person share a profile; the later version wins its attributes', async () => {
      const dupes = live.filter((c) => c.Email && c.Email !== c.Email.toLowerCase());
      assert.equal(dupes.length, 1);
      const original = live.find((c) => c.Email === dupes[0].Email.toLowerCase())!;
      const [p] = await search('_email', [original.Email]);
      assert.equal(p.EmailAddress, dupes[0].Email, 'the later Contact (by LastModifiedDate window) set it last');
      const objects = await s.client.send(
        new ListProfileObjectsCommand({ DomainName: DOMAIN, ObjectTypeName: 'SalesforceContact', ProfileId: p.ProfileId! }),
      );
      assert.deepEqual(objects.Items?.map((o) => o.ProfileObjectUniqueKey).sort(), [original.Id, dupes[0].Id].sort());
      assert.deepEqual(JSON.parse(objects.Items!.find((o) => o.ProfileObjectUniqueKey === original.Id)!.Object!), original);
    });

    test('a Contact without email has a profile of its own; a deleted one has none', async () => {
      const noEmail = live.find((c) => !c.Email)!;
      const [p] = await search('_salesforceContactId', [noEmail.Id]);
      assert.equal(p.FirstName, noEmail.FirstName);
      assert.equal(p.EmailAddress, undefined);
      const deleted = contacts.find((c) => c.IsDeleted)!;
      assert.deepEqual(await search('_salesforceContactId', [deleted.Id]), []);
    });

    test('every Account is a business profile, found by its Salesforce Id, account number and phone in any format', async () => {
      for (const a of accounts) {
        const [p] = await search('_salesforceAccountId', [a.Id]);
        assert.deepEqual(
          { ...p, ProfileId: undefined },
          {
            ProfileId: undefined,
            BusinessName: a.Name,
            AccountNumber: a.AccountNumber,
            BusinessPhoneNumber: a.Phone,
            BillingAddress: { City: a.BillingCity, Country: a.BillingCountry },
            Attributes: { Industry: a.Industry, Website: a.Website },
          },
        );
        assert.deepEqual((await search('_account', [a.AccountNumber])).map((x) => x.ProfileId), [p.ProfileId]);
        const digits = a.Phone.replace(/\D/g, '').slice(-10);
        assert.ok((await search('_phone', [`+1 ${digits}`])).some((x) => x.ProfileId === p.ProfileId), a.Phone);
      }
    });

    test("an account's contacts are found together with AND/OR searches over several keys", async () => {
      const acme = accounts[0];
      const staff = live.filter((c) => c.AccountId === acme.Id && c.Email);
      const out = await s.client.send(
        new SearchProfilesCommand({
          DomainName: DOMAIN,
          KeyName: '_email',
          Values: staff.map((c) => c.Email),
          AdditionalSearchKeys: [{ KeyName: '_salesforceAccountId', Values: [acme.Id] }],
          LogicalOperator: 'OR',
        }),
      );
      assert.equal(out.Items?.length, new Set(staff.map((c) => c.Email.toLowerCase())).size + 1);
      const business = out.Items!.find((p) => p.BusinessName === acme.Name)!;
      assert.deepEqual(business.FoundByItems, [{ KeyName: '_salesforceAccountId', Values: [acme.Id] }]);
    });

    test('a second pair of workflows over the same windows changes nothing', async () => {
      assert.equal(await runWorkflow('Account', Object.keys(accounts[0]), 2), accounts.length);
      assert.equal(await runWorkflow('Contact', Object.keys(contacts[0]), 2), live.length);
      assert.deepEqual(await snapshot(), first);
    });
  });
}
