import { createHash, randomBytes } from 'node:crypto';

/**
 * Identifiers, random by default, reproducible on request: after `seedIds(seed)` workflow ids and
 * profile ids are a deterministic sequence derived from the seed (one sequence per kind), so that a test
 * run twice sees the same ids. The state is per process, like moto's: a `profileflow worker` in another
 * process keeps its own random ids.
 *
 * Both kinds are 32 lowercase hex digits: the model's `uuid` shape (`[a-f0-9]{32}`) for WorkflowId,
 * and what ProfileId has always been here.
 */

interface SeededState {
  seed: string;
  counters: Map<string, number>;
}

let seeded: SeededState | undefined;

/** Seeds every id sequence (and `seededRandom`); `undefined` goes back to random ids. */
export function seedIds(seed: string | undefined): void {
  seeded = seed === undefined ? undefined : { seed, counters: new Map() };
}

/** The seed in force, if any. */
export function idSeed(): string | undefined {
  return seeded?.seed;
}

/** 16 bytes as 32 lowercase hex: the n-th of `kind`'s sequence when seeded, random otherwise. */
function nextHex(kind: string): string {
  if (!seeded) return randomBytes(16).toString('hex');
  const n = (seeded.counters.get(kind) ?? 0) + 1;
  seeded.counters.set(kind, n);
  return createHash('sha256').update(`${seeded.seed}\u0000${kind}\u0000${n}`).digest('hex').slice(0, 32);
}

/** A new WorkflowId. */
export function newWorkflowId(): string {
  return nextHex('workflow');
}

let profileSequence = 0;

/**
 * `count` new profile ids handed out one by one: the seeded sequence when ids are seeded; otherwise
 * 12 hex digits of the current millisecond, 6 of a sequence number of this process and 14 random ones
 * (56 bits, drawn from one randomBytes call per batch).
 * Why time first: profile ids are keys of the profiles primary key and of the objects' by-profile index.
 * Wholly random ids put every new profile on a random page of both B-trees, so a page of records dirtied
 * (and a commit rewrote) a page per record in each; ids that grow with time append at their right edge.
 * Two processes can only collide within the same millisecond and sequence number, and then 56 random bits
 * still have to match. The cost: a ProfileId tells when it was created.
 */
export function profileIdPool(count: number): () => string {
  if (seeded) return () => nextHex('profile');
  const random = randomBytes(7 * Math.max(1, count)).toString('hex');
  const time = Date.now().toString(16).padStart(12, '0').slice(-12);
  let next = 0;
  return () => {
    profileSequence = (profileSequence + 1) & 0xffffff;
    const tail = next < count ? random.slice(14 * next, 14 * next + 14) : randomBytes(7).toString('hex');
    next++;
    return `${time}${profileSequence.toString(16).padStart(6, '0')}${tail}`;
  };
}

let historySequence = 0;
/** Random bytes for history ids, drawn 4 KiB at a time: ingestion makes one or two ids per record. */
let historyRandom = Buffer.alloc(0);
let historyRandomAt = 0;

/**
 * A history record id: 12 hex digits of `now` (the change's clock time, so a manual clock orders them
 * too), 8 of a sequence number of this process and 12 random ones. Ascending ids are the order in which
 * one process made the changes, which is what ListProfileHistoryRecords pages by. Seeded, the tail
 * comes from the seeded sequence, so a test run twice sees the same ids.
 */
export function historyRecordId(now: number): string {
  historySequence = (historySequence + 1) >>> 0;
  const time = Math.max(0, Math.floor(now)).toString(16).padStart(12, '0').slice(-12);
  let tail: string;
  if (seeded) tail = nextHex('history').slice(0, 12);
  else {
    if (historyRandomAt + 6 > historyRandom.length) {
      historyRandom = randomBytes(4096);
      historyRandomAt = 0;
    }
    tail = historyRandom.toString('hex', historyRandomAt, historyRandomAt + 6);
    historyRandomAt += 6;
  }
  return `${time}${historySequence.toString(16).padStart(8, '0')}${tail}`;
}

/** One new profile id (CreateProfile). */
export function newProfileId(): string {
  return profileIdPool(1)();
}

/**
 * A source of numbers in [0, 1): Math.random unless ids are seeded, then a deterministic stream derived
 * from the seed and `stream` (mulberry32, enough for fault probabilities, not for secrets).
 */
export function seededRandom(stream: string): () => number {
  if (!seeded) return Math.random;
  let state = createHash('sha256').update(`${seeded.seed}\u0000rng\u0000${stream}`).digest().readUInt32LE(0);
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
