import type { Dirent, Stats } from 'node:fs';
import { readdir, realpath, stat } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { isJsonObject } from '../../domain/json-object.js';
import type { Checked } from '../../domain/problem.js';
import { jsonDepthProblem } from '../../protocol/json.js';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { type ConnectorPolicy, DEFAULT_CONNECTOR_POLICY, isWithin, rootHolding } from '../policy.js';
import { recordTimeMs } from '../shared/record-time.js';
import { checkSettings, type SettingRules } from '../shared/settings.js';
import { csvLineRecord, CsvTable } from '../shared/csv.js';
import { SkippedRows } from '../shared/skipped-rows.js';
import { decodeJsonCursor, isSafeInteger } from '../shared/json-cursor.js';
import { type Line, LineReader } from '../shared/line-reader.js';
import { startRead, usableSettings } from '../shared/read-request.js';
import { type Connector, type ReadRequest, SourceError, type SourcePage, type SourceRecord } from '../types.js';

export interface FilesSettings {
  directory: string;
}

const SETTINGS = {
  directory: { type: 'string', required: true, describe: 'the folder that holds one sub-folder per Object' },
} satisfies SettingRules;

const DEFAULT_DATETIME_FIELD = 'LastModifiedDate';
const EXTENSIONS = ['.jsonl', '.csv'];
/** A long stretch of records outside the window yields no page, so the abort signal is also polled here. */
const SIGNAL_CHECK_RECORDS = 1024;
/**
 * Bounds of the walk below an object's folder. Real exports nest a few levels (bucket/prefix/date/…);
 * 32 leaves room for any of them while a folder tree built to exhaust the process (deep nesting, or
 * millions of files whose keys all sit in memory while they are sorted) fails the step instead.
 */
const MAX_DEPTH = 32;
const MAX_ENTRIES = 100_000;
/** Entries listed between two looks at the abort signal and two turns of the event loop. */
const WALK_CHECK_ENTRIES = 1000;

/** Where a read resumes: after byte `offset` (line `line`) of the file whose key is `file`. */
interface FilesCursor {
  file: string;
  offset: number;
  line: number;
}

/** A file to read: its key (relative to the object's folder, '/'-separated) and its real path. */
interface KeyedFile {
  key: string;
  path: string;
}

/** Where a read may go: the root of the policy that holds the profile's directory. */
interface Confinement {
  profileName: string;
  root: string;
  signal?: AbortSignal;
}

interface FileRecord {
  record: SourceRecord;
  /** Byte offset after the record, and its last physical line. */
  offset: number;
  line: number;
}

/**
 * Records from JSON Lines and CSV files on local disk: `<directory>/<Object>/*.jsonl|*.csv`, or for S3
 * flows every file under `<directory>/<BucketName>/` whose key starts with BucketPrefix. Files are read
 * in key order and streamed; the cursor is (file key, byte offset, line), so a resumed read seeks
 * straight to the first record not yet delivered. Files are expected not to change while a workflow
 * reads them: a file added before the cursor's file is not seen by a resumed read.
 *
 * Only folders below the operator's fileRoots are read: the real path of the directory, of every folder
 * walked and of every file opened must lie inside a root, so a link cannot lead out; a folder reached
 * twice (a link loop) and a walk deeper or larger than its bounds fail the step.
 */
export class FilesConnector implements Connector<FilesSettings> {
  readonly kind = 'files';

  parseSettings(settings: Record<string, unknown>): Checked<FilesSettings> {
    return checkSettings(settings, SETTINGS);
  }

  async estimate(): Promise<number | undefined> {
    return undefined;
  }

