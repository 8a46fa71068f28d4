import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { GetWorkflowCommand } from '@aws-sdk/client-customer-profiles';
import { availableBackends } from '../helpers/backends.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { createWorkflow, setupWorkflowEnv } from '../helpers/workflows.js';

const RECORDS = 4_000;
const PAGE_SIZE = 20;

for (const backend of await availableBackends()) {
  describe(`the API answers while a step runs [${backend}]`, () => {
    let s: TestServer;
    before(async () => {
      // The engine on its own, as `serve` runs it: no manual advance.
      s = await startServer(backend, { engine: { mode: 'auto', pageSize: PAGE_SIZE } });
    });
    after(() => s.close());

    test('GetWorkflow sees RecordsProcessed grow page by page within one step of a source that answers from memory', async () => {
      // The synthetic source never waits on I/O, and on SQLite neither do the writes: the engine must still
      // give the event loop a turn between pages, or no request is answered until the step has ended.
      const env = await setupWorkflowEnv(s, 'responsive', { recordsPerDay: RECORDS });
      const workflowId = await createWorkflow(s.client, { env });
      const seen = new Set<number>();
      for (;;) {
        const out = await s.client.send(new GetWorkflowCommand({ DomainName: env.domain, WorkflowId: workflowId }));
        seen.add(out.Metrics?.AppflowIntegration?.RecordsProcessed ?? 0);
        if (out.Status === 'COMPLETE') break;
        assert.ok(out.Status === 'NOT_STARTED' || out.Status === 'IN_PROGRESS', `still running: ${out.Status}`);
      }
      const between = [...seen].filter((n) => n > 0 && n < RECORDS);
      assert.ok(seen.has(RECORDS), `ends with every record: ${[...seen]}`);
      assert.ok(between.length >= 2, `progress observed mid-step (${RECORDS / PAGE_SIZE} pages of one step), saw ${[...seen].sort((a, b) => a - b)}`);
      assert.ok(between.every((n) => n % PAGE_SIZE === 0), 'progress moves in whole pages');
    });
  });
}
