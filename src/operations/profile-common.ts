import { BadRequestException, ResourceNotFoundException } from '../api/errors.js';
import { normalizeKeyValue, PROFILE_ID_KEY, searchKeyContentType, STANDARD_PROFILE_KEYS } from '../domain/object-type-mapping/index.js';
import type { StructureShape } from '../api/model-types.js';
import { shapeOf } from '../api/service.js';
import type { GetIntegrationResponse, GetProfileObjectTypeResponse, Profile } from '../api/shapes.generated.js';
import type { DomainRecord, IntegrationRecord, ObjectTypeRecord, ProfileRecord, RowLock, Store, TagMap } from '../store/types.js';
import { findTemplate } from '../domain/templates/index.js';
import { ProfileChanges } from '../ingest/profile-changes.js';
import { requireDomain } from './common.js';
import type { OperationContext } from './context.js';

/**
 * "The default maximum limit across all mappings per profile is 1000" (admin guide, Customer Profiles
 * data limits): what one type may still be given is that minus what the domain's other types hold [I].
 */
export const PROFILE_OBJECTS_LIMIT = 1000;

export function maxAvailableProfileObjectCount(all: readonly ObjectTypeRecord[], objectTypeName: string): number {
  const taken = all
    .filter((t) => t.objectTypeName !== objectTypeName)
    .reduce((sum, t) => sum + (t.maxProfileObjectCount ?? 0), 0);
  return Math.max(0, PROFILE_OBJECTS_LIMIT - taken);
}

/** A missing object type is a 404 naming it and its domain. */
export async function requireObjectType(
  ctx: OperationContext,
  domainName: string,
  objectTypeName: string,
  store: Store = ctx.store,
): Promise<ObjectTypeRecord> {
  const objectType = await store.objectTypes.get(ctx.scope, domainName, objectTypeName);
  if (!objectType) {
    throw new ResourceNotFoundException(`Object type ${objectTypeName} was not found in domain ${domainName}.`);
  }
  return objectType;
}

const implicitTypes = new Map<string, ObjectTypeRecord>();

/**
 * The object type objects of this name are put, listed and deleted by: the domain's own type of that
 * name, otherwise the template of that id. "You can use any object type that matches the name of a
 * template ID … without explicitly defining it … If an explicit object type is defined, it replaces
 * the implicit one" (admin guide, Implicit profile object types; the model's
 * GetProfileObjectTypeTemplate documentation). The implicit type is not stored: ListProfileObjectTypes
 * does not show it [I]. Its record is one object per template, so its compiled mapping is reused.
 */
export async function requireObjectTypeOrTemplate(
  ctx: OperationContext,
  domainName: string,
  objectTypeName: string,
  store: Store = ctx.store,
  lock?: RowLock,
): Promise<ObjectTypeRecord> {
  const explicit = await store.objectTypes.get(ctx.scope, domainName, objectTypeName, lock);
  if (explicit) return explicit;
  const template = findTemplate(objectTypeName);
  if (!template) return requireObjectType(ctx, domainName, objectTypeName, store);
  if (!template.mappingsPublished) {
    throw new BadRequestException(
      `Object type ${objectTypeName} is not defined in domain ${domainName}, and the template of that id cannot stand in ` +
        'for it because AWS does not publish its Fields and Keys: define the object type with PutProfileObjectType.',
    );
  }
  let implicit = implicitTypes.get(objectTypeName);
  if (!implicit) {
    implicit = {
      objectTypeName,
      description: `The implicit object type of the template ${objectTypeName}.`,
      templateId: objectTypeName,
      allowProfileCreation: template.AllowProfileCreation,
      sourceLastUpdatedTimestampFormat: template.SourceLastUpdatedTimestampFormat,
      fields: structuredClone(template.Fields),
      keys: structuredClone(template.Keys),
      createdAt: 0,
      updatedAt: 0,
    };
    implicitTypes.set(objectTypeName, implicit);
  }
  return implicit;
}

function tagsOrNothing(tags: TagMap): TagMap | undefined {
  return Object.keys(tags).length > 0 ? tags : undefined;
}

/** The object type as Put/GetProfileObjectType answer it. */
export function objectTypeOutput(t: ObjectTypeRecord, tags: TagMap, maxAvailable: number): GetProfileObjectTypeResponse {
  return {
    ObjectTypeName: t.objectTypeName,
    Description: t.description,
    TemplateId: t.templateId,
    ExpirationDays: t.expirationDays,
    EncryptionKey: t.encryptionKey,
    AllowProfileCreation: t.allowProfileCreation ?? false,
    SourceLastUpdatedTimestampFormat: t.sourceLastUpdatedTimestampFormat,
    MaxProfileObjectCount: t.maxProfileObjectCount,
    MaxAvailableProfileObjectCount: maxAvailable,
    SourcePriority: t.sourcePriority,
    Fields: t.fields,
    Keys: t.keys,
    CreatedAt: new Date(t.createdAt),
    LastUpdatedAt: new Date(t.updatedAt),
    Tags: tagsOrNothing(tags),
  };
}

