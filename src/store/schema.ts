/**
 * The tables as Kysely sees them. Times are epoch milliseconds (bigint), structured values JSON text:
 * the two dialects agree on both. Every table leads with (account_id, region): nothing is ever read
 * without the caller's scope.
 */
export interface Database {
  settings: { key: string; value: string };
  domains: DomainsTable;
  tags: TagsTable;
  object_types: ObjectTypesTable;
  profiles: ProfilesTable;
  profile_objects: ProfileObjectsTable;
  integrations: IntegrationsTable;
}

interface Scoped {
  account_id: string;
  region: string;
}

export interface DomainsTable extends Scoped {
  domain_name: string;
  default_expiration_days: number | null;
  default_encryption_key: string | null;
  dead_letter_queue_url: string | null;
  matching: string | null;
  rule_based_matching: string | null;
  data_store: string | null;
  created_at: number;
  updated_at: number;
}

export interface TagsTable extends Scoped {
  resource_arn: string;
  tag_key: string;
  tag_value: string;
}

export interface ObjectTypesTable extends Scoped {
  domain_name: string;
  object_type_name: string;
  definition: string;
  created_at: number;
  updated_at: number;
}

export interface ProfilesTable extends Scoped {
  domain_name: string;
  profile_id: string;
  attributes: string;
  created_at: number;
  updated_at: number;
}

export interface ProfileObjectsTable extends Scoped {
  domain_name: string;
  object_type_name: string;
  unique_key: string;
  profile_id: string;
  object: string;
  source_updated_at: number | null;
  size_bytes: number;
  created_at: number;
  updated_at: number;
}

export interface IntegrationsTable extends Scoped {
  domain_name: string;
  uri: string;
  definition: string;
  workflow_id: string | null;
  created_at: number;
  updated_at: number;
}
