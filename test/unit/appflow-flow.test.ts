import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { FlowDefinition } from '../../src/api/shapes.generated.js';
import { asAppflowShape, flowDefinitionOf, flowFromCustomerProfiles } from '../../src/domain/appflow-flow.js';
import { readTrigger } from '../../src/domain/flow-trigger.js';

const scope = { accountId: '123456789012', region: 'us-east-1' };
const START = Date.UTC(2026, 0, 1, 0, 30);

const definition: FlowDefinition = {
  FlowName: 'contacts',
  KmsArn: 'arn:aws:kms:us-east-1:123456789012:key/k',
  SourceFlowConfig: { ConnectorType: 'Salesforce', ConnectorProfileName: 'sf', SourceConnectorProperties: { Salesforce: { Object: 'Contact' } } },
  Tasks: [{ TaskType: 'Map', SourceFields: ['Email'], DestinationField: 'Email', ConnectorOperator: { Salesforce: 'NO_OP' }, TaskProperties: { VALUE: 'x' } }],
  TriggerConfig: { TriggerType: 'Scheduled', TriggerProperties: { Scheduled: { ScheduleExpression: 'rate(1hours)', ScheduleStartTime: new Date(START) } } },
};

describe('a Customer Profiles FlowDefinition as an AppFlow flow', () => {
  test('members are renamed by the AppFlow model; the schedule keeps its times as Dates', () => {
    const flow = flowFromCustomerProfiles(scope, definition, 'd', 'Contact');
    assert.equal(flow.flowArn, 'arn:aws:appflow:us-east-1:123456789012:flow/contacts');
    assert.equal(flow.connectorType, 'Salesforce');
    assert.equal(flow.connectorProfileName, 'sf');
    assert.deepEqual(flow.sourceFlowConfig, { connectorType: 'Salesforce', connectorProfileName: 'sf', sourceConnectorProperties: { Salesforce: { object: 'Contact' } } });
    assert.deepEqual(flow.tasks, [{ sourceFields: ['Email'], connectorOperator: { Salesforce: 'NO_OP' }, destinationField: 'Email', taskType: 'Map', taskProperties: { VALUE: 'x' } }]);
    assert.deepEqual(flow.triggerConfig, { triggerType: 'Scheduled', triggerProperties: { Scheduled: { scheduleExpression: 'rate(1hours)', scheduleStartTime: new Date(START) } } });
  });

  test('a definition read back from JSON (a stored workflow: its Dates turned to text) gives the same times', () => {
    const stored = JSON.parse(JSON.stringify(definition)) as FlowDefinition;
    const flow = flowFromCustomerProfiles(scope, stored, 'd', 'Contact');
    assert.deepEqual(flow.triggerConfig.triggerProperties?.Scheduled?.scheduleStartTime, new Date(START));
    const trigger = readTrigger(flow.triggerConfig, Date.UTC(2026, 0, 1, 5));
    assert.equal(trigger.schedule?.ok && trigger.schedule.value.startMs, START, 'the schedule is anchored at ScheduleStartTime, not at activation');
  });

  test('a stored TriggerConfig (epoch milliseconds in JSON) reads back with Dates; unknown members are dropped', () => {
    const read = asAppflowShape('TriggerConfig', { triggerType: 'Scheduled', extra: 1, triggerProperties: { Scheduled: { scheduleExpression: 'rate(1hours)', firstExecutionFrom: START } } });
    assert.deepEqual(read, { triggerType: 'Scheduled', triggerProperties: { Scheduled: { scheduleExpression: 'rate(1hours)', firstExecutionFrom: new Date(START) } } });
    assert.equal(readTrigger(read, 0).firstExecutionFrom, START);
  });

  test('and back: a stored flow as the FlowDefinition a run reads with', () => {
    const flow = flowFromCustomerProfiles(scope, definition, 'd', 'Contact');
    assert.deepEqual(flowDefinitionOf(flow), definition);
  });
});
