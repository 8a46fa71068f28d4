/**
 * AppFlow's clientToken (operations/appflow/client-token.ts) through the official client: a retry with
 * the same token and the same request answers the first call's answer without doing the work again; the
 * same token with another request is a ConflictException naming it; a token belongs to the caller's
 * account and region, lasts 8 hours and is then purged; identical requests at once do the work once.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  type AppflowClient,
  CancelFlowExecutionsCommand,
  CreateConnectorProfileCommand,
  type CreateConnectorProfileRequest,
  CreateFlowCommand,
  type CreateFlowRequest,
  DeleteFlowCommand,
  DescribeConnectorProfilesCommand,
  DescribeFlowCommand,
  DescribeFlowExecutionRecordsCommand,
  StartFlowCommand,
  UpdateConnectorProfileCommand,
  UpdateFlowCommand,
} from '@aws-sdk/client-appflow';
import { ManualClock } from '../../../src/engine/clock.js';
import { appflowClient, servicenowProfile, ticketsDestination } from '../../helpers/appflow.js';
import { availableBackends } from '../../helpers/backends.js';
import { expectAwsError } from '../../helpers/errors.js';
import { startServer, TEST_ACCOUNT, TEST_REGION, type TestServer } from '../../helpers/server.js';

const OTHER = '111122223333';
const HOUR = 3_600_000;

function flow(name: string, extra: Partial<CreateFlowRequest> = {}): CreateFlowRequest {
  return {
    flowName: name,
    description: 'Tickets into profiles',
    triggerConfig: { triggerType: 'OnDemand' },
    sourceFlowConfig: { connectorType: 'Servicenow', connectorProfileName: 'sn', sourceConnectorProperties: { ServiceNow: { object: 'incident' } } },
    destinationFlowConfigList: [
      { connectorType: 'CustomerProfiles', destinationConnectorProperties: { CustomerProfiles: { domainName: 'dom', objectTypeName: 'Ticket' } } },
    ],
    tasks: [{ taskType: 'Map', sourceFields: ['number'], destinationField: 'number', connectorOperator: { ServiceNow: 'NO_OP' } }],
    ...extra,
  };
}

/** The answer without the SDK's $metadata. */
function answer<T extends { $metadata: unknown }>(out: T): Omit<T, '$metadata'> {
  const { $metadata: _, ...rest } = out;
  return rest;
}

const profileUpdate = (name: string, instanceUrl: string, clientToken: string) => {
  const { connectorProfileConfig } = servicenowProfile(name, instanceUrl);
  return { connectorProfileName: name, connectionMode: 'Public' as const, connectorProfileConfig, clientToken };
};

