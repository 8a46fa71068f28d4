import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as sdk from '@aws-sdk/client-customer-profiles';
import type { StructureShape } from '../../src/api/model-types.js';
import { operationModel, shapeOf } from '../../src/api/service.js';
import { checkConnectorProfile } from '../../src/connectors/profiles.js';
import { operations } from '../../src/operations/index.js';
import { CONTACT } from '../helpers/profile-objects.js';
import { ACCOUNT_A, KEY_A, KEY_B, type SecureServer, sendSigned, type SignOptions, signRequest, startSecureServer } from './support.js';

/**
 * Account B (and account A in another region) tries every implemented operation on account A's
 * resources. Each answer must be exactly what it would be for a resource that never existed, so nothing
 * can be seen, changed or inferred. The operations come from the registry: a new one is covered at once
 * (or the test says which input it is missing).
 */

type Values = Record<string, string>;

/** Body members some operations need besides the resource names (a new operation may need an entry). */
function extras(op: string, v: Values): Record<string, unknown> {
  switch (op) {
    case 'CreateDomain':
    case 'UpdateDomain':
      return { DefaultExpirationDays: 99 };
    case 'TagResource':
      return { tags: { stolen: 'yes' } };
    case 'UntagResource':
      return { tagKeys: ['owner'] };
    case 'PutProfileObjectType':
      return { ...CONTACT, Description: 'hijacked' };
    case 'PutProfileObject':
      return { Object: JSON.stringify({ Id: 'from-b', Email: 'b@example.com' }) };
    case 'BatchPutProfileObject':
      return { Items: [{ Id: 'b', Object: JSON.stringify({ Id: 'from-b', Email: 'b@example.com' }) }] };
    case 'CreateIntegrationWorkflow':
      return workflowInput(v.DomainName);
    case 'SearchProfiles':
      return { KeyName: '_email', Values: ['a@example.com'] };
    case 'GetProfileObjectTypeTemplate':
      // Templates belong to the service, not to an account: an unknown id is absent for everyone alike.
      return { TemplateId: 'Isolation-Template' };
    case 'AddProfileKey':
    case 'DeleteProfileKey':
      return { KeyName: '_email', Values: ['a@example.com'] };
    case 'BatchGetProfile':
      return { ProfileIds: [v.ProfileId] };
    case 'DetectProfileObjectType':
      return { Objects: [JSON.stringify({ Id: 'from-b', Email: 'b@example.com' })] };
    case 'MergeProfiles':
      return { MainProfileId: v.ProfileId, ProfileIdsToBeMerged: [v.OtherProfileId] };
    default:
      return {};
  }
}

function workflowInput(domain: string) {
  return {
    DomainName: domain,
    WorkflowType: 'APPFLOW_INTEGRATION',
    ObjectTypeName: 'Contact',
    RoleArn: 'arn:aws:iam::123456789012:role/ingest',
    IntegrationConfig: {
      AppflowIntegration: {
        FlowDefinition: {
          FlowName: 'iso-flow',
          KmsArn: 'arn:aws:kms:us-east-1:123456789012:key/k1',
          SourceFlowConfig: {
            ConnectorType: 'Salesforce',
            ConnectorProfileName: 'syn',
            SourceConnectorProperties: { Salesforce: { Object: 'Contact' } },
          },
          Tasks: [{ TaskType: 'Map', SourceFields: ['Id'], DestinationField: 'Id', ConnectorOperator: { Salesforce: 'NO_OP' } }],
          TriggerConfig: { TriggerType: 'OnDemand' },
        },
        Batches: [{ StartTime: new Date('2025-01-01T00:00:00Z'), EndTime: new Date('2025-01-02T00:00:00Z') }],
      },
    },
  };
}

/** The operation's input: every member named like a resource value, plus the extras. */
function inputFor(op: string, v: Values): Record<string, unknown> {
  const ref = operationModel(op).input;
  const input: Record<string, unknown> = {};
  if (ref) {
    for (const name of Object.keys((shapeOf(ref.shape) as StructureShape).members)) if (v[name] !== undefined) input[name] = v[name];
  }
  return { ...input, ...extras(op, v) };
}

interface Answer {
  status: number;
  code: string;
  message: string;
  output?: Record<string, unknown>;
}

/**
 * The operation through the SDK, or, for one the installed SDK does not know yet (the model is newer:
 * BatchPutProfileObject), signed by hand from the model's HTTP binding as the intruder's client would sign it.
 */
