import { createHash } from 'node:crypto';
import type { MapShape, StructureShape } from '../api/model-types.js';
import { shapeOf } from '../api/service.js';
import type { FieldContentType, ObjectTypeField, ObjectTypeKey, StandardIdentifier } from '../api/shapes.generated.js';
import type { AttributeSource } from '../store/profile-types.js';
import { getOwn, setOwn } from './own-properties.js';

/**
 * Object type mapping: from one source record and an object type definition, everything ingestion
 * needs — field values read through `_source.…` accessors, the UNIQUE key and the other key values,
 * the standard profile attributes the `_profile.…` targets set. Pure: no I/O, no clock, no randomness.
 *
 * Semantics follow the Customer Profiles admin guide ("Object type mapping definition details",
 * "Standard identifiers", "How Customer Profiles processes key definitions", "Inferred profiles");
 * where it is silent the choice is marked [I].
 */

/** What a definition must provide; an ObjectTypeRecord is one. */
export interface ObjectTypeDefinition {
  objectTypeName: string;
  templateId?: string;
  allowProfileCreation?: boolean;
  sourceLastUpdatedTimestampFormat?: string;
  sourcePriority?: number;
  fields?: Record<string, ObjectTypeField>;
  keys?: Record<string, ObjectTypeKey[]>;
}

type PathSegment = string | number;
type SourceSpec = { kind: 'path'; path: PathSegment[] } | { kind: 'template'; parts: (string | PathSegment[])[] };

/** Where a Target writes on the standard profile. */
type TargetSpec =
  | { kind: 'leaf'; path: string[] }
  | { kind: 'address'; member: string }
  | { kind: 'source-timestamp' };

interface CompiledField {
  name: string;
  source: SourceSpec;
  target?: TargetSpec;
  contentType: FieldContentType;
}

/** How a key takes part in matching an object to a profile. */
export type KeyMatch = 'primary' | 'secondary' | 'none';
/** Whether a key's value is added to the profile's key index. */
export type KeyPersist = 'always' | 'new-only' | 'never';

interface CompiledKey {
  name: string;
  identifiers: ReadonlySet<StandardIdentifier>;
  /** One list of field names per ObjectTypeKey entry; the first whose fields all have values is used. */
  variants: string[][];
  match: KeyMatch;
  persist: KeyPersist;
}

export interface CompiledObjectType {
  objectTypeName: string;
  allowProfileCreation: boolean;
  sourcePriority?: number;
  fields: Map<string, CompiledField>;
  keys: CompiledKey[];
  uniqueKey: CompiledKey;
  timestamp?: { field: CompiledField; format: string; parse: (text: string) => number | undefined };
}

export type CompileResult = { ok: true; type: CompiledObjectType } | { ok: false; problems: string[] };

/** `_asset.AssetName`, `_order.Status`, `_Contact.Id`: a field of another object than the standard profile. */
const OBJECT_TARGET = /^_[A-Za-z0-9][\w-]*\.[^.\s].*$/;

/** The key whose values are profile ids: it finds a profile by its ProfileId (admin guide) and is never indexed. */
export const PROFILE_ID_KEY = '_profileId';

/** The Target that marks the field carrying the source's last-updated time (as AWS's own solutions map it) [I]. */
const SOURCE_TIMESTAMP_TARGET = '_profile.SourceLastUpdatedTimestamp';
/** A field of this name carries the source's last-updated time when no Target names it [I]. */
const SOURCE_TIMESTAMP_FIELD = 'sourcelastupdatedtimestamp';

/**
 * Checks a definition and prepares it for mapping. The problems are full sentences, each naming the
 * field or key at fault; PutProfileObjectType answers them as one 400.
 */
