// The compiled reads as named statements on PostgreSQL (dialects/postgres-prepared.ts): prepared once per
// connection, nothing else prepared, a bounded number a connection, and a statement whose table changed
// under it prepared again rather than refused for the connection's life.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type Kysely, sql } from 'kysely';
import pg from 'pg';
import { MAX_PER_CONNECTION, preparedCompiledReads, registerPreparedText } from '../../src/store/dialects/postgres-prepared.js';
import { CompiledReads } from '../../src/store/repositories/compiled-reads.js';
import { availableBackends, createTestStore, POSTGRES_URL, type TestStore } from '../helpers/backends.js';

const backends = await availableBackends();

/** The statements the connection holds prepared, with their texts. */
async function preparedOn(conn: Kysely<any>): Promise<{ name: string; statement: string }[]> {
  return (await sql<{ name: string; statement: string }>`select name, statement from pg_prepared_statements`.execute(conn)).rows;
}

describe('compiled reads as named statements [postgres]', () => {
  if (!backends.includes('postgres')) return;
  let t: TestStore;
  before(async () => {
    t = await createTestStore('postgres');
    await sql`create table prepared_probe (n int8 primary key, v text)`.execute(t.store.db);
    await sql`insert into prepared_probe select g, 'v' || g from generate_series(1, 400) g`.execute(t.store.db);
  });
  after(() => t.dispose());

  /** `work` on one connection of the store's pool, with compiled reads of its own. */
  const onOneConnection = (work: (conn: Kysely<any>, reads: CompiledReads) => Promise<void>) =>
    t.store.db.connection().execute((connection) => {
      const conn = connection as unknown as Kysely<any>;
      return work(conn, new CompiledReads(conn));
    });
  /** A table of one column `n` holding the row 1. */
  const oneRowTable = async (name: string) => {
    await sql`create table ${sql.id(name)} (n int8 primary key)`.execute(t.store.db);
    await sql`insert into ${sql.id(name)} values (1)`.execute(t.store.db);
  };

  test('a compiled read is prepared once on its connection and answers each run with its own values', async () => {
    await onOneConnection(async (conn, reads) => {
      const read = (n: number) => reads.rows('probe-by-n', { n }, (p) => conn.selectFrom('prepared_probe').select(['n', 'v']).where('n', '=', p('n')));
      for (const n of [1, 2, 399]) assert.deepEqual(await read(n), [{ n, v: `v${n}` }]);
      const prepared = (await preparedOn(conn)).filter((s) => s.statement.includes('prepared_probe'));
      assert.equal(prepared.length, 1, JSON.stringify(prepared));
      assert.match(prepared[0].name, /^pf_[0-9a-f]{24}$/);
    });
  });

  test('statements that are not compiled reads stay unnamed', async () => {
    await t.store.db.connection().execute(async (connection) => {
      const conn = connection as unknown as Kysely<any>;
      const { rows } = await sql<{ v: string }>`select v from prepared_probe where n = ${7}`.execute(conn);
      assert.deepEqual(rows, [{ v: 'v7' }]);
      await conn.selectFrom('prepared_probe').select('v').where('n', '=', 8).execute();
      const texts = (await preparedOn(conn)).map((s) => s.statement);
      assert.ok(!texts.some((text) => text === 'select "v" from "prepared_probe" where "n" = $1' || text.startsWith('select v from prepared_probe')), texts.join('\n'));
    });
  });

  test('a prepared select * whose table gains a column is prepared again: at once alone, at the next run after a transaction it aborted', async () => {
    await oneRowTable('prepared_changing');
    await onOneConnection(async (conn, reads) => {
      const read = () => reads.rows('changing', { n: 1 }, (p) => conn.selectFrom('prepared_changing').selectAll().where('n', '=', p('n')));
      const change = (column: string) =>
        // Another connection changes the table, as a newer release's migration would.
        t.store.db.connection().execute((other) => sql`alter table prepared_changing add column ${sql.id(column)} text default ${sql.lit(column)}`.execute(other));
      assert.deepEqual(await read(), [{ n: 1 }]);
      assert.ok((await preparedOn(conn)).some((st) => st.statement.includes('prepared_changing')), 'prepared before the change');
      await change('note');
      assert.deepEqual(await read(), [{ n: 1, note: 'note' }], 'run alone: prepared again and answered at once');
      assert.deepEqual(await read(), [{ n: 1, note: 'note' }]);

      await change('more');
      await sql`begin`.execute(conn);
      await assert.rejects(read(), (err: { code?: string }) => err.code === '0A000', 'in a transaction the failure stands: the transaction is aborted');
      await sql`rollback`.execute(conn);
      assert.deepEqual(await read(), [{ n: 1, note: 'note', more: 'more' }], 'the next run prepares it again');
    });
  });

  test('a statement pg closed after a parameter failed to serialize is prepared again, not refused for the connection', async () => {
    await onOneConnection(async (conn, reads) => {
      const read = (n: unknown) => reads.rows('probe-closed', { n }, (p) => conn.selectFrom('prepared_probe').select(['v', sql.lit('closed').as('c')]).where('n', '=', p('n')));
      assert.deepEqual(await read(3), [{ v: 'v3', c: 'closed' }]);
      const unserializable = { toPostgres: () => { throw new Error('cannot be a parameter'); } };
      await assert.rejects(read(unserializable), /cannot be a parameter/);
      assert.deepEqual(await read(4), [{ v: 'v4', c: 'closed' }]);
    });
  });

  test('a column whose type changed under a prepared parameter: prepared again with the new type', async () => {
    await sql`create table prepared_retyped (k int8 primary key, v text)`.execute(t.store.db);
    await sql`insert into prepared_retyped values (5, 'five')`.execute(t.store.db);
    await onOneConnection(async (conn, reads) => {
      const read = (k: unknown) => reads.rows('retyped', { k }, (p) => conn.selectFrom('prepared_retyped').select('v').where('k', '=', p('k')));
      assert.deepEqual(await read(5), [{ v: 'five' }]);
      await t.store.db.connection().execute((other) => sql`alter table prepared_retyped alter column k type text`.execute(other));
      assert.deepEqual(await read('5'), [{ v: 'five' }]);
    });
  });

  test('runs of one statement queued together on a client when it went stale rename it once', async () => {
    await oneRowTable('prepared_queued');
    // A client of its own, so that three runs are queued in pg at once (Kysely sends one at a time).
    const client = new pg.Client({ connectionString: POSTGRES_URL });
    await client.connect();
    try {
      await client.query(`set search_path = "${(t.config as { schema: string }).schema}"`);
      preparedCompiledReads(client);
      const text = 'select * from prepared_queued where n = $1';
      registerPreparedText(text);
      await client.query(text, [1]);
      await sql`alter table prepared_queued add column q int default 7`.execute(t.store.db);
      const runs = (await Promise.all([client.query(text, [1]), client.query(text, [1]), client.query(text, [1])])).map((r) => r.rows);
      assert.deepEqual(runs, [[{ n: 1, q: 7 }], [{ n: 1, q: 7 }], [{ n: 1, q: 7 }]]);
      const names = (await client.query<{ name: string }>(`select name from pg_prepared_statements where statement = $1`, [text])).rows.map((r) => r.name);
      assert.equal(names.length, 2, `the first name and one rename: ${names.join(', ')}`);
    } finally {
      await client.end();
    }
  });

  // Last: it leaves its connection of the pool full.
  test('a connection holds at most 256 prepared statements, renamed ones included; past that a read runs unnamed and answers as well', async () => {
    await oneRowTable('prepared_full');
    await onOneConnection(async (conn, reads) => {
      const full = () => reads.rows('full', { n: 1 }, (p) => conn.selectFrom('prepared_full').selectAll().where('n', '=', p('n')));
      assert.deepEqual(await full(), [{ n: 1 }]);
      for (let shape = 0; shape < 300; shape++) {
        const rows = await reads.rows(`probe-shape-${shape}`, { n: shape + 1 }, (p) =>
          conn.selectFrom('prepared_probe').select(['v', sql.lit(shape).as('shape')]).where('n', '=', p('n')),
        );
        assert.deepEqual(rows, [{ v: `v${shape + 1}`, shape }]);
      }
      const count = async () => Number((await sql<{ c: string }>`select count(*) as c from pg_prepared_statements`.execute(conn)).rows[0].c);
      const before = await count();
      assert.ok(before <= MAX_PER_CONNECTION, `${before} prepared`);
      // A rename once the connection is full runs the statement unnamed rather than prepare one more.
      await t.store.db.connection().execute((other) => sql`alter table prepared_full add column f int default 2`.execute(other));
      assert.deepEqual(await full(), [{ n: 1, f: 2 }]);
      assert.deepEqual(await full(), [{ n: 1, f: 2 }]);
      assert.equal(await count(), before);
    });
  });
});
