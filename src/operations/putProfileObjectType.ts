import { BadRequestException, ThrottlingException } from '../api/errors.js';
import type { PutProfileObjectTypeRequest, PutProfileObjectTypeResponse } from '../api/shapes.generated.js';
import { objectTypeArn } from '../domain/arns.js';
import { compileObjectType } from '../domain/object-type-mapping/index.js';
import { purgeDeletedObjectTypes } from '../ingest/object-type-purge.js';
import { findTemplate } from '../domain/templates/index.js';
import type { ObjectTypeRecord } from '../store/types.js';
import type { Handler } from './context.js';
import { requireDomain } from './common.js';
import { maxAvailableProfileObjectCount, objectTypeOutput } from './profile-common.js';
import { checkTagLimit } from './tagging.js';

/** How long PutProfileObjectType removes a deleted namesake's objects before it answers 429 (the SDKs retry it). */
const WAIT_FOR_PURGE_MS = 10_000;

/**
 * Creates or replaces an object type. Replacing keeps CreatedAt and the objects already stored; Tags
 * given here are added to the type's tags, as TagResource would. The definition must be one profileflow
 * can ingest by: Fields read through `_source.…`, exactly one UNIQUE key (admin guide, Standard
 * identifiers). With a TemplateId the type takes the template's AllowProfileCreation,
 * SourceLastUpdatedTimestampFormat, Fields and Keys (templateMappings).
 */
export const putProfileObjectType: Handler<PutProfileObjectTypeRequest, PutProfileObjectTypeResponse> = async (
  ctx,
  input,
) => {
  const now = ctx.clock.now();
  const arn = objectTypeArn(ctx.scope, input.DomainName, input.ObjectTypeName);
  // A type deleted under this name may still have objects being removed: that must finish first, or the
  // purge would take the new type's objects with the old's.
  const namesake = { scope: ctx.scope, domainName: input.DomainName, objectTypeName: input.ObjectTypeName };
  if (await ctx.store.objectTypePurges.of(ctx.scope, input.DomainName, input.ObjectTypeName)) {
    await purgeDeletedObjectTypes(ctx.store, () => ctx.clock.now(), { only: namesake, until: performance.now() + WAIT_FOR_PURGE_MS });
  }
  return ctx.store.transaction(async (store) => {
    await requireDomain({ ...ctx, store }, input.DomainName);
    if (await store.objectTypePurges.of(ctx.scope, input.DomainName, input.ObjectTypeName)) {
      throw new ThrottlingException(
        `Object type ${input.ObjectTypeName} was deleted and its objects are still being removed; a type of that name can be created once that is done. Retry shortly.`,
      );
    }
    const record: ObjectTypeRecord = {
      objectTypeName: input.ObjectTypeName,
      description: input.Description,
      templateId: input.TemplateId,
      expirationDays: input.ExpirationDays,
      encryptionKey: input.EncryptionKey || undefined,
      allowProfileCreation: input.AllowProfileCreation,
      sourceLastUpdatedTimestampFormat: input.SourceLastUpdatedTimestampFormat,
      maxProfileObjectCount: input.MaxProfileObjectCount,
      sourcePriority: input.SourcePriority,
      fields: input.Fields,
      keys: input.Keys,
      createdAt: now,
      updatedAt: now,
      ...(input.TemplateId === undefined ? {} : templateMappings(input, input.TemplateId)),
    };
    const compiled = compileObjectType(record);
    if (!compiled.ok) {
      throw new BadRequestException(`The object type ${input.ObjectTypeName} is not valid: ${compiled.problems.join(' ')}`);
    }
    const all = await store.objectTypes.all(ctx.scope, input.DomainName);
    const available = maxAvailableProfileObjectCount(all, input.ObjectTypeName);
    if (input.MaxProfileObjectCount !== undefined && input.MaxProfileObjectCount > available) {
      throw new BadRequestException(
        `MaxProfileObjectCount ${input.MaxProfileObjectCount} is more than the ${available} objects per profile still ` +
          `available in domain ${input.DomainName}: all object types together may keep at most 1000 objects per profile.`,
      );
    }
    const existing = all.find((t) => t.objectTypeName === input.ObjectTypeName);
    if (existing) record.createdAt = existing.createdAt;
    record.updatedAt = Math.max(now, record.createdAt);
    await store.objectTypes.put(ctx.scope, input.DomainName, record);
    if (input.Tags) {
      checkTagLimit(arn, await store.tags.get(ctx.scope, arn), input.Tags);
      await store.tags.put(ctx.scope, arn, input.Tags);
    }
    return objectTypeOutput(record, await store.tags.get(ctx.scope, arn), available);
  });
};

/** The members a template sets, which a request with a TemplateId must leave out (model, TemplateId). */
const FROM_TEMPLATE = ['AllowProfileCreation', 'SourceLastUpdatedTimestampFormat', 'Fields', 'Keys'] as const;

/**
 * What a template gives an object type. "If these attributes are present in the request, the service may
 * return a BadRequestException" (model, TemplateId): profileflow always does, so a type's mapping is
 * either the template's or the request's, never a mix. The mappings are copied into the type, so a type
 * keeps the mapping it was created with [I].
 */
function templateMappings(input: PutProfileObjectTypeRequest, templateId: string): Partial<ObjectTypeRecord> {
  const given = FROM_TEMPLATE.filter((member) => input[member] !== undefined);
  if (given.length > 0) {
    throw new BadRequestException(
      `The object type ${input.ObjectTypeName} names the template ${templateId}, which sets ${FROM_TEMPLATE.join(', ')}: ` +
        `leave out ${given.join(' and ')}, or leave out the TemplateId and define the type yourself.`,
    );
  }
  const template = findTemplate(templateId);
  if (!template) {
    throw new BadRequestException(
      `The object type template ${templateId} is not known: ListProfileObjectTypeTemplates lists the templates there are.`,
    );
  }
  if (!template.mappingsPublished) {
    throw new BadRequestException(
      `The object type template ${templateId} has no Fields and Keys here, because AWS does not publish them: ` +
        'define the object type with Fields and Keys and no TemplateId.',
    );
  }
  return structuredClone({
    allowProfileCreation: template.AllowProfileCreation,
    sourceLastUpdatedTimestampFormat: template.SourceLastUpdatedTimestampFormat,
    fields: template.Fields,
    keys: template.Keys,
  });
}