async function call(client: sdk.CustomerProfilesClient, op: string, input: Record<string, unknown>, signed: { url: string } & Omit<SignOptions, 'body'>): Promise<Answer> {
  const Command = (sdk as unknown as Record<string, new (input: unknown) => sdk.$Command<any, any, any>>)[`${op}Command`];
  if (!Command) return callSigned(op, input, signed);
  try {
    const output = (await client.send(new Command(input) as never)) as unknown as Record<string, unknown>;
    return { status: 200, code: '', message: '', output };
  } catch (err) {
    const e = err as Error & { $metadata?: { httpStatusCode?: number } };
    return { status: e.$metadata?.httpStatusCode ?? 0, code: e.name, message: e.message };
  }
}

async function callSigned(op: string, input: Record<string, unknown>, { url, ...signing }: { url: string } & Omit<SignOptions, 'body'>): Promise<Answer> {
  const model = operationModel(op);
  const members = model.input ? (shapeOf(model.input.shape) as StructureShape).members : {};
  let path = model.http.requestUri;
  const body: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(input)) {
    const member = members[name];
    if (member?.location === 'uri') path = path.replace(`{${member.locationName ?? name}}`, encodeURIComponent(String(value)));
    else if (member && member.location === undefined) body[name] = value;
  }
  const text = JSON.stringify(body);
  const res = await sendSigned(await signRequest(url, model.http.method, path, { ...signing, body: text }), text);
  if (res.status === 200) return { status: 200, code: '', message: '', output: res.json as Record<string, unknown> };
  return { status: res.status, code: (res.headers.get('x-amzn-errortype') ?? '').split(':')[0]!, message: (res.json as { Message?: string } | undefined)?.Message ?? '' };
}

/** The message with every resource value replaced by its member name, so two answers can be compared. */
function normalize(message: string, v: Values): string {
  let out = message;
  for (const [k, value] of Object.entries(v).sort((a, b) => b[1].length - a[1].length)) out = out.split(value).join(`<${k}>`);
  return out;
}

