import type { FieldContentType, ObjectTypeField, ObjectTypeKey } from '../../api/shapes.generated.js';
import { type Checked, invalid, valid } from '../problem.js';
import { STANDARD_PROFILE_KEYS } from './standard-keys.js';
import { standardProfile } from './targets.js';
import { timestampParser } from './timestamp-format.js';

// Proposing an object type mapping from sample objects (DetectProfileObjectType).

export interface DetectedMapping {
  fields: Record<string, ObjectTypeField>;
  keys: Record<string, ObjectTypeKey[]>;
  sourceLastUpdatedTimestampFormat?: string;
}

/** A field name must match the model's fieldName shape (letters, digits, `_ . -`, at most 64). */
const FIELD_NAME = /^[A-Za-z0-9_.-]{1,64}$/;

/**
 * Common spellings of standard profile members that are not the member's own name. Every entry names a
 * member the model's Profile or Address shape has (checked when the table is read), so the standard
 * profile stays the one source of the targets [I].
 */
const PROFILE_SPELLINGS: Readonly<Record<string, string>> = {
  email: 'EmailAddress',
  emailaddress: 'EmailAddress',
  mail: 'EmailAddress',
  phone: 'PhoneNumber',
  telephone: 'PhoneNumber',
  mobile: 'MobilePhoneNumber',
  mobilephone: 'MobilePhoneNumber',
  cellphone: 'MobilePhoneNumber',
  homephone: 'HomePhoneNumber',
  businessphone: 'BusinessPhoneNumber',
  workphone: 'BusinessPhoneNumber',
  workemail: 'BusinessEmailAddress',
  personalemail: 'PersonalEmailAddress',
  businessemail: 'BusinessEmailAddress',
  fname: 'FirstName',
  givenname: 'FirstName',
  lname: 'LastName',
  surname: 'LastName',
  familyname: 'LastName',
  dob: 'BirthDate',
  dateofbirth: 'BirthDate',
  birthday: 'BirthDate',
  company: 'BusinessName',
  companyname: 'BusinessName',
};

/** Address parts spelt otherwise than the Address shape's members [I]. */
const ADDRESS_SPELLINGS: Readonly<Record<string, string>> = {
  street: 'Address1',
  streetaddress: 'Address1',
  addressline1: 'Address1',
  addressline2: 'Address2',
  zip: 'PostalCode',
  zipcode: 'PostalCode',
  postcode: 'PostalCode',
  region: 'State',
};

/** Profile members detection never proposes: enumerations and ids whose values it cannot vouch for. */
const NOT_PROPOSED = new Set(['PartyType', 'Gender', 'ProfileType', 'AccountNumber', 'AdditionalInformation']);

/** Names of fields that say they carry the record's last update, most telling first [I]. */
const UPDATED_NAMES = [/lastupdated|lastmodified|updatedat|modifiedat|updatedate|modifieddate|updatedtime|modifiedtime/, /updated|modified/, /timestamp/];

/** Formats recognised for SourceLastUpdatedTimestampFormat, tried in order; each must read every sample. */
const TIMESTAMP_FORMATS = [
  "yyyy-MM-dd'T'HH:mm:ss.SSSX",
  "yyyy-MM-dd'T'HH:mm:ssX",
  "yyyy-MM-dd'T'HH:mm:ss.SSS",
  "yyyy-MM-dd'T'HH:mm:ss",
  'yyyy-MM-dd HH:mm:ss.SSS',
  'yyyy-MM-dd HH:mm:ss',
  'yyyy-MM-dd',
];

