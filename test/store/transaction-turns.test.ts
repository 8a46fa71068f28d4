import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { TurnNotReached } from '../../src/store/turns.js';
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

/** A transaction holding `turn` until `first` opens, logging 'a starts' and 'a ends'. */
function holdingTurn(store: TestStore['store'], turn: string, log: string[]) {
  const first = gate();
  const running = store.transaction(
    async () => {
      log.push('a starts');
      await first.opened;
      log.push('a ends');
    },
    { turn },
  );
  return { running, first };
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

    test('a transaction whose turn does not come in time leaves the line with TurnNotReached; the one behind it still waits for the one before', async () => {
      const log: string[] = [];
      const { running, first } = holdingTurn(t.store, 'timed', log);
      t.store.turnWaitMs = 50;
      const impatient = t.store.transaction(async () => void log.push('b ran'), { turn: 'timed' });
      t.store.turnWaitMs = 30_000;
      const patient = t.store.transaction(async () => void log.push('c starts'), { turn: 'timed' });
      await assert.rejects(impatient, (err: unknown) => err instanceof TurnNotReached && err.waitedMs === 50);
      assert.deepEqual(log, ['a starts'], 'c still waits for a');
      first.open();
      await Promise.all([running, patient]);
      assert.deepEqual(log, ['a starts', 'a ends', 'c starts']);
      assert.equal(t.store.waitingForTurn, 0);
    });

    test('a transaction stops waiting for its turn when its signal aborts, with the signal’s reason', async () => {
      const first = gate();
      const running = t.store.transaction(() => first.opened, { turn: 'aborted' });
      const abort = new AbortController();
      const waiting = t.store.transaction(async () => assert.fail('ran after its signal aborted'), { turn: 'aborted', signal: abort.signal });
      await until(() => t.store.waitingForTurn === 1, 'the second in line');
      abort.abort(new Error('the step was given up'));
      await assert.rejects(waiting, /the step was given up/);
      first.open();
      await running;
    });

    test('the checks given for the wait run only when the turn is taken; one that fails leaves the line with its error, the one behind it keeping its place', async () => {
      const log: string[] = [];
      const checked: string[] = [];
      assert.equal(await t.store.transaction(async () => 'free', { turn: 'checked', whileWaiting: async () => void checked.push('free') }), 'free');
      assert.equal(checked.length, 0, 'a free turn runs no checks');
      const { running, first } = holdingTurn(t.store, 'checked', log);
      await until(() => log.length === 1, 'the first running');
      const bound = t.store.transaction(async () => void log.push('b ran'), {
        turn: 'checked',
        whileWaiting: async () => {
          checked.push('b');
          throw new Error('no such object type');
        },
      });
      const next = t.store.transaction(async () => void log.push('c starts'), { turn: 'checked', whileWaiting: async () => void checked.push('c') });
      try {
        await assert.rejects(bound, /no such object type/);
        assert.deepEqual(log, ['a starts'], 'the failed checks answered while the turn was still taken');
      } finally {
        first.open();
      }
      await Promise.all([running, next]);
      assert.deepEqual(log, ['a starts', 'a ends', 'c starts']);
      assert.deepEqual(checked, ['b', 'c']);
      assert.equal(t.store.waitingForTurn, 0);
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
