import type { AttributeSource } from '../../store/profile-types.js';
import { getOwn, setOwn } from '../own-properties.js';
import type { ProfileAssignment } from './map-record.js';

// The standard profile.

export interface ProfileState {
  attributes: Record<string, unknown>;
  attributeSources: Record<string, AttributeSource>;
}

/**
 * "Lower values take priority. Object types without a specified source priority default to the
 * lowest priority" (model, SourcePriority). Among equals, and for the type that wrote it, the later
 * write wins [I].
 */
function mayOverwrite(current: AttributeSource | undefined, origin: AttributeSource): boolean {
  if (!current || current.objectTypeName === origin.objectTypeName) return true;
  const rank = (s: AttributeSource) => s.sourcePriority ?? Number.POSITIVE_INFINITY;
  return rank(origin) <= rank(current);
}

/** Writes the assignments a source may write; true when anything changed. */
export function applyProfileValues(
  profile: ProfileState,
  assignments: readonly ProfileAssignment[],
  origin: AttributeSource,
): boolean {
  let changed = false;
  for (const { path, value } of assignments) {
    const before = getOwn(profile.attributeSources, path) as AttributeSource | undefined;
    if (!mayOverwrite(before, origin)) continue;
    const parts = splitPath(path);
    let node = profile.attributes;
    for (const part of parts.slice(0, -1)) {
      let next = getOwn(node, part);
      if (next === null || typeof next !== 'object') setOwn(node, part, (next = {}));
      node = next as Record<string, unknown>;
    }
    const leaf = parts[parts.length - 1];
    if (getOwn(node, leaf) !== value) {
      setOwn(node, leaf, value);
      changed = true;
    }
    const source: AttributeSource =
      origin.sourcePriority === undefined ? { objectTypeName: origin.objectTypeName } : { ...origin };
    if (before?.objectTypeName !== source.objectTypeName || before.sourcePriority !== source.sourcePriority) changed = true;
    setOwn(profile.attributeSources as Record<string, unknown>, path, source);
  }
  return changed;
}

/**
 * Removes every attribute the object type wrote: DeleteProfileObjectType "scrubs all of the fields of
 * the standard profile that were populated from this ProfileObjectType" (model). True when any was.
 */
export function scrubObjectType(profile: ProfileState, objectTypeName: string): boolean {
  let changed = false;
  for (const [path, source] of Object.entries(profile.attributeSources)) {
    if (source.objectTypeName !== objectTypeName) continue;
    delete profile.attributeSources[path];
    removeLeaf(profile.attributes, splitPath(path));
    changed = true;
  }
  return changed;
}

/** `Attributes.<name>` keeps the rest of the path (custom attribute names may contain dots). */
function splitPath(path: string): string[] {
  const dot = path.indexOf('.');
  return dot === -1 ? [path] : [path.slice(0, dot), path.slice(dot + 1)];
}

function removeLeaf(attributes: Record<string, unknown>, parts: string[]): void {
  if (parts.length === 1) {
    delete attributes[parts[0]];
    return;
  }
  const parent = getOwn(attributes, parts[0]);
  if (parent === null || typeof parent !== 'object') return;
  delete (parent as Record<string, unknown>)[parts[1]];
  if (Object.keys(parent).length === 0) delete attributes[parts[0]];
}
