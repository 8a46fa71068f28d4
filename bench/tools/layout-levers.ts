// Diagnostic, not a benchmark: what each candidate layout of the ingestion tables would let ingestion
// reach. Runs the ingestion of bench/ingestion.ts on SQLite into a kept data dir (or reads one given with
// --from), then copies its final rows into each candidate layout the way the limit does (one prepared
// INSERT per table, one transaction, rows in the order ingestion wrote them, the service's pragmas) and
// prints the seconds each table took and the records per second of the whole copy. A layout that only the
// limit can reach tells nothing; this says which levers move the limit before the service is changed.
// With --commit-every N the copy commits every N records' rows (each table's share), as the engine commits
// a page, instead of once: what each commit's scattered index pages cost shows then.
// Run: node --import tsx bench/tools/layout-levers.ts [--records 200000] [--from DIR] [--keep]
//      [--commit-every 2000] [--layouts current,staged-keys,search-columns,staged-search-columns]
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import Sqlite from 'better-sqlite3';
import { KEY_INDEX_TABLES } from '../../src/store/dialects/row-writers/queries.js';
import { parseFlags, printTable, round } from '../lib/common.js';
import { runIngestion, tempDir } from '../lib/ingest-run.js';

const flags = parseFlags(process.argv.slice(2));
const RECORDS = Number(flags.records ?? 200_000);
const COMMIT_EVERY = flags['commit-every'] ? Number(flags['commit-every']) : undefined;
/** staged-keys: records whose key entries wait in the staging table before one sorted merge. */
const MERGE_EVERY = Number(flags['merge-every'] ?? 100_000);

/** 53 bits of a string (cyrb53): exact in a JavaScript number and in SQLite's 64-bit integer. */
function hash53(text: string, seed = 0): number {
  let h1 = 0xdeadbeef ^ seed;
  let h2 = 0x41c6ce57 ^ seed;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}

type Row = Record<string, unknown>;
interface Table {
  name: string;
  ddl: string;
  rows: Row[];
}
interface Layout {
  name: string;
  about: string;
  tables: (source: Source) => Table[];
  /** Run after each commit with the records copied so far (and once more with `final`). */
  afterCommit?: (db: Sqlite.Database, records: number, final: boolean) => void;
}
interface Source {
  profiles: Row[];
  objects: Row[];
  history: Row[];
  keys: Row[];
}

const PROFILES_TEXT_PK = `create table profiles (account_id text not null, region text not null, domain_name text not null, profile_id text not null,
  attributes text not null, created_at bigint not null, updated_at bigint not null, attribute_sources text, is_inferred integer default 0 not null,
  created_record_id text, created_by text, constraint profiles_pk primary key (account_id, region, domain_name, profile_id))`;
const OBJECTS_TEXT_PK = `create table profile_objects (account_id text not null, region text not null, domain_name text not null, object_type_name text not null,
  unique_key text not null, profile_id text not null, object text not null, source_updated_at bigint, size_bytes bigint not null, created_at bigint not null,
  updated_at bigint not null, key_values text, ingested_record_id text, ingested_by text, constraint profile_objects_pk primary key (account_id, region, domain_name, object_type_name, unique_key));
  create index profile_objects_by_profile on profile_objects (account_id, region, domain_name, profile_id, object_type_name, unique_key)`;
const HISTORY_TEXT_PK = `create table profile_history (account_id text not null, region text not null, domain_name text not null, profile_id text not null,
  record_id text not null, object_type_name text not null, action_type text not null, unique_key text, content text, performed_by text not null,
  created_at bigint not null, updated_at bigint not null, constraint profile_history_pk primary key (account_id, region, domain_name, profile_id, record_id)) without rowid`;
const KEYS_TEXT = `create table profile_keys (domain_id bigint not null, key_name text not null, key_value text not null, profile_id text not null,
  constraint profile_keys_pk primary key (domain_id, key_name, key_value, profile_id)) without rowid`;

const PROFILES_DOMAIN_ID = (withoutRowid: boolean) => `create table profiles (domain_id integer not null, profile_id text not null,
  attributes text not null, created_at bigint not null, updated_at bigint not null, attribute_sources text, is_inferred integer default 0 not null,
  created_record_id text, created_by text, constraint profiles_pk primary key (domain_id, profile_id))${withoutRowid ? ' without rowid' : ''}`;
