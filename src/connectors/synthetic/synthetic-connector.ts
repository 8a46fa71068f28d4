import { setTimeout as delay } from 'node:timers/promises';
import { isJsonObject } from '../../domain/json-object.js';
import { type Checked, invalid, valid } from '../../domain/problem.js';
import { checkSettings, quoted, type SettingRules } from '../shared/settings.js';
import {
  type Connector,
  type ReadRequest,
  SourceError,
  type SourceFailureKind,
  type SourcePage,
  type SourceRecord,
} from '../types.js';
import { SYNTHETIC_FIELDS, seedHash, syntheticRecord } from './generator.js';
import { MAX_PER_DAY, slotsBefore, slotTime } from './slots.js';

export interface SyntheticFault {
  /** 1-based index of the page within the window (counted from the window's start, also on resume). */
  page: number;
  kind: SourceFailureKind;
  /** How many attempts of that page fail (default 1); a permanent fault fails every attempt. */
  times?: number;
  /** A transient fault's Retry-After, as a throttling source would send it. */
  retryAfterMs?: number;
}

export interface SyntheticSettings {
  recordsPerDay?: number;
  seed?: number | string;
  fields?: string[];
  pageDelayMs?: number;
  faults?: SyntheticFault[];
}

const FAULT_KINDS: readonly SourceFailureKind[] = ['transient', 'permanent', 'too-large'];
const DEFAULT_RECORDS_PER_DAY = 100;
const DEFAULT_SEED = 1;

const SETTINGS = {
  recordsPerDay: { type: 'integer', min: 1, max: MAX_PER_DAY },
  seed: { type: 'string-or-number' },
  fields: { type: 'string-list', allowed: SYNTHETIC_FIELDS },
  pageDelayMs: { type: 'number', min: 0, max: 600_000 },
  faults: { type: 'custom', parse: checkFaults },
} satisfies SettingRules;

function checkFaults(value: unknown, name: string): Checked<SyntheticFault[]> {
  if (!Array.isArray(value)) return invalid(`Setting '${name}' must be a list of {page, kind, times?} objects.`);
  const problems: string[] = [];
  const faults: SyntheticFault[] = [];
  value.forEach((f: unknown, i) => {
    const at = `${name}[${i}]`;
    if (!isJsonObject(f)) {
      problems.push(`Setting '${at}' must be an object {page, kind, times?}.`);
      return;
    }
    const before = problems.length;
    for (const key of Object.keys(f)) {
      if (!['page', 'kind', 'times', 'retryAfterMs'].includes(key)) problems.push(`Setting '${at}' has an unknown member ${quoted(key)}.`);
    }
    const page = integerFrom(f.page, 1);
    if (page === undefined) problems.push(`Setting '${at}.page' must be a page number of 1 or more.`);
    const kind = FAULT_KINDS.find((k) => k === f.kind);
    if (kind === undefined) problems.push(`Setting '${at}.kind' must be one of ${FAULT_KINDS.join(', ')}.`);
    const times = integerFrom(f.times, 1);
    if (f.times !== undefined && times === undefined) problems.push(`Setting '${at}.times' must be an integer of 1 or more.`);
    const retryAfterMs = integerFrom(f.retryAfterMs, 0);
    if (f.retryAfterMs !== undefined && (retryAfterMs === undefined || f.kind !== 'transient')) {
      problems.push(`Setting '${at}.retryAfterMs' must be an integer of 0 or more, on a transient fault.`);
    }
    if (problems.length === before && page !== undefined && kind !== undefined) faults.push({ page, kind, times, retryAfterMs });
  });
  return problems.length ? invalid(...problems) : valid(faults);
}

/** `value` when it is an integer of at least `min`. */
function integerFrom(value: unknown, min: number): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) && value >= min ? value : undefined;
}

/**
 * Remembers how often each page was attempted, so that a fault with `times: n` fails the first n attempts
 * of its page and then lets it through: the engine's retries see a source that recovers. In memory, as
 * scripted faults are a tool for tests and demonstrations within one process.
 */
class FaultBook {
  private readonly attempts = new Map<string, number>();
  /** Windows that failed too-large, per (profile, page). */
  private readonly tooLarge = new Map<string, { start: number; end: number }[]>();

  /** Counts an attempt of the page and answers the fault it meets, if any. */
  attempt(profile: string, start: number, end: number, page: number, faults: readonly SyntheticFault[]): SyntheticFault | undefined {
    const onPage = faults.filter((f) => f.page === page);
    if (onPage.length === 0) return undefined;
    const key = `${profile}\u0000${start}\u0000${end}\u0000${page}`;
    const own = (this.attempts.get(key) ?? 0) + 1;
    this.attempts.set(key, own);
    // The engine answers too-large by splitting the window, and the halves are new windows. Counting the
    // too-large failures of every window that encloses this one makes `times` bound the depth of
    // splitting; otherwise page 1 of each half would fail again, all the way down.
    const failedAround = this.tooLarge.get(`${profile}\u0000${page}`) ?? [];
    const inherited = failedAround.filter((w) => w.start <= start && end <= w.end && (w.start !== start || w.end !== end)).length;
    let n = own + inherited;
    for (const fault of onPage) {
      if (fault.kind === 'permanent') return fault;
      const times = fault.times ?? 1;
      if (n <= times) {
        if (fault.kind === 'too-large') {
          const list = this.tooLarge.get(`${profile}\u0000${page}`) ?? [];
          list.push({ start, end });
          this.tooLarge.set(`${profile}\u0000${page}`, list);
        }
        return fault;
      }
      n -= times;
    }
    return undefined;
  }
}