export function compileObjectType(def: ObjectTypeDefinition): CompileResult {
  // A type made from a template carries the template's Fields and Keys (PutProfileObjectType copies
  // them in), so its templateId needs nothing here.
  const problems: string[] = [];
  const fieldDefs = Object.entries(def.fields ?? {});
  const keyDefs = Object.entries(def.keys ?? {});
  if (fieldDefs.length === 0) problems.push('An object type without a TemplateId must define Fields.');
  if (keyDefs.length === 0) {
    problems.push('An object type without a TemplateId must define Keys, exactly one of them with the UNIQUE standard identifier.');
  }

  const fields = new Map<string, CompiledField>();
  for (const [name, field] of fieldDefs) {
    const source = field.Source === undefined ? undefined : parseSource(field.Source);
    if (!source) {
      problems.push(
        field.Source === undefined
          ? `Field ${name} has no Source: give a JSON accessor on _source, such as _source.${name}.`
          : `Field ${name} has the Source '${field.Source}', which is not a JSON accessor on _source (such as _source.Email) ` +
              'or a template of such accessors (such as {{_source.FirstName}} {{_source.LastName}}).',
      );
      continue;
    }
    let target: TargetSpec | undefined;
    // Targets on other objects (`_asset.…`, `_order.…`, `_<objectType>.…`) are kept in the definition but
    // write nothing on the standard profile [I]; they must still have that shape, and a `_profile.…`
    // target must name a member of the standard profile.
    const profileTarget = field.Target !== undefined && (field.Target.startsWith('_profile.') || field.Target === '_profile');
    if (field.Target !== undefined && !profileTarget && !OBJECT_TARGET.test(field.Target)) {
      problems.push(
        `Field ${name} has the Target '${field.Target}', which is neither a standard profile field (_profile.FirstName) ` +
          'nor a field of an object (an underscore, the object name, a dot and the field, such as _asset.AssetName or _order.Status).',
      );
      continue;
    }
    if (field.Target !== undefined && profileTarget) {
      target = parseTarget(field.Target);
      if (!target) {
        problems.push(
          `Field ${name} has the Target '${field.Target}', which is not a standard profile field: a _profile target is ` +
            '_profile. followed by a member of the standard profile, such as _profile.EmailAddress, _profile.Address.City or _profile.Attributes.tier.',
        );
        continue;
      }
    }
    fields.set(name, { name, source, target, contentType: field.ContentType ?? 'STRING' });
  }

  const keys: CompiledKey[] = [];
  for (const [name, entries] of keyDefs) {
    if (entries.length === 0) {
      problems.push(`Key ${name} has no entries: give at least one with FieldNames.`);
      continue;
    }
    const identifiers = new Set<StandardIdentifier>(entries.flatMap((e) => e.StandardIdentifiers ?? []));
    const variants: string[][] = [];
    for (const entry of entries) {
      const names = entry.FieldNames ?? [];
      if (names.length === 0) problems.push(`Key ${name} has an entry without FieldNames: name at least one field.`);
      for (const f of names) {
        if (!def.fields || !Object.hasOwn(def.fields, f)) problems.push(`Key ${name} names the field ${f}, which is not defined in Fields.`);
      }
      if (names.length > 0) variants.push(names);
    }
    if (identifiers.has('UNIQUE') && identifiers.has('LOOKUP_ONLY')) {
      problems.push(`Key ${name} is both UNIQUE and LOOKUP_ONLY: a key that identifies objects must be kept.`);
    }
    keys.push({ name, identifiers, variants, match: keyMatch(identifiers), persist: keyPersist(identifiers) });
  }
  // "You can only use PROFILE together with LOOKUP_ONLY if there is at least one other key that has the
  // PROFILE identifier without the NEW_ONLY or LOOKUP_ONLY identifiers. The only exception is the
  // _profileId key" (admin guide, Standard identifiers): otherwise no profile could ever be found again.
  const lookupOnly = keys.filter((k) => k.identifiers.has('PROFILE') && k.identifiers.has('LOOKUP_ONLY') && k.name !== PROFILE_ID_KEY);
  const keeps = keys.some((k) => k.identifiers.has('PROFILE') && !k.identifiers.has('LOOKUP_ONLY') && !k.identifiers.has('NEW_ONLY'));
  if (lookupOnly.length > 0 && !keeps) {
    problems.push(
      `The key ${lookupOnly[0].name} is PROFILE and LOOKUP_ONLY, but no other key is PROFILE without NEW_ONLY or LOOKUP_ONLY: ` +
        'add such a key (only the _profileId key may be LOOKUP_ONLY alone).',
    );
  }
  const unique = keys.filter((k) => k.identifiers.has('UNIQUE'));
  if (keyDefs.length > 0 && unique.length === 0) {
    problems.push('No key has the UNIQUE standard identifier: exactly one key must identify the objects of the type.');
  } else if (unique.length > 1) {
    problems.push(
      `The keys ${unique.map((k) => k.name).join(', ')} all have the UNIQUE standard identifier: exactly one key may have it.`,
    );
  }

  let timestamp: CompiledObjectType['timestamp'];
  const format = def.sourceLastUpdatedTimestampFormat;
  if (format !== undefined) {
    const parse = timestampParser(format);
    if (!parse) {
      problems.push(
        `The SourceLastUpdatedTimestampFormat '${format}' is not a supported format: use EPOCHMILLI, EPOCHSECOND or a ` +
          "date pattern such as yyyy-MM-dd'T'HH:mm:ss.SSSZ (letters y M d H m s S Z X and quoted text).",
      );
    } else {
      const all = [...fields.values()];
      const field =
        all.find((f) => f.target?.kind === 'source-timestamp') ??
        all.find((f) => f.name.replace(/^_/, '').toLowerCase() === SOURCE_TIMESTAMP_FIELD);
      if (field) timestamp = { field, format, parse };
    }
  }

  if (problems.length > 0) return { ok: false, problems };
  return {
    ok: true,
    type: {
      objectTypeName: def.objectTypeName,
      allowProfileCreation: def.allowProfileCreation === true,
      sourcePriority: def.sourcePriority,
      fields,
      keys,
      uniqueKey: unique[0],
      timestamp,
    },
  };
}

