import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { SyntheticConnector } from '../../src/connectors/synthetic/synthetic-connector.js';
import type { ReadRequest, SourcePage } from '../../src/connectors/types.js';
import { ManualClock } from '../../src/engine/clock.js';
import { KyselyWorkflowRepository } from '../../src/store/repositories/workflows.js';
import { availableBackends } from '../helpers/backends.js';
import { startServer } from '../helpers/server.js';
import { consecutiveBatches, createWorkflow, setupWorkflowEnv } from '../helpers/workflows.js';

// A step asks its source for the next page before it writes the page it has (runPages): a source across a
// network fetches while the database writes, instead of in turn with it. The synthetic source stands for
// one across a network once it has a page delay; without one it answers from memory, and is read ahead
// only where a page can be prepared while the statements of the one before it run in the database server.

/** Runs `work` with every read of the synthetic source and every page checkpoint logged, in order. */
async function logged<T>(log: string[], work: () => Promise<T>): Promise<T> {
  const read = SyntheticConnector.prototype.read;
  const checkpoint = KyselyWorkflowRepository.prototype.checkpointPage;
  let checkpoints = 0;
  SyntheticConnector.prototype.read = function (this: SyntheticConnector, request: ReadRequest): AsyncIterable<SourcePage> {
    const pages = read.call(this, request)[Symbol.asyncIterator]();
    let asked = 0;
    return {
      [Symbol.asyncIterator]: () => ({
        next: async () => {
          log.push(`page ${++asked} asked`);
          return pages.next();
        },
        return: async () => pages.return?.() ?? { done: true, value: undefined },
      }),
    };
  };
  KyselyWorkflowRepository.prototype.checkpointPage = async function (this: KyselyWorkflowRepository, ...args) {
    log.push(`page ${++checkpoints} written`);
    return checkpoint.apply(this, args);
  };
  try {
    return await work();
  } finally {
    SyntheticConnector.prototype.read = read;
    KyselyWorkflowRepository.prototype.checkpointPage = checkpoint;
  }
}

