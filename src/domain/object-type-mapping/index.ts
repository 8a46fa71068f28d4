/**
 * Object type mapping, one file per concern: compiling a definition, reading `_source` accessors,
 * `_profile` targets, key values, mapping one record, matching it to a profile, the standard search
 * keys, writing the standard profile, and SourceLastUpdatedTimestampFormat. This index keeps the
 * public surface in one place.
 */
export { compiledFor, compileObjectType } from './compile.js';
export { keyContentType, normalizeKeyValue, uniqueKeyOf } from './key-values.js';
export { mapRecord, type MappedKey, type MappedRecord, type MapResult, type ProfileAssignment } from './map-record.js';
export { chooseProfile, keysToPersist, PROFILE_ID_KEY } from './matching.js';
export { searchKeyContentType, STANDARD_PROFILE_KEYS, standardProfileKeys } from './standard-keys.js';
export { applyProfileValues, type ProfileState, scrubObjectType } from './standard-profile.js';
export { timestampParser } from './timestamp-format.js';
export type { CompiledObjectType, CompileResult, KeyMatch, KeyPersist, ObjectTypeDefinition } from './types.js';
export { type DetectedMapping, detectObjectType } from './detect.js';
