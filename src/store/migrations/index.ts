import type { Kysely, Migration, MigrationProvider } from 'kysely';
import { m001Foundation } from './001-foundation.js';

/**
 * Numbered, forward-only migrations. A migration never changes once landed: a later change is a new
 * number. They are code (not SQL files) so that the built package needs nothing beside dist/.
 */
export const migrations: Record<string, Migration> = {
  '001-foundation': m001Foundation,
};

export const migrationProvider: MigrationProvider = {
  getMigrations: async () => migrations,
};

export type AnyDb = Kysely<any>;
