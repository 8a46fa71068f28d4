import { getOwn, setOwn } from '../own-properties.js';
import { keyValue, normalizeKeyValue, uniqueKeyOf } from './key-values.js';
import { fieldValue, scalarText } from './sources.js';
import { standardProfile } from './targets.js';
import type { CompiledObjectType, KeyMatch, KeyPersist } from './types.js';

// Mapping one record.

/**
 * Key and profile values become stored text, which cannot hold U+0000 on PostgreSQL: such a record is
 * refused on every backend. A value kept only in the object stays, escaped in its JSON.
 */
const NUL = '\u0000';

export interface MappedKey {
  name: string;
  value: string;
  match: KeyMatch;
  persist: KeyPersist;
}

/** One write on the standard profile: a dotted leaf path (`FirstName`, `Address.City`) and its text. */
export interface ProfileAssignment {
  path: string;
  value: string;
}

export interface MappedRecord {
  uniqueKey: string;
  /** Every key that has a value, in definition order, the UNIQUE one included. */
  keys: MappedKey[];
  keyValues: Record<string, string>;
  /** What the `_profile.…` targets write. */
  profileValues: ProfileAssignment[];
  /** What an inferred profile starts with: the first EMAIL_ADDRESS and PHONE_NUMBER field values. */
  contactValues: ProfileAssignment[];
  sourceUpdatedAt?: number;
}

export type MapResult = { ok: true; mapped: MappedRecord } | { ok: false; message: string };

export function mapRecord(type: CompiledObjectType, record: unknown): MapResult {
  if (record === null || typeof record !== 'object' || Array.isArray(record)) {
    return { ok: false, message: 'The object is not a JSON object.' };
  }
  const values = new Map<string, unknown>();
  const rawOf = (name: string): unknown => {
    if (!values.has(name)) {
      const field = type.fields.get(name);
      values.set(name, field ? fieldValue(record, field) : undefined);
    }
    return values.get(name);
  };
  const normalizedOf = (name: string): string | undefined => {
    const raw = rawOf(name);
    return typeof raw === 'string' ? normalizeKeyValue(type.fields.get(name)?.contentType, raw) : undefined;
  };

  const unique = keyValue(type.uniqueKey, normalizedOf);
  if (unique === undefined) {
    const fields = type.uniqueKey.variants[0]?.join(', ') ?? '';
    return {
      ok: false,
      message: `The object has no value for its UNIQUE key ${type.uniqueKey.name} (field ${fields}): every object of type ${type.objectTypeName} must carry one.`,
    };
  }

  const keys: MappedKey[] = [];
  const keyValues: Record<string, string> = {};
  for (const key of type.keys) {
    const value = key === type.uniqueKey ? unique : keyValue(key, normalizedOf);
    if (value === undefined) continue;
    keys.push({ name: key.name, value, match: key.match, persist: key.persist });
    setOwn(keyValues, key.name, value);
  }

  const profileValues: ProfileAssignment[] = [];
  const contactValues: ProfileAssignment[] = [];
  for (const field of type.fields.values()) {
    const raw = rawOf(field.name);
    if (raw === undefined) continue;
    const target = field.target;
    if (target?.kind === 'leaf' && typeof raw === 'string') {
      profileValues.push({ path: target.path.join('.'), value: raw });
    } else if (target?.kind === 'address' && typeof raw === 'object') {
      for (const member of standardProfile().addressMembers) {
        const text = scalarText(getOwn(raw as object, member));
        if (text !== undefined) profileValues.push({ path: `${target.member}.${member}`, value: text });
      }
    }
    if (typeof raw === 'string') {
      const contact =
        field.contentType === 'EMAIL_ADDRESS' ? 'EmailAddress' : field.contentType === 'PHONE_NUMBER' ? 'PhoneNumber' : undefined;
      if (contact && !contactValues.some((c) => c.path === contact)) contactValues.push({ path: contact, value: raw });
    }
  }

  const unstorable = keys.find((k) => k.value.includes(NUL)) ?? [...profileValues, ...contactValues].find((v) => v.value.includes(NUL));
  if (unstorable) {
    const where = 'path' in unstorable ? `profile value ${unstorable.path}` : `value of key ${unstorable.name}`;
    return { ok: false, message: `The object's ${where} contains the character U+0000, which a profile cannot hold.` };
  }

  let sourceUpdatedAt: number | undefined;
  if (type.timestamp) {
    const raw = rawOf(type.timestamp.field.name);
    if (typeof raw === 'string') {
      sourceUpdatedAt = type.timestamp.parse(raw);
      if (sourceUpdatedAt === undefined) {
        return {
          ok: false,
          message: `The value '${raw.slice(0, 64)}' of field ${type.timestamp.field.name} does not match the SourceLastUpdatedTimestampFormat '${type.timestamp.format}'.`,
        };
      }
    }
  }

  return {
    ok: true,
    mapped: { uniqueKey: uniqueKeyOf(type.uniqueKey.name, unique), keys, keyValues, profileValues, contactValues, sourceUpdatedAt },
  };
}
