import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  GetIntegrationCommand,
  ListTagsForResourceCommand,
  PutIntegrationCommand,
  type PutIntegrationCommandInput,
  PutProfileObjectTypeCommand,
} from '@aws-sdk/client-customer-profiles';
import { CreateFlowCommand, DescribeFlowCommand, UpdateFlowCommand } from '@aws-sdk/client-appflow';
import { ManualClock } from '../../src/engine/clock.js';
import { appflowClient } from '../helpers/appflow.js';
import { availableBackends } from '../helpers/backends.js';
import { expectAwsError } from '../helpers/errors.js';
import { CONTACT, domainWithType, integrationArnOf, raw } from '../helpers/profile-objects.js';
import { startServer, type TestServer } from '../helpers/server.js';

const FLOW = {
  FlowName: 'contacts-flow',
  KmsArn: 'arn:aws:kms:us-east-1:123456789012:key/abcd-1234',
  SourceFlowConfig: { ConnectorType: 'S3' as const, SourceConnectorProperties: { S3: { BucketName: 'crm-exports' } } },
  Tasks: [{ TaskType: 'Map' as const, SourceFields: ['Id'], DestinationField: 'Id' }],
  TriggerConfig: { TriggerType: 'OnDemand' as const },
};

for (const backend of await availableBackends()) {
  describe(`PutIntegration [${backend}]`, () => {
    const clock = new ManualClock(Date.UTC(2026, 5, 1, 9, 0, 0, 750));
    let s: TestServer;
    before(async () => {
      s = await startServer(backend, { clock });
      await domainWithType(s.client, 'integ');
      await s.client.send(new PutProfileObjectTypeCommand({ DomainName: 'integ', ObjectTypeName: 'Order', ...CONTACT }));
    });
    after(() => s.close());
    const put = (input: Partial<PutIntegrationCommandInput>) =>
      s.client.send(new PutIntegrationCommand({ DomainName: 'integ', Uri: 's3://crm-exports', ObjectTypeName: 'Contact', ...input }));

    describe('serialization', () => {
      test('returns the integration with every member given, CreatedAt and LastUpdatedAt as Dates', async () => {
        const out = await put({
          Uri: 's3://full',
          RoleArn: 'arn:aws:iam::123456789012:role/ingest',
          EventTriggerNames: ['on-vip'],
          Scope: 'DOMAIN',
          FlowDefinition: FLOW,
          Tags: { team: 'data' },
        });
        assert.equal(out.$metadata.httpStatusCode, 200);
        assert.equal(out.DomainName, 'integ');
        assert.equal(out.Uri, 's3://full');
        assert.equal(out.ObjectTypeName, 'Contact');
        assert.equal(out.RoleArn, 'arn:aws:iam::123456789012:role/ingest');
        assert.deepEqual(out.EventTriggerNames, ['on-vip']);
        assert.equal(out.Scope, 'DOMAIN');
        assert.deepEqual(out.Tags, { team: 'data' });
        assert.equal(out.IsUnstructured, false);
        assert.deepEqual(out.CreatedAt, new Date(clock.now()));
        assert.deepEqual(out.LastUpdatedAt, new Date(clock.now()));
        assert.equal(out.WorkflowId, undefined);
      });

      test('Scope defaults to PROFILE; members not given are omitted, and FlowDefinition is never echoed', async () => {
        const res = await raw(s, 'PUT', '/domains/integ/integrations', { Uri: 's3://min', ObjectTypeName: 'Contact', FlowDefinition: FLOW });
        assert.equal(res.status, 200);
        assert.equal(res.json.Scope, 'PROFILE');
        assert.deepEqual(Object.keys(res.json).sort(), ['CreatedAt', 'DomainName', 'IsUnstructured', 'LastUpdatedAt', 'ObjectTypeName', 'Scope', 'Uri']);
      });
    });

    describe('validation', () => {
      test('Uri is 1..255 characters', async () => {
        await put({ Uri: 'u'.repeat(255) });
        await expectAwsError(put({ Uri: 'u'.repeat(256) }), 'BadRequestException', 400, "at 'Uri'", 'less than or equal to 255');
        await expectAwsError(put({ Uri: '' }), 'BadRequestException', 400, "at 'Uri'", 'greater than or equal to 1');
      });

      test('RoleArn must be an IAM role ARN of at most 512 characters', async () => {
        await expectAwsError(put({ RoleArn: 'role/ingest' }), 'BadRequestException', 400, "at 'RoleArn'", 'regular expression pattern');
        await expectAwsError(
          put({ RoleArn: `arn:aws:iam::123456789012:role/${'r'.repeat(490)}` }),
          'BadRequestException',
          400,
          'less than or equal to 512',
        );
        const at512 = `arn:aws:iam::123456789012:role/${'r'.repeat(481)}`;
        assert.equal(at512.length, 512);
        assert.equal((await put({ RoleArn: at512 })).RoleArn, at512, 'a RoleArn of 512 characters is accepted');
      });

      test('EventTriggerNames holds exactly one name; Scope is PROFILE or DOMAIN', async () => {
        await expectAwsError(put({ EventTriggerNames: ['a', 'b'] }), 'BadRequestException', 400, "at 'EventTriggerNames'", 'less than or equal to 1');
        await expectAwsError(put({ EventTriggerNames: [] }), 'BadRequestException', 400, 'greater than or equal to 1');
        await expectAwsError(put({ Scope: 'ACCOUNT' as never }), 'BadRequestException', 400, "at 'Scope'", 'enum value set');
      });

      test('ObjectTypeName, the values of ObjectTypeNames and FlowDefinition are checked too', async () => {
        await expectAwsError(put({ ObjectTypeName: '1bad' }), 'BadRequestException', 400, "at 'ObjectTypeName'");
        await expectAwsError(put({ ObjectTypeName: undefined, ObjectTypeNames: { SegmentIdentify: 'bad name' } }), 'BadRequestException', 400, "at 'ObjectTypeNames.SegmentIdentify'");
        await expectAwsError(put({ FlowDefinition: { ...FLOW, KmsArn: 'short' } }), 'BadRequestException', 400, "at 'FlowDefinition.KmsArn'");
        await expectAwsError(put({ FlowDefinition: { ...FLOW, Tasks: undefined } as never }), 'BadRequestException', 400, "Value null at 'FlowDefinition.Tasks'");
      });

      test('a FlowDefinition whose Tasks could not run is a BadRequestException naming the task', async () => {
        const tasks = [...FLOW.Tasks, { TaskType: 'Mask' as const, SourceFields: ['Phone'], ConnectorOperator: { S3: 'MASK_FIRST_N' as const }, TaskProperties: { MASK_VALUE: '*' } }];
        await expectAwsError(put({ FlowDefinition: { ...FLOW, Tasks: tasks } }), 'BadRequestException', 400, 'Task 2 (Mask): MASK_LENGTH is required.');
        const wrongMember = [{ ...FLOW.Tasks[0], ConnectorOperator: { Salesforce: 'NO_OP' as const } }];
        await expectAwsError(put({ FlowDefinition: { ...FLOW, Tasks: wrongMember } }), 'BadRequestException', 400, 'Task 1 (Map): ConnectorOperator.Salesforce does not fit ConnectorType S3');
      });

      test('Tags accept 50 entries and reject 51', async () => {
        const tags = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, 'v']));
        await put({ Uri: 's3://tags50', Tags: tags(50) });
        await expectAwsError(put({ Uri: 's3://tags51', Tags: tags(51) }), 'BadRequestException', 400, "at 'Tags'");
      });
    });

    describe('behaviour', () => {
      test('a missing Uri is a BadRequestException', async () => {
        await expectAwsError(put({ Uri: undefined }), 'BadRequestException', 400, 'Uri is required');
      });

      test('exactly one of ObjectTypeName and ObjectTypeNames must be given', async () => {
        await expectAwsError(put({ ObjectTypeName: undefined }), 'BadRequestException', 400, 'ObjectTypeName', 'ObjectTypeNames');
        await expectAwsError(put({ ObjectTypeNames: { SegmentIdentify: 'Contact' } }), 'BadRequestException', 400, 'not both');
        await expectAwsError(put({ ObjectTypeName: undefined, ObjectTypeNames: {} }), 'BadRequestException', 400, 'ObjectTypeNames is empty');
      });

      test('the object types it names must exist: a missing one is a ResourceNotFoundException naming it', async () => {
        await expectAwsError(put({ ObjectTypeName: 'Lead' }), 'ResourceNotFoundException', 404, 'Lead');
        await expectAwsError(
          put({ ObjectTypeName: undefined, ObjectTypeNames: { ShopifyCreateOrders: 'Order', ShopifyCreateCustomers: 'Shopper' } }),
          'ResourceNotFoundException',
          404,
          'Shopper',
        );
        const out = await put({ Uri: 'shopify://store', ObjectTypeName: undefined, ObjectTypeNames: { ShopifyCreateOrders: 'Order', ShopifyCreateCustomers: 'Contact' } });
        assert.deepEqual(out.ObjectTypeNames, { ShopifyCreateOrders: 'Order', ShopifyCreateCustomers: 'Contact' });
        assert.equal(out.ObjectTypeName, undefined);
      });

      test('a missing domain is a ResourceNotFoundException naming it', async () => {
        await expectAwsError(put({ DomainName: 'absent' }), 'ResourceNotFoundException', 404, 'absent');
      });

      test('putting the same Uri again replaces it, keeps CreatedAt and adds the new tags', async () => {
        const first = await put({ Uri: 's3://again', RoleArn: 'arn:aws:iam::123456789012:role/a', Tags: { a: '1' } });
        clock.advance(60_000);
        const second = await put({ Uri: 's3://again', ObjectTypeName: 'Order', Tags: { b: '2' } });
        assert.deepEqual(second.CreatedAt, first.CreatedAt);
        assert.equal(second.LastUpdatedAt?.getTime(), clock.now());
        assert.equal(second.ObjectTypeName, 'Order');
        assert.equal(second.RoleArn, undefined);
        assert.deepEqual(second.Tags, { a: '1', b: '2' });
        const got = await s.client.send(new GetIntegrationCommand({ DomainName: 'integ', Uri: 's3://again' }));
        assert.equal(got.ObjectTypeName, 'Order');
      });

      test("a FlowName another domain's integration holds is a BadRequestException naming that domain; the flow and that integration stay as they were", async () => {
        await domainWithType(s.client, 'integ-other');
        const held = { ...FLOW, FlowName: 'held-flow' };
        await put({ Uri: 's3://held', FlowDefinition: held });
        const af = appflowClient(s.url);
        const before = await af.send(new DescribeFlowCommand({ flowName: 'held-flow' }));
        clock.advance(60_000);
        await expectAwsError(
          s.client.send(new PutIntegrationCommand({ DomainName: 'integ-other', Uri: 's3://held', ObjectTypeName: 'Contact', FlowDefinition: held })),
          'BadRequestException',
          400,
          /The flow held-flow belongs to an integration of domain integ,/,
          'DeleteIntegration',
        );
        // Nothing of the refused call was written: neither its integration nor a change to the flow.
        await expectAwsError(s.client.send(new GetIntegrationCommand({ DomainName: 'integ-other', Uri: 's3://held' })), 'ResourceNotFoundException', 404);
        const after = await af.send(new DescribeFlowCommand({ flowName: 'held-flow' }));
        assert.deepEqual(after.destinationFlowConfigList, before.destinationFlowConfigList);
        assert.deepEqual(after.lastUpdatedAt, before.lastUpdatedAt);
        // Within its own domain another integration naming it takes it, as it did before.
        await put({ Uri: 's3://held-next', FlowDefinition: held });
        const taken = await af.send(new DescribeFlowCommand({ flowName: 'held-flow' }));
        assert.equal(taken.lastUpdatedAt?.getTime(), clock.now());
      });

      test('a FlowName of a flow created through AppFlow is a BadRequestException; that flow stays as it was', async () => {
        const af = appflowClient(s.url);
        await af.send(
          new CreateFlowCommand({
            flowName: 'appflows-own',
            triggerConfig: { triggerType: 'OnDemand' },
            sourceFlowConfig: { connectorType: 'S3', sourceConnectorProperties: { S3: { bucketName: 'crm-exports' } } },
            destinationFlowConfigList: [{ connectorType: 'CustomerProfiles', destinationConnectorProperties: { CustomerProfiles: { domainName: 'integ', objectTypeName: 'Contact' } } }],
            tasks: [{ taskType: 'Map', sourceFields: ['Id'], destinationField: 'Id', connectorOperator: { S3: 'NO_OP' } }],
          }),
        );
        const before = await af.send(new DescribeFlowCommand({ flowName: 'appflows-own' }));
        await expectAwsError(
          put({ Uri: 's3://appflows-own', FlowDefinition: { ...FLOW, FlowName: 'appflows-own' } }),
          'BadRequestException',
          400,
          'A flow named appflows-own already exists in AppFlow, created through CreateFlow',
        );
        await expectAwsError(s.client.send(new GetIntegrationCommand({ DomainName: 'integ', Uri: 's3://appflows-own' })), 'ResourceNotFoundException', 404);
        const after = await af.send(new DescribeFlowCommand({ flowName: 'appflows-own' }));
        assert.deepEqual(after.lastUpdatedAt, before.lastUpdatedAt);
        assert.deepEqual(after.triggerConfig, before.triggerConfig);
        assert.equal(after.flowStatus, before.flowStatus);
      });

      test("AppFlow's UpdateFlow cannot move an integration's flow to another domain: a ConflictException, and the flow and the integration stay", async () => {
        await domainWithType(s.client, 'integ-moved');
        const held = { ...FLOW, FlowName: 'kept-flow' };
        await put({ Uri: 's3://kept', FlowDefinition: held });
        const af = appflowClient(s.url);
        const before = await af.send(new DescribeFlowCommand({ flowName: 'kept-flow' }));
        const update = (domainName: string) =>
          af.send(
            new UpdateFlowCommand({
              flowName: 'kept-flow',
              triggerConfig: { triggerType: 'OnDemand' },
              sourceFlowConfig: { connectorType: 'S3', sourceConnectorProperties: { S3: { bucketName: 'crm-exports' } } },
              destinationFlowConfigList: [{ connectorType: 'CustomerProfiles', destinationConnectorProperties: { CustomerProfiles: { domainName, objectTypeName: 'Contact' } } }],
              tasks: [{ taskType: 'Map', sourceFields: ['Id'], destinationField: 'Id', connectorOperator: { S3: 'NO_OP' } }],
            }),
          );
        await expectAwsError(update('integ-moved'), 'ConflictException', 409, /The flow kept-flow is the flow of the integration s3:\/\/kept of domain integ\b/, 'integ-moved', 'DeleteIntegration');
        const after = await af.send(new DescribeFlowCommand({ flowName: 'kept-flow' }));
        assert.deepEqual(after.destinationFlowConfigList, before.destinationFlowConfigList);
        assert.deepEqual(after.lastUpdatedAt, before.lastUpdatedAt);
        // Its own domain can still re-put it, and AppFlow can still change it within that domain.
        await put({ Uri: 's3://kept', FlowDefinition: held });
        await update('integ');
      });

      test('its ARN is taggable, a Uri with / and : included', async () => {
        const uri = 'arn:aws:appflow:us-east-1:123456789012:flow/contacts';
        await put({ Uri: uri, Tags: { env: 'prod' } });
        const tags = await s.client.send(new ListTagsForResourceCommand({ resourceArn: integrationArnOf('integ', uri) }));
        assert.deepEqual(tags.tags, { env: 'prod' });
      });
    });
  });
}
