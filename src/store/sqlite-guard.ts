/**
 * What keeps a SQLite data folder safe at start-up: one process at a time (a lock file), and no service
 * on a damaged file (PRAGMA quick_check). Both end in a StartRefused: one line, then exit 1.
 */
import { closeSync, mkdirSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'kysely';
import type { KyselyStore } from './kysely-store.js';

/** The process cannot start on this store; the message is the one line to print. */
export class StartRefused extends Error {}

export const LOCK_FILE_NAME = 'profileflow.lock';

export interface DataDirLock {
  readonly file: string;
  /** Removes the lock file if it is still ours; safe to call twice. */
  release(): void;
}

/**
 * Takes the data folder for this process: `<dataDir>/profileflow.lock`, created with O_EXCL, holds our
 * pid. Why a lock file and not SQLite's own locks: SQLite lets two processes open the file and only makes
 * their writes wait for each other (up to busy_timeout, then "database is locked"); two engines would
 * also claim the same steps, since SQLite has no SKIP LOCKED. A lock whose pid no longer runs (a crash,
 * SIGKILL, a container restarted with the same pid as ours) is taken over, and `onTakeover` says so.
 */
export function lockDataDir(dataDir: string, onTakeover: (message: string) => void): DataDirLock {
  const file = join(dataDir, LOCK_FILE_NAME);
  const unusable = (err: unknown) => {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOSPC' ? 'its disk is full' : code === 'EROFS' || code === 'EACCES' || code === 'EPERM' ? 'it is read-only or not ours' : (err as Error).message;
    return new StartRefused(`Cannot use the data folder ${dataDir}: ${why} (${code ?? 'error'} on ${file}).`);
  };
  try {
    mkdirSync(dataDir, { recursive: true });
  } catch (err) {
    throw unusable(err);
  }
  // A few tries: a stale lock removed by us may be re-created by another starting process in between.
  for (let attempt = 0; attempt < 3; attempt++) {
    let fd: number;
    try {
      fd = openSync(file, 'wx', 0o644);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw unusable(err);
      const holder = readHolder(file);
      if (holder !== undefined && holder !== process.pid && isRunning(holder)) {
        throw new StartRefused(
          `The data folder ${dataDir} is in use by profileflow process ${holder} (lock file ${file}); stop that process first, or give this one another --data-dir.`,
        );
      }
      try {
        unlinkSync(file);
      } catch (unlinkErr) {
        if ((unlinkErr as NodeJS.ErrnoException).code !== 'ENOENT') throw unlinkErr;
      }
      onTakeover(
        holder === undefined
          ? `took over the unreadable lock file ${file}`
          : `took over the lock of ${dataDir} from process ${holder}, which is no longer running`,
      );
      continue;
    }
    try {
      writeSync(fd, `${process.pid}\n`);
    } catch (err) {
      closeSync(fd);
      unlinkSync(file);
      throw unusable(err);
    }
    closeSync(fd);
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      process.removeListener('exit', release);
      // Only our own: after a takeover by mistake (it cannot happen while we run, but a person may delete it) leave theirs.
      if (readHolder(file) === process.pid) unlinkSync(file);
    };
    // An exit through process.exit (an error after the lock was taken) still releases it.
    process.on('exit', release);
    return { file, release };
  }
  throw new StartRefused(`Could not take the lock file ${file}: other processes keep creating it.`);
}

/** The pid of the process holding the lock file, if it says one (undefined when gone or unreadable). */
export function lockHolder(dataDir: string): number | undefined {
  const holder = readHolder(join(dataDir, LOCK_FILE_NAME));
  return holder !== undefined && holder !== process.pid && isRunning(holder) ? holder : undefined;
}

function readHolder(file: string): number | undefined {
  try {
    const pid = Number(readFileSync(file, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it runs, as another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Above this size the start-up check is skipped (with a line saying so): PRAGMA quick_check reads every
 * page, about 2.3 ms per MB from the page cache on a small cloud VM (a 192 MB file: 0.45 s), so 4 GiB is
 * about 10 s warm and several times that from a cold disk. `profileflow doctor` checks any size.
 */
export const QUICK_CHECK_MAX_BYTES = 4 * 1024 ** 3;

export type QuickCheckResult = { checked: true } | { checked: false; why: string };

/**
 * PRAGMA quick_check on the store's own connection, before migrations write anything. Why quick_check
 * and not integrity_check: it finds damaged pages and broken B-trees (what silently shortened listings)
 * in about a third of the time; it skips only the index-content comparison, which doctor runs.
 */
export async function quickCheck(store: KyselyStore, file: string, options: { skip?: boolean } = {}): Promise<QuickCheckResult> {
  if (options.skip) return { checked: false, why: 'skipped (--skip-integrity-check)' };
  const size = statSync(file).size;
  if (size > QUICK_CHECK_MAX_BYTES) {
    return { checked: false, why: `skipped: ${file} is ${(size / 1024 ** 3).toFixed(1)} GiB, above the ${QUICK_CHECK_MAX_BYTES / 1024 ** 3} GiB the start-up check reads; run profileflow doctor while the service is stopped to check it` };
  }
  const damaged = (detail: string) =>
    new StartRefused(`The database ${file} is damaged (${detail}); refusing to start. Run profileflow doctor --data-dir ${join(file, '..')} for the full report.`);
  let problems: string[];
  try {
    const { rows } = await sql<{ quick_check: string }>`pragma quick_check`.execute(store.db);
    problems = rows.map((r) => r.quick_check).filter((m) => m !== 'ok');
  } catch (err) {
    throw damaged(String((err as { cause?: { message?: string } }).cause?.message ?? (err as Error).message));
  }
  if (problems.length) throw damaged(`${problems.length === 100 ? '100 or more' : problems.length} problem${problems.length === 1 ? '' : 's'}, the first: ${firstProblemLine(problems)}`);
  return { checked: true };
}

/**
 * The first problem of a quick_check report as one line (the refusal is one line). SQLite may return
 * several lines in one row: a `*** in database main ***` heading and the problems found under it.
 */
export function firstProblemLine(problems: readonly string[]): string {
  for (const problem of problems) {
    for (const line of problem.split('\n')) {
      const text = line.trim();
      if (text && !/^\*\*\* in database /.test(text)) return text;
    }
  }
  return (problems[0] ?? '').trim();
}
