import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { clip255 } from '../../src/domain/workflow-plan/format.js';
import { describeOngoing, describeWorkflow } from '../../src/domain/workflow-plan/status-text.js';
import type { TriggerConfig } from '../../src/api/appflow/shapes.generated.js';
import type { FlowRecord } from '../../src/store/appflow-types.js';

const T0 = Date.UTC(2026, 0, 1);

function flow(triggerConfig: TriggerConfig, extra: Partial<FlowRecord> = {}): FlowRecord {
  return {
    flowName: 'f',
    flowArn: 'arn:aws:appflow:us-east-1:000000000000:flow/f',
    flowStatus: 'Active',
    triggerConfig,
    sourceFlowConfig: { connectorType: 'Salesforce', sourceConnectorProperties: {} },
    connectorType: 'Salesforce',
    destinationFlowConfigList: [],
    domainName: 'd',
    tasks: [],
    createdBy: 'x',
    lastUpdatedBy: 'x',
    createdAt: T0,
    updatedAt: T0,
    activatedAt: T0,
    ...extra,
  };
}

const hourly: TriggerConfig = { triggerType: 'Scheduled', triggerProperties: { Scheduled: { scheduleExpression: 'rate(1hours)' } } };

describe('the ongoing part of a completed workflow status text', () => {
  test('a Scheduled flow: its schedule in words and the next run, offset included', () => {
    assert.equal(describeOngoing(flow(hourly)), 'ongoing updates every hour, next run at 2026-01-01T01:00:00.000Z');
    assert.equal(describeOngoing(flow(hourly, { nextRunAt: T0 + 5 * 3_600_000 })), 'ongoing updates every hour, next run at 2026-01-01T05:00:00.000Z');
    const offset: TriggerConfig = { triggerType: 'Scheduled', triggerProperties: { Scheduled: { scheduleExpression: 'rate(5minutes)', scheduleOffset: 30 } } };
    assert.equal(describeOngoing(flow(offset)), 'ongoing updates every 5 minutes, next run at 2026-01-01T00:05:30.000Z');
    assert.equal(describeOngoing(flow(hourly, { nextRunAt: Number.MAX_SAFE_INTEGER })), 'ongoing updates every hour ended with their schedule');
  });

  test('OnDemand, Event, stopped and gone', () => {
    assert.equal(describeOngoing(flow({ triggerType: 'OnDemand' })), 'ongoing updates run when started (StartFlow)');
    assert.equal(describeOngoing(flow({ triggerType: 'Event' })), 'ongoing updates run when signalled');
    assert.equal(describeOngoing(flow(hourly, { flowStatus: 'Suspended' })), 'ongoing updates stopped');
    assert.equal(describeOngoing(undefined), 'ongoing updates stopped');
  });

  test('the whole sentence stays within 255 characters', () => {
    const item = { workflowId: 'w', workflowType: 'APPFLOW_INTEGRATION', status: 'COMPLETE', recordsProcessed: 10, stepsCompleted: 2, totalSteps: 2, createdAt: T0, updatedAt: T0 } as const;
    assert.equal(describeWorkflow(item, describeOngoing(flow({ triggerType: 'Event' }))), 'Complete: 2 of 2 steps complete, 10 records processed; ongoing updates run when signalled.');
    const cron: TriggerConfig = { triggerType: 'Scheduled', triggerProperties: { Scheduled: { scheduleExpression: `cron(0 12 * * ? *)` } } };
    assert.ok(describeWorkflow({ ...item, recordsProcessed: 1e15 }, describeOngoing(flow(cron))).length <= 255);
  });
});

describe('clip255 (ExecutionMessage, ErrorDescription, StatusDescription: 1..255 characters)', () => {
  const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
  const characters = (text: string) => [...text].length;

  test('counts characters, not UTF-16 units: 255 emoji stay whole', () => {
    const text = '\u{1F600}'.repeat(255);
    assert.equal(clip255(text), text);
  });

  test('cuts a longer text at a character boundary, never inside a surrogate pair', () => {
    assert.equal(clip255('\u{1F600}'.repeat(256)), `${'\u{1F600}'.repeat(252)}...`);
    // The pair straddles the 252nd UTF-16 unit: a cut by units would keep half of it.
    const clipped = clip255(`${'a'.repeat(251)}\u{1F600}${'b'.repeat(10)}`);
    assert.equal(clipped, `${'a'.repeat(251)}\u{1F600}...`);
    assert.ok(characters(clipped) <= 255 && !LONE_SURROGATE.test(clipped));
  });

  test('an empty text becomes a placeholder, since the model asks for at least one character', () => {
    assert.equal(clip255(''), '-');
  });
});
