import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type Kysely, sql } from 'kysely';
import { ManualClock } from '../../src/engine/clock.js';
import type { KyselyStore } from '../../src/store/kysely-store.js';
import { migrateStore } from '../../src/store/open-store.js';
import { STORE_TABLES } from '../../src/store/schema.js';
import { operations } from '../../src/operations/index.js';
import { putProfileObjects } from '../../src/ingest/profile-objects.js';
import { availableBackends } from '../helpers/backends.js';
import { migrateStoreTo, openUnmigratedStore, writeHistoryFixture } from '../helpers/migrations.js';
import { answersOf, contextOf, HOME } from '../fixtures/history-before-015/scenario.js';
import { fixture } from '../fixtures/history-before-015/fixture.js';

// Migration 018 on a database the code before it wrote (test/fixtures/history-before-015, brought to 017
// by the migrations in between): the INGESTED records without Content that their object rows reproduce
// move into those rows, every other one takes its object's text, and the two history operations answer
// every record as before. Then the layout keeps working: a replaced version hands its record back.

type Row = Record<string, unknown>;

/** Every store table that exists at this point of the migrations, its rows with numbers as numbers (each backend's own value types). */
async function everyRow(store: KyselyStore): Promise<Record<string, Row[]>> {
  const out: Record<string, Row[]> = {};
  for (const table of Object.keys(STORE_TABLES).sort()) {
    let rows: Row[];
    try {
      ({ rows } = await sql<Row>`select * from ${sql.table(table)}`.execute(store.db));
    } catch (err) {
      // Made by a later migration than the one under test; any other failure is the test's.
      if (/no such table|does not exist/.test(String((err as Error).message))) continue;
      throw err;
    }
    out[table] = rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === 'bigint' || (typeof v === 'string' && /_at$/.test(k) && /^\d+$/.test(v)) ? Number(v) : v])));
  }
  return out;
}

const sorted = (rows: Row[]) => rows.map((r) => JSON.stringify(r)).sort();
const objectId = (r: Row) => `${String(r.domain_name)}/${String(r.object_type_name)}/${String(r.unique_key)}`;

