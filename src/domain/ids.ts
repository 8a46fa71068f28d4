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

/**
 * `count` profile ids handed out one by one (the contract of profile-objects.ts's local `profileIds`):
 * one random draw for the whole batch when unseeded, the seeded sequence otherwise.
 */
export function profileIdPool(count: number): () => string {
  if (seeded) return () => nextHex('profile');
  const pool = randomBytes(16 * Math.max(1, count));
  let next = 0;
  return () => (next < count ? pool.toString('hex', 16 * next, 16 * ++next) : randomBytes(16).toString('hex'));
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
