import { realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ConnectorPolicy, DEFAULT_ALLOW_HOSTS } from '../../src/connectors/policy.js';

/** The fixture folders files sources read in tests. */
export const FIXTURES_DIR = realpathSync(join(import.meta.dirname, '..', 'fixtures'));

/**
 * The policy tests run connectors under: files below the fixtures, the system's temporary folder (where
 * tests write their sources) and `roots`; the vendors' hosts plus the loopback servers that stand in
 * for them; private addresses allowed, since those servers listen on loopback; and any variable name
 * for `…Env` settings (tests name their own). Production defaults stay as they are: this is passed
 * explicitly wherever a test reads through a connector.
 */
export function testConnectorPolicy(...roots: string[]): ConnectorPolicy {
  return {
    fileRoots: [FIXTURES_DIR, realpathSync(tmpdir()), ...roots.map((r) => realpathSync(r))],
    allowHosts: [...DEFAULT_ALLOW_HOSTS, '127.0.0.1', 'localhost', '::1'],
    allowPrivateAddresses: true,
    secretEnvPrefix: '',
  };
}
