import type { SourceRecord } from '../types.js';

/** The fields every synthetic record carries, in the order they are written. */
export const SYNTHETIC_FIELDS = [
  'Id',
  'FirstName',
  'LastName',
  'Email',
  'Phone',
  'City',
  'Country',
  'AccountNumber',
  'Amount',
  'LastModifiedDate',
] as const;

const FIRST_NAMES = [
  'Ada', 'Alan', 'Amara', 'Ana', 'Ben', 'Carla', 'Chen', 'Dara', 'David', 'Elena', 'Emeka', 'Eva', 'Farah',
  'Felix', 'Grace', 'Hana', 'Hugo', 'Ines', 'Ivan', 'Jamal', 'Jia', 'Jonas', 'Kai', 'Keiko', 'Lars', 'Leila',
  'Lucas', 'Maya', 'Mateo', 'Mei', 'Nadia', 'Noah', 'Olga', 'Omar', 'Priya', 'Quinn', 'Rafael', 'Rosa',
  'Sami', 'Sofia', 'Tariq', 'Tomas', 'Uma', 'Victor', 'Wen', 'Xavier', 'Yara', 'Yusuf', 'Zoe', 'Zoran',
];
const LAST_NAMES = [
  'Abe', 'Adeyemi', 'Alvarez', 'Andersen', 'Bauer', 'Brown', 'Chen', 'Costa', 'Dubois', 'Eriksson', 'Fischer',
  'Garcia', 'Gupta', 'Hansen', 'Haddad', 'Ito', 'Ivanova', 'Jensen', 'Kim', 'Kowalski', 'Lee', 'Lopez',
  'Martin', 'Meyer', 'Moreau', 'Nakamura', 'Nguyen', 'Novak', 'Okafor', 'Olsen', 'Patel', 'Perez', 'Rossi',
  'Santos', 'Schmidt', 'Silva', 'Smith', 'Suzuki', 'Tanaka', 'Taylor', 'Torres', 'Varga', 'Wagner', 'Wang',
  'Weber', 'Williams', 'Wong', 'Yilmaz', 'Zhang', 'Zimmermann',
];
const PLACES: ReadonlyArray<readonly [string, string]> = [
  ['Seattle', 'US'], ['Austin', 'US'], ['Chicago', 'US'], ['Boston', 'US'], ['Denver', 'US'],
  ['Toronto', 'CA'], ['Vancouver', 'CA'], ['Mexico City', 'MX'], ['São Paulo', 'BR'], ['Buenos Aires', 'AR'],
  ['London', 'GB'], ['Dublin', 'IE'], ['Paris', 'FR'], ['Lyon', 'FR'], ['Berlin', 'DE'], ['Munich', 'DE'],
  ['Madrid', 'ES'], ['Lisbon', 'PT'], ['Rome', 'IT'], ['Amsterdam', 'NL'], ['Stockholm', 'SE'], ['Oslo', 'NO'],
  ['Warsaw', 'PL'], ['Istanbul', 'TR'], ['Lagos', 'NG'], ['Nairobi', 'KE'], ['Cairo', 'EG'], ['Mumbai', 'IN'],
  ['Bengaluru', 'IN'], ['Singapore', 'SG'], ['Tokyo', 'JP'], ['Osaka', 'JP'], ['Seoul', 'KR'], ['Sydney', 'AU'],
];
const FIRST_LOWER = FIRST_NAMES.map((n) => n.toLowerCase());
const LAST_LOWER = LAST_NAMES.map((n) => n.toLowerCase());

