import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { connectorFor } from '../../src/connectors/index.js';
import { SyntheticConnector } from '../../src/connectors/synthetic/synthetic-connector.js';
import type { ReadRequest } from '../../src/connectors/types.js';
import {
  assertReadThroughHolds,
  assertResumesFromEveryCursor,
  expectSourceError,
  flat,
  readAll,
  request,
  retainedHeap,
} from '../helpers/connectors.js';
import { problemsOf } from '../../src/domain/problem.js';

const DAY = 86_400_000;
const JAN1 = Date.UTC(2024, 0, 1);
const iso = (ms: number) => new Date(ms).toISOString();

function req(settings: Record<string, unknown>, overrides: Parameters<typeof request>[2]): ReadRequest {
  return request('synthetic', settings, overrides);
}

const times = (records: Record<string, unknown>[]) => records.map((r) => Date.parse(r.LastModifiedDate as string));

describe('synthetic connector', () => {
  const synthetic = connectorFor('synthetic')!;

  describe('windows', () => {
    test('a day holds recordsPerDay records (100 by default), evenly spaced from midnight UTC, in time order', async () => {
      const records = flat(await readAll(synthetic, req({}, { start: iso(JAN1), end: iso(JAN1 + DAY) })));
      assert.equal(records.length, 100);
      assert.deepEqual(times(records), Array.from({ length: 100 }, (_, j) => JAN1 + j * 864_000));
    });

    test('a window yields exactly the slots in [start, end): a slot at start is in, a slot at end is out', async () => {
      const slot = JAN1 + 5 * 864_000;
      const at = async (start: number, end: number) =>
        times(flat(await readAll(synthetic, req({}, { start: iso(start), end: iso(end) }))));
      assert.deepEqual(await at(slot, slot + 864_000), [slot]);
      assert.deepEqual(await at(slot, slot + 1), [slot]);
      assert.deepEqual(await at(slot + 1, slot + 864_000), []);
      assert.deepEqual(await at(slot - 1, slot), []);
      assert.deepEqual(await at(slot - 1, slot + 1), [slot]);
    });

    test('windows across days and at rates that do not divide a day agree with the slot formula and the estimate', async () => {
      for (const recordsPerDay of [1, 7, 100, 1000, 86_400]) {
        const slotsOf = (start: number, end: number) => {
          const out: number[] = [];
          for (let d = Math.floor(start / DAY) - 1; d <= Math.floor(end / DAY) + 1; d++) {
            for (let j = 0; j < recordsPerDay; j++) {
              const t = d * DAY + Math.floor((j * DAY) / recordsPerDay);
              if (t >= start && t < end) out.push(t);
            }
          }
          return out;
        };
        for (const [start, end] of [
          [JAN1, JAN1 + 3 * DAY],
          [JAN1 + 12_345, JAN1 + DAY + 67_891],
          [JAN1 - 1, JAN1 + 1],
          [JAN1 + DAY - 1, JAN1 + DAY + 1],
          [JAN1 + 100, JAN1 + 100],
        ]) {
          const r = req({ recordsPerDay }, { start: iso(start), end: iso(end), pageSize: 10_000 });
          const got = times(flat(await readAll(synthetic, r)));
          assert.deepEqual(got, slotsOf(start, end), `recordsPerDay ${recordsPerDay}, [${iso(start)}, ${iso(end)})`);
          assert.equal(await synthetic.estimate?.(r), got.length);
        }
      }
    });

    test('the estimate is the exact count even for years, without generating anything', async () => {
      const r = req({ recordsPerDay: 1_000_000 }, { start: '2000-01-01T00:00:00Z', end: '2025-01-01T00:00:00Z' });
      assert.equal(await synthetic.estimate?.(r), 9132 * 1_000_000);
      assert.equal(await synthetic.estimate?.(req({}, { start: '2024-01-02T00:00:00Z', end: '2024-01-01T00:00:00Z' })), 0);
    });
  });

  describe('records', () => {
    test('every field is present and the values are the documented ones for seed 1 (stable across runs and versions)', async () => {
      const [first] = flat(await readAll(synthetic, req({}, { start: iso(JAN1), end: iso(JAN1 + 1) })));
      assert.deepEqual(first, {
        Id: 'syn-1704067200000',
        FirstName: 'Mateo',
        LastName: 'Nakamura',
        Email: 'mateo.nakamura.1704067200000@example.com',
        Phone: '+12813062189',
        City: 'Nairobi',
        Country: 'KE',
        AccountNumber: 'AC78870944',
        Amount: 62750.45,
        LastModifiedDate: '2024-01-01T00:00:00.000Z',
      });
    });

    test('the same seed gives the same records in any read; another seed other values for the same Ids', async () => {
      const window = { start: iso(JAN1), end: iso(JAN1 + 2 * DAY) };
      const a = flat(await readAll(synthetic, req({ seed: 'demo' }, window)));
      const b = flat(await readAll(new SyntheticConnector(), req({ seed: 'demo' }, { ...window, pageSize: 7 })));
      assert.deepEqual(a, b);
      const c = flat(await readAll(synthetic, req({ seed: 42 }, window)));
      assert.deepEqual(c.map((r) => r.Id), a.map((r) => r.Id));
      assert.notDeepEqual(c.map((r) => r.Email), a.map((r) => r.Email));
      assert.deepEqual(flat(await readAll(synthetic, req({ seed: 7 }, window))), flat(await readAll(synthetic, req({ seed: '7' }, window))));
    });

    test('Ids and emails are unique, amounts are numbers, times are ISO-8601', async () => {
      const records = flat(await readAll(synthetic, req({ recordsPerDay: 5000 }, { start: iso(JAN1), end: iso(JAN1 + DAY), pageSize: 1000 })));
      assert.equal(new Set(records.map((r) => r.Id)).size, 5000);
      assert.equal(new Set(records.map((r) => r.Email)).size, 5000);
      for (const r of records) {
        assert.equal(typeof r.Amount, 'number');
        assert.match(r.LastModifiedDate as string, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
        assert.equal(r.Id, `syn-${Date.parse(r.LastModifiedDate as string)}`);
      }
    });

    test('fields keeps only the listed fields, with the same values as the full record', async () => {
      const window = { start: iso(JAN1), end: iso(JAN1 + DAY) };
      const full = flat(await readAll(synthetic, req({}, window)));
      const some = flat(await readAll(synthetic, req({ fields: ['Email', 'Id', 'Amount'] }, window)));
      assert.deepEqual(some, full.map((r) => ({ Id: r.Id, Email: r.Email, Amount: r.Amount })));
    });

    test('a flow datetime field the records lack is added with the slot time', async () => {
      const [r] = flat(await readAll(synthetic, req({}, { start: iso(JAN1), end: iso(JAN1 + 1), datetimeField: 'SystemModstamp' })));
      assert.equal(r.SystemModstamp, '2024-01-01T00:00:00.000Z');
    });
  });

  describe('paging and resumption', () => {
    test('pages hold pageSize records and the cursor is the last delivered slot time', async () => {
      const pages = await readAll(synthetic, req({}, { start: iso(JAN1), end: iso(JAN1 + DAY), pageSize: 30 }));
      assert.deepEqual(pages.map((p) => p.records.length), [30, 30, 30, 10]);
      for (const page of pages) assert.equal(page.cursor, String(Date.parse(page.records.at(-1)?.LastModifiedDate as string)));
    });

    test('resuming from any page cursor yields exactly the records not yet delivered', async () => {
      for (const pageSize of [1, 3, 7, 50, 1000]) {
        await assertResumesFromEveryCursor(
          synthetic,
          req({ recordsPerDay: 37 }, { start: '2024-01-01T05:00:00Z', end: '2024-01-03T17:00:00Z', pageSize }),
        );
      }
    });

    test('each page says how far through the window it has read: the next slot\'s time, the window end on the last page, also on resume', async () => {
      const r = req({}, { start: iso(JAN1), end: iso(JAN1 + DAY), pageSize: 30 });
      const pages = await readAll(synthetic, r);
      // 100 slots 864 s apart: 30 delivered means the read stands at slot 30's time, 30% of the day.
      assert.deepEqual(assertReadThroughHolds(pages, r.window, (rec) => Date.parse(rec.LastModifiedDate as string)), [
        JAN1 + 30 * 864_000,
        JAN1 + 60 * 864_000,
        JAN1 + 90 * 864_000,
        JAN1 + DAY,
      ]);
      const resumed = await readAll(synthetic, { ...r, cursor: pages[1].cursor });
      assert.deepEqual(resumed.map((p) => p.readThrough?.getTime()), [JAN1 + 90 * 864_000, JAN1 + DAY]);
      for (const recordsPerDay of [7, 37, 86_400]) {
        const odd = req({ recordsPerDay }, { start: '2024-01-01T05:00:00.123Z', end: '2024-01-03T17:00:00Z', pageSize: 11 });
        assertReadThroughHolds(await readAll(synthetic, odd), odd.window, (rec) => Date.parse(rec.LastModifiedDate as string));
      }
    });

    test('a cursor it did not issue is a permanent error', async () => {
      await expectSourceError(readAll(synthetic, req({}, { start: iso(JAN1), end: iso(JAN1 + DAY), cursor: 'abc' })), 'permanent', 'cursor');
    });

    test('200,000 records are generated page by page: memory held stays small', async () => {
      const r = req({ recordsPerDay: 200_000 }, { start: iso(JAN1), end: iso(JAN1 + DAY), pageSize: 1000 });
      const baseline = retainedHeap();
      let peak = 0;
      let count = 0;
      for await (const page of synthetic.read(r)) {
        count += page.records.length;
        if (count % 50_000 === 0) peak = Math.max(peak, retainedHeap() - baseline);
      }
      assert.equal(count, 200_000);
      assert.equal(await synthetic.estimate?.(r), 200_000);
      // 200,000 records take about 100 MB when held; a page-by-page read holds one page.
      assert.ok(peak < 10_000_000, `retained ${peak} bytes`);
    });
  });

  describe('faults', () => {
    const window = { start: iso(JAN1), end: iso(JAN1 + DAY), pageSize: 10 };

    test('a transient fault with times: 2 fails its page twice, then the read resumes and completes', async () => {
      const c = new SyntheticConnector();
      const r = req({ faults: [{ page: 2, kind: 'transient', times: 2 }] }, window);
      const delivered: Record<string, unknown>[] = [];
      let cursor: string | undefined;
      let failures = 0;
      for (;;) {
        try {
          for await (const page of c.read({ ...r, cursor })) {
            delivered.push(...page.records);
            cursor = page.cursor;
          }
          break;
        } catch (err) {
          failures++;
          assert.ok(failures <= 2, 'only two attempts fail');
          await expectSourceError(Promise.reject(err), 'transient', 'page 2');
        }
      }
      assert.equal(failures, 2);
      assert.deepEqual(delivered, flat(await readAll(c, r)), 'nothing lost or repeated, and later reads pass');
    });

    test('a permanent fault fails every attempt', async () => {
      const c = new SyntheticConnector();
      const r = req({ faults: [{ page: 1, kind: 'permanent', times: 1 }] }, window);
      for (let i = 0; i < 3; i++) await expectSourceError(readAll(c, r), 'permanent', 'page 1');
    });

    test('faults count per connector profile and window: another profile or window is not affected', async () => {
      const c = new SyntheticConnector();
      const settings = { faults: [{ page: 1, kind: 'transient' }] };
      await expectSourceError(readAll(c, req(settings, window)), 'transient');
      await expectSourceError(readAll(c, req(settings, { ...window, profile: { name: 'other' } })), 'transient');
      await expectSourceError(readAll(c, req(settings, { ...window, end: iso(JAN1 + 2 * DAY) })), 'transient');
      assert.equal(flat(await readAll(c, req(settings, window))).length, 100);
    });

    test('a too-large fault lets the halves of the split window through; times bounds the depth of splitting', async () => {
      const c = new SyntheticConnector();
      const r = req({ faults: [{ page: 1, kind: 'too-large', times: 2 }] }, window);
      const half = (from: number, to: number) => ({ ...r, window: { start: new Date(from), end: new Date(to) } });
      await expectSourceError(readAll(c, r), 'too-large');
      await expectSourceError(readAll(c, half(JAN1, JAN1 + DAY / 2)), 'too-large');
      assert.equal(flat(await readAll(c, half(JAN1, JAN1 + DAY / 4))).length, 25);
      assert.equal(flat(await readAll(c, half(JAN1 + DAY / 4, JAN1 + DAY / 2))).length, 25);
    });

    test('a page delay honours the abort signal: the read stops at once with the abort reason', async () => {
      const controller = new AbortController();
      const r = req({ pageDelayMs: 600_000 }, { ...window, signal: controller.signal });
      const iterator = synthetic.read(r)[Symbol.asyncIterator]();
      const pending = iterator.next();
      controller.abort(new Error('workflow deleted'));
      await assert.rejects(pending, /workflow deleted|aborted/);
    });
  });

  describe('settings', () => {
    test('valid settings pass, and each kind of mistake is named', () => {
      assert.deepEqual(
        problemsOf(synthetic.parseSettings({ recordsPerDay: 10, seed: 'x', fields: ['Id'], pageDelayMs: 5, faults: [{ page: 1, kind: 'transient', times: 3 }] })),
        [],
      );
      const problems = problemsOf(
        synthetic.parseSettings({
          recordsPerDay: 0,
          seed: {},
          fields: ['Id', 'Shoe'],
          pageDelayMs: -1,
          faults: [{ page: 0, kind: 'flaky', times: 0, extra: 1 }],
          colour: 'red',
        }),
      ).join(' ');
      for (const part of ["'recordsPerDay'", "'seed'", "'Shoe'", "'pageDelayMs'", "'faults[0].page'", "'faults[0].kind'", "'faults[0].times'", "'extra'", "'colour'"]) {
        assert.ok(problems.includes(part), `${part} in: ${problems}`);
      }
    });

    test('reading with unusable settings is a permanent error', async () => {
      await expectSourceError(readAll(synthetic, req({ recordsPerDay: 'many' }, { start: iso(JAN1), end: iso(JAN1 + DAY) })), 'permanent', 'recordsPerDay');
    });
  });
});