describe('account and region isolation, for every implemented operation', () => {
  let server: SecureServer;
  let a: sdk.CustomerProfilesClient;
  const own: Values = { DomainName: 'iso-dom', ObjectTypeName: 'Contact', Uri: 's3://iso-bucket' };
  let ghost: Values;
  before(async () => {
    server = await startSecureServer();
    a = server.client({ accessKeyId: KEY_A });
    const profile = checkConnectorProfile('syn', { kind: 'synthetic', settings: { recordsPerDay: 10 } }).profile!;
    await server.store.connectorProfiles.put(profile, 'api', Date.now());
    await a.send(new sdk.CreateDomainCommand({ DomainName: 'iso-dom', DefaultExpirationDays: 30, Tags: { owner: 'a' } }));
    await a.send(new sdk.CreateDomainCommand({ DomainName: 'iso-dom-2', DefaultExpirationDays: 30 }));
    await a.send(new sdk.PutProfileObjectTypeCommand({ DomainName: 'iso-dom', ObjectTypeName: 'Contact', ...CONTACT }));
    const put = await a.send(new sdk.PutProfileObjectCommand({ DomainName: 'iso-dom', ObjectTypeName: 'Contact', Object: JSON.stringify({ Id: 'a-1', Email: 'a@example.com' }) }));
    own.ProfileObjectUniqueKey = put.ProfileObjectUniqueKey!;
    const stored = await server.store.profileObjects.get({ accountId: ACCOUNT_A, region: 'us-east-1' }, 'iso-dom', 'Contact', own.ProfileObjectUniqueKey);
    own.ProfileId = stored!.profileId;
    own.OtherProfileId = (await a.send(new sdk.CreateProfileCommand({ DomainName: 'iso-dom', FirstName: 'Other' }))).ProfileId!;
    const history = await a.send(new sdk.ListProfileHistoryRecordsCommand({ DomainName: 'iso-dom', ProfileId: own.ProfileId }));
    own.Id = history.ProfileHistoryRecords![0].Id!;
    await a.send(new sdk.PutIntegrationCommand({ DomainName: 'iso-dom', Uri: own.Uri, ObjectTypeName: 'Contact' }));
    const wf = await a.send(new sdk.CreateIntegrationWorkflowCommand(workflowInput('iso-dom') as sdk.CreateIntegrationWorkflowCommandInput));
    own.WorkflowId = wf.WorkflowId!;
    own.resourceArn = `arn:aws:profile:us-east-1:${ACCOUNT_A}:domains/iso-dom`;
    ghost = {
      DomainName: 'ghost-dom',
      ObjectTypeName: 'Ghost',
      Uri: 's3://ghost-bucket',
      ProfileObjectUniqueKey: 'ghost-key-0000',
      ProfileId: '0'.repeat(32),
      OtherProfileId: '1'.repeat(32),
      Id: '2'.repeat(32),
      WorkflowId: 'f'.repeat(32),
      resourceArn: `arn:aws:profile:us-east-1:${ACCOUNT_A}:domains/ghost-dom`,
    };
  });
  after(() => server.close());

  const intruders: Array<{ who: string; options: { accessKeyId: string; region?: string } }> = [
    { who: 'account B', options: { accessKeyId: KEY_B } },
    { who: 'account A in another region', options: { accessKeyId: KEY_A, region: 'eu-west-1' } },
  ];

  for (const { who, options } of intruders) {
    test(`${who} cannot see, change or infer account A's resources (every operation answers as for an absent one)`, async () => {
      const intruder = server.client(options);
      // CreateDomain last: it makes the intruder's own domain of that name, which later calls would find.
      const ops = Object.keys(operations).sort((x, y) => Number(x === 'CreateDomain') - Number(y === 'CreateDomain') || x.localeCompare(y));
      for (const op of ops) {
        const real = await call(intruder, op, inputFor(op, own), { url: server.url, ...options });
        if (op === 'CreateDomain') {
          assert.equal(real.status, 200, `${op}: the intruder gets a domain of its own: ${real.message}`);
          continue;
        }
        if (op.startsWith('List') && !['ListProfileObjects', 'ListProfileObjectTypes', 'ListIntegrations', 'ListWorkflows', 'ListTagsForResource', 'ListProfileHistoryRecords'].includes(op)) {
          assert.equal(real.status, 200, `${op}: ${real.message}`);
          assert.doesNotMatch(JSON.stringify(real.output), /iso-dom/, `${op} shows nothing of account A`);
          continue;
        }
        assert.ok(
          real.status === 404 && real.code === 'ResourceNotFoundException',
          `${op} by ${who} on A's resources answered ${real.status} ${real.code}: ${real.message} (a new operation may need inputs in extras())`,
        );
        const absent = await call(intruder, op, inputFor(op, ghost), { url: server.url, ...options });
        assert.deepEqual(
          { status: absent.status, code: absent.code, message: normalize(absent.message, ghost) },
          { status: real.status, code: real.code, message: normalize(real.message, own) },
          `${op}: the answer for A's resource and for one that never existed are the same`,
        );
      }

      // Account A's resources are exactly as they were.
      const domain = await a.send(new sdk.GetDomainCommand({ DomainName: 'iso-dom' }));
      assert.equal(domain.DefaultExpirationDays, 30);
      assert.deepEqual(domain.Tags, { owner: 'a' });
      const type = await a.send(new sdk.GetProfileObjectTypeCommand({ DomainName: 'iso-dom', ObjectTypeName: 'Contact' }));
      assert.equal(type.Description, CONTACT.Description);
      const objects = await a.send(new sdk.ListProfileObjectsCommand({ DomainName: 'iso-dom', ObjectTypeName: 'Contact', ProfileId: own.ProfileId }));
      assert.deepEqual(objects.Items?.map((o) => o.ProfileObjectUniqueKey), [own.ProfileObjectUniqueKey]);
      await a.send(new sdk.GetIntegrationCommand({ DomainName: 'iso-dom', Uri: own.Uri }));
      const workflow = await a.send(new sdk.GetWorkflowCommand({ DomainName: 'iso-dom', WorkflowId: own.WorkflowId }));
      assert.equal(workflow.WorkflowId, own.WorkflowId);
      const tags = await a.send(new sdk.ListTagsForResourceCommand({ resourceArn: own.resourceArn }));
      assert.deepEqual(tags.tags, { owner: 'a' });
      const profiles = await a.send(new sdk.BatchGetProfileCommand({ DomainName: 'iso-dom', ProfileIds: [own.ProfileId, own.OtherProfileId] }));
      assert.deepEqual(profiles.Profiles?.map((p) => p.ProfileId), [own.ProfileId, own.OtherProfileId], 'neither profile was merged or deleted');
      const found = await a.send(new sdk.SearchProfilesCommand({ DomainName: 'iso-dom', KeyName: '_email', Values: ['a@example.com'] }));
      assert.deepEqual(found.Items?.map((p) => p.ProfileId), [own.ProfileId], 'the keys are as they were');
    });
  }

  test('a page token from one account (or region) is refused in another', async () => {
    const first = await a.send(new sdk.ListDomainsCommand({ MaxResults: 1 }));
    assert.ok(first.NextToken, 'account A has a second page');
    for (const options of [{ accessKeyId: KEY_B }, { accessKeyId: KEY_A, region: 'eu-west-1' }]) {
      await assert.rejects(server.client(options).send(new sdk.ListDomainsCommand({ MaxResults: 1, NextToken: first.NextToken })), {
        name: 'BadRequestException',
      });
    }
    const second = await a.send(new sdk.ListDomainsCommand({ MaxResults: 1, NextToken: first.NextToken }));
    assert.equal(second.Items?.length, 1);
  });
});
