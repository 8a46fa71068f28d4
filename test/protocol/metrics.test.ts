import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { GetDomainCommand, ListDomainsCommand } from '@aws-sdk/client-customer-profiles';
import { ManualClock } from '../../src/engine/clock.js';
import { availableBackends } from '../helpers/backends.js';
import { expectAwsError } from '../helpers/errors.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { consecutiveBatches, createWorkflow, setupWorkflowEnv } from '../helpers/workflows.js';

/** Parses the Prometheus text format: every sample by its name and label set; checks TYPE lines. */
function parse(text: string): { samples: Map<string, number>; types: Map<string, string> } {
  const samples = new Map<string, number>();
  const types = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const type = /^# TYPE (\S+) (counter|gauge|histogram)$/.exec(line);
    if (type) types.set(type[1], type[2]);
    if (line.startsWith('#')) continue;
    const m = /^([a-z_]+)(\{[^}]*\})? (-?[0-9.e+]+|\+Inf)$/.exec(line);
    assert.ok(m, `a valid sample line: ${line}`);
    samples.set(`${m[1]}${m[2] ?? ''}`, Number(m[3]));
  }
  return { samples, types };
}

for (const backend of await availableBackends()) {
  describe(`GET /_profileflow/metrics [${backend}]`, () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    let s: TestServer;
    before(async () => {
      s = await startServer(backend, { clock, engine: { pageSize: 12, maxRecordsPerStep: 30, minWindowMs: 3_600_000 } });
    });
    after(() => s.close());

    const scrape = async () => {
      const res = await fetch(`${s.url}/_profileflow/metrics`);
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8');
      return parse(await res.text());
    };

    test('requests by operation and status, with a latency histogram', async () => {
      await s.client.send(new ListDomainsCommand({}));
      await s.client.send(new ListDomainsCommand({}));
      await expectAwsError(s.client.send(new GetDomainCommand({ DomainName: 'nope' })), 'ResourceNotFoundException', 404);
      const { samples, types } = await scrape();
      assert.equal(types.get('profileflow_requests_total'), 'counter');
      assert.equal(types.get('profileflow_request_duration_seconds'), 'histogram');
      assert.equal(samples.get('profileflow_requests_total{operation="ListDomains",status="200"}'), 2);
      assert.equal(samples.get('profileflow_requests_total{operation="GetDomain",status="404"}'), 1);
      assert.equal(samples.get('profileflow_request_duration_seconds_count{operation="ListDomains"}'), 2);
      assert.equal(samples.get('profileflow_request_duration_seconds_bucket{operation="ListDomains",le="+Inf"}'), 2);
      // Admin routes count under their route pattern, not their path: one series however many names.
      for (const name of ['m-one', 'm-two']) assert.equal((await fetch(`${s.url}/_profileflow/connector-profiles/${name}`)).status, 404);
      const admin = (await scrape()).samples;
      assert.equal(admin.get('profileflow_requests_total{operation="/_profileflow/connector-profiles/*",status="404"}'), 2);
      assert.ok(![...admin.keys()].some((k) => k.includes('m-one')), 'no series per path');
      // Buckets are cumulative.
      let previous = 0;
      for (const le of ['0.005', '0.01', '0.025', '0.05', '0.1', '0.25', '0.5', '1', '2.5', '5', '10', '+Inf']) {
        const v = samples.get(`profileflow_request_duration_seconds_bucket{operation="ListDomains",le="${le}"}`)!;
        assert.ok(v >= previous);
        previous = v;
      }
    });

    test('this process\'s memory, as gauges under prom-client\'s names', async () => {
      const { samples, types } = await scrape();
      for (const name of ['process_resident_memory_bytes', 'nodejs_heap_size_total_bytes', 'nodejs_heap_size_used_bytes', 'nodejs_external_memory_bytes', 'nodejs_array_buffers_bytes']) {
        assert.equal(types.get(name), 'gauge', name);
      }
      const rss = samples.get('process_resident_memory_bytes')!;
      const used = samples.get('nodejs_heap_size_used_bytes')!;
      assert.ok(rss > 10 * 1024 * 1024 && rss < 8 * 1024 ** 3, `a plausible RSS: ${rss}`);
      assert.ok(used > 0 && used <= samples.get('nodejs_heap_size_total_bytes')! && used < rss, `heap used within the heap and the RSS: ${used}`);
    });

    test('steps by status from the store, records, and the engine outcomes, splits and retries', async () => {
      const env = await setupWorkflowEnv(s, 'metrics', { faults: [{ page: 1, kind: 'transient', times: 1 }] });
      // Two days: 48 records, more than the 30 a step may hold, so the step splits into two halves.
      const id = await createWorkflow(s.client, { env, Batches: consecutiveBatches(Date.UTC(2025, 0, 1), 2) });
      let { samples, types } = await scrape();
      assert.equal(types.get('profileflow_steps'), 'gauge');
      assert.equal(samples.get('profileflow_steps{status="NOT_STARTED"}'), 1);
      assert.equal(samples.get('profileflow_step_splits_total'), 0);

      // Each half's first attempt fails once: move the clock past each back-off.
      for (let i = 0; i < 3; i++) {
        await s.engine.runUntilIdle();
        clock.advance(60_000);
      }
      ({ samples } = await scrape());
      assert.equal(samples.get('profileflow_step_splits_total'), 1);
      // The scripted fault hits the first page of each half's window once.
      assert.equal(samples.get('profileflow_step_retries_total'), 2);
      assert.equal(samples.get('profileflow_steps{status="SPLIT"}'), 1);
      assert.equal(samples.get('profileflow_steps{status="COMPLETE"}'), 2);
      assert.equal(samples.get('profileflow_workflows{status="COMPLETE"}'), 1);
      assert.equal(samples.get('profileflow_records_processed'), 48);
      assert.equal(samples.get('profileflow_step_outcomes_total{outcome="workflow-complete"}'), 1);
      assert.equal(samples.get('profileflow_lease_takeovers_total'), 0);
      assert.ok(id);
    });
  });
}
