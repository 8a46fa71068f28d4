/**
 * `connectorPolicy` in the config file and its two flags: how the operator states what connector
 * profiles may reach. Before it there was nothing to state: every profile reached everything.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { after, describe, test } from 'node:test';
import { ConfigError, resolveConfig } from '../../src/cli/config.js';
import { DEFAULT_ALLOW_HOSTS, DEFAULT_CONNECTOR_POLICY } from '../../src/connectors/policy.js';

const dir = realpathSync(mkdtempSync(join(tmpdir(), 'pf-config-policy-')));
after(() => rmSync(dir, { recursive: true, force: true }));
const a = join(dir, 'a');
const b = join(dir, 'b');
mkdirSync(a);
mkdirSync(b);

let files = 0;
function configFile(content: Record<string, unknown>): string {
  const path = join(dir, `config-${++files}.json`);
  writeFileSync(path, JSON.stringify(content));
  return path;
}

function configError(flags: Record<string, string>, env: NodeJS.ProcessEnv = {}): string {
  try {
    resolveConfig(flags, env);
  } catch (err) {
    assert.ok(err instanceof ConfigError, `a ConfigError, got ${String(err)}`);
    return err.message;
  }
  assert.fail('the config was accepted');
}

describe('connectorPolicy', () => {
  test('without any setting the default policy applies: no roots, vendor hosts, no private addresses', () => {
    assert.deepEqual(resolveConfig({}, {}).connectorPolicy, DEFAULT_CONNECTOR_POLICY);
    assert.equal(DEFAULT_CONNECTOR_POLICY.secretEnvPrefix, 'PROFILEFLOW_SECRET_');
  });

  test('the config file sets every member', () => {
    const config = resolveConfig(
      { config: configFile({ connectorPolicy: { fileRoots: [a], allowHosts: ['*.example.com'], allowPrivateAddresses: true, secretEnvPrefix: 'PF_' } }) },
      {},
    );
    assert.deepEqual(config.connectorPolicy, { fileRoots: [a], allowHosts: ['*.example.com'], allowPrivateAddresses: true, secretEnvPrefix: 'PF_' });
  });

  test('--file-roots (a path-delimited list) and --allow-private-addresses win over the file; their variables too', () => {
    const path = configFile({ connectorPolicy: { fileRoots: [a], allowPrivateAddresses: true } });
    const flags = resolveConfig({ config: path, 'file-roots': `${a}${delimiter}${b}`, 'allow-private-addresses': 'false' }, {});
    assert.deepEqual(flags.connectorPolicy.fileRoots, [a, b]);
    assert.equal(flags.connectorPolicy.allowPrivateAddresses, false);
    assert.deepEqual(flags.connectorPolicy.allowHosts, [...DEFAULT_ALLOW_HOSTS]);
    const env = resolveConfig({ config: path }, { PROFILEFLOW_FILE_ROOTS: b, PROFILEFLOW_ALLOW_PRIVATE_ADDRESSES: 'false' });
    assert.deepEqual(env.connectorPolicy.fileRoots, [b]);
    assert.equal(env.connectorPolicy.allowPrivateAddresses, false);
  });

  test('an unknown member, a root that does not exist and a bad boolean stop the start, named', () => {
    assert.match(configError({ config: configFile({ connectorPolicy: { allowedHosts: [] } }) }), /Unknown member 'allowedHosts' in connectorPolicy/);
    assert.match(configError({ 'file-roots': join(dir, 'missing') }), /The file root '.*missing' does not exist/);
    assert.match(configError({ 'allow-private-addresses': 'yes' }), /--allow-private-addresses must be true or false/);
    assert.match(configError({ config: configFile({ connectorPolicy: [] }) }), /connectorPolicy must be a JSON object/);
  });

  test('declared profiles are checked against the policy of the same file', () => {
    const path = configFile({
      connectorPolicy: { fileRoots: [a] },
      connectorProfiles: [{ name: 'out', kind: 'files', settings: { directory: b } }],
    });
    assert.match(configError({ config: path }), /connector profile 'out'.*outside every folder/);
    assert.equal(resolveConfig({ config: path, 'file-roots': b }, {}).connectorProfiles?.[0].name, 'out');
  });
});
