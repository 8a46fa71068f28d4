import { serviceModel } from '../api/service.js';
import { isJsonObject } from '../domain/json-object.js';
import type { StringShape } from '../api/model-types.js';
import type { SourceConnectorType } from '../api/shapes.generated.js';
import { connectorFor, connectorKinds } from './index.js';
import { type ConnectorPolicy, DEFAULT_CONNECTOR_POLICY, policyProblems } from './policy.js';
import { quoted } from './shared/settings.js';
import type { ConnectorProfile } from './types.js';

const nameShape = serviceModel.shapes.ConnectorProfileName as StringShape;
const typeShape = serviceModel.shapes.SourceConnectorType as StringShape;

/** A flow's ConnectorProfileName rules, from the model (whose patterns are whole-string matches). */
export const CONNECTOR_PROFILE_NAME_MAX = nameShape.max ?? 256;
export const CONNECTOR_PROFILE_NAME_PATTERN = new RegExp(`^(?:${nameShape.pattern ?? '.+'})$`, 'u');
export const SOURCE_CONNECTOR_TYPES = (typeShape.enum ?? []) as SourceConnectorType[];

/** Kinds that can stand in for any source, so a profile of theirs serves every ConnectorType unless told. */
const ANY_TYPE_KINDS = new Set(['files', 'synthetic']);

/** The problems with a connector profile's name, as sentences. */
export function checkProfileName(name: unknown): string[] {
  if (typeof name !== 'string' || name === '') return ['The connector profile name must be a non-empty string.'];
  const problems: string[] = [];
  if (name.length > CONNECTOR_PROFILE_NAME_MAX) {
    problems.push(
      `The connector profile name must be at most ${CONNECTOR_PROFILE_NAME_MAX} characters, got ${name.length}.`,
    );
  }
  if (!CONNECTOR_PROFILE_NAME_PATTERN.test(name)) {
    problems.push(
      `The connector profile name '${name.slice(0, 64)}' must match ${CONNECTOR_PROFILE_NAME_PATTERN.source} ` +
        '(letters, digits and _ / ! @ # + = . -).',
    );
  }
  return problems;
}

/**
 * Checks a declared or PUT profile (`{kind, connectorTypes?, settings?}`) and returns it normalised, or
 * the problems found, as sentences. The admin routes and the config file share it so both accept the
 * same profiles, within the same operator's policy.
 */
export function checkConnectorProfile(
  name: unknown,
  body: unknown,
  policy: ConnectorPolicy = DEFAULT_CONNECTOR_POLICY,
): { profile: ConnectorProfile; problems: [] } | { profile?: undefined; problems: string[] } {
  const problems = checkProfileName(name);
  if (!isJsonObject(body)) {
    return { problems: [...problems, 'A connector profile must be a JSON object {kind, connectorTypes?, settings}.'] };
  }
  const input = body;
  for (const key of Object.keys(input)) {
    if (key === 'name') {
      if (input.name !== name) problems.push(`The member 'name' (${quoted(input.name)}) differs from the profile name ${quoted(name)}.`);
    } else if (!['kind', 'connectorTypes', 'settings'].includes(key)) {
      problems.push(`Unknown member ${quoted(key)}; a connector profile has kind, connectorTypes and settings.`);
    }
  }

  const kind = input.kind;
  const connector = typeof kind === 'string' ? connectorFor(kind) : undefined;
  if (typeof kind !== 'string' || kind === '') {
    problems.push(`The member 'kind' is required; known kinds: ${connectorKinds().join(', ')}.`);
  } else if (!connector) {
    problems.push(`Unknown connector kind ${quoted(kind)}; known kinds: ${connectorKinds().join(', ')}.`);
  }

  let connectorTypes: SourceConnectorType[] = [];
  if (input.connectorTypes === undefined) {
    if (typeof kind === 'string' && ANY_TYPE_KINDS.has(kind)) connectorTypes = [...SOURCE_CONNECTOR_TYPES];
    else if (connector) problems.push(`The member 'connectorTypes' is required for kind '${kind}'.`);
  } else if (
    !Array.isArray(input.connectorTypes) ||
    input.connectorTypes.length === 0 ||
    input.connectorTypes.some((t) => typeof t !== 'string')
  ) {
    problems.push(`The member 'connectorTypes' must be a non-empty list of ${SOURCE_CONNECTOR_TYPES.join(', ')}.`);
  } else {
    for (const t of input.connectorTypes as string[]) {
      if (!(SOURCE_CONNECTOR_TYPES as string[]).includes(t)) {
        problems.push(`Unknown connector type ${quoted(t)}; the ConnectorType values are ${SOURCE_CONNECTOR_TYPES.join(', ')}.`);
      }
    }
    connectorTypes = [...new Set(input.connectorTypes as SourceConnectorType[])];
  }

  const settings = input.settings ?? {};
  if (!isJsonObject(settings)) {
    problems.push(`The member 'settings' must be a JSON object.`);
  } else if (connector) {
    const own = connector.parseSettings(settings);
    problems.push(...(own.ok ? policyProblems(connector.kind, settings, policy) : own.problems));
  }

  if (problems.length || typeof name !== 'string' || typeof kind !== 'string' || !isJsonObject(settings)) return { problems };
  return { profile: { name, kind, connectorTypes, settings }, problems: [] };
}

const SECRET_KEY = /secret|password|token|key/i;

/** A copy of `value` in which every member whose name looks secret reads "***", at any depth. */
export function maskSecrets<T>(value: T): T {
  if (Array.isArray(value)) return value.map((v) => maskSecrets(v)) as T;
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = SECRET_KEY.test(k) ? '***' : maskSecrets(v);
  return out as T;
}

/**
 * The `connectorProfiles` array of a config file, checked entry by entry. Each problem names the profile
 * (or the entry's position when it has no usable name) so that the operator finds it at once.
 */
export function checkDeclaredProfiles(
  raw: unknown,
  policy: ConnectorPolicy = DEFAULT_CONNECTOR_POLICY,
): { profiles: ConnectorProfile[]; problems: string[] } {
  if (!Array.isArray(raw)) {
    return { profiles: [], problems: ["'connectorProfiles' must be a list of {name, kind, connectorTypes?, settings}."] };
  }
  const profiles: ConnectorProfile[] = [];
  const problems: string[] = [];
  const seen = new Set<string>();
  raw.forEach((entry: unknown, i) => {
    const name = isJsonObject(entry) ? entry.name : undefined;
    const label = typeof name === 'string' && name !== '' ? `connector profile '${name}'` : `connectorProfiles[${i}]`;
    if (typeof name === 'string' && seen.has(name)) {
      problems.push(`${label} is declared more than once.`);
      return;
    }
    if (typeof name === 'string') seen.add(name);
    const checked = checkConnectorProfile(name, entry, policy);
    if (checked.profile) profiles.push(checked.profile);
    else problems.push(`${label}: ${checked.problems.join(' ')}`);
  });
  return { profiles, problems };
}