const OBJECTS_DOMAIN_ID = `create table profile_objects (domain_id integer not null, object_type_name text not null,
  unique_key text not null, profile_id text not null, object text not null, source_updated_at bigint, size_bytes bigint not null, created_at bigint not null,
  updated_at bigint not null, key_values text, ingested_record_id text, ingested_by text, constraint profile_objects_pk primary key (domain_id, object_type_name, unique_key));
  create index profile_objects_by_profile on profile_objects (domain_id, profile_id, object_type_name, unique_key)`;
const HISTORY_DOMAIN_ID = `create table profile_history (domain_id integer not null, profile_id text not null,
  record_id text not null, object_type_name text not null, action_type text not null, unique_key text, content text, performed_by text not null,
  created_at bigint not null, updated_at bigint not null, constraint profile_history_pk primary key (domain_id, profile_id, record_id)) without rowid`;
const KEYS_HASHED = `create table profile_keys (domain_id integer not null, key_hash integer not null, profile_id text not null, key_name text not null, key_value text not null,
  constraint profile_keys_pk primary key (domain_id, key_hash, profile_id)) without rowid`;

/**
 * The standard search keys as columns of the profile row, each with a partial index, instead of key
 * index rows: SearchProfiles by `_email`, `_phone` or `_fullName` would read the profiles by that index,
 * and the key index would keep only the object types' own keys. One value per key and profile here (the
 * benchmark's profiles have one of each); a profile with several email attributes would need a column
 * per attribute or a narrow side table.
 */
const STANDARD_SEARCH_KEYS: Record<string, string> = { _email: 'search_email', _phone: 'search_phone', _fullName: 'search_full_name' };
const PROFILES_SEARCH_COLUMNS = `${PROFILES_TEXT_PK.replace(/,\s*constraint profiles_pk/, `, ${Object.values(STANDARD_SEARCH_KEYS).map((c) => `${c} text`).join(', ')}, constraint profiles_pk`)};
  ${Object.values(STANDARD_SEARCH_KEYS)
    .map((c) => `create index profiles_by_${c} on profiles (account_id, region, domain_name, ${c}) where ${c} is not null`)
    .join(';\n  ')}`;
function withSearchColumns(s: Source): Row[] {
  const byProfile = new Map<unknown, Row>();
  for (const k of s.keys) {
    const column = STANDARD_SEARCH_KEYS[k.key_name as string];
    if (!column) continue;
    const values = byProfile.get(k.profile_id) ?? {};
    values[column] ??= k.key_value;
    byProfile.set(k.profile_id, values);
  }
  const none = Object.fromEntries(Object.values(STANDARD_SEARCH_KEYS).map((c) => [c, null]));
  return s.profiles.map((p) => ({ ...p, ...none, ...byProfile.get(p.profile_id) }));
}
const withoutStandardKeys = (rows: Row[]) => rows.filter((k) => !Object.hasOwn(STANDARD_SEARCH_KEYS, k.key_name as string));

const withDomainId = (rows: Row[]) => rows.map(({ account_id: _a, region: _r, domain_name: _d, ...rest }) => ({ domain_id: 1, ...rest }));
const hashedKeys = (rows: Row[]) =>
  rows.map((k) => ({ domain_id: k.domain_id, key_hash: hash53(`${k.key_name as string}\u0000${k.key_value as string}`), profile_id: k.profile_id, key_name: k.key_name, key_value: k.key_value }));
const withoutIngested = (rows: Row[]) => rows.filter((r) => r.action_type !== 'INGESTED');

type TableName = 'profiles' | 'profile_objects' | 'profile_history' | 'profile_keys';
/** The current layout, table by table; each candidate replaces some of them. */
const CURRENT: Record<TableName, (s: Source) => Omit<Table, 'name'>> = {
  profiles: (s) => ({ ddl: PROFILES_TEXT_PK, rows: s.profiles }),
  profile_objects: (s) => ({ ddl: OBJECTS_TEXT_PK, rows: s.objects }),
  profile_history: (s) => ({ ddl: HISTORY_TEXT_PK, rows: s.history }),
  profile_keys: (s) => ({ ddl: KEYS_TEXT, rows: s.keys }),
};

