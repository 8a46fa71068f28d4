import type { Scope } from '../domain/scope.js';
import type { Store } from '../store/types.js';
import type { ConnectorProfile } from './types.js';

/**
 * The connector profile a flow or workflow of `scope` reads through when it names `name`: the account's
 * own (created through AppFlow in that account and region) when it has one, else the operator's
 * (config file, admin routes), which every account shares. An account's profile is never visible to
 * another account or region. The one place profiles are looked up by name, so the operations and the
 * engine cannot disagree about which one a name means.
 */
export async function resolveConnectorProfile(
  store: Pick<Store, 'accountConnectorProfiles' | 'connectorProfiles'>,
  scope: Scope,
  name: string,
): Promise<(ConnectorProfile & { owner: 'account' | 'operator' }) | undefined> {
  const own = await store.accountConnectorProfiles.get(scope, name);
  if (own) return { name: own.name, kind: own.kind, connectorTypes: own.connectorTypes, settings: own.settings, owner: 'account' };
  const shared = await store.connectorProfiles.get(name);
  if (!shared) return undefined;
  return { name: shared.name, kind: shared.kind, connectorTypes: shared.connectorTypes, settings: shared.settings, owner: 'operator' };
}
