import type { Kysely, Migration, MigrationProvider } from 'kysely';
import { m001Foundation } from './001-foundation.js';
import { m002ProfileObjects } from './002-profile-objects.js';
import { m004ConnectorProfiles } from './004-connector-profiles.js';
import { m003Workflows } from './003-workflows.js';

/**
 * Numbered, forward-only migrations. A migration never changes once landed: a later change is a new
 * number. They are code (not SQL files) so that the built package needs nothing beside dist/.
 */
export const migrations: Record<string, Migration> = {
  '001-foundation': m001Foundation,
  '002-profile-objects': m002ProfileObjects,
  '004-connector-profiles': m004ConnectorProfiles,
  '003-workflows': m003Workflows,
};

export const migrationProvider: MigrationProvider = {
  getMigrations: async () => migrations,
};

export type AnyDb = Kysely<any>;
