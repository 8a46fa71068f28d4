import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  BadRequestException,
  CreateIntegrationWorkflowCommand,
  type CreateIntegrationWorkflowCommandInput,
  GetWorkflowCommand,
  ListIntegrationsCommand,
  ListTagsForResourceCommand,
  ListWorkflowsCommand,
} from '@aws-sdk/client-customer-profiles';
import { DescribeFlowCommand } from '@aws-sdk/client-appflow';
import { ManualClock } from '../../src/engine/clock.js';
import { appflowClient } from '../helpers/appflow.js';
import { availableBackends } from '../helpers/backends.js';
import { expectAwsError } from '../helpers/errors.js';
import { startServer, TEST_ACCOUNT, TEST_REGION, type TestServer } from '../helpers/server.js';
import {
  allSteps,
  consecutiveBatches,
  createWorkflow,
  DAY_MS,
  FLOW,
  flowUriOf,
  FLOW_NAME_PATTERN,
  isoOf,
  OBJECT_TYPE,
  putConnectorProfile,
  putObjectType,
  setupWorkflowEnv,
  uniqueProfileName,
  withMember,
  type WorkflowEnv,
  workflowRequest,
} from '../helpers/workflows.js';

const APPFLOW = 'IntegrationConfig.AppflowIntegration';
const SOURCE = `${FLOW}.SourceFlowConfig`;
const PROPS = `${SOURCE}.SourceConnectorProperties`;

