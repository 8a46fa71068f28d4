/**
 * A Salesforce export through object types that come from templates, with no hand-written Fields or
 * Keys: the Account export (test/fixtures/salesforce-export) runs through an integration workflow into
 * the type made from the Salesforce-Account template; a Salesforce Contact row is put into the implicit
 * Salesforce-Contact type, which the domain never defines, and lands on its Account's profile through
 * the _salesforceAccountId index both templates share.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import {
  CreateDomainCommand,
  CreateIntegrationWorkflowCommand,
  GetWorkflowCommand,
  ListProfileObjectsCommand,
  ListProfileObjectTypesCommand,
  PutProfileObjectCommand,
  PutProfileObjectTypeCommand,
  SearchProfilesCommand,
} from '@aws-sdk/client-customer-profiles';
import { availableBackends } from '../helpers/backends.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { KMS_ARN, ROLE_ARN } from '../helpers/workflows.js';

const FIXTURES = new URL('../fixtures/salesforce-export/', import.meta.url);
const DOMAIN = 'crm-templates';

const accounts: Record<string, string>[] = readFileSync(new URL('Account/accounts-part1.jsonl', FIXTURES), 'utf8')
  .trim()
  .split('\n')
  .map((line) => JSON.parse(line) as Record<string, string>);
const contacts: Record<string, unknown>[] = readFileSync(new URL('Contact/contacts.jsonl', FIXTURES), 'utf8')
  .trim()
  .split('\n')
  .map((line) => JSON.parse(line) as Record<string, unknown>);

for (const backend of await availableBackends()) {
  describe(`a Salesforce export through template object types [${backend}]`, () => {
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
      await s.client.send(
        new PutProfileObjectTypeCommand({
          DomainName: DOMAIN,
          ObjectTypeName: 'Salesforce-Account',
          Description: 'Salesforce Accounts, mapped by the template',
          TemplateId: 'Salesforce-Account',
        }),
      );
    });
    after(() => s.close());

    test('the Account export runs to COMPLETE and every Account becomes the profile the template maps', async () => {
      const { WorkflowId } = await s.client.send(
        new CreateIntegrationWorkflowCommand({
          DomainName: DOMAIN,
          WorkflowType: 'APPFLOW_INTEGRATION',
          ObjectTypeName: 'Salesforce-Account',
          RoleArn: ROLE_ARN,
          IntegrationConfig: {
            AppflowIntegration: {
              FlowDefinition: {
                FlowName: 'sf-account-template',
                KmsArn: KMS_ARN,
                SourceFlowConfig: {
                  ConnectorType: 'Salesforce',
                  ConnectorProfileName: 'sf-export',
                  SourceConnectorProperties: { Salesforce: { Object: 'Account' } },
                },
                Tasks: Object.keys(accounts[0]).map((f) => ({
                  TaskType: 'Map',
                  SourceFields: [f],
                  DestinationField: f,
                  ConnectorOperator: { Salesforce: 'NO_OP' },
                })),
                TriggerConfig: { TriggerType: 'OnDemand' },
              },
              Batches: [{ StartTime: new Date('2025-01-01T00:00:00Z'), EndTime: new Date('2025-02-01T00:00:00Z') }],
            },
          },
        }),
      );
      await s.engine.runUntilIdle();
      const workflow = await s.client.send(new GetWorkflowCommand({ DomainName: DOMAIN, WorkflowId }));
      assert.equal(workflow.Status, 'COMPLETE', workflow.ErrorDescription);
      assert.ok((workflow.Metrics?.AppflowIntegration?.RecordsProcessed ?? 0) >= accounts.length);

      for (const a of accounts) {
        const found = await s.client.send(new SearchProfilesCommand({ DomainName: DOMAIN, KeyName: '_salesforceAccountId', Values: [a.Id] }));
        assert.equal(found.Items?.length, 1, a.Id);
        const { ProfileId, FoundByItems: _found, ...profile } = found.Items![0];
        assert.ok(ProfileId);
        assert.deepEqual(profile, {
          BusinessName: a.Name,
          AccountNumber: a.AccountNumber,
          PhoneNumber: a.Phone,
          BillingAddress: { City: a.BillingCity, Country: a.BillingCountry },
          Attributes: { sfdcAccountId: a.Id },
        });
      }
    });

    test('a Contact row put into the implicit Salesforce-Contact type lands on its Account profile', async () => {
      const acme = accounts[0];
      const contact = contacts.find((c) => c.AccountId === acme.Id && c.Email)!;
      const out = await s.client.send(
        new PutProfileObjectCommand({ DomainName: DOMAIN, ObjectTypeName: 'Salesforce-Contact', Object: JSON.stringify(contact) }),
      );
      assert.equal(out.ProfileObjectUniqueKey, contact.Id);
      const found = await s.client.send(new SearchProfilesCommand({ DomainName: DOMAIN, KeyName: '_salesforceContactId', Values: [String(contact.Id)] }));
      assert.equal(found.Items?.length, 1);
      const profile = found.Items![0];
      assert.equal(profile.BusinessName, acme.Name, 'the Account profile, found by _salesforceAccountId');
      assert.equal(profile.EmailAddress, contact.Email);
      assert.equal(profile.FirstName, contact.FirstName);
      assert.deepEqual(profile.Attributes, { sfdcAccountId: acme.Id, sfdcContactId: contact.Id });
      const objects = await s.client.send(
        new ListProfileObjectsCommand({ DomainName: DOMAIN, ObjectTypeName: 'Salesforce-Contact', ProfileId: profile.ProfileId! }),
      );
      assert.deepEqual(objects.Items?.map((o) => o.ProfileObjectUniqueKey), [contact.Id]);
      const types = await s.client.send(new ListProfileObjectTypesCommand({ DomainName: DOMAIN }));
      assert.deepEqual(types.Items?.map((t) => t.ObjectTypeName), ['Salesforce-Account'], 'the implicit type is not stored');
    });
  });
}
