import type { Kysely } from 'kysely';
import type { SourceConnectorType } from '../../api/shapes.generated.js';
import type { ConnectorProfile } from '../../connectors/types.js';
import type { ConnectorProfilesTable, Database } from '../schema.js';
import type { ConnectorProfileRecord, ConnectorProfileRepository, ConnectorProfileSource } from '../types.js';

export class KyselyConnectorProfileRepository implements ConnectorProfileRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async get(name: string): Promise<ConnectorProfileRecord | undefined> {
    const row = await this.db.selectFrom('connector_profiles').selectAll().where('name', '=', name).executeTakeFirst();
    return row && fromRow(row);
  }

  async list(): Promise<ConnectorProfileRecord[]> {
    const rows = await this.db.selectFrom('connector_profiles').selectAll().execute();
    // Sorted here by code point: PostgreSQL's ORDER BY follows the database's collation, SQLite's does not.
    return rows.map(fromRow).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  async put(profile: ConnectorProfile, source: ConnectorProfileSource, now: number): Promise<ConnectorProfileRecord> {
    const row: ConnectorProfilesTable = {
      name: profile.name,
      kind: profile.kind,
      connector_types: JSON.stringify(profile.connectorTypes),
      settings: JSON.stringify(profile.settings),
      source,
      created_at: now,
      updated_at: now,
    };
    // One upsert rather than read-then-write: two nodes starting from the same config file at once must
    // not trip over each other's insert. created_at survives replacement.
    await this.db
      .insertInto('connector_profiles')
      .values(row)
      .onConflict((oc) =>
        oc.column('name').doUpdateSet({
          kind: row.kind,
          connector_types: row.connector_types,
          settings: row.settings,
          source: row.source,
          updated_at: row.updated_at,
        }),
      )
      .execute();
    const stored = await this.get(profile.name);
    if (!stored) throw new Error(`The connector profile '${profile.name}' vanished right after being written.`);
    return stored;
  }

  async delete(name: string): Promise<boolean> {
    const result = await this.db.deleteFrom('connector_profiles').where('name', '=', name).executeTakeFirst();
    return Number(result.numDeletedRows) === 1;
  }
}

function fromRow(row: ConnectorProfilesTable): ConnectorProfileRecord {
  return {
    name: row.name,
    kind: row.kind,
    connectorTypes: JSON.parse(row.connector_types) as SourceConnectorType[],
    settings: JSON.parse(row.settings) as Record<string, unknown>,
    source: row.source as ConnectorProfileSource,
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
}
