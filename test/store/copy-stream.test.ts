// COPY's rows sent as they are encoded (dialects/postgres-copy.ts, runCopy): many buffers arrive whole
// and in order, and a row that cannot be encoded mid-stream fails the statement with its own error,
// leaving the connection and its transaction in a state the store recovers from.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { type CopyValue, copyRows, mappedRows } from '../../src/store/dialects/postgres-copy.js';
import type { KyselyStore } from '../../src/store/kysely-store.js';
import { availableBackends, createTestStore, type TestStore } from '../helpers/backends.js';

const backends = await availableBackends();

describe('COPY sent as it is encoded [postgres]', () => {
  if (!backends.includes('postgres')) return;
  let t: TestStore;
  before(async () => {
    t = await createTestStore('postgres');
    await sql`create table copy_probe (n int8 primary key, v text)`.execute(t.store.db);
  });
  after(() => t.dispose());

  test('rows over many buffers arrive whole and in order, each mapped once', async () => {
    const ids = Array.from({ length: 60_000 }, (_, i) => i);
    let mapped = 0;
    const value = (n: number) => `${'日'.repeat(n % 29)}\t${'x'.repeat(n % 211)}\\${n}`;
    await t.store.transaction(async (tx) => {
      await (tx as KyselyStore).db.executeQuery(copyRows('copy_probe', ['n', 'v'], mappedRows(ids, (n): CopyValue[] => {
        mapped++;
        return [n, n % 7 === 0 ? null : value(n)];
      })));
    });
    assert.equal(mapped, ids.length, 'each row mapped once');
    const { rows } = await sql<{ n: string; v: string | null }>`select n, v from copy_probe order by n`.execute(t.store.db);
    assert.equal(rows.length, ids.length);
    for (const r of rows) assert.equal(r.v, Number(r.n) % 7 === 0 ? null : value(Number(r.n)), `row ${r.n}`);
  });

  test('a row the server refuses halfway through the data fails the COPY with the server’s error; nothing of it stays, and the store goes on', async () => {
    await sql`insert into copy_probe (n, v) values (330000, 'there first')`.execute(t.store.db);
    const ids = Array.from({ length: 60_000 }, (_, i) => 300_000 + i);
    await assert.rejects(
      t.store.transaction(async (tx) => {
        await (tx as KyselyStore).db.executeQuery(copyRows('copy_probe', ['n', 'v'], mappedRows(ids, (n): CopyValue[] => [n, `v${n}`])));
      }),
      /duplicate key value violates unique constraint/,
    );
    const { rows } = await sql<{ c: string }>`select count(*)::text as c from copy_probe where n >= 300000 and n < 400000`.execute(t.store.db);
    assert.equal(rows[0].c, '1');
    await t.store.transaction(async (tx) => {
      await (tx as KyselyStore).db.executeQuery(copyRows('copy_probe', ['n', 'v'], [[400_000, 'next']]));
    });
    const next = await sql<{ v: string }>`select v from copy_probe where n = 400000`.execute(t.store.db);
    assert.equal(next.rows[0].v, 'next');
  });

  test('a row that cannot be encoded past the first buffers fails the COPY with its own error; nothing of it stays, and the store goes on', async () => {
    const before = await sql<{ c: string }>`select count(*)::text as c from copy_probe`.execute(t.store.db);
    const ids = Array.from({ length: 40_000 }, (_, i) => 100_000 + i);
    await assert.rejects(
      t.store.transaction(async (tx) => {
        await (tx as KyselyStore).db.executeQuery(copyRows('copy_probe', ['n', 'v'], mappedRows(ids, (n): CopyValue[] => {
          if (n === 130_000) throw new Error('this row cannot be written');
          return [n, `v${n}`];
        })));
      }),
      /this row cannot be written/,
    );
    const after = await sql<{ c: string }>`select count(*)::text as c from copy_probe`.execute(t.store.db);
    assert.equal(after.rows[0].c, before.rows[0].c);
    // Every connection of the pool still answers, in and out of transactions.
    await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        t.store.transaction(async (tx) => {
          await (tx as KyselyStore).db.executeQuery(copyRows('copy_probe', ['n', 'v'], [[200_000 + i, 'after']]));
        }),
      ),
    );
    const { rows } = await sql<{ c: string }>`select count(*)::text as c from copy_probe where v = 'after'`.execute(t.store.db);
    assert.equal(rows[0].c, '6');
  });

  test('an encoding error with a long message still ends the COPY cleanly: the connection is kept and storage stays ok', async () => {
    // PostgreSQL takes a CopyFail reason of at most 10,000 bytes and drops the connection past it.
    const long = `this row cannot be written: ${'x'.repeat(20_000)}`;
    await assert.rejects(
      t.store.transaction(async (tx) => {
        await (tx as KyselyStore).db.executeQuery(copyRows('copy_probe', ['n', 'v'], mappedRows([500_000, 500_001], (n): CopyValue[] => {
          if (n === 500_001) throw new Error(long);
          return [n, 'v'];
        })));
      }),
      (err: Error) => err.message === long,
    );
    assert.equal(t.store.condition().status, 'ok', JSON.stringify(t.store.condition()));
    const { rows } = await sql<{ c: string }>`select count(*)::text as c from copy_probe where n >= 500000`.execute(t.store.db);
    assert.equal(rows[0].c, '0');
  });
});
