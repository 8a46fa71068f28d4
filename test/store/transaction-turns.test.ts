import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { availableBackends, createTestStore, type TestStore } from '../helpers/backends.js';
import { until } from '../helpers/poll.js';

// Transactions given the same turn (TransactionOptions.turn) run one after another in this process, each
// waiting before it takes a connection; a domain's ingestions use it (ingestionTurn).

/** A promise and the function that settles it. */
function gate(): { opened: Promise<void>; open(): void } {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

for (const backend of await availableBackends()) {
  describe(`transactions taking turns [${backend}]`, () => {
    let t: TestStore;
    before(async () => {
      t = await createTestStore(backend);
    });
    after(() => t.dispose());

    test('transactions given one turn start one after another, in the order they asked, and each starts only once the one before has ended', async () => {
      const log: string[] = [];
      const first = gate();
      const running = ['a', 'b', 'c'].map((name, i) =>
        t.store.transaction(
          async () => {
            log.push(`${name} starts`);
            if (i === 0) await first.opened;
            log.push(`${name} ends`);
          },
          { turn: 'one' },
        ),
      );
      await until(() => log.length === 1 && t.store.waitingForTurn === 2, 'the first running, the others in line');
      first.open();
      await Promise.all(running);
      assert.deepEqual(log, ['a starts', 'a ends', 'b starts', 'b ends', 'c starts', 'c ends']);
      assert.equal(t.store.waitingForTurn, 0);
    });

    test('a transaction that fails ends its turn: the next in line runs', async () => {
      const failing = t.store.transaction(
        async () => {
          throw new Error('the work failed');
        },
        { turn: 'failing' },
      );
      const next = t.store.transaction(async () => 'ran', { turn: 'failing' });
      await assert.rejects(failing, /the work failed/);
      assert.equal(await next, 'ran');
    });

    test('inside a transaction the turn is not waited for again', async () => {
      const out = await t.store.transaction((tx) => tx.transaction(async () => 'nested', { turn: 'held' }), { turn: 'held' });
      assert.equal(out, 'nested');
    });

    if (backend === 'postgres') {
      test('transactions given different turns run at once', async () => {
        const both = gate();
        let started = 0;
        const run = (turn: string) =>
          t.store.transaction(
            async () => {
              started++;
              await both.opened;
            },
            { turn },
          );
        const running = [run('x'), run('y')];
        await until(() => started === 2, 'both transactions running');
        both.open();
        await Promise.all(running);
      });

      test('a transaction run again after a conflict keeps its turn: the next in line waits for the second run', async () => {
        const log: string[] = [];
        let attempts = 0;
        const conflicting = t.store.transaction(
          async () => {
            attempts++;
            log.push(`a attempt ${attempts}`);
            if (attempts === 1) throw Object.assign(new Error('deadlock detected'), { code: '40P01' });
          },
          { turn: 'retried' },
        );
        const next = t.store.transaction(async () => void log.push('b'), { turn: 'retried' });
        await Promise.all([conflicting, next]);
        assert.deepEqual(log, ['a attempt 1', 'a attempt 2', 'b']);
      });
    }
  });
}
