import type { Dirent } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { jsonDepthProblem } from '../../protocol/json.js';
import { recordTimeMs } from '../record-time.js';
import { checkSettings, type SettingRules } from '../settings.js';
import { csvLineRecord, CsvTable } from '../shared/csv.js';
import { decodeJsonCursor } from '../shared/json-cursor.js';
import { type Line, LineReader } from '../shared/line-reader.js';
import { startRead, usableSettings } from '../shared/read-request.js';
import { type Connector, type ReadRequest, SourceError, type SourcePage, type SourceRecord } from '../types.js';

export interface FilesSettings {
  directory: string;
}

const SETTINGS: SettingRules = {
  directory: { type: 'string', required: true, describe: 'the folder that holds one sub-folder per Object' },
};

const DEFAULT_DATETIME_FIELD = 'LastModifiedDate';
const EXTENSIONS = ['.jsonl', '.csv'];
/** A long stretch of records outside the window yields no page, so the abort signal is also polled here. */
const SIGNAL_CHECK_RECORDS = 1024;

/** Where a read resumes: after byte `offset` (line `line`) of the file whose key is `file`. */
interface FilesCursor {
  file: string;
  offset: number;
  line: number;
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
 */
export class FilesConnector implements Connector {
  readonly kind = 'files';

  validateSettings(settings: Record<string, unknown>): string[] {
    return checkSettings(settings, SETTINGS);
  }

  async estimate(): Promise<number | undefined> {
    return undefined;
  }

  async *read(request: ReadRequest): AsyncIterable<SourcePage> {
    startRead(request);
    const profileName = request.profile.name;
    const settings = usableSettings<FilesSettings>(request.profile, (s) => this.validateSettings(s));
    const directory = resolve(settings.directory);
    const folder = await objectFolder(profileName, directory, request.object);
    const recursive = request.prefix !== undefined || request.connectorType === 'S3';
    const keys = await listKeys(profileName, folder, recursive, request.prefix ?? '');
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
    for (const key of keys) {
      if (cursor && key < cursor.file) continue;
      const from = cursor && key === cursor.file ? cursor : { file: key, offset: 0, line: 0 };
      const path = join(folder, ...key.split('/'));
      for await (const item of readFileRecords(profileName, path, key, from)) {
        position = { file: key, offset: item.offset, line: item.line };
        if (++scanned % SIGNAL_CHECK_RECORDS === 0) request.signal?.throwIfAborted();
        const time = recordTimeMs(item.record[timeField]);
        // A record without a readable time belongs to no window; it is skipped, not an error, because one
        // stray row should not fail a whole historical import (there is no channel to count such rows).
        if (time === undefined || time < start || time >= end) continue;
        if (dropDeleted && isDeleted(item.record.IsDeleted)) continue;
        page.push(item.record);
        if (page.length === request.pageSize) {
          yield { records: page, cursor: encodeCursor(position) };
          request.signal?.throwIfAborted();
          page = [];
        }
      }
    }
    if (page.length > 0 && position) yield { records: page, cursor: encodeCursor(position) };
  }
}

function isDeleted(value: unknown): boolean {
  return value === true || (typeof value === 'string' && value.toLowerCase() === 'true');
}

function encodeCursor(cursor: FilesCursor): string {
  return JSON.stringify({ file: cursor.file, offset: cursor.offset, line: cursor.line });
}

function decodeCursor(text: string): FilesCursor {
  const c = decodeJsonCursor('files', text) as Partial<FilesCursor>;
  if (
    typeof c.file !== 'string' ||
    !Number.isSafeInteger(c.offset) ||
    (c.offset as number) < 0 ||
    !Number.isSafeInteger(c.line) ||
    (c.line as number) < 0
  ) {
    throw new SourceError('permanent', `The cursor '${text.slice(0, 200)}' is not one the files source issued.`);
  }
  return { file: c.file, offset: c.offset as number, line: c.line as number };
}

async function objectFolder(profileName: string, directory: string, object: string): Promise<string> {
  if (!(await isDirectory(directory))) {
    throw new SourceError(
      'permanent',
      `The directory '${directory}' of connector profile '${profileName}' does not exist or is not a folder.`,
    );
  }
  const folder = resolve(directory, object);
  const rel = relative(directory, folder);
  if (object === '' || rel === '' || rel.startsWith('..') || isAbsolute(rel)) {
    throw new SourceError('permanent', `The object '${object}' does not name a folder inside '${directory}'.`);
  }
  if (!(await isDirectory(folder))) {
    throw new SourceError(
      'permanent',
      `Connector profile '${profileName}' has no folder for object '${object}': expected the folder '${folder}'.`,
    );
  }
  return folder;
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

/**
 * The readable files of an object as keys relative to its folder ('/'-separated), in string order.
 * With a prefix the listing goes as S3's does: every file below the folder whose key starts with it.
 */
async function listKeys(profileName: string, folder: string, recursive: boolean, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  const walk = async (dir: string, keyPrefix: string): Promise<void> => {
    let entries: Dirent[];
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (err) {
      throw fileError(profileName, `Cannot list the folder '${dir}'`, err);
    }
    for (const entry of entries) {
      const key = keyPrefix + entry.name;
      const path = join(dir, entry.name);
      // A link that leads nowhere is kept when its name says it is data: reading it then fails loudly,
      // rather than the records silently missing from the import.
      const kind = entry.isSymbolicLink() ? await stat(path).catch(() => entry) : entry;
      if (kind.isDirectory()) {
        if (recursive && (prefix.startsWith(`${key}/`) || key.startsWith(prefix) || `${key}/`.startsWith(prefix))) {
          await walk(path, `${key}/`);
        }
      } else if ((kind.isFile() || kind.isSymbolicLink()) && key.startsWith(prefix) && EXTENSIONS.some((e) => entry.name.toLowerCase().endsWith(e))) {
        keys.push(key);
      }
    }
  };
  await walk(folder, '');
  return keys.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
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
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new SourceError('permanent', `Line ${line.number} of file '${key}' is not a JSON object.`);
  }
  return value as SourceRecord;
}

/** Running out of descriptors or a busy file passes; a missing or forbidden file does not. */
const TRANSIENT_CODES = new Set(['EMFILE', 'ENFILE', 'EAGAIN', 'EBUSY', 'EINTR', 'ETIMEDOUT']);

function fileError(profileName: string, what: string, err: unknown): SourceError {
  if (err instanceof SourceError) return err;
  const code = (err as { code?: string }).code;
  return new SourceError(
    code && TRANSIENT_CODES.has(code) ? 'transient' : 'permanent',
    `${what} (connector profile '${profileName}'): ${(err as Error).message}`,
  );
}
