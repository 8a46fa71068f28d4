import assert from 'node:assert/strict';
import { test } from 'node:test';
import { systemClock } from '../../src/engine/clock.js';
import { Engine } from '../../src/engine/engine.js';
import type { Store } from '../../src/store/types.js';
import { createTestStore } from '../helpers/backends.js';
import { eventually } from '../helpers/poll.js';

// The engine asks the store to keep the planner's statistics current: every statisticsIntervalMs while
// it runs on its own, and at each manual advance. A failed check is an error event, not a stopped engine.

function counting(store: Store, fail = false): { store: Store; calls: () => number } {
  let calls = 0;
  const wrapped = new Proxy(store, {
    get(target, name, receiver) {
      if (name === 'refreshStatistics') {
        return async () => {
          calls += 1;
          if (fail) throw new Error('statistics check failed');
          return [];
        };
      }
      const value = Reflect.get(target, name, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return { store: wrapped, calls: () => calls };
}

test('an auto engine checks the statistics on its interval, and stops checking when stopped', async () => {
  const { store, dispose } = await createTestStore('sqlite');
  const c = counting(store);
  const engine = new Engine(c.store, systemClock, { mode: 'auto', statisticsIntervalMs: 20, pollIntervalMs: 20 });
  try {
    engine.start();
    await eventually(async () => (c.calls() >= 3 ? true : undefined), 'three statistics checks');
    await engine.stop();
    const after = c.calls();
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(c.calls(), after);
  } finally {
    await engine.stop();
    await dispose();
  }
});

test('a manual advance checks once; a failing check is an error event and the advance goes on', async () => {
  const { store, dispose } = await createTestStore('sqlite');
  const c = counting(store, true);
  const engine = new Engine(c.store, systemClock, { mode: 'manual' });
  const errors: unknown[] = [];
  engine.onEvent((e) => e.type === 'error' && errors.push(e.error));
  try {
    assert.deepEqual(await engine.advance(), { steps: [], runs: [] });
    assert.equal(c.calls(), 1);
    assert.equal(errors.length, 1);
    assert.match(String(errors[0]), /statistics check failed/);
  } finally {
    await dispose();
  }
});