for (const backend of await availableBackends()) {
  describe(`CreateIntegrationWorkflow [${backend}]`, () => {
    // Milliseconds in the creation time, so that planned windows are checked to the millisecond.
    const clock = new ManualClock(Date.UTC(2026, 0, 15, 8, 30, 0, 125));
    let s: TestServer;
    let env: WorkflowEnv;
    before(async () => {
      s = await startServer(backend, { clock });
      env = await setupWorkflowEnv(s, 'cw');
    });
    after(() => s.close());

    const create = (input: CreateIntegrationWorkflowCommandInput) => s.client.send(new CreateIntegrationWorkflowCommand(input));
    const valid = () => workflowRequest({ env });

    /** Rejected with one BadRequestException naming the member path and the rule. */
    async function rejects(input: CreateIntegrationWorkflowCommandInput, path: string, ...rule: (string | RegExp)[]) {
      return expectAwsError(create(input), 'BadRequestException', 400, `at '${path}'`, ...rule);
    }
    /** Accepted: a workflow id comes back. */
    async function accepts(input: CreateIntegrationWorkflowCommandInput) {
      const out = await create(input);
      assert.match(out.WorkflowId ?? '', /^[a-f0-9]{32}$/);
      return out.WorkflowId!;
    }

    describe('serialization', () => {
      test('answers a WorkflowId of 32 lowercase hex characters and a Message of 1..255 characters', async () => {
        const out = await create(valid());
        assert.equal(out.$metadata.httpStatusCode, 200);
        assert.ok(out.$metadata.requestId, 'X-Amzn-RequestId is read by the SDK');
        assert.match(out.WorkflowId ?? '', /^[a-f0-9]{32}$/);
        assert.equal(typeof out.Message, 'string');
        assert.ok(out.Message!.length >= 1 && out.Message!.length <= 255, `Message length ${out.Message!.length}`);
      });

      test('every workflow gets its own id', async () => {
        const ids = new Set<string>();
        for (let i = 0; i < 5; i++) ids.add(await accepts(valid()));
        assert.equal(ids.size, 5);
      });
    });

    describe('validation', () => {
      const requiredMembers: [remove: string, shown: string][] = [
        ['WorkflowType', 'WorkflowType'],
        ['IntegrationConfig', 'IntegrationConfig'],
        ['ObjectTypeName', 'ObjectTypeName'],
        ['RoleArn', 'RoleArn'],
        [FLOW, FLOW],
        [`${FLOW}.FlowName`, `${FLOW}.FlowName`],
        [`${FLOW}.KmsArn`, `${FLOW}.KmsArn`],
        [SOURCE, SOURCE],
        [`${SOURCE}.ConnectorType`, `${SOURCE}.ConnectorType`],
        [PROPS, PROPS],
        [`${PROPS}.Salesforce.Object`, `${PROPS}.Salesforce.Object`],
        [`${FLOW}.Tasks`, `${FLOW}.Tasks`],
        [`${FLOW}.Tasks.0.SourceFields`, `${FLOW}.Tasks.1.SourceFields`],
        [`${FLOW}.Tasks.0.TaskType`, `${FLOW}.Tasks.1.TaskType`],
        [`${FLOW}.TriggerConfig`, `${FLOW}.TriggerConfig`],
        [`${FLOW}.TriggerConfig.TriggerType`, `${FLOW}.TriggerConfig.TriggerType`],
        [`${APPFLOW}.Batches.0.StartTime`, `${APPFLOW}.Batches.1.StartTime`],
        [`${APPFLOW}.Batches.0.EndTime`, `${APPFLOW}.Batches.1.EndTime`],
      ];
      for (const [remove, shown] of requiredMembers) {
        test(`without ${remove.replace(`${APPFLOW}.`, '')} it is a BadRequestException naming the member`, async () => {
          await rejects(withMember(valid(), remove, undefined), shown, 'Member must not be null');
        });
      }

      test('IntegrationConfig without AppflowIntegration is a BadRequestException naming it', async () => {
        await expectAwsError(
          create(withMember(valid(), APPFLOW, undefined)),
          'BadRequestException',
          400,
          'AppflowIntegration',
        );
      });

      test('every violation is reported in one BadRequestException', async () => {
        let input = withMember(valid(), 'RoleArn', 'not-a-role');
        input = withMember(input, 'WorkflowType', 'GLUE');
        const err = await expectAwsError(create(input), 'BadRequestException', 400, '2 validation errors detected', "'RoleArn'", "'WorkflowType'");
        assert.ok(err instanceof BadRequestException, 'the SDK maps the error to its typed class');
      });

      test('RoleArn of 512 characters is accepted, 513 rejected', async () => {
        const prefix = 'arn:aws:iam::123456789012:role/';
        await accepts(withMember(valid(), 'RoleArn', prefix + 'r'.repeat(512 - prefix.length)));
        await rejects(withMember(valid(), 'RoleArn', prefix + 'r'.repeat(513 - prefix.length)), 'RoleArn', 'length less than or equal to 512');
      });

      test('RoleArn must be a whole IAM ARN with an account number', async () => {
        await rejects(withMember(valid(), 'RoleArn', 'arn:aws:iam::role/ingest'), 'RoleArn', 'regular expression pattern');
        await rejects(withMember(valid(), 'RoleArn', 'arn:aws:s3:::123456789012:bucket'), 'RoleArn', 'regular expression pattern');
        await rejects(withMember(valid(), 'RoleArn', 'x arn:aws:iam::123456789012:role/ingest'), 'RoleArn', 'regular expression pattern');
      });

      test('KmsArn of 20 and of 2048 characters is accepted, 19 and 2049 rejected', async () => {
        await accepts(withMember(valid(), `${FLOW}.KmsArn`, 'arn:aws:kms::123456:'));
        await rejects(withMember(valid(), `${FLOW}.KmsArn`, 'arn:aws:kms::12345:'), `${FLOW}.KmsArn`, 'length greater than or equal to 20');
        const prefix = 'arn:aws:kms:us-east-1:123456789012:key/';
        await accepts(withMember(valid(), `${FLOW}.KmsArn`, prefix + 'k'.repeat(2048 - prefix.length)));
        await rejects(
          withMember(valid(), `${FLOW}.KmsArn`, prefix + 'k'.repeat(2049 - prefix.length)),
          `${FLOW}.KmsArn`,
          'length less than or equal to 2048',
        );
      });

      test('KmsArn must be a KMS ARN with an account number', async () => {
        await rejects(
          withMember(valid(), `${FLOW}.KmsArn`, 'arn:aws:kms:us-east-1:account:key/abcd'),
          `${FLOW}.KmsArn`,
          'regular expression pattern',
        );
        await rejects(
          withMember(valid(), `${FLOW}.KmsArn`, 'arn:aws:iam::123456789012:key/abcd'),
          `${FLOW}.KmsArn`,
          'regular expression pattern',
        );
      });

      test('FlowName of 256 characters is accepted, 257 rejected', async () => {
        await accepts(withMember(valid(), `${FLOW}.FlowName`, 'f'.repeat(256)));
        await rejects(withMember(valid(), `${FLOW}.FlowName`, 'f'.repeat(257)), `${FLOW}.FlowName`, 'length less than or equal to 256');
      });

      test('FlowName must match [a-zA-Z0-9][\\w!@#.-]+ as a whole', async () => {
        await accepts(withMember(valid(), `${FLOW}.FlowName`, 'ab'));
        await accepts(withMember(valid(), `${FLOW}.FlowName`, '9Flow_name!@#.-x'));
        for (const bad of ['a', '-flow', '_flow', 'flow name', 'flow$', 'flöw', '']) {
          await rejects(withMember(valid(), `${FLOW}.FlowName`, bad), `${FLOW}.FlowName`, 'regular expression pattern');
        }
      });

      test('Description of 2048 characters is accepted, 2049 rejected; empty is accepted', async () => {
        await accepts(withMember(valid(), `${FLOW}.Description`, ''));
        await accepts(withMember(valid(), `${FLOW}.Description`, 'd'.repeat(2048)));
        await rejects(
          withMember(valid(), `${FLOW}.Description`, 'd'.repeat(2049)),
          `${FLOW}.Description`,
          'length less than or equal to 2048',
        );
      });

      test('Description must match [\\w!@#\\-.?,\\s]*', async () => {
        await accepts(withMember(valid(), `${FLOW}.Description`, 'History, from 2020! Ask @ops #data - ok?\nNext line.'));
        for (const bad of ['semi;colon', 'quote"d', 'a/b', 'tab(1)']) {
          await rejects(withMember(valid(), `${FLOW}.Description`, bad), `${FLOW}.Description`, 'regular expression pattern');
        }
      });

      test('ConnectorProfileName of 256 characters is accepted, 257 rejected', async () => {
        const long = `p/${'x'.repeat(254)}`;
        await putConnectorProfile(s, long);
        await accepts(withMember(valid(), `${SOURCE}.ConnectorProfileName`, long));
        await rejects(
          withMember(valid(), `${SOURCE}.ConnectorProfileName`, `${long}x`),
          `${SOURCE}.ConnectorProfileName`,
          'length less than or equal to 256',
        );
      });

      test('ConnectorProfileName must match [\\w/!@#+=.-]+', async () => {
        for (const bad of ['has space', 'semi;colon', '']) {
          await rejects(
            withMember(valid(), `${SOURCE}.ConnectorProfileName`, bad),
            `${SOURCE}.ConnectorProfileName`,
            'regular expression pattern',
          );
        }
      });

      test('a source Object of 512 characters is accepted, 513 rejected; it must be \\S+', async () => {
        await accepts(withMember(valid(), `${PROPS}.Salesforce.Object`, 'O'.repeat(512)));
        await rejects(
          withMember(valid(), `${PROPS}.Salesforce.Object`, 'O'.repeat(513)),
          `${PROPS}.Salesforce.Object`,
          'length less than or equal to 512',
        );
        for (const bad of ['two words', '', ' Contact']) {
          await rejects(withMember(valid(), `${PROPS}.Salesforce.Object`, bad), `${PROPS}.Salesforce.Object`, 'regular expression pattern');
        }
      });

      test('an S3 BucketName of 3 and 63 characters is accepted, 2 and 64 rejected', async () => {
        const s3 = (bucket: string) => {
          let input = withMember(valid(), `${SOURCE}.ConnectorType`, 'S3');
          input = withMember(input, PROPS, { S3: { BucketName: bucket, BucketPrefix: 'exports/' } });
          return withMember(input, `${FLOW}.Tasks.0.ConnectorOperator`, { S3: 'NO_OP' });
        };
        await accepts(s3('abc'));
        await accepts(s3('b'.repeat(63)));
        await rejects(s3('ab'), `${PROPS}.S3.BucketName`, 'length greater than or equal to 3');
        await rejects(s3('b'.repeat(64)), `${PROPS}.S3.BucketName`, 'length less than or equal to 63');
        await rejects(s3('my bucket'), `${PROPS}.S3.BucketName`, 'regular expression pattern');
      });

      test('ObjectTypeName of 255 characters is accepted, 256 and empty rejected', async () => {
        const long = `T${'t'.repeat(254)}`;
        await putObjectType(s.client, env.domain, long);
        await accepts(withMember(valid(), 'ObjectTypeName', long));
        await rejects(withMember(valid(), 'ObjectTypeName', `${long}t`), 'ObjectTypeName', 'length less than or equal to 255');
        await rejects(withMember(valid(), 'ObjectTypeName', ''), 'ObjectTypeName', 'length greater than or equal to 1');
      });

      test('ObjectTypeName must match ^[a-zA-Z_][a-zA-Z_0-9-]*$', async () => {
        for (const bad of ['1Contact', '-Contact', 'Con.tact', 'Con tact']) {
          await rejects(withMember(valid(), 'ObjectTypeName', bad), 'ObjectTypeName', 'regular expression pattern');
        }
      });

      test('Tags take 1..50 entries: 1 and 50 accepted, none and 51 rejected', async () => {
        const tags = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, 'v']));
        await accepts(withMember(valid(), 'Tags', tags(1)));
        await accepts(withMember(valid(), 'Tags', tags(50)));
        await rejects(withMember(valid(), 'Tags', {}), 'Tags', 'length greater than or equal to 1');
        await rejects(withMember(valid(), 'Tags', tags(51)), 'Tags', 'length less than or equal to 50');
        await rejects(withMember(valid(), 'Tags', { 'aws:team': 'x' }), 'Tags.key', 'regular expression pattern');
      });

      test('ScheduleOffset ranges 0..36000 at both bounds', async () => {
        const scheduled = (offset: number) =>
          withMember(valid(), `${FLOW}.TriggerConfig`, {
            TriggerType: 'Scheduled',
            TriggerProperties: { Scheduled: { ScheduleExpression: 'rate(1days)', ScheduleOffset: offset } },
          });
        await accepts(scheduled(0));
        await accepts(scheduled(36000));
        const path = `${FLOW}.TriggerConfig.TriggerProperties.Scheduled.ScheduleOffset`;
        await rejects(scheduled(-1), path, 'value greater than or equal to 0');
        await rejects(scheduled(36001), path, 'value less than or equal to 36000');
      });

      test('WorkflowType, ConnectorType, TaskType and TriggerType take only their enum values', async () => {
        await rejects(withMember(valid(), 'WorkflowType', 'GLUE_INTEGRATION'), 'WorkflowType', 'enum value set: [APPFLOW_INTEGRATION]');
        await rejects(withMember(valid(), `${SOURCE}.ConnectorType`, 'Hubspot'), `${SOURCE}.ConnectorType`, 'enum value set');
        await rejects(withMember(valid(), `${SOURCE}.ConnectorType`, 'ServiceNow'), `${SOURCE}.ConnectorType`, 'enum value set');
        await rejects(withMember(valid(), `${FLOW}.Tasks.0.TaskType`, 'Copy'), `${FLOW}.Tasks.1.TaskType`, 'enum value set');
        await rejects(withMember(valid(), `${FLOW}.TriggerConfig.TriggerType`, 'Daily'), `${FLOW}.TriggerConfig.TriggerType`, 'enum value set');
        // Each TaskType with the operator and TaskProperties it needs (a bare NO_OP fits only Map, Merge, Truncate).
        const runnable: Record<string, Record<string, unknown>> = {
          Arithmetic: { SourceFields: ['Amount', 'Tax'], ConnectorOperator: { Salesforce: 'ADDITION' } },
          Filter: { ConnectorOperator: { Salesforce: 'PROJECTION' } },
          Map: {},
          Mask: { ConnectorOperator: { Salesforce: 'MASK_ALL' }, TaskProperties: { MASK_VALUE: '*' } },
          Merge: { TaskProperties: { CONCAT_FORMAT: ' ' } },
          Truncate: { TaskProperties: { TRUNCATE_LENGTH: '8' } },
          Validate: { ConnectorOperator: { Salesforce: 'VALIDATE_NON_NULL' }, TaskProperties: { VALIDATION_ACTION: 'DropRecord' } },
        };
        for (const [taskType, members] of Object.entries(runnable)) {
          const task = { TaskType: taskType, SourceFields: ['Id'], DestinationField: 'Id', ConnectorOperator: { Salesforce: 'NO_OP' }, ...members };
          await accepts(withMember(valid(), `${FLOW}.Tasks`, [task]));
        }
        for (const trigger of ['Event', 'OnDemand']) {
          await accepts(withMember(valid(), `${FLOW}.TriggerConfig.TriggerType`, trigger));
        }
      });

      describe('Tasks that could not run', () => {
        const TASKS = `${FLOW}.Tasks`;
        const withTasks = (...tasks: Record<string, unknown>[]) =>
          withMember(valid(), TASKS, [{ TaskType: 'Map', SourceFields: ['Id'], ConnectorOperator: { Salesforce: 'NO_OP' } }, ...tasks]);
        const cases: [string, Record<string, unknown>, string][] = [
          [
            'a TaskProperties key another TaskType takes',
            { TaskType: 'Map', SourceFields: ['Email'], TaskProperties: { MASK_VALUE: '*' } },
            'Task 2 (Map): TaskProperties MASK_VALUE does not apply to a Map task',
          ],
          [
            'an operator that does not fit the TaskType',
            { TaskType: 'Validate', SourceFields: ['Email'], ConnectorOperator: { Salesforce: 'MASK_ALL' }, TaskProperties: { VALIDATION_ACTION: 'DropRecord' } },
            'Task 2 (Validate): ConnectorOperator MASK_ALL does not fit a Validate task',
          ],
          [
            'an operator member that does not fit the ConnectorType',
            { TaskType: 'Map', SourceFields: ['Email'], ConnectorOperator: { Zendesk: 'NO_OP' } },
            'Task 2 (Map): ConnectorOperator.Zendesk does not fit ConnectorType Salesforce',
          ],
          [
            'BETWEEN without its bounds',
            { TaskType: 'Filter', SourceFields: ['Amount'], ConnectorOperator: { Salesforce: 'BETWEEN' }, TaskProperties: { LOWER_BOUND: '10' } },
            'Task 2 (Filter): BETWEEN needs TaskProperties LOWER_BOUND and UPPER_BOUND.',
          ],
          [
            'a non-numeric VALUE for a numeric DATA_TYPE',
            { TaskType: 'Filter', SourceFields: ['Amount'], ConnectorOperator: { Salesforce: 'GREATER_THAN' }, TaskProperties: { DATA_TYPE: 'double', VALUE: 'ten' } },
            'Task 2 (Filter): VALUE must be a number for a numeric DATA_TYPE.',
          ],
          [
            'Arithmetic on one field',
            { TaskType: 'Arithmetic', SourceFields: ['Amount'], ConnectorOperator: { Salesforce: 'MULTIPLICATION' } },
            'Task 2 (Arithmetic): An Arithmetic MULTIPLICATION takes exactly 2 source fields; SourceFields holds 1.',
          ],
          [
            'Truncate without TRUNCATE_LENGTH',
            { TaskType: 'Truncate', SourceFields: ['City'], ConnectorOperator: { Salesforce: 'NO_OP' } },
            'Task 2 (Truncate): TRUNCATE_LENGTH is required.',
          ],
          [
            'a TRUNCATE_LENGTH that is not a number',
            { TaskType: 'Truncate', SourceFields: ['City'], TaskProperties: { TRUNCATE_LENGTH: 'short' } },
            'Task 2 (Truncate): TRUNCATE_LENGTH must be a whole number of characters, 0 or more.',
          ],
          [
            'a Mask without MASK_VALUE',
            { TaskType: 'Mask', SourceFields: ['Phone'], ConnectorOperator: { Salesforce: 'MASK_LAST_N' }, TaskProperties: { MASK_LENGTH: '4' } },
            'Task 2 (Mask): MASK_VALUE (the mask character) is required.',
          ],
          [
            'a Merge without CONCAT_FORMAT',
            { TaskType: 'Merge', SourceFields: ['FirstName', 'LastName'], DestinationField: 'Name' },
            'Task 2 (Merge): CONCAT_FORMAT is required',
          ],
          [
            'a Validate without VALIDATION_ACTION',
            { TaskType: 'Validate', SourceFields: ['Email'], ConnectorOperator: { Salesforce: 'VALIDATE_NON_NULL' } },
            'Task 2 (Validate): VALIDATION_ACTION is required: DropRecord or TerminateFlow.',
          ],
        ];
        for (const [what, task, message] of cases) {
          test(`${what} is a BadRequestException naming the task and the problem`, async () => {
            const err = await expectAwsError(create(withTasks(task)), 'BadRequestException', 400, 'FlowDefinition.Tasks cannot run: ', message);
            assert.ok(err instanceof BadRequestException);
          });
        }

        test('every task at fault is named in one BadRequestException, values never echoed', async () => {
          const err = await expectAwsError(
            create(
              withTasks(
                { TaskType: 'Filter', SourceFields: ['Amount'], ConnectorOperator: { Salesforce: 'LESS_THAN' }, TaskProperties: { DATA_TYPE: 'integer', VALUE: 'SECRET' } },
                { TaskType: 'Validate', SourceFields: ['Email'], ConnectorOperator: { Salesforce: 'VALIDATE_NUMERIC' }, TaskProperties: { VALIDATION_ACTION: 'Skip' } },
              ),
            ),
            'BadRequestException',
            400,
            'Task 2 (Filter): VALUE must be a number',
            'Task 3 (Validate): VALIDATION_ACTION must be DropRecord or TerminateFlow.',
          );
          assert.ok(!err.message.includes('SECRET'), err.message);
        });

        test('a flow of every TaskType, as the AppFlow console and the AWS CDK write them, is accepted', async () => {
          await accepts(
            withMember(valid(), TASKS, [
              { TaskType: 'Filter', SourceFields: ['Id', 'Email', 'Phone', 'Amount', 'Tax', 'FirstName', 'LastName'], ConnectorOperator: { Salesforce: 'PROJECTION' } },
              { TaskType: 'Filter', SourceFields: ['Amount'], ConnectorOperator: { Salesforce: 'BETWEEN' }, TaskProperties: { DATA_TYPE: 'double', LOWER_BOUND: '0', UPPER_BOUND: '1000' } },
              { TaskType: 'Filter', SourceFields: ['Email'], ConnectorOperator: { Salesforce: 'CONTAINS' }, TaskProperties: { DATA_TYPE: 'string', VALUE: '@' } },
              { TaskType: 'Validate', SourceFields: ['Id'], ConnectorOperator: { Salesforce: 'VALIDATE_NON_NULL' }, TaskProperties: { VALIDATION_ACTION: 'TerminateFlow' } },
              { TaskType: 'Mask', SourceFields: ['Phone'], ConnectorOperator: { Salesforce: 'MASK_LAST_N' }, TaskProperties: { MASK_VALUE: '*', MASK_LENGTH: '4' } },
              { TaskType: 'Merge', SourceFields: ['FirstName', 'LastName'], ConnectorOperator: { Salesforce: 'NO_OP' }, TaskProperties: { CONCAT_FORMAT: ' ' }, DestinationField: 'FirstName,LastName' },
              { TaskType: 'Map', SourceFields: ['FirstName,LastName'], ConnectorOperator: { Salesforce: 'NO_OP' }, DestinationField: 'FullName' },
              { TaskType: 'Arithmetic', SourceFields: ['Amount', 'Tax'], ConnectorOperator: { Salesforce: 'ADDITION' }, TaskProperties: { MATH_OPERATION_FIELDS_ORDER: 'Amount,Tax' }, DestinationField: 'Total' },
              { TaskType: 'Truncate', SourceFields: ['Email'], ConnectorOperator: { Salesforce: 'NO_OP' }, TaskProperties: { TRUNCATE_LENGTH: '128' } },
              { TaskType: 'Map', SourceFields: ['Id'], ConnectorOperator: { Salesforce: 'NO_OP' }, DestinationField: 'Id' },
            ]),
          );
        });
      });

      test('a violation inside the FlowDefinition shows *** instead of the value; one outside shows the value', async () => {
        const inside = await rejects(
          withMember(valid(), `${FLOW}.FlowName`, 'SECRET flow name'),
          `${FLOW}.FlowName`,
          "Value '***'",
        );
        assert.ok(!inside.message.includes('SECRET'), inside.message);
        const deep = await rejects(
          withMember(valid(), `${SOURCE}.ConnectorProfileName`, 'SECRET profile'),
          `${SOURCE}.ConnectorProfileName`,
          "Value '***'",
        );
        assert.ok(!deep.message.includes('SECRET'), deep.message);
        const kms = await rejects(withMember(valid(), `${FLOW}.KmsArn`, 'SECRET-kms-key-material'), `${FLOW}.KmsArn`, "Value '***'");
        assert.ok(!kms.message.includes('SECRET'), kms.message);
        await rejects(withMember(valid(), 'RoleArn', 'plain-role'), 'RoleArn', "Value 'plain-role'");
      });
    });

    describe('behaviour', () => {
      test('a domain that does not exist is a ResourceNotFoundException naming it', async () => {
        await expectAwsError(
          create(withMember(valid(), 'DomainName', 'no-such-domain')),
          'ResourceNotFoundException',
          404,
          'no-such-domain',
        );
      });

      test('an object type that does not exist in the domain is a ResourceNotFoundException naming it', async () => {
        await expectAwsError(
          create(withMember(valid(), 'ObjectTypeName', 'NoSuchType')),
          'ResourceNotFoundException',
          404,
          'NoSuchType',
        );
      });

      test('an unknown ConnectorProfileName is a BadRequestException naming it', async () => {
        await expectAwsError(
          create(withMember(valid(), `${SOURCE}.ConnectorProfileName`, 'nobody-declared-this')),
          'BadRequestException',
          400,
          'nobody-declared-this',
        );
      });

      test('without ConnectorProfileName (optional in the model) it is a BadRequestException naming the member', async () => {
        await expectAwsError(
          create(withMember(valid(), `${SOURCE}.ConnectorProfileName`, undefined)),
          'BadRequestException',
          400,
          'ConnectorProfileName',
        );
      });

      test('a connector profile that does not serve the ConnectorType is a BadRequestException', async () => {
        const s3Only = uniqueProfileName('s3-only');
        await putConnectorProfile(s, s3Only, { connectorTypes: ['S3'] });
        await expectAwsError(
          create(withMember(valid(), `${SOURCE}.ConnectorProfileName`, s3Only)),
          'BadRequestException',
          400,
          s3Only,
          'Salesforce',
        );
      });

      test('SourceConnectorProperties must hold the member of the ConnectorType, and only that one', async () => {
        await expectAwsError(create(withMember(valid(), PROPS, {})), 'BadRequestException', 400, 'Salesforce');
        await expectAwsError(
          create(withMember(valid(), PROPS, { Marketo: { Object: 'Lead' } })),
          'BadRequestException',
          400,
          'Salesforce',
        );
        await expectAwsError(
          create(withMember(valid(), PROPS, { Salesforce: { Object: 'Contact' }, Zendesk: { Object: 'users' } })),
          'BadRequestException',
          400,
          'Zendesk',
        );
        // Servicenow (the enum's spelling) is served by the ServiceNow member (the structure's spelling).
        let servicenow = withMember(valid(), `${SOURCE}.ConnectorType`, 'Servicenow');
        servicenow = withMember(servicenow, PROPS, { ServiceNow: { Object: 'sys_user' } });
        servicenow = withMember(servicenow, `${FLOW}.Tasks.0.ConnectorOperator`, { ServiceNow: 'NO_OP' });
        await accepts(servicenow);
      });

      test('a Batch that ends before it starts, or where start equals end, is a BadRequestException', async () => {
        const t = Date.UTC(2025, 5, 1);
        await expectAwsError(
          create(workflowRequest({ env, Batches: [{ StartTime: new Date(t), EndTime: new Date(t - 1) }] })),
          'BadRequestException',
          400,
          'Batch 1',
        );
        await expectAwsError(
          create(workflowRequest({ env, Batches: [...consecutiveBatches(t - DAY_MS, 1), { StartTime: new Date(t + 5), EndTime: new Date(t + 5) }] })),
          'BadRequestException',
          400,
          'Batch 2',
        );
      });

      test('overlapping Batches are a BadRequestException naming both', async () => {
        const t = Date.UTC(2025, 5, 1);
        await expectAwsError(
          create(
            workflowRequest({
              env,
              Batches: [
                { StartTime: new Date(t), EndTime: new Date(t + DAY_MS) },
                { StartTime: new Date(t + 2 * DAY_MS), EndTime: new Date(t + 3 * DAY_MS) },
                // overlaps the first by one millisecond
                { StartTime: new Date(t + DAY_MS - 1), EndTime: new Date(t + 2 * DAY_MS) },
              ],
            }),
          ),
          'BadRequestException',
          400,
          /Batches 1 and 3 overlap/,
        );
        // One batch inside another overlaps too.
        await expectAwsError(
          create(
            workflowRequest({
              env,
              Batches: [
                { StartTime: new Date(t), EndTime: new Date(t + 3 * DAY_MS) },
                { StartTime: new Date(t + DAY_MS), EndTime: new Date(t + 2 * DAY_MS) },
              ],
            }),
          ),
          'BadRequestException',
          400,
          /overlap/i,
        );
      });

      test('adjacent Batches (one ends where the next starts) are accepted', async () => {
        const t = Date.UTC(2025, 5, 1);
        const id = await accepts(workflowRequest({ env, Batches: consecutiveBatches(t, 1, 1) }));
        const { steps } = await allSteps(s.client, env.domain, id);
        assert.equal(steps.length, 2);
      });

      test('N Batches plan N steps, in the order the Batches were given', async () => {
        const jan = Date.UTC(2025, 0, 1);
        const mar = Date.UTC(2025, 2, 1);
        const feb = Date.UTC(2025, 1, 1, 6);
        const batches = [
          { StartTime: new Date(mar), EndTime: new Date(mar + 2 * DAY_MS + 500) },
          { StartTime: new Date(jan), EndTime: new Date(jan + DAY_MS) },
          { StartTime: new Date(feb + 250), EndTime: new Date(feb + 3 * DAY_MS) },
        ];
        const id = await accepts(workflowRequest({ env, Batches: batches }));
        const got = await s.client.send(new GetWorkflowCommand({ DomainName: env.domain, WorkflowId: id }));
        assert.equal(got.Metrics?.AppflowIntegration?.TotalSteps, 3);
        const { steps } = await allSteps(s.client, env.domain, id);
        assert.deepEqual(
          steps.map((st) => [st.BatchRecordsStartTime, st.BatchRecordsEndTime]),
          batches.map((b) => [isoOf(b.StartTime.getTime()), isoOf(b.EndTime.getTime())]),
        );
        for (const st of steps) {
          assert.equal(st.Status, 'NOT_STARTED');
          assert.match(st.FlowName ?? '', FLOW_NAME_PATTERN);
        }
      });

      test('without Batches, FirstExecutionFrom five months back plans three two-month windows, the last ending at creation', async () => {
        const savedNow = clock.now();
        const createdAt = Date.UTC(2026, 5, 1, 12, 0, 0, 125);
        clock.set(createdAt);
        try {
          const from = Date.UTC(2026, 0, 1, 12, 0, 0, 125);
          const id = await accepts(
            workflowRequest({
              env,
              Batches: null,
              TriggerConfig: {
                TriggerType: 'Scheduled',
                TriggerProperties: { Scheduled: { ScheduleExpression: 'rate(1days)', FirstExecutionFrom: new Date(from) } },
              },
            }),
          );
          const { steps } = await allSteps(s.client, env.domain, id);
          assert.deepEqual(
            steps.map((st) => [st.BatchRecordsStartTime, st.BatchRecordsEndTime]),
            [
              ['2026-01-01T12:00:00.125Z', '2026-03-01T12:00:00.125Z'],
              ['2026-03-01T12:00:00.125Z', '2026-05-01T12:00:00.125Z'],
              ['2026-05-01T12:00:00.125Z', isoOf(createdAt)],
            ],
          );
        } finally {
          clock.set(savedNow);
        }
      });

      test('Batches take precedence over FirstExecutionFrom', async () => {
        const t = Date.UTC(2025, 8, 1);
        const id = await accepts(
          workflowRequest({
            env,
            Batches: consecutiveBatches(t, 1),
            TriggerConfig: {
              TriggerType: 'Scheduled',
              TriggerProperties: { Scheduled: { ScheduleExpression: 'rate(1days)', FirstExecutionFrom: new Date(Date.UTC(2024, 0, 1)) } },
            },
          }),
        );
        const { steps } = await allSteps(s.client, env.domain, id);
        assert.deepEqual(steps.map((st) => st.BatchRecordsStartTime), [isoOf(t)]);
      });

      test('a FirstExecutionFrom that is not in the past is a BadRequestException', async () => {
        await expectAwsError(
          create(
            workflowRequest({
              env,
              Batches: null,
              TriggerConfig: {
                TriggerType: 'Scheduled',
                TriggerProperties: { Scheduled: { ScheduleExpression: 'rate(1days)', FirstExecutionFrom: new Date(clock.now() + 1000) } },
              },
            }),
          ),
          'BadRequestException',
          400,
          'FirstExecutionFrom',
        );
      });

      test('a workflow takes at most 1,000 steps: 1,000 Batches are planned, 1,001 are a BadRequestException', async () => {
        const t = Date.UTC(2020, 0, 1);
        const days = (n: number) => Array.from({ length: n }, () => 1);
        const id = await accepts(workflowRequest({ env, Batches: consecutiveBatches(t, ...days(1000)) }));
        const got = await s.client.send(new GetWorkflowCommand({ DomainName: env.domain, WorkflowId: id }));
        assert.equal(got.Metrics?.AppflowIntegration?.TotalSteps, 1000);
        await expectAwsError(create(workflowRequest({ env, Batches: consecutiveBatches(t, ...days(1001)) })), 'BadRequestException', 400, /1001 batches; a workflow takes at most 1000/);
      });

      test('a FirstExecutionFrom more than 1,000 two-month windows back is a BadRequestException', async () => {
        const from = (date: Date) =>
          workflowRequest({
            env,
            Batches: null,
            TriggerConfig: { TriggerType: 'Scheduled', TriggerProperties: { Scheduled: { ScheduleExpression: 'rate(1days)', FirstExecutionFrom: date } } },
          });
        // The earliest time a timestamp can name: millions of windows, refused after the first 1,000.
        await expectAwsError(create(from(new Date(-8_640_000_000_000_000))), 'BadRequestException', 400, /more than 1000 two-month windows/);
        const now = new Date(clock.now());
        const monthsBack = (months: number) => new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - months, now.getUTCDate()));
        await expectAwsError(create(from(monthsBack(2001))), 'BadRequestException', 400, /FirstExecutionFrom/);
        const id = await accepts(from(monthsBack(1999)));
        const got = await s.client.send(new GetWorkflowCommand({ DomainName: env.domain, WorkflowId: id }));
        assert.equal(got.Metrics?.AppflowIntegration?.TotalSteps, 1000);
      });

      test('a Scheduled trigger whose schedule could never run is a BadRequestException, before any history is loaded', async () => {
        await expectAwsError(
          create(workflowRequest({ env, TriggerConfig: { TriggerType: 'Scheduled', TriggerProperties: { Scheduled: { ScheduleExpression: 'every hour' } } } })),
          'BadRequestException',
          400,
          /"every hour" is not one profileflow runs/,
        );
      });

      test('with neither Batches nor FirstExecutionFrom, one step covers all history up to the creation time', async () => {
        const id = await accepts(workflowRequest({ env, Batches: null }));
        const { steps } = await allSteps(s.client, env.domain, id);
        assert.equal(steps.length, 1);
        assert.equal(steps[0].BatchRecordsStartTime, '1970-01-01T00:00:00.000Z');
        assert.equal(steps[0].BatchRecordsEndTime, isoOf(clock.now()));
      });
    });

    describe('the integration created on completion', () => {
      // A server of its own, so that running the engine here runs only this workflow.
      let s2: TestServer;
      before(async () => {
        s2 = await startServer(backend, { clock: new ManualClock(Date.UTC(2026, 0, 15)) });
      });
      after(() => s2.close());

      test('carries the workflow id, the object type, the flow ARN as Uri and the request Tags', async () => {
        const domainEnv = await setupWorkflowEnv(s2, 'cw-integration');
        const id = await createWorkflow(s2.client, { env: domainEnv, Tags: { team: 'data', env: 'test' } });
        const beforeRun = await s2.client.send(new ListIntegrationsCommand({ DomainName: domainEnv.domain }));
        assert.deepEqual(beforeRun.Items ?? [], [], 'no integration before the workflow completes');

        await s2.engine.runUntilIdle();
        const got = await s2.client.send(new GetWorkflowCommand({ DomainName: domainEnv.domain, WorkflowId: id }));
        assert.equal(got.Status, 'COMPLETE');
        const list = await s2.client.send(new ListIntegrationsCommand({ DomainName: domainEnv.domain }));
        assert.equal(list.Items?.length, 1);
        const integration = list.Items![0];
        const uri = flowUriOf(domainEnv.domain);
        assert.equal(integration.WorkflowId, id);
        assert.equal(integration.ObjectTypeName, OBJECT_TYPE);
        assert.equal(integration.Uri, uri);
        assert.equal(integration.DomainName, domainEnv.domain);
        const tags = await s2.client.send(
          new ListTagsForResourceCommand({
            resourceArn: `arn:aws:profile:${TEST_REGION}:${TEST_ACCOUNT}:domains/${domainEnv.domain}/integrations/${uri}`,
          }),
        );
        assert.deepEqual(tags.tags, { team: 'data', env: 'test' });
      });
    });

    describe('the flow of its ongoing integration', () => {
      let s3: TestServer;
      before(async () => {
        s3 = await startServer(backend, { clock: new ManualClock(Date.UTC(2026, 0, 15)) });
      });
      after(() => s3.close());

      test("a FlowName another domain's integration holds is a BadRequestException naming that domain, before anything is planned", async () => {
        const first = await setupWorkflowEnv(s3, 'cw-holder');
        const second = await setupWorkflowEnv(s3, 'cw-taker');
        await createWorkflow(s3.client, { env: first, FlowName: 'shared-name' });
        await s3.engine.runUntilIdle();
        await expectAwsError(
          s3.client.send(new CreateIntegrationWorkflowCommand(workflowRequest({ env: second, FlowName: 'shared-name' }))),
          'BadRequestException',
          400,
          'The flow shared-name belongs to an integration of domain cw-holder',
        );
        assert.deepEqual((await s3.client.send(new ListWorkflowsCommand({ DomainName: second.domain }))).Items, []);
        // Within the holder's domain the name may be used again: the new workflow's integration is the same one.
        await createWorkflow(s3.client, { env: first, FlowName: 'shared-name' });
      });

      test('of two domains whose workflows name one flow before either ends, the second to complete fails, saying why; the first keeps its integration and flow', async () => {
        const a = await setupWorkflowEnv(s3, 'cw-race-a');
        const b = await setupWorkflowEnv(s3, 'cw-race-b');
        const idA = await createWorkflow(s3.client, { env: a, FlowName: 'raced-name' });
        const idB = await createWorkflow(s3.client, { env: b, FlowName: 'raced-name' });
        await s3.engine.runUntilIdle();
        const [gotA, gotB] = await Promise.all([
          s3.client.send(new GetWorkflowCommand({ DomainName: a.domain, WorkflowId: idA })),
          s3.client.send(new GetWorkflowCommand({ DomainName: b.domain, WorkflowId: idB })),
        ]);
        // Which one completes first is the engine's order; one completes, the other fails.
        const [won, lost] = gotA.Status === 'COMPLETE' ? [a, b] : [b, a];
        assert.deepEqual([gotA.Status, gotB.Status].sort(), ['COMPLETE', 'FAILED']);
        const failed = gotA.Status === 'FAILED' ? gotA : gotB;
        assert.match(failed.ErrorDescription ?? '', new RegExp(`The flow raced-name belongs to an integration of domain ${won.domain}`));
        const uri = `arn:aws:appflow:${TEST_REGION}:${TEST_ACCOUNT}:flow/raced-name`;
        assert.equal((await s3.client.send(new ListIntegrationsCommand({ DomainName: won.domain }))).Items?.[0]?.Uri, uri);
        assert.deepEqual((await s3.client.send(new ListIntegrationsCommand({ DomainName: lost.domain }))).Items, []);
        const flow = await appflowClient(s3.url).send(new DescribeFlowCommand({ flowName: 'raced-name' }));
        assert.equal(flow.destinationFlowConfigList?.[0]?.destinationConnectorProperties?.CustomerProfiles?.domainName, won.domain);
      });
    });
  });
}