function layout(name: string, about: string, changes: Partial<typeof CURRENT>): Layout {
  const tables = { ...CURRENT, ...changes };
  return { name, about, tables: (s) => (Object.keys(tables) as TableName[]).map((t) => ({ name: t, ...tables[t](s) })) };
}

const DOMAIN_IDS: Partial<typeof CURRENT> = {
  profiles: (s) => ({ ddl: PROFILES_DOMAIN_ID(false), rows: withDomainId(s.profiles) }),
  profile_objects: (s) => ({ ddl: OBJECTS_DOMAIN_ID, rows: withDomainId(s.objects) }),
  profile_history: (s) => ({ ddl: HISTORY_DOMAIN_ID, rows: withDomainId(s.history) }),
};

/**
 * The key index written as an LSM tree's first level would be: each commit appends its entries to a
 * small staging table (rowid order is arrival order, so a commit dirties the table's last pages and the
 * staging index, which stays small enough for the cache), and every MERGE_EVERY records the staged
 * entries go into the index in key order, one pass over its pages instead of one scattered write per
 * commit. Lookups would read both; the copy does not look up.
 */
const KEYS_STAGED = `${KEYS_TEXT};
  create table profile_keys_recent (domain_id bigint not null, key_name text not null, key_value text not null, profile_id text not null);
  create index profile_keys_recent_by_value on profile_keys_recent (domain_id, key_name, key_value)`;
function stagedKeysLayout(searchColumns: boolean): Layout {
  let merged = 0;
  const name = searchColumns ? 'staged-search-columns' : 'staged-keys';
  const about = `current, key entries staged and merged into the index in key order every ${MERGE_EVERY} records${searchColumns ? ', the standard search keys as profile columns' : ''}`;
  return {
    ...layout(name, about, {}),
    tables: (s) => [
      searchColumns ? { name: 'profiles', ddl: PROFILES_SEARCH_COLUMNS, rows: withSearchColumns(s) } : { name: 'profiles', ...CURRENT.profiles(s) },
      ...(['profile_objects', 'profile_history'] as const).map((t) => ({ name: t, ...CURRENT[t](s) })),
      { name: 'profile_keys_recent', ddl: KEYS_STAGED, rows: searchColumns ? withoutStandardKeys(s.keys) : s.keys },
    ],
    afterCommit(db, records, final) {
      if (!final && records - merged < MERGE_EVERY) return;
      merged = records;
      db.transaction(() => {
        db.exec(`insert into profile_keys select domain_id, key_name, key_value, profile_id from profile_keys_recent
          order by domain_id, key_name, key_value, profile_id on conflict do nothing`);
        db.exec('delete from profile_keys_recent');
      })();
    },
  };
}

const LAYOUTS: Layout[] = [
  layout('current', 'as migration 016 leaves it, with the object rows\' held INGESTED records of 018', {}),
  layout('no-ingested', 'current, INGESTED records held by the object rows (no history row)', {
    profile_history: (s) => ({ ddl: HISTORY_TEXT_PK, rows: withoutIngested(s.history) }),
  }),
  layout('domain-ids', 'profiles, objects and history keyed by the integer domain id', DOMAIN_IDS),
  layout('hashed-keys', 'current, key index keyed by a 53-bit hash of name and value, both kept', {
    profile_keys: (s) => ({ ddl: KEYS_HASHED, rows: hashedKeys(s.keys) }),
  }),
  layout('all', 'domain ids, no INGESTED rows, hashed keys, profiles without rowid', {
    ...DOMAIN_IDS,
    profiles: (s) => ({ ddl: PROFILES_DOMAIN_ID(true), rows: withDomainId(s.profiles) }),
    profile_history: (s) => ({ ddl: HISTORY_DOMAIN_ID, rows: withDomainId(withoutIngested(s.history)) }),
    profile_keys: (s) => ({ ddl: KEYS_HASHED, rows: hashedKeys(s.keys) }),
  }),
  layout('search-columns', 'current, the standard search keys as profile columns with partial indexes, not key rows', {
    profiles: (s) => ({ ddl: PROFILES_SEARCH_COLUMNS, rows: withSearchColumns(s) }),
    profile_keys: (s) => ({ ddl: KEYS_TEXT, rows: withoutStandardKeys(s.keys) }),
  }),
  stagedKeysLayout(false),
  stagedKeysLayout(true),
];

