import { type Migration, SqliteAdapter, sql } from 'kysely';
import type { AnyDb } from './index.js';

/**
 * On PostgreSQL, every text column of the store compares and sorts by bytes (`COLLATE "C"`), as SQLite's
 * do (BINARY), whatever locale the database was created with.
 *
 * Why:
 * - Speed. The columns are identifiers and key values, looked up by equality and kept in B-trees: the key
 *   index alone takes five entries a record. Under a language collation (a database created with
 *   en_US.UTF-8, or ICU's en-US) each comparison in those trees goes through the locale's rules; under
 *   "C" it is a memcmp. Measured in process (`bench/tools/ingest-ab.ts --records 200000 --backend
 *   postgres --statistics`, docs/performance.md "Text compared as bytes").
 * - One order on both backends. A list ordered by a name (ListDomains, ListProfileObjectTypes, keyset
 *   pages) came out in the locale's order on PostgreSQL ('a' before 'B' under en-US) and in byte order on
 *   SQLite ('B' before 'a'). AWS's identifiers are case-sensitive strings, compared exactly.
 *
 * Every ordinary table of the schema but Kysely's own; the tables' rows are not rewritten (the type stays
 * the same), their indexes are rebuilt. Tables made after this migration declare the collation themselves
 * (a store test checks every text column).
 */
export const m019TextComparedAsBytes: Migration = {
  async up(db: AnyDb) {
    if (db.getExecutor().adapter instanceof SqliteAdapter) return;
    const { rows } = await sql<{ table_name: string; column_name: string; column_type: string }>`
      select c.relname as table_name, a.attname as column_name, format_type(a.atttypid, a.atttypmod) as column_type
      from pg_attribute a
      join pg_class c on c.oid = a.attrelid
      join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = current_schema() and c.relkind = 'r' and c.relname not like 'kysely\\_%'
        and a.attnum > 0 and not a.attisdropped
        and a.attcollation <> 0 and a.attcollation <> 'pg_catalog."C"'::regcollation
      order by c.relname, a.attnum`.execute(db);
    const byTable = new Map<string, { column_name: string; column_type: string }[]>();
    for (const row of rows) byTable.set(row.table_name, [...(byTable.get(row.table_name) ?? []), row]);
    for (const [table, columns] of byTable) {
      const changes = columns.map((c) => sql`alter column ${sql.ref(c.column_name)} type ${sql.raw(c.column_type)} collate "C"`);
      await sql`alter table ${sql.table(table)} ${sql.join(changes)}`.execute(db);
    }
  },
};
