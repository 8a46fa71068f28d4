import type { FieldContentType } from '../../api/shapes.generated.js';
import { compiledFor } from './compile.js';
import { keyContentType, normalizeKeyValue } from './key-values.js';
import type { ObjectTypeDefinition } from './types.js';

// The standard search keys.

/**
 * "The standard profile object is indexed by the keys in the following table" (admin guide, Standard
 * profile definition): _phone, _email, _account, _profileId, _fullName, with the content type their
 * values are compared by [I]. `_profileId` is the profile's id and needs no index entries.
 */
export const STANDARD_PROFILE_KEYS: Readonly<Record<string, { contentType: FieldContentType; members: readonly string[] }>> = {
  _phone: { contentType: 'PHONE_NUMBER', members: ['PhoneNumber', 'MobilePhoneNumber', 'HomePhoneNumber', 'BusinessPhoneNumber'] },
  _email: { contentType: 'EMAIL_ADDRESS', members: ['EmailAddress', 'PersonalEmailAddress', 'BusinessEmailAddress'] },
  _account: { contentType: 'STRING', members: ['AccountNumber'] },
  // "FirstName MiddleName LastName": the parts present, joined by single spaces.
  _fullName: { contentType: 'NAME', members: ['FirstName', 'MiddleName', 'LastName'] },
};

/** The standard index entries a standard profile's attributes give it (normalized, without duplicates). */
export function standardProfileKeys(attributes: Record<string, unknown>): { keyName: string; keyValue: string }[] {
  const out: { keyName: string; keyValue: string }[] = [];
  const text = (member: string) => {
    const v = attributes[member];
    return typeof v === 'string' && v.trim() !== '' ? v : undefined;
  };
  for (const [keyName, { contentType, members }] of Object.entries(STANDARD_PROFILE_KEYS)) {
    const raws =
      keyName === '_fullName'
        ? [members.map(text).filter((v): v is string => v !== undefined).join(' ')]
        : members.map(text).filter((v): v is string => v !== undefined);
    const seen = new Set<string>();
    for (const raw of raws) {
      const keyValue = raw === '' ? undefined : normalizeKeyValue(contentType, raw);
      if (keyValue === undefined || seen.has(keyValue)) continue;
      seen.add(keyValue);
      out.push({ keyName, keyValue });
    }
  }
  return out;
}

/**
 * How SearchProfiles compares a KeyName's values: a standard key by its content type; another key as
 * the first object type (by name) that defines a key of that name indexes it [I]; otherwise as text.
 */
export function searchKeyContentType(keyName: string, types: readonly ObjectTypeDefinition[]): FieldContentType {
  if (Object.hasOwn(STANDARD_PROFILE_KEYS, keyName)) return STANDARD_PROFILE_KEYS[keyName].contentType;
  for (const def of types) {
    if (!def.keys || !Object.hasOwn(def.keys, keyName)) continue;
    const compiled = compiledFor(def);
    if (compiled.ok) return keyContentType(compiled.type, keyName) ?? 'STRING';
  }
  return 'STRING';
}