for (const backend of await availableBackends()) {
  describe(`migration 018: INGESTED records held by object rows [${backend}]`, () => {
    test('a database written before it answers every history record as before, and each record is in one place with its Content', async () => {
      const { store, config, dispose } = await openUnmigratedStore(backend);
      try {
        const db = store.db as unknown as Kysely<any>;
        await writeHistoryFixture(store, config, '017-staged-key-index');
        // One record the rows cannot reproduce: an earlier INGESTED record of a stored object, also without
        // Content (two records of one version: it answered the object's text, as the newer one does).
        const target = (await db.selectFrom('profile_objects').selectAll().orderBy('unique_key').executeTakeFirstOrThrow()) as Row;
        const { performed_by } = (await db
          .selectFrom('profile_history')
          .select('performed_by')
          .where('unique_key', '=', target.unique_key)
          .where('action_type', '=', 'INGESTED')
          .executeTakeFirstOrThrow()) as { performed_by: string };
        const stray = {
          account_id: target.account_id, region: target.region, domain_name: target.domain_name, profile_id: target.profile_id,
          record_id: '0'.repeat(31) + '1', object_type_name: target.object_type_name, action_type: 'INGESTED', unique_key: target.unique_key,
          content: null, performed_by, created_at: Number(target.updated_at) - 1000, updated_at: Number(target.updated_at) - 1000,
        };
        await db.insertInto('profile_history').values(stray).execute();
        const before = await everyRow(store);
        const withoutContent = before.profile_history.filter((h) => h.action_type === 'INGESTED' && h.content === null);
        assert.ok(withoutContent.length >= 3, `the fixture has INGESTED records without Content (${withoutContent.length})`);

        await migrateStoreTo(store, config, '018-object-ingested-record');
        const after = await everyRow(store);

        // Every table but the two is as it was; the objects keep every column they had.
        for (const table of Object.keys(before)) {
          if (table === 'profile_history' || table === 'profile_objects') continue;
          assert.deepEqual(sorted(after[table]), sorted(before[table]), table);
        }
        const columns = Object.keys(before.profile_objects[0]);
        assert.deepEqual(sorted(after.profile_objects.map((o) => Object.fromEntries(columns.map((c) => [c, o[c]])))), sorted(before.profile_objects));

        // Each record without Content is now either held by its object's row (same Id, PerformedBy and
        // times, and gone from the table) or in the table with its object's text; nothing else moved.
        const objects = new Map(after.profile_objects.map((o) => [objectId(o), o]));
        const historyAfter = new Map(after.profile_history.map((h) => [String(h.record_id), h]));
        let held = 0;
        for (const h of before.profile_history) {
          const now = historyAfter.get(String(h.record_id));
          if (!(h.action_type === 'INGESTED' && h.content === null)) {
            assert.deepEqual(now, h, 'a record with its Content is unchanged');
            continue;
          }
          const o = objects.get(objectId(h)) as Row;
          if (now === undefined) {
            held += 1;
            assert.deepEqual(
              [o.ingested_record_id, o.ingested_by, o.profile_id, o.updated_at, o.updated_at],
              [h.record_id, h.performed_by, h.profile_id, h.created_at, h.updated_at],
            );
          } else {
            assert.deepEqual(now, { ...h, content: o.object });
          }
        }
        assert.equal(after.profile_history.length, before.profile_history.length - held);
        assert.equal(after.profile_objects.filter((o) => o.ingested_record_id !== null).length, held);
        assert.ok(held >= 2 && held < withoutContent.length, `${held} of ${withoutContent.length} moved`);
        assert.equal(String(historyAfter.get(stray.record_id)?.content), target.object, 'the stray record took its object’s text');
        assert.ok(!after.profile_history.some((h) => h.action_type === 'INGESTED' && h.content === null));

        // The operations answer every record as the code before answered it (the stray record aside).
        await migrateStore(config, store);
        const clock = new ManualClock(fixture.now);
        const knownIds = Object.fromEntries(Object.entries(fixture.answers).map(([k, a]) => [k, Object.keys((a as { records: object }).records)]));
        const answers = await answersOf(store, clock, knownIds);
        const strayKey = `${String(target.domain_name)}/${String(target.profile_id)}`;
        const strayAnswer = (answers[strayKey] as { records: Record<string, { Content?: string }> }).records[stray.record_id];
        assert.equal(strayAnswer.Content, target.object);
        const withoutStray = JSON.parse(JSON.stringify(answers, (k, v: unknown) => (k === stray.record_id ? undefined : v))) as Record<string, { all: { Id: string }[] }>;
        for (const a of Object.values(withoutStray)) {
          for (const [k, v] of Object.entries(a)) {
            if (Array.isArray(v)) (a as Record<string, unknown>)[k] = v.filter((r: { Id: string }) => r.Id !== stray.record_id);
          }
        }
        assert.deepEqual(withoutStray, fixture.answers);

        // A held record goes back to the table with the text it was about when its version is replaced.
        const heldObject = after.profile_objects.find((o) => o.ingested_record_id !== null) as Row;
        const domainName = String(heldObject.domain_name);
        const type = await store.objectTypes.get(HOME, domainName, String(heldObject.object_type_name));
        assert.ok(type);
        const changed = { ...(JSON.parse(String(heldObject.object)) as Row), FirstName: 'Changed' };
        clock.advance(60_000);
        await store.transaction((trx) => putProfileObjects(trx, HOME, domainName, type, [changed], clock.now()));
        const ctx = contextOf(store, clock);
        const old = await operations.GetProfileHistoryRecord(ctx, { DomainName: domainName, ProfileId: heldObject.profile_id, Id: heldObject.ingested_record_id } as never);
        assert.equal((old as { Content: string }).Content, heldObject.object);
        const listed = (await operations.ListProfileHistoryRecords(ctx, { DomainName: domainName, ProfileId: heldObject.profile_id, ActionType: 'INGESTED' } as never)) as {
          ProfileHistoryRecords: { Id: string }[];
        };
        const ids = listed.ProfileHistoryRecords.map((r) => r.Id);
        assert.ok(ids.includes(String(heldObject.ingested_record_id)) && ids.length >= 2, ids.join(', '));
        const newest = await operations.GetProfileHistoryRecord(ctx, { DomainName: domainName, ProfileId: heldObject.profile_id, Id: ids[ids.length - 1] } as never);
        assert.equal(JSON.parse((newest as { Content: string }).Content).FirstName, 'Changed');
      } finally {
        await dispose();
      }
    });
  });
}