function readSource(file: string): Source {
  const db = new Sqlite(file, { readonly: true });
  // Rowid tables scan in insertion order; WITHOUT ROWID ones in key order, so they are read by profile
  // id, which grows with creation time (the order ingestion wrote them; ingest-limit.ts says more).
  const all = (sql: string) => db.prepare(sql).all() as Row[];
  const s: Source = {
    profiles: all('select * from profiles'),
    objects: all('select * from profile_objects'),
    history: all('select * from profile_history order by profile_id'),
    // The service's key index is more than one table on SQLite (KEY_INDEX_TABLES): entries merged, staged and recent.
    keys: all(`select * from (${KEY_INDEX_TABLES.map((t) => `select * from ${t}`).join(' union ')}) order by profile_id`),
  };
  db.close();
  return s;
}

function copyInto(dir: string, layout: Layout, source: Source): Record<string, number> {
  const tables = layout.tables(source);
  const db = new Sqlite(join(dir, 'levers.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('wal_autocheckpoint = 16384');
  db.pragma('cache_size = -65536');
  for (const t of tables) db.exec(t.ddl);
  const records = source.objects.length;
  const step = COMMIT_EVERY ?? records;
  const inserts = tables.map((t) => {
    const columns = t.rows.length ? Object.keys(t.rows[0]) : [];
    return columns.length ? db.prepare(`insert into ${t.name} (${columns.join(', ')}) values (${columns.map((c) => `@${c}`).join(', ')})`) : undefined;
  });
  const seconds: Record<string, number> = Object.fromEntries(tables.map((t) => [t.name, 0]));
  const started = performance.now();
  for (let from = 0; from < records; from += step) {
    const to = Math.min(records, from + step);
    db.transaction(() => {
      tables.forEach((t, i) => {
        // Each table's share of these records: its rows are in the order ingestion wrote them.
        const rows = t.rows.slice(Math.floor((from * t.rows.length) / records), Math.floor((to * t.rows.length) / records));
        const at = performance.now();
        for (const r of rows) inserts[i]?.run(r);
        seconds[t.name] += (performance.now() - at) / 1000;
      });
    })();
    const at = performance.now();
    layout.afterCommit?.(db, to, to === records);
    if (layout.afterCommit) seconds.merges = (seconds.merges ?? 0) + (performance.now() - at) / 1000;
  }
  seconds.total = (performance.now() - started) / 1000;
  db.close();
  return seconds;
}

async function main() {
  let from = flags.from ? String(flags.from) : undefined;
  const kept = from ? undefined : tempDir('pf-levers-source-');
  if (kept) {
    await runIngestion({ backend: 'sqlite', store: kept.dir, records: RECORDS, workflows: 1 });
    from = kept.dir;
  }
  const source = readSource(join(from as string, 'profileflow.db'));
  const records = source.objects.length;
  const rows = [];
  const only = flags.layouts ? new Set(String(flags.layouts).split(',')) : undefined;
  for (const layout of LAYOUTS.filter((l) => !only || only.has(l.name))) {
    const target = tempDir('pf-levers-');
    try {
      const s = copyInto(target.dir, layout, source);
      rows.push({
        layout: layout.name,
        profiles: round(s.profiles, 2),
        profile_objects: round(s.profile_objects, 2),
        profile_history: round(s.profile_history, 2),
        profile_keys: round(s.profile_keys ?? s.profile_keys_recent, 2),
        merges: s.merges === undefined ? '-' : round(s.merges, 2),
        total: round(s.total, 2),
        recordsPerS: Math.round(records / s.total),
        about: layout.about,
      });
    } finally {
      target.remove();
    }
  }
  printTable(`layout levers: ${records} records, seconds per table and the copy's records/s`, rows);
  if (kept && !flags.keep) kept.remove();
  else if (kept) console.log(`source kept in ${kept.dir}`);
  if (flags.from === undefined && !flags.keep) rmSync(from as string, { recursive: true, force: true });
}

await main();
