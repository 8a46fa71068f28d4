import type { ConnectorProfile } from '../connectors/types.js';
import type { Clock } from '../engine/clock.js';
import type { Store } from '../store/types.js';

/**
 * Writes the profiles the config file declares, replacing stored ones of the same name (the file is the
 * operator's statement of intent at each start). Profiles created through the admin routes under other
 * names are left alone: the file does not own the whole table.
 */
export async function loadConnectorProfiles(store: Store, profiles: ConnectorProfile[], clock: Clock): Promise<void> {
  if (profiles.length === 0) return;
  const now = clock.now();
  await store.transaction(async (trx) => {
    for (const profile of profiles) await trx.connectorProfiles.put(profile, 'config', now);
  });
}