/**
 * Deterministic, seeded records on a fixed timeline (see slots.ts): any window, cursor or estimate is
 * arithmetic, and record values follow from (seed, slot time) alone, so runs, processes and resumed reads
 * agree to the byte. Scripted faults and a page delay let the engine's retry, split and cancellation
 * paths be exercised without a real source.
 */
export class SyntheticConnector implements Connector<SyntheticSettings> {
  readonly kind = 'synthetic';
  private readonly faults = new FaultBook();

  parseSettings(settings: Record<string, unknown>): Checked<SyntheticSettings> {
    return checkSettings(settings, SETTINGS);
  }

  answersFromMemory(request: ReadRequest): boolean {
    // With a page delay it stands for a source across a network.
    return this.settingsOf(request).pageDelayMs === 0;
  }

  async estimate(request: ReadRequest): Promise<number> {
    const { perDay } = this.settingsOf(request);
    const first = slotsBefore(request.window.start.getTime(), perDay);
    const last = slotsBefore(request.window.end.getTime(), perDay);
    return Math.max(0, last - first);
  }

  async *read(request: ReadRequest): AsyncIterable<SourcePage> {
    const { pageSize, signal } = request;
    if (!Number.isInteger(pageSize) || pageSize < 1) {
      throw new SourceError('permanent', `The page size must be a positive integer, got ${pageSize}.`);
    }
    signal?.throwIfAborted();
    const { perDay, seed, fields, pageDelayMs, faults } = this.settingsOf(request);
    const start = request.window.start.getTime();
    const end = request.window.end.getTime();
    const first = slotsBefore(start, perDay);
    const last = slotsBefore(end, perDay);
    let k = first;
    if (request.cursor !== undefined) k = Math.max(first, slotsBefore(parseCursor(request.cursor) + 1, perDay));
    let page = Math.floor((k - first) / pageSize) + 1;
    const timeField = request.datetimeField;
    const extraTimeField =
      timeField && !(SYNTHETIC_FIELDS as readonly string[]).includes(timeField) ? timeField : undefined;

    while (k < last) {
      if (pageDelayMs > 0) await delay(pageDelayMs, undefined, { signal });
      signal?.throwIfAborted();
      const fault = this.faults.attempt(request.profile.name, start, end, page, faults);
      if (fault) {
        throw new SourceError(
          fault.kind,
          `Scripted ${fault.kind} fault of connector profile '${request.profile.name}' on page ${page} of the window ` +
            `[${request.window.start.toISOString()}, ${request.window.end.toISOString()}).`,
          { retryAfterMs: fault.retryAfterMs },
        );
      }
      const n = Math.min(pageSize, last - k);
      const records: SourceRecord[] = new Array(n);
      for (let i = 0; i < n; i++) records[i] = syntheticRecord(seed, slotTime(k + i, perDay), fields, extraTimeField);
      k += n;
      page++;
      // Slots are strictly increasing in time (at most one a millisecond): every slot before the next
      // one's time has been delivered.
      const readThrough = k < last ? new Date(slotTime(k, perDay)) : request.window.end;
      yield { records, cursor: String(slotTime(k - 1, perDay)), readThrough };
    }
  }

  private settingsOf(request: ReadRequest) {
    const checked = this.parseSettings(request.profile.settings);
    if (!checked.ok) {
      throw new SourceError(
        'permanent',
        `Connector profile '${request.profile.name}' has unusable settings: ${checked.problems.join(' ')}`,
      );
    }
    const settings = checked.value;
    return {
      perDay: settings.recordsPerDay ?? DEFAULT_RECORDS_PER_DAY,
      seed: seedHash(settings.seed ?? DEFAULT_SEED),
      // Kept in the canonical order whatever order the profile lists them in.
      fields: settings.fields ? SYNTHETIC_FIELDS.filter((f) => settings.fields?.includes(f)) : undefined,
      pageDelayMs: settings.pageDelayMs ?? 0,
      faults: settings.faults ?? [],
    };
  }
}

function parseCursor(text: string): number {
  if (!/^-?\d{1,16}$/.test(text)) {
    throw new SourceError('permanent', `The cursor '${text.slice(0, 200)}' is not one the synthetic source issued.`);
  }
  return Number(text);
}
