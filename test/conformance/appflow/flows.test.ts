import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  type AppflowClient,
  CreateConnectorProfileCommand,
  CreateFlowCommand,
  type CreateFlowRequest,
  type SourceFlowConfig,
  DeleteConnectorProfileCommand,
  DeleteFlowCommand,
  DescribeFlowCommand,
  ListFlowsCommand,
  ListTagsForResourceCommand as AfListTags,
  StartFlowCommand,
  TagResourceCommand as AfTag,
  UntagResourceCommand as AfUntag,
  UpdateFlowCommand,
} from '@aws-sdk/client-appflow';
import { CreateDomainCommand, DeleteIntegrationCommand, ListTagsForResourceCommand as CpListTags, PutIntegrationCommand, PutProfileObjectTypeCommand } from '@aws-sdk/client-customer-profiles';
import { appflowClient, servicenowProfile, ticketsDestination } from '../../helpers/appflow.js';
import { availableBackends } from '../../helpers/backends.js';
import { expectAwsError } from '../../helpers/errors.js';
import { behindOpenTransaction } from '../../helpers/races.js';
import { startServer, TEST_ACCOUNT, TEST_REGION, type TestServer } from '../../helpers/server.js';

const OTHER = '111122223333';
const flowArn = (name: string) => `arn:aws:appflow:${TEST_REGION}:${TEST_ACCOUNT}:flow/${name}`;

const SOURCE: SourceFlowConfig = { connectorType: 'Servicenow', connectorProfileName: 'sn', sourceConnectorProperties: { ServiceNow: { object: 'incident' } } };

function flow(name: string, extra: Partial<CreateFlowRequest> = {}): CreateFlowRequest {
  return {
    flowName: name,
    description: 'Tickets into profiles',
    triggerConfig: { triggerType: 'OnDemand' },
    sourceFlowConfig: SOURCE,
    destinationFlowConfigList: [
      { connectorType: 'CustomerProfiles', destinationConnectorProperties: { CustomerProfiles: { domainName: 'dom', objectTypeName: 'Ticket' } } },
    ],
    tasks: [{ taskType: 'Map', sourceFields: ['number'], destinationField: 'number', connectorOperator: { ServiceNow: 'NO_OP' } }],
    ...extra,
  };
}

