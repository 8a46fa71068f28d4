import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Scope } from '../../src/domain/scope.js';
import type { ClientTokenKey } from '../../src/store/types.js';
import { availableBackends, createTestStore } from '../helpers/backends.js';
import { until } from '../helpers/poll.js';
import { behindOpenTransaction, lockWaiters } from '../helpers/races.js';

// The clientToken records (store/repositories/client-tokens.ts): claimed in the write's transaction,
// answered while active, taken over once past their time, purged oldest first, and on PostgreSQL a
// claim of a key another open transaction holds waits for that transaction's outcome.

const HOME: Scope = { accountId: '000000000000', region: 'us-east-1' };
const OTHER: Scope = { accountId: '111122223333', region: 'us-east-1' };
const T0 = Date.UTC(2026, 0, 1);
const key = (clientToken: string, resourceName = ''): ClientTokenKey => ({ operation: 'StartFlow', resourceName, clientToken });

for (const backend of await availableBackends()) {
  describe(`clientToken records [${backend}]`, () => {
    test('a claimed token answers its record while active; at or past its time it is claimed anew', async () => {
      const { store, dispose } = await createTestStore(backend);
      try {
        const tokens = store.clientTokens;
        assert.equal(await store.transaction(async (tx) => tx.clientTokens.claim(HOME, key('t'), 'f1', T0, T0 - 10)), true);
        await tokens.complete(HOME, key('t'), '{"executionId":"e1"}');
        assert.deepEqual(await tokens.get(HOME, key('t'), T0 - 1), { fingerprint: 'f1', response: '{"executionId":"e1"}', createdAt: T0 });
        assert.equal(await tokens.get(HOME, key('t'), T0), undefined, 'no longer active once `since` reaches its time');
        assert.equal(await tokens.get(OTHER, key('t'), T0 - 1), undefined, "another account's key");
        assert.equal(await tokens.get(HOME, key('t', 'another-flow'), T0 - 1), undefined, "another resource's key");
        assert.equal(await tokens.get(HOME, { ...key('t'), operation: 'CreateFlow' }, T0 - 1), undefined, "another operation's key");

        assert.equal(await tokens.claim(HOME, key('t'), 'f2', T0 + 5, T0 - 1), false, 'an active record holds it');
        assert.equal((await tokens.get(HOME, key('t'), T0 - 1))?.fingerprint, 'f1');
        assert.equal(await tokens.claim(HOME, key('t'), 'f2', T0 + 10, T0), true, 'past its time, taken over');
        await tokens.complete(HOME, key('t'), '{"executionId":"e2"}');
        assert.deepEqual(await tokens.get(HOME, key('t'), T0), { fingerprint: 'f2', response: '{"executionId":"e2"}', createdAt: T0 + 10 });
      } finally {
        await dispose();
      }
    });

    test('a claim whose transaction fails leaves nothing: the token is claimed again', async () => {
      const { store, dispose } = await createTestStore(backend);
      try {
        await assert.rejects(
          store.transaction(async (tx) => {
            assert.equal(await tx.clientTokens.claim(HOME, key('t'), 'f1', T0, T0 - 10), true);
            throw new Error('the write failed');
          }),
          /the write failed/,
        );
        assert.equal(await store.clientTokens.get(HOME, key('t'), T0 - 10), undefined);
        assert.equal(await store.clientTokens.claim(HOME, key('t'), 'f1', T0, T0 - 10), true);
      } finally {
        await dispose();
      }
    });

    test("purge removes at most its limit, oldest first, only records at or past their time, every account's", async () => {
      const { store, dispose } = await createTestStore(backend);
      try {
        const tokens = store.clientTokens;
        for (let i = 0; i < 6; i++) {
          const scope = i % 2 ? OTHER : HOME;
          await tokens.claim(scope, key(`t${i}`), 'f', T0 + i, T0 - 100);
          await tokens.complete(scope, key(`t${i}`), '{}');
        }
        const left = async () =>
          (await store.db.selectFrom('client_tokens').select('client_token').orderBy('created_at').execute()).map((r) => r.client_token);
        assert.equal(await tokens.purge(T0 + 3, 2), 2);
        assert.deepEqual(await left(), ['t2', 't3', 't4', 't5']);
        assert.equal(await tokens.purge(T0 + 3, 100), 2);
        assert.deepEqual(await left(), ['t4', 't5']);
        assert.equal(await tokens.purge(T0 + 3, 100), 0);
      } finally {
        await dispose();
      }
    });

    if (backend === 'postgres') {
      test('purge passes over a record another open transaction holds (one taking an expired token over): it neither waits for it nor takes it', async () => {
        const { store, dispose } = await createTestStore(backend);
        try {
          for (const t of ['taken-over', 'expired']) {
            await store.clientTokens.claim(HOME, key(t), 'f1', T0, T0 - 10);
            await store.clientTokens.complete(HOME, key(t), '{}');
          }
          let release!: () => void;
          const held = new Promise<void>((resolve) => (release = resolve));
          let claimed!: () => void;
          const tookOver = new Promise<void>((resolve) => (claimed = resolve));
          const first = store.transaction(async (tx) => {
            assert.equal(await tx.clientTokens.claim(HOME, key('taken-over'), 'f2', T0 + 100, T0 + 50), true);
            await tx.clientTokens.complete(HOME, key('taken-over'), '{"again":true}');
            claimed();
            await held;
          });
          await tookOver;
          try {
            assert.equal(await store.clientTokens.purge(T0 + 50, 100), 1, 'the record nobody holds');
          } finally {
            release();
          }
          await first;
          assert.deepEqual(await store.clientTokens.get(HOME, key('taken-over'), T0 + 50), { fingerprint: 'f2', response: '{"again":true}', createdAt: T0 + 100 });
          assert.equal(await store.clientTokens.get(HOME, key('expired'), T0 - 10), undefined);
        } finally {
          await dispose();
        }
      });

      test('a claim of a key that another open transaction claimed waits for it: refused once it commits, taken once it rolls back', async () => {
        const { store, dispose } = await createTestStore(backend);
        try {
          let second: boolean | undefined;
          await behindOpenTransaction(
            store,
            async (tx) => {
              await tx.clientTokens.claim(HOME, key('committed'), 'f1', T0, T0 - 10);
              await tx.clientTokens.complete(HOME, key('committed'), '{"executionId":"first"}');
            },
            async () => {
              second = await store.transaction((tx) => tx.clientTokens.claim(HOME, key('committed'), 'f1', T0 + 1, T0 - 10));
            },
          );
          assert.equal(second, false);
          assert.equal((await store.clientTokens.get(HOME, key('committed'), T0 - 10))?.response, '{"executionId":"first"}');

          // The first rolls back: written by hand, as behindOpenTransaction's first writer commits.
          let release!: () => void;
          const held = new Promise<void>((resolve) => (release = resolve));
          let claimed!: () => void;
          const firstClaimed = new Promise<void>((resolve) => (claimed = resolve));
          const first = store
            .transaction(async (tx) => {
              await tx.clientTokens.claim(HOME, key('rolled-back'), 'f1', T0, T0 - 10);
              claimed();
              await held;
              throw new Error('the first write failed');
            })
            .catch((err: Error) => err.message);
          await firstClaimed;
          const waiting = store.transaction((tx) => tx.clientTokens.claim(HOME, key('rolled-back'), 'f1', T0 + 1, T0 - 10));
          try {
            await until(async () => (await lockWaiters(store)) > 0, 'the second claim waiting for the first');
          } finally {
            release();
          }
          assert.equal(await first, 'the first write failed');
          second = await waiting;
          assert.equal(second, true);
        } finally {
          await dispose();
        }
      });
    }
  });
}