/** The integration as Put/GetIntegration and ListIntegrations' items show it. */
export function integrationOutput(domainName: string, i: IntegrationRecord, tags: TagMap): GetIntegrationResponse {
  return {
    DomainName: domainName,
    Uri: i.uri,
    ObjectTypeName: i.objectTypeName,
    ObjectTypeNames: i.objectTypeNames,
    CreatedAt: new Date(i.createdAt),
    LastUpdatedAt: new Date(i.updatedAt),
    Tags: tagsOrNothing(tags),
    WorkflowId: i.workflowId,
    IsUnstructured: i.isUnstructured ?? false,
    RoleArn: i.roleArn,
    EventTriggerNames: i.eventTriggerNames,
    // "The default value is PROFILE" (model).
    Scope: i.scope ?? 'PROFILE',
  };
}

/** The members of the model's Profile a stored profile holds (all but ProfileId and FoundByItems). */
function storedProfileMembers(): string[] {
  return Object.keys((shapeOf('Profile') as StructureShape).members).filter((m) => m !== 'ProfileId' && m !== 'FoundByItems');
}

/**
 * The standard profile attributes of a request (CreateProfile's members): the Profile members it has,
 * without absent values or empty maps and addresses, copied so that later changes do not alias it.
 */
export function profileAttributesOf(members: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const name of storedProfileMembers()) {
    const value = members[name];
    if (value === undefined || value === null) continue;
    if (typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length === 0) continue;
    out[name] = structuredClone(value);
  }
  return out;
}

/** A stored profile as the model's Profile (SearchProfiles' Items). */
export function profileOutput(profileId: string, attributes: Record<string, unknown>): Profile {
  return { ...(attributes as Omit<Profile, 'ProfileId'>), ProfileId: profileId };
}

/** A missing profile is a 404 naming it and its domain. */
export async function requireProfile(
  ctx: OperationContext,
  domainName: string,
  profileId: string,
  store: Store = ctx.store,
  lock?: RowLock,
): Promise<ProfileRecord> {
  const profile = await store.profiles.get(ctx.scope, domainName, profileId, lock);
  if (!profile) throw new ResourceNotFoundException(`Profile ${profileId} was not found in domain ${domainName}.`);
  return profile;
}

/**
 * A key name AddProfileKey and DeleteProfileKey accept: a standard search key of the profile index
 * (_email, _phone, _account, _fullName) or a key of an object type of the domain; its values are
 * normalized as that key indexes them. `_profileId` is the profile's own id, never an index entry.
 */
export async function profileKeyValues(
  ctx: OperationContext,
  store: Store,
  domainName: string,
  keyName: string,
  values: readonly string[],
): Promise<string[]> {
  const types = await store.objectTypes.all(ctx.scope, domainName);
  const problems: string[] = [];
  if (keyName === PROFILE_ID_KEY || (!Object.hasOwn(STANDARD_PROFILE_KEYS, keyName) && !types.some((t) => t.keys && Object.hasOwn(t.keys, keyName)))) {
    const known = [...Object.keys(STANDARD_PROFILE_KEYS), ...new Set(types.flatMap((t) => Object.keys(t.keys ?? {})))].join(', ');
    problems.push(
      `The key name ${keyName} is neither a standard profile key nor a key of an object type of domain ${domainName} ` +
        `(the keys it knows: ${known}).`,
    );
  }
  if (values.length === 0) problems.push(`The key ${keyName} has no Values: give at least one.`);
  if (problems.length > 0) throw new BadRequestException(problems.join(' '));
  const contentType = searchKeyContentType(keyName, types);
  const out = new Set<string>();
  for (const raw of values) {
    const normalized = normalizeKeyValue(contentType, raw);
    if (normalized === undefined) {
      throw new BadRequestException(`The value given for key ${keyName} is not a valid ${contentType} value.`);
    }
    out.add(normalized);
  }
  return [...out];
}

/** How long history records are kept: the domain's DefaultExpirationDays (none: kept). */
export function historyCutoff(domain: DomainRecord, now: number): number {
  return domain.defaultExpirationDays === undefined ? 0 : now - domain.defaultExpirationDays * 86_400_000;
}

/**
 * AddProfileKey and DeleteProfileKey: the values, normalized as KeyName indexes them, added to or removed
 * from the profile's index entries and its extra keys, with one history record, in one transaction.
 * Returns the values as indexed.
 */
export async function changeProfileKeys(
  ctx: OperationContext,
  input: { DomainName: string; ProfileId: string; KeyName: string; Values: string[] },
  change: 'add' | 'remove',
): Promise<string[]> {
  return ctx.store.transaction(async (store) => {
    const domain = await requireDomain({ ...ctx, store }, input.DomainName);
    const values = await profileKeyValues(ctx, store, input.DomainName, input.KeyName, input.Values);
    // Held: a DeleteProfile or MergeProfiles of it waits for these entries, or these for it (then: not found).
    await requireProfile(ctx, input.DomainName, input.ProfileId, store, 'key-share');
    const keys = values.map((keyValue) => ({ keyName: input.KeyName, keyValue, profileId: input.ProfileId }));
    const changes = new ProfileChanges(store, ctx.scope, input.DomainName, ctx.clock.now(), { kind: 'api' }, domain.defaultExpirationDays);
    if (change === 'add') {
      changes.addKeys(keys);
      changes.addExtraKeys(keys);
    } else {
      changes.removeKeys(keys);
      changes.removeExtraKeys(keys);
    }
    const action = change === 'add' ? 'ADDED_PROFILE_KEY' : 'DELETED_PROFILE_KEY';
    changes.record(input.ProfileId, action, { content: JSON.stringify({ KeyName: input.KeyName, Values: values }) });
    await changes.commit();
    return values;
  });
}
