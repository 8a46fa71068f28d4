import type { StandardIdentifier } from '../../api/shapes.generated.js';
import { PROFILE_ID_KEY } from './matching.js';
import { parseSource } from './sources.js';
import { parseTarget } from './targets.js';
import { timestampParser } from './timestamp-format.js';
import type { CompiledField, CompiledKey, CompiledObjectType, CompileResult, KeyMatch, KeyPersist, ObjectTypeDefinition, TargetSpec } from './types.js';

/**
 * Object type mapping: from one source record and an object type definition, everything ingestion
 * needs — field values read through `_source.…` accessors, the UNIQUE key and the other key values,
 * the standard profile attributes the `_profile.…` targets set. Pure: no I/O, no clock, no randomness.
 *
 * Semantics follow the Customer Profiles admin guide ("Object type mapping definition details",
 * "Standard identifiers", "How Customer Profiles processes key definitions", "Inferred profiles");
 * where it is silent the choice is marked [I].
 */

/** `_asset.AssetName`, `_order.Status`, `_Contact.Id`: a field of another object than the standard profile. */
const OBJECT_TARGET = /^_[A-Za-z0-9][\w-]*\.[^.\s].*$/;

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