const EMAIL_VALUE = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const PHONE_VALUE = /^\+?[\d\s().-]+$/;
const NAME_VALUE = /^\p{L}[\p{L}'’ .-]*$/u;

interface Leaf {
  name: string;
  /** The path's segments, for matching address parts under an address object. */
  segments: string[];
  values: unknown[];
  /** How many samples have a value (not null, not empty) at this path. */
  present: number;
}

/**
 * Proposes one mapping from the samples: Fields for every scalar leaf (a standard profile target where
 * the name clearly is one, the object itself otherwise), a UNIQUE key on an id-like field every sample
 * has, PROFILE keys on the email and phone fields, and the last-updated timestamp's format when a field
 * says it is one and every sample reads in a recognised format. A sample that is not a JSON object is a
 * problem naming its index.
 */
export function detectObjectType(samples: readonly unknown[]): Checked<DetectedMapping> {
  const problems: string[] = [];
  samples.forEach((s, i) => {
    if (s === null || typeof s !== 'object' || Array.isArray(s)) {
      problems.push(`Objects[${i}] is ${describe(s)}, not a JSON object ({...}): every object must be one.`);
    }
  });
  if (problems.length > 0) return invalid(...problems);

  const leaves = new Map<string, Leaf>();
  for (const sample of samples as Record<string, unknown>[]) collect(sample, [], leaves);

  const fields: Record<string, ObjectTypeField> = {};
  const profileTargetOf = new Map<string, string>();
  const usedTargets = new Set<string>();
  const timestamp = detectTimestamp([...leaves.values()], samples.length);
  for (const leaf of leaves.values()) {
    if (timestamp && leaf.name === timestamp.field) {
      fields[leaf.name] = {
        Source: `_source.${leaf.name}`,
        Target: '_profile.SourceLastUpdatedTimestamp',
        ContentType: timestamp.format.startsWith('EPOCH') ? 'NUMBER' : 'STRING',
      };
      continue;
    }
    const target = profileTarget(leaf.segments);
    if (target && !usedTargets.has(target)) {
      usedTargets.add(target);
      profileTargetOf.set(leaf.name, target);
      fields[leaf.name] = { Source: `_source.${leaf.name}`, Target: `_profile.${target}`, ContentType: targetContentType(target) };
    } else {
      fields[leaf.name] = { Source: `_source.${leaf.name}`, ContentType: valueContentType(leaf) };
    }
  }

  const keys: Record<string, ObjectTypeKey[]> = {};
  const unique = uniqueField([...leaves.values()], samples.length);
  if (unique) keys[keyName(unique)] = [{ StandardIdentifiers: ['UNIQUE'], FieldNames: [unique] }];
  for (const [keyNameOf, contentType] of [
    ['_email', 'EMAIL_ADDRESS'],
    ['_phone', 'PHONE_NUMBER'],
  ] as const) {
    const named = [...leaves.keys()].filter((f) => fields[f].ContentType === contentType && f !== unique);
    // The standard members first (EmailAddress before BusinessEmailAddress), then the object's own.
    const members = STANDARD_PROFILE_KEYS[keyNameOf].members;
    named.sort((a, b) => rank(members, profileTargetOf.get(a)) - rank(members, profileTargetOf.get(b)));
    if (named.length > 0) keys[keyNameOf] = [{ StandardIdentifiers: ['PROFILE'], FieldNames: named }];
  }

  return valid({ fields, keys, ...(timestamp && { sourceLastUpdatedTimestampFormat: timestamp.format }) });
}

function rank(members: readonly string[], target: string | undefined): number {
  const i = target === undefined ? -1 : members.indexOf(target);
  return i === -1 ? members.length : i;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}

/** Scalar leaves by dotted path, in order of first appearance; arrays and unnamable keys are left out [I]. */
function collect(node: Record<string, unknown>, prefix: string[], leaves: Map<string, Leaf>): void {
  for (const [key, value] of Object.entries(node)) {
    const segments = [...prefix, key];
    if (value !== null && typeof value === 'object') {
      if (!Array.isArray(value)) collect(value as Record<string, unknown>, segments, leaves);
      continue;
    }
    const name = segments.join('.');
    if (segments.some((s) => s === '' || s.includes('.')) || !FIELD_NAME.test(name)) continue;
    let leaf = leaves.get(name);
    if (!leaf) leaves.set(name, (leaf = { name, segments, values: [], present: 0 }));
    if (value === null || value === '') continue;
    leaf.values.push(value);
    leaf.present++;
  }
}

function normalize(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]/g, '');
}

let lookups: { profile: Map<string, string>; addresses: Map<string, string>; addressParts: Map<string, string> } | undefined;

