import type { Migration } from 'kysely';
import type { AnyDb } from './index.js';

/**
 * What ingestion needs beyond 001: the key index that lets an object find its profile, the key values
 * of each object (for ListProfileObjects' ObjectFilter), and, on profiles, where each standard
 * attribute came from (DeleteProfileObjectType scrubs them) and whether the profile was inferred.
 */
export const m002ProfileObjects: Migration = {
  async up(db: AnyDb) {
    // One row per (key, value, profile). A key value may, rarely, point at several profiles (AWS then
    // rejects the match), so the profile id is part of the primary key rather than a unique lookup.
    // The primary key's prefix (…, key_name, key_value) is the lookup index.
    await db.schema
      .createTable('profile_keys')
      .addColumn('account_id', 'text', (c) => c.notNull())
      .addColumn('region', 'text', (c) => c.notNull())
      .addColumn('domain_name', 'text', (c) => c.notNull())
      .addColumn('key_name', 'text', (c) => c.notNull())
      .addColumn('key_value', 'text', (c) => c.notNull())
      .addColumn('profile_id', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('profile_keys_pk', [
        'account_id',
        'region',
        'domain_name',
        'key_name',
        'key_value',
        'profile_id',
      ])
      .execute();
    // No index by profile: every batch would write a page of it per key at random (profile ids are
    // random), a third of ingestion's writes. Deleting or merging a profile finds its
    // keys through its objects' key_values, and profile_objects is indexed by profile.

    // JSON {keyName: value} of the keys the object carried when it was stored.
    await db.schema.alterTable('profile_objects').addColumn('key_values', 'text').execute();
    // ListProfileObjects walks one profile's objects of one type in unique-key order: with unique_key
    // last, the keyset page is an index range scan instead of a sort. It replaces 001's index, which is
    // its prefix, so that ingestion still maintains only one secondary index on profile_objects.
    await db.schema.dropIndex('profile_objects_by_profile').execute();
    await db.schema
      .createIndex('profile_objects_by_profile')
      .on('profile_objects')
      .columns(['account_id', 'region', 'domain_name', 'profile_id', 'object_type_name', 'unique_key'])
      .execute();

    // JSON {attributePath: {t: objectTypeName, p: sourcePriority | null}}.
    await db.schema.alterTable('profiles').addColumn('attribute_sources', 'text').execute();
    await db.schema
      .alterTable('profiles')
      .addColumn('is_inferred', 'integer', (c) => c.notNull().defaultTo(0))
      .execute();

    // Integrations made for internal use are listed only on request (ListIntegrations include-hidden).
    await db.schema
      .alterTable('integrations')
      .addColumn('hidden', 'integer', (c) => c.notNull().defaultTo(0))
      .execute();
    // The workflow engine removes the integrations of a deleted workflow by its id.
    await db.schema
      .createIndex('integrations_by_workflow')
      .on('integrations')
      .columns(['account_id', 'region', 'domain_name', 'workflow_id'])
      .execute();
  },
};