  async *read(request: ReadRequest): AsyncIterable<SourcePage> {
    startRead(request);
    const profileName = request.profile.name;
    const settings = usableSettings(request, this);
    const { directory, confinement } = await confine(profileName, settings.directory, request.policy ?? DEFAULT_CONNECTOR_POLICY, request.signal);
    const folder = await objectFolder(confinement, directory, request.object);
    const recursive = request.prefix !== undefined || request.connectorType === 'S3';
    const keys = await listKeys(confinement, folder, recursive, request.prefix ?? '');
    const cursor = request.cursor === undefined ? undefined : decodeCursor(request.cursor);

    const timeField = request.datetimeField || DEFAULT_DATETIME_FIELD;
    const start = request.window.start.getTime();
    const end = request.window.end.getTime();
    // Salesforce's query leaves soft-deleted records out unless queryAll is asked for
    // (IncludeDeletedRecords); a files source standing in for Salesforce behaves the same.
    const dropDeleted = request.connectorType === 'Salesforce' && request.includeDeleted !== true;

    let page: SourceRecord[] = [];
    let position: FilesCursor | undefined = cursor;
    let scanned = 0;
    const skipped = new SkippedRows();
    for (const { key, path } of keys) {
      if (cursor && key < cursor.file) continue;
      const from = cursor && key === cursor.file ? cursor : { file: key, offset: 0, line: 0 };
      // Again at open: a link may have been changed since the listing.
      await realpath(path).then((real) => inside(confinement, real, join(folder, ...key.split('/'))), (err) => {
        throw fileError(profileName, `Cannot read the file '${key}'`, err);
      });
      for await (const item of readFileRecords(profileName, path, key, from)) {
        position = { file: key, offset: item.offset, line: item.line };
        if (++scanned % SIGNAL_CHECK_RECORDS === 0) request.signal?.throwIfAborted();
        const time = recordTimeMs(item.record[timeField]);
        // A record without a readable time belongs to no window; it is skipped, not an error, because one
        // stray row should not fail a whole historical import; it is counted, so the step says so.
        if (time === undefined) {
          skipped.count(`no readable ${timeField}`);
          continue;
        }
        if (time < start || time >= end) continue;
        if (dropDeleted && isDeleted(item.record.IsDeleted)) continue;
        page.push(item.record);
        if (page.length === request.pageSize) {
          yield { records: page, cursor: encodeCursor(position), ...skipped.take() };
          request.signal?.throwIfAborted();
          page = [];
        }
      }
    }
    if ((page.length > 0 || skipped.any) && position) yield { records: page, cursor: encodeCursor(position), ...skipped.take() };
  }
}

function isDeleted(value: unknown): boolean {
  return value === true || (typeof value === 'string' && value.toLowerCase() === 'true');
}

function encodeCursor(cursor: FilesCursor): string {
  return JSON.stringify({ file: cursor.file, offset: cursor.offset, line: cursor.line });
}

function decodeCursor(text: string): FilesCursor {
  return decodeJsonCursor('files', text, (c) => {
    if (typeof c.file !== 'string' || !isSafeInteger(c.offset) || c.offset < 0 || !isSafeInteger(c.line) || c.line < 0) return undefined;
    return { file: c.file, offset: c.offset, line: c.line };
  });
}

/** The real path of the profile's directory and the root of the policy that holds it. */
async function confine(
  profileName: string,
  configured: string,
  policy: ConnectorPolicy,
  signal: AbortSignal | undefined,
): Promise<{ directory: string; confinement: Confinement }> {
  const absolute = resolve(configured);
  let directory: string;
  try {
    directory = await realpath(absolute);
  } catch {
    directory = absolute;
  }
  if (!(await isDirectory(directory))) {
    throw new SourceError(
      'permanent',
      // Step messages reach tenants: the operator's folder layout is not theirs to see.
      `The directory of connector profile '${profileName}' does not exist or is not a folder.`,
    );
  }
  const root = rootHolding(directory, policy);
  if (!root) {
    throw new SourceError(
      'permanent',
      `The directory of connector profile '${profileName}' is outside every folder the operator's policy lets files sources read.`,
    );
  }
  return { directory, confinement: { profileName, root, signal } };
}

