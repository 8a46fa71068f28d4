import type { Kysely, Migration, MigrationProvider } from 'kysely';
import { m001Foundation } from './001-foundation.js';
import { m002ProfileObjects } from './002-profile-objects.js';
import { m004ConnectorProfiles } from './004-connector-profiles.js';
import { m003Workflows } from './003-workflows.js';
import { m005StepDroppedRecords } from './005-step-dropped-records.js';
import { m008EventsWebhooks } from './008-events-webhooks.js';
import { m006ProfileSearch } from './006-profile-search.js';
import { m007ProfileKeysWithoutRowid } from './007-profile-keys-without-rowid.js';
import { m009Appflow } from './009-appflow.js';
import { m010ProfileHistory } from './010-profile-history.js';
import { m011FlowRuns } from './011-flow-runs.js';
import { m012KeyIndexDomainIds } from './012-key-index-domain-ids.js';
import { m013ProfileMerges } from './013-profile-merges.js';
import { m014StepReadPosition } from './014-step-read-position.js';
import { m015ProfileCreatedRecord } from './015-profile-created-record.js';
import { m016FlowsByWorkflow } from './016-flows-by-workflow.js';
import { m017StagedKeyIndex } from './017-staged-key-index.js';
import { m018ObjectIngestedRecord } from './018-object-ingested-record.js';
import { m019TextComparedAsBytes } from './019-text-compared-as-bytes.js';
import { m020ClaimIndexes } from './020-claim-indexes.js';
import { m021ClientTokens } from './021-client-tokens.js';
import { m022DomainPurges } from './022-domain-purges.js';
import { m023RecentKeyEntries } from './023-recent-key-entries.js';

/**
 * Numbered, forward-only migrations. A migration never changes once landed: a later change is a new
 * number. They are code (not SQL files) so that the built package needs nothing beside dist/.
 */
export const migrations: Record<string, Migration> = {
  '001-foundation': m001Foundation,
  '002-profile-objects': m002ProfileObjects,
  '004-connector-profiles': m004ConnectorProfiles,
  '003-workflows': m003Workflows,
  '005-step-dropped-records': m005StepDroppedRecords,
  '006-profile-search': m006ProfileSearch,
  '007-profile-keys-without-rowid': m007ProfileKeysWithoutRowid,
  '008-events-webhooks': m008EventsWebhooks,
  '009-appflow': m009Appflow,
  '010-profile-history': m010ProfileHistory,
  '011-flow-runs': m011FlowRuns,
  '012-key-index-domain-ids': m012KeyIndexDomainIds,
  '013-profile-merges': m013ProfileMerges,
  '014-step-read-position': m014StepReadPosition,
  '015-profile-created-record': m015ProfileCreatedRecord,
  '016-flows-by-workflow': m016FlowsByWorkflow,
  '017-staged-key-index': m017StagedKeyIndex,
  '018-object-ingested-record': m018ObjectIngestedRecord,
  '019-text-compared-as-bytes': m019TextComparedAsBytes,
  '020-claim-indexes': m020ClaimIndexes,
  '021-client-tokens': m021ClientTokens,
  '022-domain-purges': m022DomainPurges,
  '023-recent-key-entries': m023RecentKeyEntries,
};

export const migrationProvider: MigrationProvider = {
  getMigrations: async () => migrations,
};

export type AnyDb = Kysely<any>;