const compiledCache = new WeakMap<object, CompileResult>();

/** compileObjectType, remembered per definition object (the engine maps page after page with one). */
export function compiledFor(def: ObjectTypeDefinition): CompileResult {
  let result = compiledCache.get(def);
  if (!result) {
    result = compileObjectType(def);
    compiledCache.set(def, result);
  }
  return result;
}

/**
 * "PROFILE … keys that do not have the SECONDARY identifier … are considered first. SECONDARY keys are
 * only considered if no matching profile is found"; LOOKUP_ONLY and NEW_ONLY keys are "used for
 * matching objects to profiles" (admin guide, Standard identifiers).
 */
function keyMatch(ids: ReadonlySet<StandardIdentifier>): KeyMatch {
  if (ids.has('SECONDARY')) return 'secondary';
  if (ids.has('PROFILE') || ids.has('LOOKUP_ONLY') || ids.has('NEW_ONLY')) return 'primary';
  return 'none';
}

/** The admin guide's flowchart "How Customer Profiles adds keys to the index for lookups". */
function keyPersist(ids: ReadonlySet<StandardIdentifier>): KeyPersist {
  if (ids.has('LOOKUP_ONLY')) return 'never';
  if (ids.has('NEW_ONLY')) return 'new-only';
  return 'always';
}

// ---------------------------------------------------------------------------------------------------
// Sources: `_source.a.b[0].c`, or a template `{{_source.FirstName}} {{_source.LastName}}`.

function parseAccessor(text: string): PathSegment[] | undefined {
  const m = /^_source((?:\.[^.[\]]+|\[\d+\])+)$/.exec(text.trim());
  if (!m) return undefined;
  const path: PathSegment[] = [];
  for (const part of m[1].matchAll(/\.([^.[\]]+)|\[(\d+)\]/g)) {
    path.push(part[1] !== undefined ? part[1] : Number(part[2]));
  }
  return path;
}

function parseSource(source: string): SourceSpec | undefined {
  if (!source.includes('{{')) {
    const path = parseAccessor(source);
    return path && { kind: 'path', path };
  }
  const parts: (string | PathSegment[])[] = [];
  let rest = source;
  while (rest.length > 0) {
    const open = rest.indexOf('{{');
    if (open === -1) {
      if (rest.includes('}}')) return undefined;
      parts.push(rest);
      break;
    }
    if (open > 0) {
      if (rest.slice(0, open).includes('}}')) return undefined;
      parts.push(rest.slice(0, open));
    }
    const close = rest.indexOf('}}', open);
    if (close === -1) return undefined;
    const path = parseAccessor(rest.slice(open + 2, close));
    if (!path) return undefined;
    parts.push(path);
    rest = rest.slice(close + 2);
  }
  return parts.some((p) => typeof p !== 'string') ? { kind: 'template', parts } : undefined;
}

function readPath(record: unknown, path: readonly PathSegment[]): unknown {
  let value = record;
  for (const segment of path) {
    if (value === null || typeof value !== 'object') return undefined;
    if (typeof segment === 'number' ? !Array.isArray(value) : Array.isArray(value)) return undefined;
    value = getOwn(value, segment);
  }
  return value;
}

/** A scalar as text; blank text counts as absent (a blank email must not link every blank-email object). */
function scalarText(value: unknown): string | undefined {
  let text: string | undefined;
  if (typeof value === 'string') text = value;
  else if (typeof value === 'number' && Number.isFinite(value)) text = String(value);
  else if (typeof value === 'boolean') text = String(value);
  return text === undefined || text.trim() === '' ? undefined : text;
}