async function objectFolder(c: Confinement, directory: string, object: string): Promise<string> {
  const folder = resolve(directory, object);
  const rel = relative(directory, folder);
  if (object === '' || rel === '' || rel.startsWith('..') || isAbsolute(rel)) {
    throw new SourceError('permanent', `The object '${object}' does not name a folder inside the directory of connector profile '${c.profileName}'.`);
  }
  if (!(await isDirectory(folder))) {
    throw new SourceError(
      'permanent',
      `Connector profile '${c.profileName}' has no folder for object '${object}': expected the folder '${rel}' in its directory.`,
    );
  }
  // The object's folder may itself be a link.
  return inside(c, await realpath(folder), folder);
}

/** `real` when it lies inside the read's root; else the permanent error naming `shown` relative to it. */
function inside(c: Confinement, real: string, shown: string): string {
  if (isWithin(c.root, real)) return real;
  throw new SourceError(
    'permanent',
    `'${relative(c.root, shown)}' is a link that leads outside the folders the operator's policy lets files sources read ` +
      `(connector profile '${c.profileName}').`,
  );
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

/**
 * The readable files of an object as keys relative to its folder ('/'-separated), in string order, each
 * with its real path. With a prefix the listing goes as S3's does: every file below the folder whose key
 * starts with it. Links are followed only inside the root; a folder met a second time (by its device
 * and inode, so whatever the path that led there) fails the read: it is a loop, or a second way to the
 * same files, which would be imported twice.
 */
async function listKeys(c: Confinement, folder: string, recursive: boolean, prefix: string): Promise<KeyedFile[]> {
  const keys: KeyedFile[] = [];
  const visited = new Set<string>();
  let seen = 0;
  const walk = async (dir: string, keyPrefix: string, depth: number): Promise<void> => {
    c.signal?.throwIfAborted();
    const shown = relative(c.root, dir) || '.';
    if (depth > MAX_DEPTH) {
      throw new SourceError('permanent', `The folder '${shown}' is nested more than ${MAX_DEPTH} folders deep below the object's folder; the files source reads no deeper.`);
    }
    let entries: Dirent[];
    let identity: Stats;
    try {
      identity = await stat(dir);
      entries = await readdir(dir, { withFileTypes: true });
    } catch (err) {
      throw fileError(c.profileName, `Cannot list the folder '${shown}'`, err);
    }
    const id = `${identity.dev}:${identity.ino}`;
    if (visited.has(id)) {
      throw new SourceError('permanent', `The folder '${shown}' is reached twice through links (a link loop, or two links to one folder); the files source refuses it.`);
    }
    visited.add(id);
    for (const entry of entries) {
      if (++seen > MAX_ENTRIES) {
        throw new SourceError('permanent', `The object's folder holds more than ${MAX_ENTRIES} entries; the files source reads no more than that in one object.`);
      }
      if (seen % WALK_CHECK_ENTRIES === 0) {
        await yieldToEventLoop();
        c.signal?.throwIfAborted();
      }
      const key = keyPrefix + entry.name;
      const path = join(dir, entry.name);
      let real = path;
      let kind: Dirent | Stats = entry;
      if (entry.isSymbolicLink()) {
        try {
          real = inside(c, await realpath(path), path);
          kind = await stat(real);
        } catch (err) {
          if (err instanceof SourceError) throw err;
          if ((err as { code?: string }).code === 'ELOOP') {
            throw new SourceError('permanent', `'${relative(c.root, path)}' is a link loop; the files source refuses it.`);
          }
          // A link that leads nowhere is kept when its name says it is data: reading it then fails
          // loudly, rather than the records silently missing from the import.
        }
      }
      if (kind.isDirectory()) {
        if (recursive && (prefix.startsWith(`${key}/`) || key.startsWith(prefix) || `${key}/`.startsWith(prefix))) {
          await walk(real, `${key}/`, depth + 1);
        }
      } else if ((kind.isFile() || kind.isSymbolicLink()) && key.startsWith(prefix) && EXTENSIONS.some((e) => entry.name.toLowerCase().endsWith(e))) {
        keys.push({ key, path: real });
      }
    }
  };
  await walk(folder, '', 0);
  return keys.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

async function* readFileRecords(
  profileName: string,
  path: string,
  key: string,
  from: FilesCursor,
): AsyncGenerator<FileRecord> {
  const csv = key.toLowerCase().endsWith('.csv');
  const label = `file '${key}'`;
  // Cursors always point past a data record, so only a read from the very start meets the header; a
  // resumed read takes it from the file's first record.
  let header: string[] | undefined;
  if (csv && from.offset > 0) {
    header = await readCsvHeader(profileName, path, key);
    if (!header) return;
  }
  let reader: LineReader;
  try {
    reader = await LineReader.open(path, from.offset, from.line);
  } catch (err) {
    throw fileError(profileName, `Cannot read the ${label}`, err);
  }
  try {
    if (csv) {
      const table = new CsvTable(header);
      for (;;) {
        const line = await nextLine(profileName, reader, key);
        if (!line) break;
        const record = csvLineRecord(table, line, label);
        if (record) yield { record, offset: line.end, line: line.number };
      }
      if (table.pending) throw unterminated(key, table);
    } else {
      for (;;) {
        const line = await nextLine(profileName, reader, key);
        if (!line) break;
        if (line.text.trim() === '') continue;
        yield { record: jsonRecord(line, key), offset: line.end, line: line.number };
      }
    }
  } finally {
    await reader.close();
  }
}

async function readCsvHeader(profileName: string, path: string, key: string): Promise<string[] | undefined> {
  let reader: LineReader;
  try {
    reader = await LineReader.open(path);
  } catch (err) {
    throw fileError(profileName, `Cannot read the file '${key}'`, err);
  }
  try {
    const table = new CsvTable();
    for (;;) {
      const line = await nextLine(profileName, reader, key);
      if (!line) {
        if (table.pending) throw unterminated(key, table);
        return undefined;
      }
      csvLineRecord(table, line, `file '${key}'`);
      if (table.header) return table.header;
    }
  } finally {
    await reader.close();
  }
}

function unterminated(key: string, table: CsvTable): SourceError {
  return new SourceError('permanent', `File '${key}' ends inside a quoted value that starts on line ${table.recordLine}.`);
}

async function nextLine(profileName: string, reader: LineReader, key: string): Promise<Line | undefined> {
  try {
    return await reader.next();
  } catch (err) {
    throw fileError(profileName, `Cannot read the file '${key}'`, err);
  }
}

function jsonRecord(line: Line, key: string): SourceRecord {
  const tooDeep = jsonDepthProblem(line.text, () => `line ${line.number} of file '${key}'`);
  if (tooDeep) throw new SourceError('permanent', tooDeep);
  let value: unknown;
  try {
    value = JSON.parse(line.text);
  } catch (err) {
    throw new SourceError('permanent', `Line ${line.number} of file '${key}' is not valid JSON: ${(err as Error).message}`);
  }
  if (!isJsonObject(value)) throw new SourceError('permanent', `Line ${line.number} of file '${key}' is not a JSON object.`);
  return value;
}

/** Running out of descriptors or a busy file passes; a missing or forbidden file does not. */
const TRANSIENT_CODES = new Set(['EMFILE', 'ENFILE', 'EAGAIN', 'EBUSY', 'EINTR', 'ETIMEDOUT']);

function fileError(profileName: string, what: string, err: unknown): SourceError {
  if (err instanceof SourceError) return err;
  const code = (err as { code?: string }).code;
  return new SourceError(
    code && TRANSIENT_CODES.has(code) ? 'transient' : 'permanent',
    // The code, not the message: Node's messages quote absolute paths, which tenants do not get to see.
    `${what} (connector profile '${profileName}'): ${code ?? 'the file could not be read'}.`,
  );
}
