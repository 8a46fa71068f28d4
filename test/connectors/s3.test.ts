import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { after, before, describe, test } from 'node:test';
import {
  CreateDomainCommand,
  CreateIntegrationWorkflowCommand,
  GetWorkflowCommand,
  ListProfileObjectsCommand,
} from '@aws-sdk/client-customer-profiles';
import { connectorFor } from '../../src/connectors/index.js';
import { maskSecrets } from '../../src/connectors/profiles.js';
import type { ReadRequest, SourcePage } from '../../src/connectors/types.js';
import { availableBackends } from '../helpers/backends.js';
import {
  assertResumesFromEveryCursor,
  expectSourceError,
  flat,
  readAll,
  request,
  retainedHeap,
  retainedMemory,
} from '../helpers/connectors.js';
import { profileOf } from '../helpers/profile-objects.js';
import { type FaultProxy, type S3TestServer, startFaultProxy, startS3Server } from '../helpers/s3-server.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { FLOW, OBJECT_TYPE, putObjectType, uniqueProfileName, withMember, workflowRequest } from '../helpers/workflows.js';
import { problemsOf } from '../../src/domain/problem.js';

const s3 = connectorFor('s3')!;
const BACKENDS = await availableBackends();
const BUCKET = 'pf-exports';
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const T0 = Date.UTC(2024, 0, 1);
/** Contact n happens 6 hours after contact n-1: C01 at 2024-01-01T00:00Z … C22 at 2024-01-06T06:00Z. */
const timeOf = (n: number) => new Date(T0 + (n - 1) * 6 * HOUR).toISOString();
const idOf = (n: number) => `C${String(n).padStart(2, '0')}`;
const contact = (n: number, extra: Record<string, unknown> = {}) => ({ Id: idOf(n), Email: `c${n}@example.com`, ...extra, LastModifiedDate: timeOf(n) });
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
const ids = (records: Record<string, unknown>[]) => records.map((r) => r.Id);
const jsonl = (ns: number[]) => ns.map((n) => JSON.stringify(contact(n))).join('\n') + '\n';
const csv = (ns: number[]) => 'Id,Email,LastModifiedDate\r\n' + ns.map((n) => `${idOf(n)},c${n}@example.com,${timeOf(n)}\r\n`).join('');

// The environment variables the profiles name; s3rver knows one key pair and checks only its id.
process.env.PF_S3_TEST_KEY_ID = 'S3RVER';
process.env.PF_S3_TEST_SECRET = 'S3RVER';
process.env.PF_S3_TEST_UNKNOWN_KEY_ID = 'AKIAPROFILEFLOWTEST';

function settingsFor(endpoint: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    endpoint,
    forcePathStyle: true,
    region: 'us-east-1',
    accessKeyIdEnv: 'PF_S3_TEST_KEY_ID',
    secretAccessKeyEnv: 'PF_S3_TEST_SECRET',
    ...extra,
  };
}