/** A field's value: a scalar as text, or (for an object-valued accessor) the object itself. */
function fieldValue(record: unknown, field: CompiledField): unknown {
  const { source } = field;
  if (source.kind === 'path') {
    const value = readPath(record, source.path);
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) return value;
    return scalarText(value);
  }
  let text = '';
  let any = false;
  for (const part of source.parts) {
    if (typeof part === 'string') {
      text += part;
      continue;
    }
    const value = scalarText(readPath(record, part));
    if (value !== undefined) {
      text += value;
      any = true;
    }
  }
  return any ? scalarText(text) : undefined;
}

// ---------------------------------------------------------------------------------------------------
// Targets: the standard profile's members, read from the model's Profile shape.

interface ProfileMembers {
  strings: Set<string>;
  addresses: Set<string>;
  addressMembers: Set<string>;
  attributes: string | undefined;
}

let profileMembers: ProfileMembers | undefined;
function standardProfile(): ProfileMembers {
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

function parseTarget(target: string): TargetSpec | undefined {
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

// ---------------------------------------------------------------------------------------------------
// Key values.

/**
 * A key value as it is indexed and compared. ContentType "is used to determine how to index the value
 * so agents can search for it … '+15551234567' matches '(555)-123-4567'" (admin guide); so phone
 * numbers become + and digits, a 10-digit number taken as North American [I]; emails and names compare
 * without case [I].
 */
export function normalizeKeyValue(contentType: FieldContentType | undefined, raw: string): string | undefined {
  const text = raw.trim();
  if (text === '') return undefined;
  switch (contentType) {
    case 'PHONE_NUMBER': {
      const digits = text.replace(/\D/g, '');
      if (digits === '') return undefined;
      return `+${!text.startsWith('+') && digits.length === 10 ? `1${digits}` : digits}`;
    }
    case 'EMAIL_ADDRESS':
      return text.toLowerCase();
    case 'NAME':
      return text.replace(/\s+/g, ' ').toLowerCase();
    case 'NUMBER':
      return /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text) ? String(Number(text)) : text;
    default:
      return text;
  }
}

/** The content type a key's values are normalized by when they are looked up (its first field's) [I]. */
export function keyContentType(type: CompiledObjectType, keyName: string): FieldContentType | undefined {
  const key = type.keys.find((k) => k.name === keyName);
  const first = key?.variants[0]?.[0];
  return first === undefined ? undefined : type.fields.get(first)?.contentType;
}

/** Values of a multi-field key are joined in FieldNames order [I]. */
const KEY_PART_SEPARATOR = '_';

function keyValue(key: CompiledKey, valueOf: (field: string) => string | undefined): string | undefined {
  for (const variant of key.variants) {
    const parts = variant.map(valueOf);
    if (parts.every((p) => p !== undefined)) return parts.join(KEY_PART_SEPARATOR);
  }
  return undefined;
}

/** ProfileObjectUniqueKey is `string1To255` in the model. */
const MAX_UNIQUE_KEY_LENGTH = 255;

/**
 * ProfileObjectUniqueKey, "generated by the service" (model): the UNIQUE key's normalized value, so a
 * caller can name an object by its own id, or a digest of it when it is longer than 255 characters [I].
 * Why not always a digest: source ids usually grow in order, and kept as they are they land next to
 * each other in the primary key index, which halves the pages a batch writes on SQLite.
 */
export function uniqueKeyOf(keyName: string, value: string): string {
  if (value.length <= MAX_UNIQUE_KEY_LENGTH) return value;
  return createHash('sha256').update(keyName).update('\u0000').update(value).digest('base64');
}

// ---------------------------------------------------------------------------------------------------
// Mapping one record.

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

// ---------------------------------------------------------------------------------------------------
// Matching.

/**
 * The profile an object belongs to: primary keys first, then SECONDARY ones; the first key whose value
 * leads to exactly one profile decides. A value shared by several profiles is no match for that key
 * ("If more than one profile is found when searching for this key, the match is rejected", admin
 * guide). Undefined when nothing matches. The later matching issue refines this function.
 */
export function chooseProfile(
  keys: readonly MappedKey[],
  profilesFor: (keyName: string, keyValue: string) => readonly string[],
): string | undefined {
  for (const tier of ['primary', 'secondary'] as const) {
    for (const key of keys) {
      if (key.match !== tier) continue;
      const found = profilesFor(key.name, key.value);
      if (found.length === 1) return found[0];
    }
  }
  return undefined;
}

/**
 * The keys to add to the profile's index (admin guide flowchart: LOOKUP_ONLY never, NEW_ONLY only on
 * creation). `_profileId` values are the profile's own id: found through the profile, never indexed.
 */
export function keysToPersist(keys: readonly MappedKey[], profileCreated: boolean): MappedKey[] {
  return keys.filter(
    (k) => k.name !== PROFILE_ID_KEY && (k.persist === 'always' || (k.persist === 'new-only' && profileCreated)),
  );
}

// ---------------------------------------------------------------------------------------------------
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

// ---------------------------------------------------------------------------------------------------
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

// ---------------------------------------------------------------------------------------------------
// SourceLastUpdatedTimestampFormat.

/**
 * The model calls it the format of the source's last-updated timestamp; AWS documents Java
 * SimpleDateFormat patterns, and EPOCHMILLI is used in AWS's own solutions. Supported: EPOCHMILLI,
 * EPOCHSECOND, and patterns of y M d H m s S Z X with literal punctuation and quoted text; a pattern
 * without a zone reads as UTC [I]. Undefined when the format is not supported.
 */
export function timestampParser(format: string): ((text: string) => number | undefined) | undefined {
  const upper = format.toUpperCase();
  if (upper === 'EPOCHMILLI' || upper === 'EPOCHMILLIS') return (text) => epoch(text, 1);
  if (upper === 'EPOCHSECOND' || upper === 'EPOCHSECONDS') return (text) => epoch(text, 1000);

  type Part = 'year' | 'year2' | 'month' | 'day' | 'hour' | 'minute' | 'second' | 'fraction' | 'zone';
  const groups: Part[] = [];
  let regex = '';
  let i = 0;
  while (i < format.length) {
    const c = format[i];
    if (c === "'") {
      const end = format.indexOf("'", i + 1);
      if (end === -1) return undefined;
      regex += end === i + 1 ? "'" : escapeRegex(format.slice(i + 1, end));
      i = end + 1;
      continue;
    }
    if (!/[A-Za-z]/.test(c)) {
      regex += escapeRegex(c);
      i++;
      continue;
    }
    let n = 1;
    while (format[i + n] === c) n++;
    i += n;
    switch (c) {
      case 'y':
        groups.push(n === 2 ? 'year2' : 'year');
        regex += n === 2 ? '(\\d{2})' : '(\\d{4})';
        break;
      case 'M':
        if (n > 2) return undefined;
        groups.push('month');
        regex += n === 1 ? '(\\d{1,2})' : '(\\d{2})';
        break;
      case 'd':
      case 'H':
      case 'm':
      case 's':
        if (n > 2) return undefined;
        groups.push(({ d: 'day', H: 'hour', m: 'minute', s: 'second' } as const)[c]);
        regex += n === 1 ? '(\\d{1,2})' : '(\\d{2})';
        break;
      case 'S':
        groups.push('fraction');
        regex += `(\\d{${n}})`;
        break;
      case 'Z':
      case 'X':
        groups.push('zone');
        regex += '(Z|[+-]\\d{2}(?::?\\d{2})?)';
        break;
      default:
        return undefined;
    }
  }
  if (!groups.includes('year') && !groups.includes('year2')) return undefined;
  const re = new RegExp(`^${regex}$`);
  return (text) => {
    const m = re.exec(text.trim());
    if (!m) return undefined;
    const v = { year: 1970, month: 1, day: 1, hour: 0, minute: 0, second: 0, ms: 0, offset: 0 };
    groups.forEach((g, idx) => {
      const s = m[idx + 1];
      if (g === 'year') v.year = Number(s);
      else if (g === 'year2') v.year = 2000 + Number(s);
      else if (g === 'fraction') v.ms = Math.round(Number(`0.${s}`) * 1000);
      else if (g === 'zone') v.offset = zoneOffsetMinutes(s);
      else v[g] = Number(s);
    });
    const utc = Date.UTC(v.year, v.month - 1, v.day, v.hour, v.minute, v.second, v.ms);
    const check = new Date(utc);
    // Date.UTC rolls 2024-02-31 over into March; such a date is not a date.
    if (check.getUTCMonth() !== v.month - 1 || check.getUTCDate() !== v.day || v.hour > 23 || v.minute > 59 || v.second > 59) {
      return undefined;
    }
    return utc - v.offset * 60_000;
  };
}

function epoch(text: string, msPerUnit: number): number | undefined {
  const t = text.trim();
  return /^\d+(\.\d+)?$/.test(t) ? Math.round(Number(t) * msPerUnit) : undefined;
}

function zoneOffsetMinutes(zone: string): number {
  if (zone === 'Z') return 0;
  const sign = zone[0] === '-' ? -1 : 1;
  const digits = zone.slice(1).replace(':', '');
  return sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4) || '0'));
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
