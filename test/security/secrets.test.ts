import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { systemClock } from '../../src/engine/clock.js';
import { Engine } from '../../src/engine/engine.js';
import { buildApp } from '../../src/server/app.js';
import { createTestStore, type TestStore } from '../helpers/backends.js';
import { CONTACT } from '../helpers/profile-objects.js';

/** Secret values planted in requests; none may come back in an answer or reach the log. */
const CANARY = 'CANARY-7f3a9c';
const SECRET = 'S3CR3T-b81d44';

const AUTH = 'AWS4-HMAC-SHA256 Credential=111111111111/20260101/us-east-1/profile/aws4_request, SignedHeaders=host, Signature=' + 'ab'.repeat(32);

function flowDefinition(overrides: Record<string, unknown> = {}) {
  return {
    FlowName: 'flow-1',
    Description: `${CANARY} description`,
    KmsArn: 'arn:aws:kms:us-east-1:123456789012:key/k1',
    SourceFlowConfig: {
      ConnectorType: 'Salesforce',
      ConnectorProfileName: 'sf',
      SourceConnectorProperties: { Salesforce: { Object: 'Contact' } },
    },
    Tasks: [
      {
        TaskType: 'Map',
        SourceFields: ['Id'],
        DestinationField: 'Id',
        ConnectorOperator: { Salesforce: 'NO_OP' },
      },
    ],
    TriggerConfig: { TriggerType: 'OnDemand' },
    ...overrides,
  };
}

describe('secrets never leave: answers, error messages and debug logs', () => {
  let app: FastifyInstance;
  let testStore: TestStore;
  let engine: Engine;
  let log = '';
  before(async () => {
    testStore = await createTestStore('sqlite');
    engine = new Engine(testStore.store, systemClock, { mode: 'manual' });
    const stream = new Writable({
      write(chunk, _enc, done) {
        log += chunk.toString();
        done();
      },
    });
    app = await buildApp({ store: testStore.store, engine, logger: { level: 'debug', stream } });
  });
  after(async () => {
    await engine.stop();
    await app.close();
    await testStore.dispose();
  });

  const call = (method: 'GET' | 'PUT' | 'POST' | 'DELETE', url: string, body?: unknown) =>
    app.inject({
      method,
      url,
      headers: { authorization: AUTH, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      payload: body === undefined ? undefined : JSON.stringify(body),
    });

  test('connector credentials are masked in every admin answer and never echoed in a refusal', async () => {
    const settings = {
      instanceUrl: 'https://acme.my.salesforce.com',
      auth: { flow: 'refresh_token', clientId: 'cid', clientSecret: SECRET, refreshToken: SECRET },
    };
    const put = await call('PUT', '/_profileflow/connector-profiles/sf', { kind: 'salesforce', connectorTypes: ['Salesforce'], settings });
    assert.equal(put.statusCode, 201, put.body);
    for (const res of [put, await call('GET', '/_profileflow/connector-profiles/sf'), await call('GET', '/_profileflow/connector-profiles')]) {
      assert.ok(!res.body.includes(SECRET), `no secret in ${res.body}`);
      assert.match(res.body, /"clientSecret":"\*\*\*"/);
    }
    const refused = await call('PUT', '/_profileflow/connector-profiles/bad', {
      kind: 'salesforce',
      connectorTypes: ['Salesforce'],
      settings: { instanceUrl: 'not a url', unknownKey: SECRET, auth: { flow: 'nope', clientSecret: { nested: SECRET }, refreshToken: 42 } },
    });
    assert.equal(refused.statusCode, 400, refused.body);
    assert.ok(!refused.body.includes(SECRET), `no secret in ${refused.body}`);
  });

  test('FlowDefinition (sensitive in the model) never appears in a validation message, at any depth', async () => {
    const bad = [
      flowDefinition({ FlowName: `${CANARY}${'x'.repeat(300)}` }),
      flowDefinition({ KmsArn: CANARY }),
      flowDefinition({ Description: `${CANARY}${'y'.repeat(3000)}` }),
      flowDefinition({ Tasks: [{ TaskType: CANARY, SourceFields: [CANARY.repeat(300)], TaskProperties: { [CANARY]: CANARY } }] }),
      flowDefinition({ SourceFlowConfig: { ConnectorType: CANARY, SourceConnectorProperties: { Salesforce: { Object: `${CANARY}!!` } } } }),
      flowDefinition({ TriggerConfig: { TriggerType: 'Scheduled', TriggerProperties: { Scheduled: { ScheduleExpression: CANARY.repeat(100) } } } }),
      `${CANARY} not an object`,
    ];
    for (const FlowDefinition of bad) {
      const wf = await call('POST', '/domains/dom/workflows/integrations', {
        WorkflowType: 'APPFLOW_INTEGRATION',
        ObjectTypeName: 'Contact',
        IntegrationConfig: { AppflowIntegration: { FlowDefinition } },
      });
      assert.equal(wf.statusCode, 400, wf.body);
      assert.ok(!wf.body.includes(CANARY), `no FlowDefinition value in ${wf.body}`);
      assert.match(wf.body, /\*\*\*/, 'sensitive values are shown as ***');
      const integ = await call('PUT', '/domains/dom/integrations', { Uri: 's3://b', ObjectTypeName: 'Contact', FlowDefinition });
      assert.equal(integ.statusCode, 400, integ.body);
      assert.ok(!integ.body.includes(CANARY), `no FlowDefinition value in ${integ.body}`);
    }
  });

  test('a valid flow is stored without echoing its definition, and the debug log holds no secret at all', async () => {
    assert.equal((await call('POST', '/domains/dom', { DefaultExpirationDays: 30 })).statusCode, 200);
    const type = await call('PUT', '/domains/dom/object-types/Contact', CONTACT);
    assert.equal(type.statusCode, 200, type.body);
    const created = await call('POST', '/domains/dom/workflows/integrations', {
      WorkflowType: 'APPFLOW_INTEGRATION',
      ObjectTypeName: 'Contact',
      RoleArn: 'arn:aws:iam::123456789012:role/ingest',
      IntegrationConfig: { AppflowIntegration: { FlowDefinition: flowDefinition() } },
    });
    assert.equal(created.statusCode, 200, created.body);
    const { WorkflowId } = JSON.parse(created.body) as { WorkflowId: string };
    assert.ok(!created.body.includes(CANARY), created.body);
    const list = await call('POST', '/domains/dom/workflows', {});
    assert.deepEqual((JSON.parse(list.body) as { Items: { WorkflowId: string }[] }).Items.map((w) => w.WorkflowId), [WorkflowId], 'the flow was stored');
    assert.ok(!list.body.includes(CANARY), list.body);
    const got = await call('GET', `/domains/dom/workflows/${WorkflowId}`);
    assert.equal(got.statusCode, 200, got.body);
    assert.ok(!got.body.includes(CANARY), got.body);

    assert.ok(log.length > 0, 'the debug log captured the requests');
    assert.ok(!log.includes(CANARY), 'no FlowDefinition value in the log');
    assert.ok(!log.includes(SECRET), 'no connector secret in the log');
    assert.ok(!log.includes('ab'.repeat(32)), 'no signature or Authorization header in the log');
  });
});