for (const backend of await availableBackends()) {
  describe(`a step reads its next page while it writes the last [${backend}]`, () => {
    test('each page is asked for before the page before it is written, the end too', async (t) => {
      // 24 records a day in pages of 8: three pages.
      const s = await startServer(backend, { clock: new ManualClock(Date.UTC(2026, 2, 1)), engine: { pageSize: 8 } });
      t.after(() => s.close());
      const env = await setupWorkflowEnv(s, 'read-ahead', { pageDelayMs: 1 });
      await createWorkflow(s.client, { env, Batches: consecutiveBatches(Date.UTC(2025, 0, 1), 1) });
      const log: string[] = [];
      const ran = await logged(log, () => s.engine.runUntilIdle());
      assert.deepEqual(ran.steps.map((r) => r.outcome), ['workflow-complete']);
      assert.deepEqual(log, [
        'page 1 asked',
        'page 2 asked',
        'page 1 written',
        'page 3 asked',
        'page 2 written',
        'page 4 asked',
        'page 3 written',
      ]);
    });

    test('a source that answers from memory is asked ahead only where the statements run in the database server', async (t) => {
      const s = await startServer(backend, { clock: new ManualClock(Date.UTC(2026, 2, 1)), engine: { pageSize: 8 } });
      t.after(() => s.close());
      const env = await setupWorkflowEnv(s, 'in-memory');
      await createWorkflow(s.client, { env, Batches: consecutiveBatches(Date.UTC(2025, 0, 1), 1) });
      const log: string[] = [];
      await logged(log, () => s.engine.runUntilIdle());
      // On SQLite a page prepared early would be prepared before the transaction instead of after it; on
      // PostgreSQL it is prepared while the page before it waits for the server.
      assert.deepEqual(
        log,
        s.store.statementsRunElsewhere
          ? ['page 1 asked', 'page 2 asked', 'page 1 written', 'page 3 asked', 'page 2 written', 'page 4 asked', 'page 3 written']
          : ['page 1 asked', 'page 1 written', 'page 2 asked', 'page 2 written', 'page 3 asked', 'page 3 written', 'page 4 asked'],
      );
      assert.equal(s.store.statementsRunElsewhere, backend === 'postgres');
    });

    test('where the statements run in the database server, the next page is prepared in slices while the page before it is written', async (t) => {
      // 20 days of 24 records in pages of 200: the second page is prepared while the first one's
      // statements run on PostgreSQL; on SQLite, after the first one is written, in one go.
      const s = await startServer(backend, { clock: new ManualClock(Date.UTC(2026, 2, 1)), engine: { pageSize: 200 } });
      t.after(() => s.close());
      const env = await setupWorkflowEnv(s, 'prepared-ahead');
      await createWorkflow(s.client, { env, Batches: consecutiveBatches(Date.UTC(2025, 0, 1), 20) });
      const log: string[] = [];
      // Each turn of the event loop numbered, to tell how many turns a page's preparation spans.
      let turn = 0;
      let ticking = true;
      const tick = () => {
        turn++;
        if (ticking) setImmediate(tick);
      };
      setImmediate(tick);
      const read = SyntheticConnector.prototype.read;
      SyntheticConnector.prototype.read = async function* (this: SyntheticConnector, request: ReadRequest): AsyncIterable<SourcePage> {
        let page = 0;
        for await (const p of read.call(this, request)) {
          const n = ++page;
          // A record reports the first time its tasks read it: when it is prepared.
          const records = p.records.map((record) => {
            let seen = false;
            return new Proxy(record, {
              get(target, key, receiver) {
                if (!seen) {
                  seen = true;
                  log.push(`page ${n} record prepared in turn ${turn}`);
                }
                return Reflect.get(target, key, receiver);
              },
            });
          });
          yield { ...p, records };
        }
      };
      try {
        await logged(log, () => s.engine.runUntilIdle());
      } finally {
        SyntheticConnector.prototype.read = read;
        ticking = false;
      }
      const second = log.flatMap((line, at) => (line.startsWith('page 2 record prepared') ? [{ at, turn: line.split(' ').pop() }] : []));
      assert.equal(second.length, 200);
      const firstWritten = log.indexOf('page 1 written');
      const turns = new Set(second.map((r) => r.turn)).size;
      if (s.store.statementsRunElsewhere) {
        assert.ok(second[0].at < firstWritten, 'page 2 is prepared while page 1 is written');
        assert.ok(turns > 1, `page 2 is prepared in slices, a turn of the event loop apart (${turns} turn)`);
      } else {
        assert.ok(second[0].at > firstWritten, 'page 2 is prepared after page 1 is written');
        assert.equal(turns, 1, 'page 2 is prepared in one go');
      }
    });

    test('a page read ahead of a step that yields is not counted: the step goes on from its last written page', async (t) => {
      const s = await startServer(backend, { clock: new ManualClock(Date.UTC(2026, 2, 1)), engine: { pageSize: 8 } });
      t.after(() => s.close());
      const env = await setupWorkflowEnv(s, 'read-ahead-yield', { pageDelayMs: 1 });
      const id = await createWorkflow(s.client, { env, Batches: consecutiveBatches(Date.UTC(2025, 0, 1), 1) });
      const log: string[] = [];
      const first = await logged(log, () => s.engine.advance({ pages: 1 }));
      assert.deepEqual(first.steps.map((r) => r.outcome), ['yielded']);
      assert.deepEqual(log, ['page 1 asked', 'page 2 asked', 'page 1 written'], 'page 2 was read, not written');
      const [step] = await s.store.workflows.listStepProgress({ scope: { accountId: '000000000000', region: 'us-east-1' }, workflowId: id, limit: 10 });
      assert.equal(step.recordsProcessed, 8);
      await s.engine.runUntilIdle();
      const [done] = await s.store.workflows.listStepProgress({ scope: { accountId: '000000000000', region: 'us-east-1' }, workflowId: id, limit: 10 });
      assert.equal(done.status, 'COMPLETE');
      assert.equal(done.recordsProcessed, 24, 'every record once');
      const objects = await s.store.db.selectFrom('profile_objects').select('unique_key').where('domain_name', '=', 'read-ahead-yield').execute();
      assert.equal(objects.length, 24);
    });
  });
}