for (const backend of await availableBackends()) {
  describe(`AppFlow clientToken [${backend}]`, () => {
    let s: TestServer;
    let af: AppflowClient;
    let clock: ManualClock;

    before(async () => {
      clock = new ManualClock(Date.UTC(2026, 0, 1));
      s = await startServer(backend, { clock });
      af = appflowClient(s.url);
      await ticketsDestination(s, af);
    });
    after(async () => {
      af.destroy();
      await s.close();
    });

    const runsOf = async (flowName: string) =>
      ((await af.send(new DescribeFlowExecutionRecordsCommand({ flowName }))).flowExecutions ?? []).map((r) => r.executionId);

    describe('serialization', () => {
      test('CreateFlow retried with its clientToken answers the first flowArn and flowStatus; the flow is created once', async () => {
        const first = await af.send(new CreateFlowCommand({ ...flow('retried'), clientToken: 'create-retried' }));
        const createdAt = (await af.send(new DescribeFlowCommand({ flowName: 'retried' }))).createdAt;
        clock.advance(1000);
        const again = await af.send(new CreateFlowCommand({ ...flow('retried'), clientToken: 'create-retried' }));
        assert.deepEqual(answer(again), answer(first));
        assert.deepEqual(answer(first), { flowArn: `arn:aws:appflow:${TEST_REGION}:${TEST_ACCOUNT}:flow/retried`, flowStatus: 'Active' });
        assert.deepEqual((await af.send(new DescribeFlowCommand({ flowName: 'retried' }))).createdAt, createdAt);
        // Another token is another request, as before: the name is taken.
        await expectAwsError(af.send(new CreateFlowCommand({ ...flow('retried'), clientToken: 'create-retried-2' })), 'ConflictException', 409, 'already exists');
        // So is a call without one of its own (the SDK fills a fresh one).
        await expectAwsError(af.send(new CreateFlowCommand(flow('retried'))), 'ConflictException', 409, 'already exists');
      });

      test('StartFlow retried with its clientToken answers the same executionId and starts one run', async () => {
        await af.send(new CreateFlowCommand(flow('started')));
        const first = await af.send(new StartFlowCommand({ flowName: 'started', clientToken: 'start-1' }));
        assert.ok(first.executionId, 'an OnDemand flow answers its run');
        const again = await af.send(new StartFlowCommand({ flowName: 'started', clientToken: 'start-1' }));
        assert.deepEqual(answer(again), answer(first));
        assert.deepEqual(await runsOf('started'), [first.executionId]);
        // A new token is a new StartFlow: refused while the run is in progress, as before.
        await expectAwsError(af.send(new StartFlowCommand({ flowName: 'started', clientToken: 'start-2' })), 'ConflictException', 409, 'run in progress');
      });
    });

    describe('validation', () => {
      test("a clientToken outside ClientToken's length or pattern is a ValidationException naming the member", async () => {
        for (const clientToken of ['x'.repeat(257), 'tab\there', 'café']) {
          await expectAwsError(af.send(new CreateFlowCommand({ ...flow('bad-token'), clientToken })), 'ValidationException', 400, "at 'clientToken'");
        }
        await af.send(new CreateFlowCommand({ ...flow('bad-token'), clientToken: `${'~'.repeat(255)} ` }));
      });

      test('the same clientToken with other parameters is a ConflictException naming it, and changes nothing', async () => {
        await af.send(new CreateFlowCommand({ ...flow('mismatch'), clientToken: 'used-once' }));
        await expectAwsError(
          af.send(new CreateFlowCommand({ ...flow('mismatch', { description: 'other' }), clientToken: 'used-once' })),
          'ConflictException',
          409,
          'clientToken used-once',
          'CreateFlow',
        );
        await expectAwsError(af.send(new CreateFlowCommand({ ...flow('mismatch-2'), clientToken: 'used-once' })), 'ConflictException', 409, 'clientToken used-once');
        await expectAwsError(af.send(new DescribeFlowCommand({ flowName: 'mismatch-2' })), 'ResourceNotFoundException', 404);

        await af.send(new UpdateFlowCommand({ ...flow('mismatch', { description: 'updated' }), clientToken: 'update-once' }));
        await expectAwsError(
          af.send(new UpdateFlowCommand({ ...flow('mismatch', { description: 'updated again' }), clientToken: 'update-once' })),
          'ConflictException',
          409,
          'clientToken update-once',
          'UpdateFlow',
        );
        // UpdateFlow's token is not scoped to the flow: the flow's name is one of its parameters.
        await af.send(new CreateFlowCommand(flow('mismatch-3')));
        await expectAwsError(af.send(new UpdateFlowCommand({ ...flow('mismatch-3', { description: 'updated' }), clientToken: 'update-once' })), 'ConflictException', 409, 'update-once');
        assert.equal((await af.send(new DescribeFlowCommand({ flowName: 'mismatch' }))).description, 'updated');
        assert.equal((await af.send(new DescribeFlowCommand({ flowName: 'mismatch-3' }))).description, 'Tickets into profiles');

        await af.send(new CreateConnectorProfileCommand({ ...servicenowProfile('sn-mismatch'), clientToken: 'profile-once' }));
        await expectAwsError(
          af.send(new CreateConnectorProfileCommand({ ...servicenowProfile('sn-mismatch', 'https://dev2.service-now.com'), clientToken: 'profile-once' })),
          'ConflictException',
          409,
          'clientToken profile-once',
          'CreateConnectorProfile',
        );
        await af.send(new UpdateConnectorProfileCommand(profileUpdate('sn-mismatch', 'https://dev3.service-now.com', 'profile-update-once')));
        await expectAwsError(
          af.send(new UpdateConnectorProfileCommand(profileUpdate('sn-mismatch', 'https://dev4.service-now.com', 'profile-update-once'))),
          'ConflictException',
          409,
          'clientToken profile-update-once',
          'UpdateConnectorProfile',
        );
        const described = await af.send(new DescribeConnectorProfilesCommand({ connectorProfileNames: ['sn-mismatch'] }));
        assert.equal(described.connectorProfileDetails?.[0].connectorProfileProperties?.ServiceNow?.instanceUrl, 'https://dev3.service-now.com');
      });
    });

    describe('behaviour', () => {
      test('CreateConnectorProfile retried answers its ARN rather than "already exists"', async () => {
        const request: CreateConnectorProfileRequest = { ...servicenowProfile('sn-retried'), clientToken: 'profile-retried' };
        const first = await af.send(new CreateConnectorProfileCommand(request));
        assert.deepEqual(answer(await af.send(new CreateConnectorProfileCommand(request))), answer(first));
        await expectAwsError(af.send(new CreateConnectorProfileCommand(servicenowProfile('sn-retried'))), 'ConflictException', 409, 'already exists');
      });

      test('UpdateFlow and UpdateConnectorProfile retried answer the first answer and do not apply the update again', async () => {
        await af.send(new CreateFlowCommand(flow('updated')));
        const first = await af.send(new UpdateFlowCommand({ ...flow('updated', { description: 'first' }), clientToken: 'update-first' }));
        await af.send(new UpdateFlowCommand({ ...flow('updated', { description: 'second' }), clientToken: 'update-second' }));
        const again = await af.send(new UpdateFlowCommand({ ...flow('updated', { description: 'first' }), clientToken: 'update-first' }));
        assert.deepEqual(answer(again), answer(first));
        assert.equal((await af.send(new DescribeFlowCommand({ flowName: 'updated' }))).description, 'second');

        await af.send(new CreateConnectorProfileCommand(servicenowProfile('sn-updated')));
        const p1 = await af.send(new UpdateConnectorProfileCommand(profileUpdate('sn-updated', 'https://first.service-now.com', 'profile-first')));
        await af.send(new UpdateConnectorProfileCommand(profileUpdate('sn-updated', 'https://second.service-now.com', 'profile-second')));
        assert.deepEqual(answer(await af.send(new UpdateConnectorProfileCommand(profileUpdate('sn-updated', 'https://first.service-now.com', 'profile-first')))), answer(p1));
        const described = await af.send(new DescribeConnectorProfilesCommand({ connectorProfileNames: ['sn-updated'] }));
        assert.equal(described.connectorProfileDetails?.[0].connectorProfileProperties?.ServiceNow?.instanceUrl, 'https://second.service-now.com');
      });

      test("StartFlow's token is scoped to its flow: the same token starts another flow", async () => {
        await af.send(new CreateFlowCommand(flow('scoped-a')));
        await af.send(new CreateFlowCommand(flow('scoped-b')));
        const a = await af.send(new StartFlowCommand({ flowName: 'scoped-a', clientToken: 'shared-start' }));
        const b = await af.send(new StartFlowCommand({ flowName: 'scoped-b', clientToken: 'shared-start' }));
        assert.ok(a.executionId && b.executionId && a.executionId !== b.executionId, `two runs: ${a.executionId} and ${b.executionId}`);
        assert.equal(b.flowArn, `arn:aws:appflow:${TEST_REGION}:${TEST_ACCOUNT}:flow/scoped-b`);
        assert.deepEqual(await runsOf('scoped-b'), [b.executionId]);
      });

      test('StartFlow retried after its flow was deleted is a ResourceNotFoundException, and after the flow was created again under its name it starts a run of the new flow', async () => {
        await af.send(new CreateFlowCommand(flow('recreated')));
        const first = await af.send(new StartFlowCommand({ flowName: 'recreated', clientToken: 'nightly' }));
        await af.send(new DeleteFlowCommand({ flowName: 'recreated', forceDelete: true }));
        await expectAwsError(af.send(new StartFlowCommand({ flowName: 'recreated', clientToken: 'nightly' })), 'ResourceNotFoundException', 404, 'recreated');
        clock.advance(1000);
        await af.send(new CreateFlowCommand(flow('recreated')));
        const again = await af.send(new StartFlowCommand({ flowName: 'recreated', clientToken: 'nightly' }));
        assert.ok(again.executionId && again.executionId !== first.executionId, `a run of the new flow: ${again.executionId}`);
        assert.deepEqual(await runsOf('recreated'), [again.executionId]);
      });

      test("a token is the caller's account's and region's: the same token and request elsewhere is a request of its own", async () => {
        const request: CreateConnectorProfileRequest = { ...servicenowProfile('sn-isolated'), clientToken: 'isolated' };
        const mine = await af.send(new CreateConnectorProfileCommand(request));
        for (const where of [{ accountId: OTHER }, { region: 'eu-west-1' }]) {
          const elsewhere = appflowClient(s.url, where);
          try {
            const theirs = await elsewhere.send(new CreateConnectorProfileCommand(request));
            const account = where.accountId ?? TEST_ACCOUNT;
            const region = where.region ?? TEST_REGION;
            assert.equal(theirs.connectorProfileArn, `arn:aws:appflow:${region}:${account}:connectorprofile/sn-isolated`);
            const listed = await elsewhere.send(new DescribeConnectorProfilesCommand({ connectorProfileNames: ['sn-isolated'] }));
            assert.equal(listed.connectorProfileDetails?.length, 1, 'created there, not answered from the other scope');
            // Their token with other parameters is theirs to conflict with, not ours.
            await expectAwsError(
              elsewhere.send(new CreateConnectorProfileCommand({ ...servicenowProfile('sn-isolated', 'https://dev9.service-now.com'), clientToken: 'isolated' })),
              'ConflictException',
              409,
              'clientToken isolated',
            );
          } finally {
            elsewhere.destroy();
          }
        }
        assert.deepEqual(answer(await af.send(new CreateConnectorProfileCommand(request))), answer(mine));
      });

      test('a request that failed recorded nothing: retried with the same token, it is tried again', async () => {
        await af.send(new CreateFlowCommand(flow('taken')));
        await expectAwsError(af.send(new CreateFlowCommand({ ...flow('taken', { description: 'mine' }), clientToken: 'after-failure' })), 'ConflictException', 409, 'already exists');
        await af.send(new DeleteFlowCommand({ flowName: 'taken' }));
        const created = await af.send(new CreateFlowCommand({ ...flow('taken', { description: 'mine' }), clientToken: 'after-failure' }));
        assert.equal(created.flowStatus, 'Active');
        assert.equal((await af.send(new DescribeFlowCommand({ flowName: 'taken' }))).description, 'mine');
      });

      test('identical requests with one token at once do the work once and all get its answer', async () => {
        const many = <T>(n: number, send: () => Promise<T>) => Promise.all(Array.from({ length: n }, send));
        const created = await many(8, () => af.send(new CreateFlowCommand({ ...flow('concurrent'), clientToken: 'create-at-once' })));
        assert.equal(new Set(created.map((c) => JSON.stringify(answer(c)))).size, 1);
        const profiles = await many(8, () => af.send(new CreateConnectorProfileCommand({ ...servicenowProfile('sn-concurrent'), clientToken: 'profile-at-once' })));
        assert.equal(new Set(profiles.map((p) => p.connectorProfileArn)).size, 1);
        const started = await many(8, () => af.send(new StartFlowCommand({ flowName: 'concurrent', clientToken: 'start-at-once' })));
        const ids = new Set(started.map((r) => r.executionId));
        assert.equal(ids.size, 1);
        assert.deepEqual(await runsOf('concurrent'), [...ids]);
      });

      test('a token is active for 8 hours: then the same token is a new request, and records past their time are purged', async () => {
        await af.send(new CreateFlowCommand(flow('expiring')));
        const first = await af.send(new StartFlowCommand({ flowName: 'expiring', clientToken: 'expiring' }));
        await af.send(new CancelFlowExecutionsCommand({ flowName: 'expiring' }));
        clock.advance(8 * HOUR - 1);
        assert.equal((await af.send(new StartFlowCommand({ flowName: 'expiring', clientToken: 'expiring' }))).executionId, first.executionId);
        assert.equal((await runsOf('expiring')).length, 1);
        clock.advance(1);
        const second = await af.send(new StartFlowCommand({ flowName: 'expiring', clientToken: 'expiring' }));
        assert.ok(second.executionId && second.executionId !== first.executionId, `a new run: ${second.executionId} after ${first.executionId}`);
        assert.equal((await runsOf('expiring')).length, 2);
        // That write purged every record written more than 8 hours ago (every other test's), every account's.
        const rows = await s.store.db.selectFrom('client_tokens').select(['client_token', 'created_at']).execute();
        assert.deepEqual(rows.map((r) => [r.client_token, Number(r.created_at)]), [['expiring', clock.now()]]);
        // A token past its time may carry another request: it is a new request.
        clock.advance(8 * HOUR);
        await af.send(new UpdateFlowCommand({ ...flow('mismatch', { description: 'much later' }), clientToken: 'update-once' }));
        assert.equal((await af.send(new DescribeFlowCommand({ flowName: 'mismatch' }))).description, 'much later');
      });
    });
  });
}
