import { randomBytes } from 'node:crypto';
import type { Migration } from 'kysely';
import type { AnyDb } from './index.js';

export const m001Foundation: Migration = {
  async up(db: AnyDb) {
    await db.schema
      .createTable('settings')
      .addColumn('key', 'text', (c) => c.primaryKey())
      .addColumn('value', 'text', (c) => c.notNull())
      .execute();
    // Page tokens are signed with this secret; kept in the database so that every node of a cluster,
    // and a restarted one, accepts the tokens the others issued.
    await db
      .insertInto('settings')
      .values({ key: 'page_token_secret', value: randomBytes(32).toString('base64') })
      .execute();

    await db.schema
      .createTable('domains')
      .addColumn('account_id', 'text', (c) => c.notNull())
      .addColumn('region', 'text', (c) => c.notNull())
      .addColumn('domain_name', 'text', (c) => c.notNull())
      .addColumn('default_expiration_days', 'integer')
      .addColumn('default_encryption_key', 'text')
      .addColumn('dead_letter_queue_url', 'text')
      .addColumn('matching', 'text')
      .addColumn('rule_based_matching', 'text')
      .addColumn('data_store', 'text')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('domains_pk', ['account_id', 'region', 'domain_name'])
      .execute();

    await db.schema
      .createTable('tags')
      .addColumn('account_id', 'text', (c) => c.notNull())
      .addColumn('region', 'text', (c) => c.notNull())
      .addColumn('resource_arn', 'text', (c) => c.notNull())
      .addColumn('tag_key', 'text', (c) => c.notNull())
      .addColumn('tag_value', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('tags_pk', ['account_id', 'region', 'resource_arn', 'tag_key'])
      .execute();

    await db.schema
      .createTable('object_types')
      .addColumn('account_id', 'text', (c) => c.notNull())
      .addColumn('region', 'text', (c) => c.notNull())
      .addColumn('domain_name', 'text', (c) => c.notNull())
      .addColumn('object_type_name', 'text', (c) => c.notNull())
      .addColumn('definition', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('object_types_pk', ['account_id', 'region', 'domain_name', 'object_type_name'])
      .execute();

    await db.schema
      .createTable('profiles')
      .addColumn('account_id', 'text', (c) => c.notNull())
      .addColumn('region', 'text', (c) => c.notNull())
      .addColumn('domain_name', 'text', (c) => c.notNull())
      .addColumn('profile_id', 'text', (c) => c.notNull())
      .addColumn('attributes', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('profiles_pk', ['account_id', 'region', 'domain_name', 'profile_id'])
      .execute();

    await db.schema
      .createTable('profile_objects')
      .addColumn('account_id', 'text', (c) => c.notNull())
      .addColumn('region', 'text', (c) => c.notNull())
      .addColumn('domain_name', 'text', (c) => c.notNull())
      .addColumn('object_type_name', 'text', (c) => c.notNull())
      .addColumn('unique_key', 'text', (c) => c.notNull())
      .addColumn('profile_id', 'text', (c) => c.notNull())
      .addColumn('object', 'text', (c) => c.notNull())
      .addColumn('source_updated_at', 'bigint')
      .addColumn('size_bytes', 'bigint', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('profile_objects_pk', [
        'account_id',
        'region',
        'domain_name',
        'object_type_name',
        'unique_key',
      ])
      .execute();
    await db.schema
      .createIndex('profile_objects_by_profile')
      .on('profile_objects')
      .columns(['account_id', 'region', 'domain_name', 'profile_id', 'object_type_name'])
      .execute();

    await db.schema
      .createTable('integrations')
      .addColumn('account_id', 'text', (c) => c.notNull())
      .addColumn('region', 'text', (c) => c.notNull())
      .addColumn('domain_name', 'text', (c) => c.notNull())
      .addColumn('uri', 'text', (c) => c.notNull())
      .addColumn('definition', 'text', (c) => c.notNull())
      .addColumn('workflow_id', 'text')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('integrations_pk', ['account_id', 'region', 'domain_name', 'uri'])
      .execute();
  },
};