/** Normalized spellings → member names, from the model's Profile and Address shapes plus the spellings above. */
function profileLookups() {
  if (lookups) return lookups;
  const members = standardProfile();
  const profile = new Map<string, string>();
  for (const m of members.strings) if (!NOT_PROPOSED.has(m)) profile.set(normalize(m), m);
  for (const [spelling, m] of Object.entries(PROFILE_SPELLINGS)) if (members.strings.has(m)) profile.set(spelling, m);
  const addresses = new Map<string, string>();
  for (const m of members.addresses) addresses.set(normalize(m), m);
  const addressParts = new Map<string, string>();
  for (const m of members.addressMembers) addressParts.set(normalize(m), m);
  for (const [spelling, m] of Object.entries(ADDRESS_SPELLINGS)) if (members.addressMembers.has(m)) addressParts.set(spelling, m);
  lookups = { profile, addresses, addressParts };
  return lookups;
}

/** The standard profile member a path clearly names (`FirstName`, `ShippingAddress.City`), if any. */
function profileTarget(segments: string[]): string | undefined {
  const { profile, addresses, addressParts } = profileLookups();
  const leaf = normalize(segments[segments.length - 1]);
  if (segments.length === 1) {
    const member = profile.get(leaf);
    if (member) return member;
    // A top-level address part (City, PostalCode) is the primary address's [I].
    const part = addressParts.get(leaf);
    return part ? `Address.${part}` : undefined;
  }
  if (segments.length === 2) {
    const address = addresses.get(normalize(segments[0]));
    const part = addressParts.get(leaf);
    if (address && part) return `${address}.${part}`;
  }
  return undefined;
}

function targetContentType(target: string): FieldContentType {
  for (const { contentType, members } of Object.values(STANDARD_PROFILE_KEYS)) {
    if (contentType !== 'STRING' && members.includes(target)) return contentType;
  }
  return 'STRING';
}

/** An object's own field, typed by what every sample holds there [I]. */
function valueContentType(leaf: Leaf): FieldContentType {
  const { values } = leaf;
  if (values.length === 0) return 'STRING';
  if (values.every((v) => typeof v === 'number')) return 'NUMBER';
  if (!values.every((v) => typeof v === 'string')) return 'STRING';
  const texts = values as string[];
  if (texts.every((t) => EMAIL_VALUE.test(t.trim()))) return 'EMAIL_ADDRESS';
  if (texts.every((t) => PHONE_VALUE.test(t.trim()) && (t.match(/\d/g) ?? []).length >= 7 && /[\s()+-]/.test(t))) return 'PHONE_NUMBER';
  if (/name$/.test(normalize(leaf.name)) && texts.every((t) => NAME_VALUE.test(t.trim()))) return 'NAME';
  return 'STRING';
}

/** The id-like field every sample has, distinct across them: `id` itself first, then `…Id` [I]. */
function uniqueField(leaves: Leaf[], count: number): string | undefined {
  const candidates = leaves.filter((l) => {
    const n = normalize(l.segments[l.segments.length - 1]);
    if (l.segments.length !== 1 || !(n === 'id' || n.endsWith('id') || n === 'uuid' || n === 'guid')) return false;
    if (l.present !== count || !l.values.every((v) => typeof v === 'string' || typeof v === 'number')) return false;
    return new Set(l.values.map(String)).size === count;
  });
  const exact = candidates.find((l) => normalize(l.name) === 'id');
  return (exact ?? candidates[0])?.name;
}

function keyName(field: string): string {
  return `_${field.replace(/[^A-Za-z0-9_-]/g, '_')}`.slice(0, 64);
}

/** The field that says it carries the last update and reads, in every sample, in one recognised format. */
function detectTimestamp(leaves: Leaf[], count: number): { field: string; format: string } | undefined {
  for (const pattern of UPDATED_NAMES) {
    for (const leaf of leaves) {
      if (!pattern.test(normalize(leaf.name)) || leaf.present !== count) continue;
      const format = formatOf(leaf.values);
      if (format) return { field: leaf.name, format };
    }
  }
  return undefined;
}

function formatOf(values: unknown[]): string | undefined {
  if (values.every((v) => typeof v === 'number' || (typeof v === 'string' && /^\d+$/.test(v)))) {
    const digits = values.map((v) => String(Math.trunc(Number(v))).length);
    if (digits.every((d) => d === 13)) return 'EPOCHMILLI';
    if (digits.every((d) => d === 10)) return 'EPOCHSECOND';
    return undefined;
  }
  if (!values.every((v) => typeof v === 'string')) return undefined;
  for (const format of TIMESTAMP_FORMATS) {
    const parse = timestampParser(format)!;
    if ((values as string[]).every((v) => parse(v) !== undefined)) return format;
  }
  return undefined;
}