for (const backend of await availableBackends()) {
  describe(`AppFlow flows [${backend}]`, () => {
    let s: TestServer;
    let af: AppflowClient;
    let other: AppflowClient;
    before(async () => {
      s = await startServer(backend);
      af = appflowClient(s.url);
      other = appflowClient(s.url, { accountId: OTHER });
      await ticketsDestination(s, af);
    });
    after(async () => {
      af.destroy();
      other.destroy();
      await s.close();
    });

    describe('serialization', () => {
      test('CreateFlow answers the flow ARN and status; DescribeFlow the flow as given, with times, authors and tags', async () => {
        const out = await af.send(new CreateFlowCommand(flow('tickets', { tags: { team: 'crm' } })));
        assert.equal(out.flowArn, flowArn('tickets'));
        assert.equal(out.flowStatus, 'Active');
        const d = await af.send(new DescribeFlowCommand({ flowName: 'tickets' }));
        assert.equal(d.flowName, 'tickets');
        assert.equal(d.description, 'Tickets into profiles');
        assert.deepEqual(d.triggerConfig, { triggerType: 'OnDemand' });
        assert.deepEqual(d.sourceFlowConfig, flow('x').sourceFlowConfig);
        assert.deepEqual(d.destinationFlowConfigList, flow('x').destinationFlowConfigList);
        assert.deepEqual(d.tasks, flow('x').tasks);
        assert.deepEqual(d.tags, { team: 'crm' });
        assert.equal(d.createdBy, `arn:aws:iam::${TEST_ACCOUNT}:root`);
        assert.ok(d.createdAt instanceof Date && d.lastUpdatedAt instanceof Date);
      });

      test('a Glue metadataCatalogConfig is kept and DescribeFlow answers it as given, names beyond the BMP included', async () => {
        const glueDataCatalog = { roleArn: `arn:aws:iam::${TEST_ACCOUNT}:role/glue`, databaseName: 'Sales db\t🙂', tablePrefix: 'tickets_𝒜' };
        await af.send(new CreateFlowCommand(flow('catalogued', { metadataCatalogConfig: { glueDataCatalog } })));
        assert.deepEqual((await af.send(new DescribeFlowCommand({ flowName: 'catalogued' }))).metadataCatalogConfig, { glueDataCatalog });
        const renamed = { ...glueDataCatalog, tablePrefix: 'incidents_' };
        const { sourceFlowConfig, destinationFlowConfigList, tasks, triggerConfig } = flow('catalogued');
        await af.send(new UpdateFlowCommand({ flowName: 'catalogued', triggerConfig, sourceFlowConfig, destinationFlowConfigList, tasks, metadataCatalogConfig: { glueDataCatalog: renamed } }));
        assert.deepEqual((await af.send(new DescribeFlowCommand({ flowName: 'catalogued' }))).metadataCatalogConfig, { glueDataCatalog: renamed });
      });

      test('a scheduled flow is a Draft, its schedule times read back as dates', async () => {
        const start = new Date('2030-01-01T00:00:00Z');
        await af.send(
          new CreateFlowCommand(
            flow('scheduled', { triggerConfig: { triggerType: 'Scheduled', triggerProperties: { Scheduled: { scheduleExpression: 'rate(1hours)', scheduleStartTime: start } } } }),
          ),
        );
        const d = await af.send(new DescribeFlowCommand({ flowName: 'scheduled' }));
        assert.equal(d.flowStatus, 'Draft');
        assert.equal(d.triggerConfig?.triggerProperties?.Scheduled?.scheduleStartTime?.getTime(), start.getTime());
      });
    });

    describe('validation', () => {
      test('a Scheduled flow whose schedule could never run is a ValidationException, on CreateFlow, UpdateFlow and PutIntegration', async () => {
        const scheduled = (Scheduled?: { scheduleExpression: string; scheduleStartTime?: Date; scheduleEndTime?: Date }) =>
          flow('never-runs', { triggerConfig: { triggerType: 'Scheduled', ...(Scheduled ? { triggerProperties: { Scheduled } } : {}) } });
        await expectAwsError(af.send(new CreateFlowCommand(scheduled())), 'ValidationException', 400, /needs a ScheduleExpression/);
        await expectAwsError(af.send(new CreateFlowCommand(scheduled({ scheduleExpression: 'every hour' }))), 'ValidationException', 400, /"every hour" is not one profileflow runs/);
        const start = new Date('2030-01-01T00:00:00Z');
        await expectAwsError(
          af.send(new CreateFlowCommand(scheduled({ scheduleExpression: 'rate(1hours)', scheduleStartTime: start, scheduleEndTime: new Date(start.getTime() - 1) }))),
          'ValidationException',
          400,
          /ScheduleEndTime .* is not after the schedule's start/,
        );
        await expectAwsError(af.send(new DescribeFlowCommand({ flowName: 'never-runs' })), 'ResourceNotFoundException', 404);
        await af.send(new CreateFlowCommand(flow('changed-to-never')));
        const { flowName: _, ...update } = scheduled({ scheduleExpression: 'hourly' });
        await expectAwsError(af.send(new UpdateFlowCommand({ flowName: 'changed-to-never', ...update })), 'ValidationException', 400, /"hourly"/);
        assert.equal((await af.send(new DescribeFlowCommand({ flowName: 'changed-to-never' }))).triggerConfig?.triggerType, 'OnDemand');
        await expectAwsError(
          s.client.send(
            new PutIntegrationCommand({
              DomainName: 'dom',
              Uri: flowArn('cp-never'),
              ObjectTypeName: 'Ticket',
              FlowDefinition: {
                FlowName: 'cp-never',
                KmsArn: 'arn:aws:kms:us-east-1:000000000000:key/abc',
                TriggerConfig: { TriggerType: 'Scheduled', TriggerProperties: { Scheduled: { ScheduleExpression: 'every hour' } } },
                SourceFlowConfig: { ConnectorType: 'Servicenow', ConnectorProfileName: 'sn', SourceConnectorProperties: { ServiceNow: { Object: 'incident' } } },
                Tasks: [{ TaskType: 'Map', SourceFields: ['number'], DestinationField: 'number', ConnectorOperator: { ServiceNow: 'NO_OP' } }],
              },
            }),
          ),
          'BadRequestException',
          400,
          /"every hour" is not one profileflow runs/,
        );
      });

      test('a flow name breaking FlowName\'s pattern is a ValidationException naming the member', async () => {
        await expectAwsError(af.send(new CreateFlowCommand(flow('-bad'))), 'ValidationException', 400, "at 'flowName'", 'regular expression pattern');
      });

      test("a Glue name holding a control character breaks the model's pattern: a ValidationException naming the member", async () => {
        const glueDataCatalog = { roleArn: `arn:aws:iam::${TEST_ACCOUNT}:role/glue`, databaseName: 'sales', tablePrefix: 'bell\u0007' };
        await expectAwsError(af.send(new CreateFlowCommand(flow('bad-catalog', { metadataCatalogConfig: { glueDataCatalog } }))), 'ValidationException', 400, "at 'metadataCatalogConfig.glueDataCatalog.tablePrefix'", 'regular expression pattern');
      });

      test('a destination other than Customer Profiles is refused, naming it', async () => {
        await expectAwsError(
          af.send(new CreateFlowCommand(flow('to-s3', { destinationFlowConfigList: [{ connectorType: 'S3', destinationConnectorProperties: { S3: { bucketName: 'my-bucket' } } }] }))),
          'ValidationException',
          400,
          'destination connector type S3',
        );
      });

      test('a missing domain or connector profile is a ResourceNotFoundException; a taken name a ConflictException', async () => {
        await expectAwsError(
          af.send(
            new CreateFlowCommand(flow('nodom', { destinationFlowConfigList: [{ connectorType: 'CustomerProfiles', destinationConnectorProperties: { CustomerProfiles: { domainName: 'nope' } } }] })),
          ),
          'ResourceNotFoundException',
          404,
          'nope',
        );
        await expectAwsError(
          af.send(new CreateFlowCommand(flow('noprof', { sourceFlowConfig: { ...SOURCE, connectorProfileName: 'missing' } }))),
          'ResourceNotFoundException',
          404,
          'missing',
        );
        await af.send(new CreateFlowCommand(flow('twice')));
        await expectAwsError(af.send(new CreateFlowCommand(flow('twice'))), 'ConflictException', 409, 'twice');
      });
    });

    describe('behaviour', () => {
      test('UpdateFlow replaces the definition and keeps status; DeleteFlow removes it and its tags', async () => {
        await af.send(new CreateFlowCommand(flow('upd', { tags: { a: '1' } })));
        const out = await af.send(new UpdateFlowCommand({ ...flow('upd'), description: 'changed' }));
        assert.equal(out.flowStatus, 'Active');
        assert.equal((await af.send(new DescribeFlowCommand({ flowName: 'upd' }))).description, 'changed');
        await af.send(new DeleteFlowCommand({ flowName: 'upd' }));
        await expectAwsError(af.send(new DescribeFlowCommand({ flowName: 'upd' })), 'ResourceNotFoundException', 404, 'upd');
        await expectAwsError(af.send(new AfListTags({ resourceArn: flowArn('upd') })), 'ResourceNotFoundException', 404);
      });

      // PostgreSQL has concurrent writers: the other write holds the flow's row while UpdateFlow starts.
      if (backend === 'postgres') {
        test('UpdateFlow racing another write of the flow keeps what that write left in the columns it does not change', async () => {
          await af.send(new CreateFlowCommand(flow('raced-update')));
          const scope = { accountId: TEST_ACCOUNT, region: TEST_REGION };
          let answered: string | undefined;
          await behindOpenTransaction(
            s.store,
            async (tx) => {
              const stored = await tx.flows.get(scope, 'raced-update');
              await tx.flows.update(scope, { ...stored!, flowStatus: 'Suspended' });
            },
            async () => {
              answered = (await af.send(new UpdateFlowCommand({ ...flow('raced-update'), description: 'changed' }))).flowStatus;
            },
          );
          const described = await af.send(new DescribeFlowCommand({ flowName: 'raced-update' }));
          assert.equal(described.description, 'changed');
          assert.equal(described.flowStatus, 'Suspended');
          assert.equal(answered, 'Suspended');
        });
      }

      test('AppFlow tags on a flow: tag, list, untag; the same path signed for Customer Profiles is its TagResource', async () => {
        await af.send(new CreateFlowCommand(flow('tagged')));
        await af.send(new AfTag({ resourceArn: flowArn('tagged'), tags: { k1: 'v1', k2: 'v2' } }));
        await af.send(new AfUntag({ resourceArn: flowArn('tagged'), tagKeys: ['k1'] }));
        assert.deepEqual((await af.send(new AfListTags({ resourceArn: flowArn('tagged') }))).tags, { k2: 'v2' });
        // Signed for `profile`, /tags/{arn} is Customer Profiles' ListTagsForResource, which reads profile ARNs only.
        await expectAwsError(s.client.send(new CpListTags({ resourceArn: flowArn('tagged') })), 'BadRequestException', 400);
      });

      test('PutIntegration with a FlowDefinition creates the flow; DeleteIntegration deletes it', async () => {
        await s.client.send(
          new PutIntegrationCommand({
            DomainName: 'dom',
            Uri: flowArn('cp-flow'),
            ObjectTypeName: 'Ticket',
            FlowDefinition: {
              FlowName: 'cp-flow',
              KmsArn: 'arn:aws:kms:us-east-1:000000000000:key/abc',
              TriggerConfig: { TriggerType: 'OnDemand' },
              SourceFlowConfig: { ConnectorType: 'Servicenow', ConnectorProfileName: 'sn', SourceConnectorProperties: { ServiceNow: { Object: 'incident' } } },
              Tasks: [{ TaskType: 'Map', SourceFields: ['number'], DestinationField: 'number', ConnectorOperator: { ServiceNow: 'NO_OP' } }],
            },
          }),
        );
        const d = await af.send(new DescribeFlowCommand({ flowName: 'cp-flow' }));
        assert.equal(d.flowStatus, 'Active');
        assert.deepEqual(d.sourceFlowConfig, { connectorType: 'Servicenow', connectorProfileName: 'sn', sourceConnectorProperties: { ServiceNow: { object: 'incident' } } });
        assert.deepEqual(d.destinationFlowConfigList?.[0].destinationConnectorProperties, { CustomerProfiles: { domainName: 'dom', objectTypeName: 'Ticket' } });
        assert.deepEqual(d.tasks, [{ taskType: 'Map', sourceFields: ['number'], destinationField: 'number', connectorOperator: { ServiceNow: 'NO_OP' } }]);
        assert.ok((await af.send(new ListFlowsCommand({}))).flows?.some((f) => f.flowName === 'cp-flow' && f.destinationConnectorType === 'CustomerProfiles'));
        await s.client.send(new DeleteIntegrationCommand({ DomainName: 'dom', Uri: flowArn('cp-flow') }));
        await expectAwsError(af.send(new DescribeFlowCommand({ flowName: 'cp-flow' })), 'ResourceNotFoundException', 404);
      });

      test('a profile flows read through is not deleted without forceDelete', async () => {
        await af.send(new CreateConnectorProfileCommand(servicenowProfile('in-use')));
        await af.send(new CreateFlowCommand(flow('reader', { sourceFlowConfig: { ...SOURCE, connectorProfileName: 'in-use' } })));
        await expectAwsError(af.send(new DeleteConnectorProfileCommand({ connectorProfileName: 'in-use' })), 'ConflictException', 409, '1 flow');
        await af.send(new DeleteConnectorProfileCommand({ connectorProfileName: 'in-use', forceDelete: true }));
      });

      test("another account cannot see, tag, use or delete a flow, nor read through the owner's profile", async () => {
        await af.send(new CreateFlowCommand(flow('mine')));
        assert.deepEqual((await other.send(new ListFlowsCommand({}))).flows, []);
        await expectAwsError(other.send(new DescribeFlowCommand({ flowName: 'mine' })), 'ResourceNotFoundException', 404);
        await expectAwsError(other.send(new DeleteFlowCommand({ flowName: 'mine' })), 'ResourceNotFoundException', 404);
        await expectAwsError(other.send(new AfTag({ resourceArn: flowArn('mine'), tags: { x: 'y' } })), 'ResourceNotFoundException', 404);
        // The other account has no domain 'dom' nor profile 'sn' of its own.
        await expectAwsError(other.send(new CreateFlowCommand(flow('steal'))), 'ResourceNotFoundException', 404);
        // With a domain and type of its own, what stops it is the profile: the owner's 'sn' is not its.
        const otherProfiles = s.clientFor({ accountId: OTHER });
        await otherProfiles.send(new CreateDomainCommand({ DomainName: 'dom', DefaultExpirationDays: 1 }));
        await otherProfiles.send(new PutProfileObjectTypeCommand({ DomainName: 'dom', ObjectTypeName: 'Ticket', Description: 'tickets', Fields: { number: { Source: '_source.number', Target: '_profile.AccountNumber' } }, Keys: { number: [{ StandardIdentifiers: ['PROFILE', 'UNIQUE'], FieldNames: ['number'] }] } }));
        await expectAwsError(other.send(new CreateFlowCommand(flow('steal'))), 'ResourceNotFoundException', 404, 'sn');
        assert.deepEqual((await other.send(new ListFlowsCommand({}))).flows, [], 'nothing was created');
      });

      test('ListFlows pages by maxResults', async () => {
        const c = appflowClient(s.url, { accountId: '555566667777' });
        assert.deepEqual((await c.send(new ListFlowsCommand({ maxResults: 1 }))).flows, []);
        const page = await af.send(new ListFlowsCommand({ maxResults: 1 }));
        assert.equal(page.flows?.length, 1);
        const next = await af.send(new ListFlowsCommand({ maxResults: 1, nextToken: page.nextToken }));
        assert.notEqual(next.flows?.[0].flowName, page.flows?.[0].flowName);
        c.destroy();
      });

      test('ListFlows without maxResults answers AppFlow\'s default page of 20', async () => {
        for (let i = 1; i <= 21; i++) await af.send(new CreateFlowCommand(flow(`page-${String(i).padStart(2, '0')}`)));
        const page = await af.send(new ListFlowsCommand({}));
        assert.equal(page.flows?.length, 20);
        assert.ok(page.nextToken);
      });

      test('StartFlow on a Draft flow made OnDemand by UpdateFlow runs it and leaves it Active, as it answers', async () => {
        const hourly = { triggerType: 'Scheduled' as const, triggerProperties: { Scheduled: { scheduleExpression: 'rate(1hours)' } } };
        await af.send(new CreateFlowCommand(flow('draft-then-on-demand', { triggerConfig: hourly })));
        const { flowName: _, ...onDemand } = flow('draft-then-on-demand');
        assert.equal((await af.send(new UpdateFlowCommand({ flowName: 'draft-then-on-demand', ...onDemand }))).flowStatus, 'Draft');
        const started = await af.send(new StartFlowCommand({ flowName: 'draft-then-on-demand' }));
        assert.equal(started.flowStatus, 'Active');
        assert.ok(started.executionId);
        assert.equal((await af.send(new DescribeFlowCommand({ flowName: 'draft-then-on-demand' }))).flowStatus, 'Active');
      });

      test('StartFlow on a flow that does not exist: ResourceNotFoundException naming it', async () => {
        await expectAwsError(af.send(new StartFlowCommand({ flowName: 'no-such-flow' })), 'ResourceNotFoundException', 404, 'no-such-flow');
      });
    });
  });
}
