import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { EngineEvent } from '../../src/engine/engine.js';
import { MAX_LABELLED_FLOWS, Metrics } from '../../src/server/metrics.js';

const run = (flowName: string, executionId: string): EngineEvent => ({
  type: 'run',
  outcome: 'successful',
  status: 'Successful',
  tookOver: false,
  recordsProcessed: 2,
  recordsDropped: 0,
  accountId: '111111111111',
  region: 'eu-west-1',
  domainName: 'd',
  flowName,
  executionId,
  windowStart: 0,
  windowEnd: 1,
});

test('runs are counted by flow up to the cap; flows beyond it share flow="(other)"', async () => {
  const metrics = new Metrics();
  for (let i = 0; i <= MAX_LABELLED_FLOWS; i++) metrics.observeEngine(run(`flow-${i}`, `e${i}`));
  metrics.observeEngine(run('flow-0', 'again'));
  const text = await metrics.render();
  const series = text.split('\n').filter((l) => l.startsWith('profileflow_flow_run_records_by_flow_total{'));
  assert.equal(series.length, MAX_LABELLED_FLOWS + 1, 'one series per labelled flow, and one for the rest');
  assert.ok(series.includes('profileflow_flow_run_records_by_flow_total{account="111111111111",region="eu-west-1",flow="flow-0"} 4'));
  assert.ok(series.includes('profileflow_flow_run_records_by_flow_total{account="(other)",region="(other)",flow="(other)"} 2'));
});
