import assert from 'node:assert/strict';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { connectorFor } from '../../src/connectors/index.js';
import type { ReadRequest } from '../../src/connectors/types.js';
import {
  assertResumesFromEveryCursor,
  expectSourceError,
  flat,
  readAll,
  request,
  retainedHeap,
} from '../helpers/connectors.js';
import { startServer } from '../helpers/server.js';
import { allSteps, runSourceWorkflow } from '../helpers/workflows.js';
import { problemsOf } from '../../src/domain/problem.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/files-source/', import.meta.url));
const files = connectorFor('files')!;

function req(overrides: Parameters<typeof request>[2], directory = FIXTURES): ReadRequest {
  return request('files', { directory }, overrides);
}

const ids = (records: Record<string, unknown>[]) => records.map((r) => r.Id);

describe('files connector', () => {
  let scratch: string;
  before(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'pf-files-'));
  });
  after(() => rm(scratch, { recursive: true, force: true }));

  async function folder(object: string, entries: Record<string, string>): Promise<string> {
    const dir = await mkdtemp(join(scratch, 'src-'));
    await mkdir(join(dir, object), { recursive: true });
    for (const [name, text] of Object.entries(entries)) await writeFile(join(dir, object, name), text);
    return dir;
  }

  describe('windows', () => {
    test('reads JSON Lines then CSV in file-name order, only records inside the window, ignoring other files', async () => {
      const pages = await readAll(files, req({ start: '2024-01-01T00:00:00Z', end: '2024-01-04T00:00:00Z' }));
      assert.deepEqual(ids(flat(pages)), ['A1', 'A2', 'A3', 'A4', 'A7', 'A8', 'A9', 'A10', 'A11', 'A12']);
      // Files are read in name order, not time order: no page can say how far through the window it is.
      assert.ok(pages.every((p) => p.readThrough === undefined));
    });

    test('rows without a readable time are skipped and counted with the page that follows them, by reason', async () => {
      const lines = [
        { Id: 'T1', LastModifiedDate: '2024-01-01T01:00:00Z' },
        { Id: 'U1' },
        { Id: 'T2', LastModifiedDate: '2024-01-01T02:00:00Z' },
        { Id: 'U2', LastModifiedDate: 'not a time' },
        { Id: 'T3', LastModifiedDate: '2024-01-01T03:00:00Z' },
        { Id: 'U3', LastModifiedDate: null },
      ];
      const dir = await folder('Contact', { 'a.jsonl': `${lines.map((l) => JSON.stringify(l)).join('\n')}\n` });
      const pages = await readAll(files, req({ object: 'Contact', start: '2024-01-01T00:00:00Z', end: '2024-01-02T00:00:00Z', pageSize: 2 }, dir));
      assert.deepEqual(ids(flat(pages)), ['T1', 'T2', 'T3']);
      assert.deepEqual(pages.map((p) => p.skipped ?? {}), [{ 'no readable LastModifiedDate': 1 }, { 'no readable LastModifiedDate': 2 }]);
    });

    test('a record exactly at the window start is included and one exactly at its end is not', async () => {
      const day2 = flat(await readAll(files, req({ start: '2024-01-02T00:00:00Z', end: '2024-01-03T00:00:00Z' })));
      assert.deepEqual(ids(day2), ['A3', 'A4', 'A9', 'A10', 'A11', 'A12']);
      const day3 = flat(await readAll(files, req({ start: '2024-01-03T00:00:00Z', end: '2024-01-04T00:00:00Z' })));
      assert.deepEqual(ids(day3), ['A7', 'A8'], 'A7 at 2024-01-03T00:00 opens day 3; A8 at 23:59:59.999 is its last');
      const lastMs = flat(await readAll(files, req({ start: '2024-01-03T23:59:59.999Z', end: '2024-01-04T00:00:00Z' })));
      assert.deepEqual(ids(lastMs), ['A8']);
    });

    test('times may be ISO-8601 (with or without offset, read as UTC), epoch seconds or epoch milliseconds', async () => {
      const at = async (iso: string) =>
        ids(flat(await readAll(files, req({ start: iso, end: new Date(Date.parse(iso) + 1).toISOString() }))));
      assert.deepEqual(await at('2024-01-01T12:30:00Z'), ['A2']);
      assert.deepEqual(await at('2024-01-02T00:00:00Z'), ['A3'], 'epoch seconds 1704153600');
      assert.deepEqual(await at('2024-01-02T12:00:00Z'), ['A4'], 'epoch milliseconds 1704196800000');
      assert.deepEqual(await at('2024-01-03T00:00:00Z'), ['A7'], 'no offset means UTC');
      assert.deepEqual(await at('2024-01-02T08:00:00Z'), ['A11', 'A12'], 'epoch seconds as CSV text');
    });

    test('records without a readable time are skipped, whatever the window', async () => {
      const all = flat(await readAll(files, req({ start: '1970-01-01T00:00:00Z', end: '2100-01-01T00:00:00Z' })));
      assert.ok(!ids(all).includes('A5') && !ids(all).includes('A6'));
      assert.equal(all.length, 11);
    });

    test('an empty window yields no records; its one page only counts the rows without a readable time', async () => {
      const pages = await readAll(files, req({ start: '2025-01-01T00:00:00Z', end: '2025-02-01T00:00:00Z' }));
      assert.deepEqual(flat(pages), []);
      assert.deepEqual(pages.map((p) => p.skipped), [{ 'no readable LastModifiedDate': 2 }], 'A5 (no time) and A6 ("next tuesday")');
      const timed = await folder('Account', { 'a.jsonl': `${JSON.stringify({ Id: 'X', LastModifiedDate: '2024-01-01T00:00:00Z' })}\n` });
      assert.deepEqual(await readAll(files, req({ start: '2025-01-01T00:00:00Z', end: '2025-02-01T00:00:00Z' }, timed)), [], 'no page at all when nothing was skipped');
    });

    test('the datetime field of the flow decides the window', async () => {
      const records = flat(
        await readAll(
          files,
          req({ object: 'Contact', datetimeField: 'SystemModstamp', start: '2024-01-01T00:00:00Z', end: '2024-01-01T02:30:00Z' }),
        ),
      );
      assert.deepEqual(ids(records), ['C1'], 'C2 is deleted; C3 is later; LastModifiedDate (2023) is not consulted');
    });

    test('Salesforce flows leave out deleted records unless IncludeDeletedRecords is set; other sources keep them', async () => {
      const base = { object: 'Contact', datetimeField: 'SystemModstamp', start: '2024-01-01T00:00:00Z', end: '2024-01-02T00:00:00Z' };
      assert.deepEqual(ids(flat(await readAll(files, req(base)))), ['C1', 'C3']);
      assert.deepEqual(ids(flat(await readAll(files, req({ ...base, includeDeleted: true })))), ['C1', 'C2', 'C3']);
      assert.deepEqual(ids(flat(await readAll(files, req({ ...base, connectorType: 'Zendesk' })))), ['C1', 'C2', 'C3']);
    });
  });

  describe('formats', () => {
    test('CSV follows RFC 4180: quoted commas, doubled quotes, line breaks inside quotes, empty values, all as strings', async () => {
      const records = flat(await readAll(files, req({ start: '2024-01-02T06:00:00Z', end: '2024-01-02T09:00:00Z' })));
      assert.deepEqual(records, [
        { Id: 'A9', Name: 'Wayne, Enterprises', Notes: 'He said "hello"', LastModifiedDate: '2024-01-02T06:00:00Z' },
        { Id: 'A10', Name: 'Cyberdyne', Notes: 'first line\r\nsecond line', LastModifiedDate: '2024-01-02T07:00:00Z' },
        { Id: 'A11', Name: '', Notes: '', LastModifiedDate: '2024-01-02T08:00:00Z' },
        { Id: 'A12', Name: 'Tyrell', Notes: 'quoted, with "both" and\r\na break', LastModifiedDate: '1704182400' },
      ]);
    });

    test('JSON Lines values keep their JSON types', async () => {
      const [a8] = flat(await readAll(files, req({ start: '2024-01-03T12:00:00Z', end: '2024-01-04T00:00:00Z' })));
      assert.deepEqual(a8, { Id: 'A8', Name: 'Stark', LastModifiedDate: '2024-01-03T23:59:59.999+00:00', Revenue: 1200.5, Active: true });
    });

    test('a byte-order mark, LF line ends, a trailing comma and a last line without a line break are all read', async () => {
      const dir = await folder('Lead', {
        'leads.csv': '\uFEFFId,Empty,LastModifiedDate\nL1,,2024-01-01T00:00:00Z\n"L2",x,2024-01-01T00:00:01Z',
        'more.csv': 'Id,LastModifiedDate,Tail\r\n\r\nL3,2024-01-01T00:00:02Z,\r\n\n',
      });
      const records = flat(await readAll(files, req({ object: 'Lead', start: '2024-01-01T00:00:00Z', end: '2024-01-02T00:00:00Z' }, dir)));
      assert.deepEqual(records, [
        { Id: 'L1', Empty: '', LastModifiedDate: '2024-01-01T00:00:00Z' },
        { Id: 'L2', Empty: 'x', LastModifiedDate: '2024-01-01T00:00:01Z' },
        { Id: 'L3', LastModifiedDate: '2024-01-01T00:00:02Z', Tail: '' },
      ]);
    });

    test('a value far longer than the read buffer arrives whole', async () => {
      const long = 'x'.repeat(300_000);
      const dir = await folder('Big', {
        'a.jsonl': `${JSON.stringify({ Id: 'long', Text: long, LastModifiedDate: '2024-01-01T00:00:00Z' })}\n{"Id":"next","LastModifiedDate":"2024-01-01T00:00:00Z"}\n`,
      });
      const records = flat(await readAll(files, req({ object: 'Big', start: '2024-01-01T00:00:00Z', end: '2024-01-02T00:00:00Z' }, dir)));
      assert.equal(records.length, 2);
      assert.equal((records[0].Text as string).length, 300_000);
      assert.equal(records[1].Id, 'next');
    });
  });

  describe('S3 layout', () => {
    const s3 = (prefix: string | undefined) =>
      req({ connectorType: 'S3', object: 'exports-bucket', prefix, start: '2024-01-01T00:00:00Z', end: '2024-03-01T00:00:00Z' });

    test('BucketName is the folder and BucketPrefix selects the keys below it, as an S3 listing would', async () => {
      assert.deepEqual(ids(flat(await readAll(files, s3('2024/')))), ['S1', 'S2', 'S3']);
      assert.deepEqual(ids(flat(await readAll(files, s3('2024/01/')))), ['S1', 'S2']);
      assert.deepEqual(ids(flat(await readAll(files, s3('2024/02/part')))), ['S3']);
      assert.deepEqual(ids(flat(await readAll(files, s3('nothing-here/')))), []);
    });

    test('without a prefix an S3 flow reads every file of the bucket, in key order', async () => {
      assert.deepEqual(ids(flat(await readAll(files, s3(undefined)))), ['S1', 'S2', 'S3', 'S0']);
    });
  });

  describe('paging and resumption', () => {
    test('pages hold pageSize records, the last one the rest, and together they are the whole window', async () => {
      const window = { start: '2024-01-01T00:00:00Z', end: '2024-01-04T00:00:00Z' };
      const whole = flat(await readAll(files, req(window)));
      const pages = await readAll(files, req({ ...window, pageSize: 3 }));
      assert.deepEqual(pages.map((p) => p.records.length), [3, 3, 3, 1]);
      assert.deepEqual(flat(pages), whole);
    });

    test('resuming from any page cursor yields exactly the records not yet delivered, at every page size', async () => {
      for (const pageSize of [1, 2, 3, 4, 7, 10]) {
        await assertResumesFromEveryCursor(files, req({ pageSize, start: '2024-01-01T00:00:00Z', end: '2024-01-04T00:00:00Z' }));
      }
      await assertResumesFromEveryCursor(
        files,
        req({ pageSize: 1, connectorType: 'S3', object: 'exports-bucket', prefix: '', start: '2024-01-01T00:00:00Z', end: '2024-03-01T00:00:00Z' }),
      );
    });

    test('a cursor it did not issue is a permanent error', async () => {
      await expectSourceError(
        readAll(files, req({ cursor: 'garbage', start: '2024-01-01T00:00:00Z', end: '2024-01-04T00:00:00Z' })),
        'permanent',
        'cursor',
      );
    });

    test('a 200,000-record file is streamed: memory stays far below the file size and a resumed read seeks into it', async () => {
      const dir = await mkdtemp(join(scratch, 'big-'));
      await mkdir(join(dir, 'Account'));
      const path = join(dir, 'Account', 'big.jsonl');
      const out = createWriteStream(path);
      const padding = 'p'.repeat(200);
      const base = Date.UTC(2024, 0, 1);
      for (let i = 0; i < 200_000; i++) {
        const line = `{"Id":"R${i}","Padding":"${padding}","LastModifiedDate":${base + i * 1000}}\n`;
        if (!out.write(line)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
      }
      await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
      const fileBytes = 200_000 * 260;

      const window = { start: '2024-01-01T00:00:00Z', end: '2024-01-10T00:00:00Z', pageSize: 1000 };
      const baseline = retainedHeap();
      let peak = 0;
      let count = 0;
      let cursorAt100k: string | undefined;
      for await (const page of files.read(req(window, dir))) {
        count += page.records.length;
        if (count === 100_000) cursorAt100k = page.cursor;
        if (count % 50_000 === 0) peak = Math.max(peak, retainedHeap() - baseline);
      }
      assert.equal(count, 200_000);
      assert.ok(peak < fileBytes / 5, `retained ${peak} bytes while reading a ${fileBytes}-byte file`);

      const rest = await readAll(files, req({ ...window, cursor: cursorAt100k }, dir));
      assert.equal(flat(rest).length, 100_000);
      assert.equal(rest[0].records[0].Id, 'R100000');
    });
  });

  describe('errors', () => {
    test('a missing directory is a permanent error naming it', async () => {
      const missing = join(scratch, 'does-not-exist');
      await expectSourceError(
        readAll(files, req({ start: '2024-01-01T00:00:00Z', end: '2024-01-02T00:00:00Z' }, missing)),
        'permanent',
        missing,
        'files-test',
      );
    });

    test('a missing Object folder is a permanent error naming the object and the folder expected, not the server path', async () => {
      const error = await expectSourceError(
        readAll(files, req({ object: 'Opportunity', start: '2024-01-01T00:00:00Z', end: '2024-01-02T00:00:00Z' })),
        'permanent',
        "'Opportunity'",
        'in its directory',
      );
      // Step messages reach tenants; the operator's folders are not theirs to see.
      assert.ok(!error.message.includes(FIXTURES));
    });

    test('an object that climbs out of the directory is refused', async () => {
      await expectSourceError(
        readAll(files, req({ object: '../files-source', start: '2024-01-01T00:00:00Z', end: '2024-01-02T00:00:00Z' }, join(FIXTURES, 'Account'))),
        'permanent',
        'inside',
      );
    });

    test('malformed JSON is a permanent error naming the file and line, after the pages before it were delivered', async () => {
      const delivered: unknown[] = [];
      const error = await expectSourceError(
        (async () => {
          for await (const page of files.read(req({ object: 'Broken', pageSize: 1, start: '2024-01-01T00:00:00Z', end: '2024-01-02T00:00:00Z' }))) {
            delivered.push(...page.records);
          }
        })(),
        'permanent',
        'Line 3',
        "'broken.jsonl'",
      );
      assert.match(error.message, /not valid JSON/);
      assert.deepEqual(ids(delivered as Record<string, unknown>[]), ['B1', 'B2']);
    });

    test('line numbers stay right in errors met after a resume', async () => {
      const line = (id: string) => `{"Id":"${id}","LastModifiedDate":"2024-01-01T00:00:00Z"}`;
      const dir = await folder('X', { 'a.jsonl': [line('1'), '', line('2'), line('3'), '{"Id":', line('4')].join('\n') });
      const window = { object: 'X', pageSize: 1, start: '2024-01-01T00:00:00Z', end: '2024-01-02T00:00:00Z' };
      const cursors: string[] = [];
      await expectSourceError(
        (async () => {
          for await (const page of files.read(req(window, dir))) cursors.push(page.cursor);
        })(),
        'permanent',
        'Line 5',
      );
      assert.equal(cursors.length, 3);
      for (const cursor of cursors) {
        await expectSourceError(readAll(files, req({ ...window, cursor }, dir)), 'permanent', 'Line 5', "'a.jsonl'");
      }
    });

    test('a JSON line that is not an object, an unterminated quote and a short CSV row are permanent errors', async () => {
      const window = { start: '2024-01-01T00:00:00Z', end: '2024-01-02T00:00:00Z' };
      const array = await folder('X', { 'a.jsonl': '{"Id":1}\n[1,2]\n' });
      await expectSourceError(readAll(files, req({ object: 'X', ...window }, array)), 'permanent', 'Line 2', 'not a JSON object');
      const open = await folder('X', { 'a.csv': 'Id,LastModifiedDate\n"unterminated,2024-01-01T00:00:00Z\nmore\n' });
      await expectSourceError(readAll(files, req({ object: 'X', ...window }, open)), 'permanent', "'a.csv'", 'quoted value', 'line 2');
      const short = await folder('X', { 'a.csv': 'Id,Name,LastModifiedDate\n1,2024-01-01T00:00:00Z\n' });
      await expectSourceError(readAll(files, req({ object: 'X', ...window }, short)), 'permanent', 'line 2', '2 values', '3 columns');
      const junk = await folder('X', { 'a.csv': 'Id,LastModifiedDate\n"a"b,2024-01-01T00:00:00Z\n' });
      await expectSourceError(readAll(files, req({ object: 'X', ...window }, junk)), 'permanent', 'Line 2', 'closing quote');
    });

    test('a data file that cannot be read is a permanent error naming it', async () => {
      const dir = await folder('X', { 'a.jsonl': '{"Id":"ok","LastModifiedDate":"2024-01-01T00:00:00Z"}\n' });
      await symlink(join(dir, 'nowhere.jsonl'), join(dir, 'X', 'b.jsonl'));
      await expectSourceError(
        readAll(files, req({ object: 'X', start: '2024-01-01T00:00:00Z', end: '2024-01-02T00:00:00Z' }, dir)),
        'permanent',
        "'b.jsonl'",
        'ENOENT',
      );
    });

    test('settings are checked: a directory is required and unknown settings are named', () => {
      assert.deepEqual(problemsOf(files.parseSettings({ directory: '/data' })), []);
      assert.match(problemsOf(files.parseSettings({})).join(' '), /'directory' is required/);
      assert.match(problemsOf(files.parseSettings({ directory: '/d', dir: 'x' })).join(' '), /Unknown setting 'dir'/);
      assert.match(problemsOf(files.parseSettings({ directory: 5 })).join(' '), /'directory' must be a non-empty string/);
    });

    test('an aborted read stops with the abort reason', async () => {
      const controller = new AbortController();
      controller.abort(new Error('workflow deleted'));
      await assert.rejects(
        readAll(files, req({ signal: controller.signal, start: '2024-01-01T00:00:00Z', end: '2024-01-04T00:00:00Z' })),
        /workflow deleted/,
      );
    });

    test('a read aborted while it lists the folders stops with the abort reason (DeleteWorkflow during a long walk)', async () => {
      const dir = await folder('Bucket', {});
      for (let i = 0; i < 50; i++) await mkdir(join(dir, 'Bucket', `d${i}`));
      const controller = new AbortController();
      const pages = files.read(req({ signal: controller.signal, connectorType: 'S3', object: 'Bucket', start: '2024-01-01T00:00:00Z', end: '2024-01-04T00:00:00Z' }, dir));
      // next() runs the read up to its first await (resolving the directory): the abort lands before the walk.
      const first = pages[Symbol.asyncIterator]().next();
      controller.abort(new Error('workflow deleted'));
      await assert.rejects(first, /workflow deleted/);
    });

    test('folders nested deeper than the walk goes are a permanent error saying so (fails without the bound)', async () => {
      const dir = await folder('Bucket', {});
      let deep = join(dir, 'Bucket');
      for (let i = 0; i < 34; i++) deep = join(deep, 'n');
      await mkdir(deep, { recursive: true });
      await writeFile(join(deep, 'a.jsonl'), '{"Id":"1","LastModifiedDate":"2024-01-02T00:00:00Z"}\n');
      await expectSourceError(
        readAll(files, req({ connectorType: 'S3', object: 'Bucket', start: '2024-01-01T00:00:00Z', end: '2024-01-04T00:00:00Z' }, dir)),
        'permanent',
        'nested more than 32 folders deep',
      );
    });

    test('two links to one folder are refused rather than read twice', async () => {
      const dir = await folder('Bucket', { 'a.jsonl': '{"Id":"1","LastModifiedDate":"2024-01-02T00:00:00Z"}\n' });
      await mkdir(join(dir, 'shared'));
      await writeFile(join(dir, 'shared', 'b.jsonl'), '{"Id":"2","LastModifiedDate":"2024-01-02T00:00:00Z"}\n');
      await symlink(join(dir, 'shared'), join(dir, 'Bucket', 'l1'));
      await symlink(join(dir, 'shared'), join(dir, 'Bucket', 'l2'));
      await expectSourceError(
        readAll(files, req({ connectorType: 'S3', object: 'Bucket', start: '2024-01-01T00:00:00Z', end: '2024-01-04T00:00:00Z' }, dir)),
        'permanent',
        'is reached twice through links',
      );
    });

    test('estimate declines to guess', async () => {
      assert.equal(await files.estimate?.(req({ start: '2024-01-01T00:00:00Z', end: '2024-01-04T00:00:00Z' })), undefined);
    });
  });
});

describe('files rows without a readable time, in a workflow', () => {
  test("the step's message says how many rows were skipped and why", async (t) => {
    const s = await startServer('sqlite');
    t.after(() => s.close());
    const { workflow } = await runSourceWorkflow(s, {
      domain: 'untimed',
      objectType: 'Account',
      idField: 'Id',
      kind: 'files',
      connectorType: 'Salesforce',
      settings: { directory: FIXTURES },
      sourceProperties: { Salesforce: { Object: 'Account' } },
      batches: [{ StartTime: new Date('2024-01-01T00:00:00Z'), EndTime: new Date('2024-01-04T00:00:00Z') }],
    });
    assert.equal(workflow.Status, 'COMPLETE', workflow.ErrorDescription);
    assert.equal(workflow.Metrics?.AppflowIntegration?.RecordsProcessed, 10);
    const { steps } = await allSteps(s.client, 'untimed', workflow.WorkflowId!);
    assert.match(steps[0].ExecutionMessage ?? '', /; 2 dropped \(no readable LastModifiedDate: 2\)\.$/);
  });
});
