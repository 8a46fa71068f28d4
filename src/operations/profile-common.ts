import { ResourceNotFoundException } from '../api/errors.js';
import type { StructureShape } from '../api/model-types.js';
import { shapeOf } from '../api/service.js';
import type { GetIntegrationResponse, GetProfileObjectTypeResponse, Profile } from '../api/shapes.generated.js';
import type { IntegrationRecord, ObjectTypeRecord, Store, TagMap } from '../store/types.js';
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
