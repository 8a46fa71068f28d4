import type { MapShape, StructureShape } from '../../api/model-types.js';
import { shapeOf } from '../../api/service.js';
import type { TargetSpec } from './types.js';

// Targets: the standard profile's members, read from the model's Profile shape.

/** The Target that marks the field carrying the source's last-updated time (as AWS's own solutions map it) [I]. */
const SOURCE_TIMESTAMP_TARGET = '_profile.SourceLastUpdatedTimestamp';

interface ProfileMembers {
  strings: Set<string>;
  addresses: Set<string>;
  addressMembers: Set<string>;
  attributes: string | undefined;
}

let profileMembers: ProfileMembers | undefined;
export function standardProfile(): ProfileMembers {
  if (profileMembers) return profileMembers;
  const profile = shapeOf('Profile') as StructureShape;
  const members: ProfileMembers = { strings: new Set(), addresses: new Set(), addressMembers: new Set(), attributes: undefined };
  for (const [name, ref] of Object.entries(profile.members)) {
    if (name === 'ProfileId') continue;
    const shape = shapeOf(ref.shape);
    if (shape.type === 'string') members.strings.add(name);
    else if (ref.shape === 'Address') members.addresses.add(name);
    else if (shape.type === 'map' && shapeOf((shape as MapShape).value.shape).type === 'string') members.attributes = name;
  }
  for (const name of Object.keys((shapeOf('Address') as StructureShape).members)) members.addressMembers.add(name);
  profileMembers = members;
  return members;
}

export function parseTarget(target: string): TargetSpec | undefined {
  if (target === SOURCE_TIMESTAMP_TARGET) return { kind: 'source-timestamp' };
  if (!target.startsWith('_profile.')) return undefined;
  const rest = target.slice('_profile.'.length);
  const dot = rest.indexOf('.');
  const head = dot === -1 ? rest : rest.slice(0, dot);
  const tail = dot === -1 ? undefined : rest.slice(dot + 1);
  const members = standardProfile();
  if (members.strings.has(head) && tail === undefined) return { kind: 'leaf', path: [head] };
  if (members.addresses.has(head)) {
    if (tail === undefined) return { kind: 'address', member: head };
    if (members.addressMembers.has(tail)) return { kind: 'leaf', path: [head, tail] };
    return undefined;
  }
  if (head === members.attributes && tail) return { kind: 'leaf', path: [head, tail] };
  return undefined;
}