/** A seed of either form as 32 bits (FNV-1a over its text, so 1 and '1' are the same seed). */
export function seedHash(seed: number | string): number {
  const text = String(seed);
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** The murmur3 finaliser: spreads every input bit over the output, so neighbouring slots look unrelated. */
function mix(a: number, b: number): number {
  let h = Math.imul(a ^ b, 0x9e3779b1);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

// mulberry32's state, module-level so that drawing a number allocates nothing.
let state = 0;
function draw(): number {
  state = (state + 0x6d2b79f5) | 0;
  let t = Math.imul(state ^ (state >>> 15), state | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return (t ^ (t >>> 14)) >>> 0;
}

function pad(n: number, width: number): string {
  const s = String(n);
  return s.length >= width ? s : '0'.repeat(width - s.length) + s;
}

const TWO_DIGITS = Array.from({ length: 100 }, (_, i) => pad(i, 2));
const THREE_DIGITS = Array.from({ length: 1000 }, (_, i) => pad(i, 3));
let cachedDay = Number.NaN;
let cachedDayPrefix = '';

/**
 * new Date(t).toISOString() without the Date: the date part is computed once per day and the time of day
 * from tables. It was the single largest cost of a record.
 */
function isoOf(time: number): string {
  const day = Math.floor(time / 86_400_000);
  if (day !== cachedDay) {
    cachedDay = day;
    cachedDayPrefix = new Date(day * 86_400_000).toISOString().slice(0, 11);
  }
  let ms = time - day * 86_400_000;
  const h = Math.floor(ms / 3_600_000);
  ms -= h * 3_600_000;
  const m = Math.floor(ms / 60_000);
  ms -= m * 60_000;
  const sec = Math.floor(ms / 1000);
  ms -= sec * 1000;
  return `${cachedDayPrefix}${TWO_DIGITS[h]}:${TWO_DIGITS[m]}:${TWO_DIGITS[sec]}.${THREE_DIGITS[ms]}Z`;
}

/**
 * String(time) for epoch milliseconds, built from two small integers: times are beyond V8's small-integer
 * range, and turning such a double into text costs more than the rest of a record.
 */
function stampOf(time: number): string {
  if (time < 1_000_000 || time > Number.MAX_SAFE_INTEGER) return String(time);
  const high = Math.floor(time / 1_000_000);
  const low = time - high * 1_000_000;
  const mid = Math.floor(low / 1000);
  return `${high}${THREE_DIGITS[mid]}${THREE_DIGITS[low - mid * 1000]}`;
}

/**
 * The record of the slot at `time` (epoch ms) under seed hash `seed`: every value follows from the two,
 * so any process produces the same record for the same slot. All values are drawn whatever `fields`
 * keeps, so that choosing fewer fields never changes the values of the others.
 */
export function syntheticRecord(
  seed: number,
  time: number,
  fields: readonly string[] | undefined,
  extraTimeField: string | undefined,
): SourceRecord {
  state = mix(mix(seed, time >>> 0), Math.floor(time / 0x100000000) | 0);
  const f = draw() % FIRST_NAMES.length;
  const l = draw() % LAST_NAMES.length;
  const place = PLACES[draw() % PLACES.length];
  const area = 200 + (draw() % 800);
  const subscriber = draw() % 10_000_000;
  const account = draw() % 100_000_000;
  const cents = draw() % 10_000_000;
  const iso = isoOf(time);
  const stamp = stampOf(time);
  const full: SourceRecord = {
    Id: `syn-${stamp}`,
    FirstName: FIRST_NAMES[f],
    LastName: LAST_NAMES[l],
    // The slot keeps every address unique, so identity resolution on Email is predictable.
    Email: `${FIRST_LOWER[f]}.${LAST_LOWER[l]}.${stamp}@example.com`,
    Phone: `+1${area}${pad(subscriber, 7)}`,
    City: place[0],
    Country: place[1],
    AccountNumber: `AC${pad(account, 8)}`,
    Amount: cents / 100,
    LastModifiedDate: iso,
  };
  let record = full;
  if (fields) {
    record = {};
    for (const name of fields) record[name] = full[name];
  }
  if (extraTimeField !== undefined) record[extraTimeField] = iso;
  return record;
}