describe('s3 connector against s3rver on loopback', () => {
  let server: S3TestServer;
  let proxy: FaultProxy;
  let settings: Record<string, unknown>;

  function req(overrides: Omit<Parameters<typeof request>[2], 'start' | 'end'> & { start?: string; end?: string }, use = settings): ReadRequest {
    return request('s3', use, {
      connectorType: 'S3',
      object: BUCKET,
      prefix: 'contacts/',
      datetimeField: 'LastModifiedDate',
      start: '2024-01-01T00:00:00Z',
      end: '2024-02-01T00:00:00Z',
      ...overrides,
    });
  }

  before(async () => {
    server = await startS3Server();
    proxy = await startFaultProxy(server.endpoint);
    settings = settingsFor(server.endpoint);
    await server.createBucket(BUCKET);
    const c08 = contact(8, { Tags: ['a]', '{b'], Note: 'a "quoted" ] and } inside', Nested: { deep: [1, { x: null }] }, Name: 'Zoë' });
    const objects: [string, string | Buffer, string?][] = [
      // JSON Lines with CRLF ends and a blank line in the middle.
      ['contacts/2024/01/a.jsonl', `${JSON.stringify(contact(1))}\r\n${JSON.stringify(contact(2))}\n\n${JSON.stringify(contact(3))}\n${JSON.stringify(contact(4))}`],
      ['contacts/2024/01/b.ndjson.gz', gzipSync(jsonl([5, 6, 7]))],
      // A pretty-printed JSON array whose strings hold brackets, braces and escaped quotes.
      ['contacts/2024/02/c.json', JSON.stringify([c08, contact(9), contact(10)], null, 2)],
      ['contacts/2024/02/d.json.gz', gzipSync(JSON.stringify([contact(11), contact(12)]))],
      [
        'contacts/2024/03/e.csv',
        'Id,Email,Note,LastModifiedDate\r\n' +
          `C13,c13@example.com,"Wayne, Enterprises",${timeOf(13)}\r\n` +
          `C14,c14@example.com,"first line\r\nsecond line",${timeOf(14)}\r\n` +
          `C15,c15@example.com,"He said ""hi""",${timeOf(15)}\r\n`,
      ],
      ['contacts/2024/03/f.csv.gz', gzipSync(csv([16, 17]))],
      // Compressed, said only by Content-Encoding.
      ['contacts/2024/03/g.csv', gzipSync(csv([18, 19])), 'gzip'],
      // Objects back to back, as Kinesis Data Firehose writes them.
      ['contacts/2024/04/h.json', `${JSON.stringify(contact(20))}${JSON.stringify(contact(21))}\n${JSON.stringify(contact(22))}\n`],
      ['contacts/2024/_SUCCESS', ''],
      ['contacts/manifest.txt', 'not data'],
      ['contactsarchive/old.jsonl', JSON.stringify({ Id: 'X1', LastModifiedDate: timeOf(1) }) + '\n'],
      ['other/x.jsonl', JSON.stringify({ Id: 'O1', LastModifiedDate: timeOf(1) }) + '\n'],
    ];
    for (const [key, body, encoding] of objects) await server.put(BUCKET, key, body, { contentEncoding: encoding });
  });
  after(async () => {
    await proxy?.close();
    await server?.close();
  });

  describe('formats and prefixes', () => {
    test('reads JSON Lines, JSON arrays, back-to-back JSON and CSV, plain and gzip, in key order, skipping objects that are not data', async () => {
      const pages = await readAll(s3, req({}));
      assert.deepEqual(ids(flat(pages)), range(1, 22).map(idOf));
      // Objects are read in key order, not time order: no page can say how far through the window it is.
      assert.ok(pages.every((p) => p.readThrough === undefined));
    });

    test('JSON keeps its types and nesting; CSV follows RFC 4180 and gives strings', async () => {
      const records = flat(await readAll(s3, req({})));
      assert.deepEqual(records[7], {
        Id: 'C08',
        Email: 'c8@example.com',
        Tags: ['a]', '{b'],
        Note: 'a "quoted" ] and } inside',
        Nested: { deep: [1, { x: null }] },
        Name: 'Zoë',
        LastModifiedDate: timeOf(8),
      });
      assert.deepEqual(records.slice(12, 15), [
        { Id: 'C13', Email: 'c13@example.com', Note: 'Wayne, Enterprises', LastModifiedDate: timeOf(13) },
        { Id: 'C14', Email: 'c14@example.com', Note: 'first line\r\nsecond line', LastModifiedDate: timeOf(14) },
        { Id: 'C15', Email: 'c15@example.com', Note: 'He said "hi"', LastModifiedDate: timeOf(15) },
      ]);
      assert.deepEqual(records[17], { Id: 'C18', Email: 'c18@example.com', LastModifiedDate: timeOf(18) }, 'gzip by Content-Encoding');
    });

    test('BucketPrefix is a plain key prefix, as ListObjectsV2 treats it; without one the whole bucket is read', async () => {
      assert.deepEqual(ids(flat(await readAll(s3, req({ prefix: 'contacts/2024/03/' })))), ['C13', 'C14', 'C15', 'C16', 'C17', 'C18', 'C19']);
      assert.deepEqual(ids(flat(await readAll(s3, req({ prefix: 'contacts/2024/02/d' })))), ['C11', 'C12']);
      assert.deepEqual(ids(flat(await readAll(s3, req({ prefix: 'contacts' })))), [...range(1, 22).map(idOf), 'X1']);
      assert.deepEqual(ids(flat(await readAll(s3, req({ prefix: undefined })))), [...range(1, 22).map(idOf), 'X1', 'O1']);
      assert.deepEqual(await readAll(s3, req({ prefix: 'nothing-here/' })), []);
    });

    test('the format setting reads every object as that format, whatever its name', async () => {
      await server.put(BUCKET, 'renamed/export.txt', jsonl([1, 2]));
      await server.put(BUCKET, 'renamed/more.data.gz', gzipSync(jsonl([3])));
      assert.deepEqual(await readAll(s3, req({ prefix: 'renamed/' })), [], 'unknown extensions are not data by default');
      const records = flat(await readAll(s3, req({ prefix: 'renamed/' }, { ...settings, format: 'jsonl' })));
      assert.deepEqual(ids(records), ['C01', 'C02', 'C03']);
    });

    test('a listing longer than one ListObjectsV2 page is followed to its end', async () => {
      // s3rver, like S3, lists at most 1000 keys a page. A bucket of its own keeps the other reads short.
      await server.createBucket('pf-many');
      const keys = range(1, 1003).map((i) => `many/${String(i).padStart(5, '0')}.jsonl`);
      for (let i = 0; i < keys.length; i += 50) {
        await Promise.all(keys.slice(i, i + 50).map((key, j) => server.put('pf-many', key, JSON.stringify({ Id: `M${i + j + 1}`, LastModifiedDate: timeOf(1) }))));
      }
      const pages = await readAll(s3, req({ object: 'pf-many', prefix: 'many/', pageSize: 400 }));
      assert.deepEqual(pages.map((p) => p.records.length), [400, 400, 203]);
      assert.deepEqual(ids(flat(pages)), range(1, 1003).map((i) => `M${i}`));
      const rest = flat(await readAll(s3, req({ object: 'pf-many', prefix: 'many/', cursor: pages[1].cursor })));
      assert.deepEqual(ids(rest), range(801, 1003).map((i) => `M${i}`), 'a resumed listing starts after the cursor\'s key');
    });
  });

  describe('windows', () => {
    test('with a datetime field, records in [start, end) are read from every object, whatever its age', async () => {
      const records = flat(await readAll(s3, req({ start: '2024-01-02T00:00:00Z', end: '2024-01-04T00:00:00Z' })));
      assert.deepEqual(ids(records), range(5, 12).map(idOf), 'C05 opens the window at 2024-01-02T00:00; C13 at 2024-01-04T00:00 is out');
    });

    test('without one, whole objects are in or out by LastModified, and the records\' own times are not consulted', async () => {
      await server.setLastModified(BUCKET, 'contacts/2024/01/a.jsonl', new Date('2024-03-01T00:00:00Z'));
      await server.setLastModified(BUCKET, 'contacts/2024/01/b.ndjson.gz', new Date('2024-02-29T23:59:59Z'));
      await server.setLastModified(BUCKET, 'contacts/2024/02/c.json', new Date('2024-03-15T12:00:00Z'));
      await server.setLastModified(BUCKET, 'contacts/2024/03/e.csv', new Date('2024-03-31T23:59:59Z'));
      await server.setLastModified(BUCKET, 'contacts/2024/03/f.csv.gz', new Date('2024-04-01T00:00:00Z'));
      const window = { datetimeField: undefined, start: '2024-03-01T00:00:00Z', end: '2024-04-01T00:00:00Z' };
      const records = flat(await readAll(s3, req(window)));
      assert.deepEqual(ids(records), [...range(1, 4), ...range(8, 10), ...range(13, 15)].map(idOf));
      await assertResumesFromEveryCursor(s3, req({ ...window, pageSize: 2 }));
    });

    test('an empty window yields no page at all', async () => {
      assert.deepEqual(await readAll(s3, req({ start: '2030-01-01T00:00:00Z', end: '2030-02-01T00:00:00Z' })), []);
    });
  });

  describe('paging and resumption', () => {
    test('pages hold pageSize records and resuming from any cursor yields exactly the rest, at every page size', async () => {
      const pages = await readAll(s3, req({ pageSize: 5 }));
      assert.deepEqual(pages.map((p) => p.records.length), [5, 5, 5, 5, 2]);
      for (const pageSize of [1, 2, 3, 7]) await assertResumesFromEveryCursor(s3, req({ pageSize }));
      await assertResumesFromEveryCursor(s3, req({ pageSize: 1, prefix: undefined, start: '2024-01-03T00:00:00Z' }));
    });

    test('a plain object resumes with a Range GET from the offset; a gzip one is read again from its start', async () => {
      const pages = await readAll(s3, req({ pageSize: 1 }, settingsFor(proxy.endpoint)));
      const inArray = pages[8].cursor; // after C09, inside c.json
      const inGzip = pages[5].cursor; // after C06, inside b.ndjson.gz
      assert.equal(JSON.parse(inArray).key, 'contacts/2024/02/c.json');
      proxy.clear();
      const rest = flat(await readAll(s3, req({ cursor: inArray }, settingsFor(proxy.endpoint))));
      assert.deepEqual(ids(rest), range(10, 22).map(idOf));
      const offset = JSON.parse(inArray).offset as number;
      assert.ok(proxy.requests.includes(`GET /${BUCKET}/contacts/2024/02/c.json?x-id=GetObject range=bytes=${offset}-`), proxy.requests.join('\n'));
      proxy.clear();
      assert.deepEqual(ids(flat(await readAll(s3, req({ cursor: inGzip }, settingsFor(proxy.endpoint))))), range(7, 22).map(idOf));
      assert.ok(proxy.requests.includes(`GET /${BUCKET}/contacts/2024/01/b.ndjson.gz?x-id=GetObject`), proxy.requests.join('\n'));
    });

    test('a cursor into an object that has changed since is refused rather than read at a stale offset', async () => {
      await server.put(BUCKET, 'changing/a.jsonl', jsonl([1, 2, 3]));
      const [first] = await readAll(s3, req({ prefix: 'changing/', pageSize: 1 }));
      await server.put(BUCKET, 'changing/a.jsonl', jsonl([4, 5, 6, 7]));
      await expectSourceError(readAll(s3, req({ prefix: 'changing/', cursor: first.cursor })), 'permanent', "'changing/a.jsonl'", 'changed');
    });

    test('a cursor it did not issue, or one outside the prefix, is a permanent error', async () => {
      await expectSourceError(readAll(s3, req({ cursor: 'garbage' })), 'permanent', 'cursor');
      const [page] = await readAll(s3, req({ prefix: 'other/' }));
      await expectSourceError(readAll(s3, req({ cursor: page.cursor })), 'permanent', "'other/x.jsonl'", "'contacts/'");
    });

    test('an object of at least 200 MB is streamed: heap stays flat while reading it, and a resumed read seeks into it', async (t) => {
      const bucket = 'pf-big';
      await server.createBucket(bucket);
      const pad = 'p'.repeat(160);
      const element = (i: number) =>
        `{"Id":"R${String(i).padStart(7, '0')}","Email":"r${String(i).padStart(7, '0')}@example.com","Padding":"${pad}",` +
        `"LastModifiedDate":"${new Date(T0 + i * 1000).toISOString()}"}`;
      const elementBytes = Buffer.byteLength(element(0));
      const count = Math.ceil((200 * 1024 * 1024) / (elementBytes + 2));
      const size = 2 + count * elementBytes + (count - 1) * 2 + 3; // "[\n", elements joined by ",\n", "\n]\n"
      const body = Readable.from(
        (function* () {
          yield Buffer.from('[\n');
          for (let i = 0; i < count; i += 4096) {
            const parts: string[] = [];
            for (let j = i; j < Math.min(count, i + 4096); j++) parts.push(element(j));
            yield Buffer.from(parts.join(',\n') + (i + 4096 < count ? ',\n' : '\n]\n'));
          }
        })(),
      );
      await server.put(bucket, 'big/contacts.json', body, { contentLength: size });

      const read = req({ prefix: 'big/', pageSize: 1000, start: new Date(T0).toISOString(), end: new Date(T0 + count * 1000).toISOString() });
      const big = { ...read, object: bucket };
      const baseline = retainedHeap();
      const rssBaseline = process.memoryUsage.rss();
      const memoryBaseline = retainedMemory();
      let heapPeak = 0;
      let memoryPeak = 0;
      let rssPeak = 0;
      let seen = 0;
      let pagesRead = 0;
      let midCursor: string | undefined;
      for await (const page of s3.read(big)) {
        seen += page.records.length;
        pagesRead++;
        rssPeak = Math.max(rssPeak, process.memoryUsage.rss() - rssBaseline);
        if (seen === 400_000) midCursor = page.cursor;
        if (pagesRead % 100 === 0) {
          heapPeak = Math.max(heapPeak, retainedHeap() - baseline);
          memoryPeak = Math.max(memoryPeak, retainedMemory() - memoryBaseline);
        }
      }
      const mb = (n: number) => (n / 1024 / 1024).toFixed(1);
      t.diagnostic(
        `object ${mb(size)} MB, ${count} records; retained heap growth peak ${mb(heapPeak)} MB; retained memory (heap and buffers) growth peak ${mb(memoryPeak)} MB; RSS growth peak ${mb(rssPeak)} MB`,
      );
      assert.ok(size >= 200 * 1024 * 1024);
      assert.equal(seen, count);
      assert.ok(heapPeak < 100 * 1024 * 1024, `retained heap grew by ${mb(heapPeak)} MB while reading a ${mb(size)} MB object`);
      // Buffers live outside the heap: an object held whole in them would show here. RSS is reported, not
      // asserted: under a loaded machine the allocator's slack alone moved it past 100 MB with nothing held.
      assert.ok(memoryPeak < size / 2, `heap and buffers grew by ${mb(memoryPeak)} MB while reading a ${mb(size)} MB object`);

      assert.ok(midCursor);
      assert.ok((JSON.parse(midCursor) as { offset: number }).offset > 90 * 1024 * 1024, 'the cursor is a byte offset deep into the object');
      let resumed = 0;
      for await (const page of s3.read({ ...big, cursor: midCursor })) {
        assert.equal(page.records[0].Id, 'R0400000');
        assert.equal(page.records.length, 1000);
        resumed++;
        break;
      }
      assert.equal(resumed, 1, 'a page was read from the cursor');
    });
  });

  describe('failures', () => {
    const viaProxy = (extra: Record<string, unknown> = {}) => settingsFor(proxy.endpoint, { maxAttempts: 1, ...extra });
    const isGet = (key: string) => (method: string, url: string) => method === 'GET' && url.startsWith(`/${BUCKET}/${key}?`);
    const isList = (method: string, url: string) => method === 'GET' && url.includes('list-type=2');

    test('a bucket that does not exist is a permanent error naming it', async () => {
      const error = await expectSourceError(readAll(s3, req({ object: 'pf-no-such-bucket' })), 'permanent', "'pf-no-such-bucket'", 'NoSuchBucket');
      assert.match(error.message, /does not exist/);
    });

    test('an access key id the server does not know is a permanent InvalidAccessKeyId naming the setting, not the key', async () => {
      const wrong = settingsFor(server.endpoint, { accessKeyIdEnv: 'PF_S3_TEST_UNKNOWN_KEY_ID' });
      const error = await expectSourceError(readAll(s3, req({}, wrong)), 'permanent', 'InvalidAccessKeyId', `'${BUCKET}'`, 'accessKeyIdEnv');
      assert.ok(!error.message.includes('AKIAPROFILEFLOWTEST'), error.message);
    });

    test('AccessDenied and SignatureDoesNotMatch are permanent, naming the bucket or the key and the cause', async () => {
      proxy.clear();
      proxy.inject({ fault: { kind: 'error', status: 403, code: 'AccessDenied', message: 'Access Denied' }, match: isGet('contacts/2024/02/c.json') });
      const denied = await expectSourceError(readAll(s3, req({}, viaProxy())), 'permanent', 'AccessDenied', "'contacts/2024/02/c.json'", `'${BUCKET}'`);
      assert.match(denied.message, /s3:GetObject/);
      proxy.clear();
      proxy.inject({
        fault: { kind: 'error', status: 403, code: 'SignatureDoesNotMatch', message: 'The request signature we calculated does not match the signature you provided.' },
        match: isList,
      });
      await expectSourceError(readAll(s3, req({}, viaProxy())), 'permanent', 'SignatureDoesNotMatch', `'${BUCKET}'`, 'secretAccessKeyEnv');
      proxy.clear();
    });

    test('throttling (503 SlowDown), a 500 and connection resets are transient', async () => {
      proxy.clear();
      proxy.inject({ fault: { kind: 'error', status: 503, code: 'SlowDown', message: 'Please reduce your request rate.' }, match: isList });
      await expectSourceError(readAll(s3, req({}, viaProxy())), 'transient', 'SlowDown', `'${BUCKET}'`);
      proxy.clear();
      proxy.inject({ fault: { kind: 'error', status: 500, code: 'InternalError', message: 'We encountered an internal error.' }, match: isGet('contacts/2024/01/a.jsonl') });
      await expectSourceError(readAll(s3, req({}, viaProxy())), 'transient', 'InternalError', "'contacts/2024/01/a.jsonl'");
      proxy.clear();
      proxy.inject({ fault: { kind: 'reset' }, match: isGet('contacts/2024/03/e.csv') });
      await expectSourceError(readAll(s3, req({}, viaProxy())), 'transient', "'contacts/2024/03/e.csv'", 'connection');
      proxy.clear();
    });

    test('the SDK\'s own retries absorb a single SlowDown when maxAttempts allows them', async () => {
      proxy.clear();
      proxy.inject({ fault: { kind: 'error', status: 503, code: 'SlowDown', message: 'Please reduce your request rate.' }, match: isList, times: 1 });
      const records = flat(await readAll(s3, req({}, viaProxy({ maxAttempts: 3 }))));
      assert.deepEqual(ids(records), range(1, 22).map(idOf));
      assert.equal(proxy.requests.filter((r) => r.includes('list-type=2')).length, 2, 'the listing was asked twice');
      proxy.clear();
    });

    test('a connection reset in the middle of an object is transient, and resuming from the last page loses nothing', async () => {
      const lines = range(1, 2000).map((i) => JSON.stringify({ Id: `L${i}`, Text: 'x'.repeat(100), LastModifiedDate: timeOf(1) }));
      await server.put(BUCKET, 'long/a.jsonl', lines.join('\n'));
      const long = (cursor?: string) => req({ prefix: 'long/', pageSize: 100, cursor }, viaProxy());
      proxy.clear();
      proxy.inject({ fault: { kind: 'reset-body', afterBytes: 100_000 }, match: isGet('long/a.jsonl'), times: 1 });
      const delivered: SourcePage[] = [];
      await expectSourceError(
        (async () => {
          for await (const page of s3.read(long())) delivered.push(page);
        })(),
        'transient',
        "'long/a.jsonl'",
      );
      assert.ok(delivered.length > 0 && flat(delivered).length < 2000, `${flat(delivered).length} records before the reset`);
      const rest = flat(await readAll(s3, long(delivered[delivered.length - 1].cursor)));
      assert.deepEqual(ids([...flat(delivered), ...rest]), range(1, 2000).map((i) => `L${i}`));
      proxy.clear();
    });

    test('a malformed record is permanent, naming the object and the line, after the pages before it were delivered', async () => {
      await server.put(BUCKET, 'broken/a.jsonl', `${JSON.stringify(contact(1))}\n${JSON.stringify(contact(2))}\n{"Id": "C03",\n`);
      const delivered: unknown[] = [];
      await expectSourceError(
        (async () => {
          for await (const page of s3.read(req({ prefix: 'broken/a', pageSize: 1 }))) delivered.push(...page.records);
        })(),
        'permanent',
        'Line 3',
        "'broken/a.jsonl'",
        'not valid JSON',
      );
      assert.deepEqual(ids(delivered as Record<string, unknown>[]), ['C01', 'C02']);

      await server.put(BUCKET, 'broken/b.csv.gz', gzipSync('Id,LastModifiedDate\n"x"y,2024-01-01T00:00:00Z\n'));
      await expectSourceError(readAll(s3, req({ prefix: 'broken/b' })), 'permanent', 'Line 2', "'broken/b.csv.gz'", 'not valid CSV');
      await server.put(BUCKET, 'broken/c.csv', 'Id,Name,LastModifiedDate\n1,2024-01-01T00:00:00Z\n');
      await expectSourceError(readAll(s3, req({ prefix: 'broken/c' })), 'permanent', 'line 2', "'broken/c.csv'", '3 columns');
      await server.put(BUCKET, 'broken/d.json', '[\n  {"Id": "C01"},\n  {"Id": tru}\n]');
      await expectSourceError(readAll(s3, req({ prefix: 'broken/d' })), 'permanent', 'Element 2 (line 3)', "'broken/d.json'", 'not valid JSON');
      await server.put(BUCKET, 'broken/e.json', '[{"Id": "C01"} {"Id": "C02"}]');
      await expectSourceError(readAll(s3, req({ prefix: 'broken/e' })), 'permanent', "'broken/e.json'", "expected ',' or ']'", 'line 1');
      await server.put(BUCKET, 'broken/f.json', '[{"Id": "C01"},\n[1, 2]]');
      await expectSourceError(readAll(s3, req({ prefix: 'broken/f' })), 'permanent', 'Element 2 (line 2)', 'not a JSON object');
      await server.put(BUCKET, 'broken/g.json', '[{"Id": "C01", "LastModifiedDate": "2024-01-01T00:00:00Z"}');
      await expectSourceError(readAll(s3, req({ prefix: 'broken/g' })), 'permanent', "'broken/g.json'", "no closing ']'");
      await server.put(BUCKET, 'broken/h.jsonl.gz', Buffer.from('this is not gzip'));
      await expectSourceError(readAll(s3, req({ prefix: 'broken/h' })), 'permanent', "'broken/h.jsonl.gz'", 'gzip');
    });

    test('a credential variable that is not set is a permanent error naming the variable, not a value', async () => {
      const missing = settingsFor(server.endpoint, { secretAccessKeyEnv: 'PF_S3_TEST_NOT_SET' });
      await expectSourceError(readAll(s3, req({}, missing)), 'permanent', 'PF_S3_TEST_NOT_SET', 'secretAccessKeyEnv', 's3-test');
    });

    test('an aborted read stops with the abort reason', async () => {
      const controller = new AbortController();
      controller.abort(new Error('workflow deleted'));
      await assert.rejects(readAll(s3, req({ signal: controller.signal })), /workflow deleted/);
    });

    test('estimate declines to guess', async () => {
      assert.equal(await s3.estimate?.(req({})), undefined);
    });
  });

  describe('settings', () => {
    test('are checked as data: names of variables, never secrets, and nothing else', () => {
      assert.deepEqual(problemsOf(s3.parseSettings({})), [], 'the default credential chain and region need no settings');
      assert.deepEqual(problemsOf(s3.parseSettings(settingsFor('https://s3.example.com:9000', { format: 'csv', compression: 'gzip', sessionTokenEnv: 'TOKEN', maxAttempts: 5 }))), []);
      const secret = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
      const literal = problemsOf(s3.parseSettings({ secretAccessKey: secret, accessKeyId: 'AKIAIOSFODNN7EXAMPLE' })).join(' ');
      assert.match(literal, /'secretAccessKey' would keep a credential in clear/);
      assert.match(literal, /secretAccessKeyEnv/);
      assert.ok(!literal.includes(secret) && !literal.includes('AKIAIOSFODNN7EXAMPLE'), literal);
      const inEnvName = problemsOf(s3.parseSettings({ accessKeyIdEnv: 'A', secretAccessKeyEnv: secret })).join(' ');
      assert.match(inEnvName, /'secretAccessKeyEnv' must be the name of an environment variable/);
      assert.ok(!inEnvName.includes(secret), inEnvName);
      assert.match(problemsOf(s3.parseSettings({ accessKeyIdEnv: 'A' })).join(' '), /go together/);
      assert.match(problemsOf(s3.parseSettings({ sessionTokenEnv: 'T' })).join(' '), /needs 'accessKeyIdEnv'/);
      assert.match(problemsOf(s3.parseSettings({ endpoint: 'http://user:pw@127.0.0.1:9000' })).join(' '), /must not carry credentials/);
      assert.match(problemsOf(s3.parseSettings({ endpoint: 'ftp://x' })).join(' '), /http:\/\/ or https:\/\//);
      assert.match(problemsOf(s3.parseSettings({ forcePathStyle: 'yes' })).join(' '), /true or false/);
      assert.match(problemsOf(s3.parseSettings({ format: 'xml' })).join(' '), /one of jsonl, json, csv/);
      assert.match(problemsOf(s3.parseSettings({ region: 'US East' })).join(' '), /region/);
      assert.match(problemsOf(s3.parseSettings({ bucket: 'x' })).join(' '), /Unknown setting 'bucket'/);
    });

    test('a literal secret someone stores anyway is masked wherever profiles are shown', () => {
      const masked = maskSecrets({ endpoint: 'http://127.0.0.1:9000', secretAccessKey: 'abc', accessKeyIdEnv: 'PF_KEY', nested: { sessionToken: 't' } });
      assert.deepEqual(masked, { endpoint: 'http://127.0.0.1:9000', secretAccessKey: '***', accessKeyIdEnv: '***', nested: { sessionToken: '***' } });
    });
  });

  for (const backend of BACKENDS) {
    describe(`a workflow with ConnectorType S3, end to end [${backend}]`, () => {
      let s: TestServer;
      before(async () => {
        s = await startServer(backend);
      });
      after(() => s.close());

      test('the admin route takes the profile and shows it masked; CreateIntegrationWorkflow runs to COMPLETE; the objects are in ListProfileObjects', async () => {
        const profile = uniqueProfileName('s3');
        const put = (body: unknown) =>
          fetch(`${s.url}/_profileflow/connector-profiles/${profile}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
        const refused = await put({ kind: 's3', connectorTypes: ['S3'], settings: { ...settings, secretAccessKey: 'wJalrXUtnFEMI/K7MDENG' } });
        assert.equal(refused.status, 400);
        assert.ok(!(await refused.text()).includes('wJalrXUtnFEMI'));
        const created = await put({ kind: 's3', connectorTypes: ['S3'], settings });
        assert.equal(created.status, 201, await created.clone().text());
        const shown = (await created.json()) as { kind: string; settings: Record<string, unknown> };
        assert.equal(shown.kind, 's3');
        assert.equal(shown.settings.endpoint, server.endpoint);
        assert.equal(shown.settings.secretAccessKeyEnv, '***');

        const domain = `s3e2e${backend}`;
        await s.client.send(new CreateDomainCommand({ DomainName: domain, DefaultExpirationDays: 30 }));
        await putObjectType(s.client, domain);
        const env = { domain, objectType: OBJECT_TYPE, profile };
        let input = workflowRequest({ env, Batches: [{ StartTime: new Date(T0), EndTime: new Date(T0 + 2 * DAY) }] });
        input = withMember(input, `${FLOW}.SourceFlowConfig`, {
          ConnectorType: 'S3',
          ConnectorProfileName: profile,
          SourceConnectorProperties: { S3: { BucketName: BUCKET, BucketPrefix: 'contacts/2024/0' } },
          IncrementalPullConfig: { DatetimeTypeFieldName: 'LastModifiedDate' },
        });
        input = withMember(input, `${FLOW}.Tasks`, [
          { TaskType: 'Map', SourceFields: ['Id'], DestinationField: 'Id', ConnectorOperator: { S3: 'NO_OP' } },
          { TaskType: 'Map', SourceFields: ['Email'], DestinationField: 'Email', ConnectorOperator: { S3: 'NO_OP' } },
        ]);
        const out = await s.client.send(new CreateIntegrationWorkflowCommand(input));
        assert.ok(out.WorkflowId);
        await s.engine.runUntilIdle();
        const workflow = await s.client.send(new GetWorkflowCommand({ DomainName: domain, WorkflowId: out.WorkflowId }));
        assert.equal(workflow.Status, 'COMPLETE', workflow.ErrorDescription);
        // C01 … C08 happen in the two days of the batch: from JSON Lines, gzip NDJSON and a JSON array.
        assert.equal(workflow.Metrics?.AppflowIntegration?.RecordsProcessed, 8);
        for (const n of range(1, 8)) {
          const listed = await s.client.send(
            new ListProfileObjectsCommand({ DomainName: domain, ObjectTypeName: OBJECT_TYPE, ProfileId: await profileOf(s, domain, idOf(n)) }),
          );
          const objects = (listed.Items ?? []).map((item) => JSON.parse(item.Object ?? '{}') as Record<string, unknown>);
          assert.ok(objects.some((o) => o.Id === idOf(n) && o.Email === `c${n}@example.com`), `${idOf(n)} is listed: ${JSON.stringify(objects)}`);
        }
        assert.equal(await profileOf(s, domain, 'C09').catch(() => 'absent'), 'absent', 'C09 is outside the batch');
      });
    });
  }
});
