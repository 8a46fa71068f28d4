import { BadRequestException, ResourceNotFoundException } from '../api/errors.js';
import type { StructureShape } from '../api/model-types.js';
import { shapeOf } from '../api/service.js';
import type { MergeProfilesRequest, MergeProfilesResponse } from '../api/shapes.generated.js';
import { historyRecordId } from '../domain/ids.js';
import { getOwn, setOwn } from '../domain/own-properties.js';
import { keysOfProfiles, ProfileChanges } from '../ingest/profile-changes.js';
import type { AttributeSource, ProfileRecord } from '../store/types.js';
import type { Handler } from './context.js';
import { requireDomain } from './common.js';

/**
 * Every field a profile stores, Attributes apart (a map of its own). FieldSourceProfileIds can choose a
 * source for most of them; the few it has no member for (GenderString, PartyTypeString) are united the
 * same way, the main profile's value first, rather than lost.
 */
const FIELDS = Object.keys((shapeOf('Profile') as StructureShape).members).filter((f) => f !== 'Attributes' && f !== 'ProfileId' && f !== 'FoundByItems');

/**
 * Merges ProfileIdsToBeMerged into MainProfileId, as the model documents it: their objects and their
 * index entries (object keys, AddProfileKey values, standard keys) move to the main profile, so
 * searching by any of their former keys finds the main profile; they are deleted (ProfileCount drops by
 * their number; ObjectCount and TotalSize stay). Standard fields are "union"-ed; on a conflict the main
 * profile's value is taken unless FieldSourceProfileIds names the profile to take it from, which is
 * taken "even if it is a NULL value". Attributes are merged name by name the same way. Where the main
 * profile has no value and several merged ones do, the first in ProfileIdsToBeMerged's order gives it [I].
 */
export const mergeProfiles: Handler<MergeProfilesRequest, MergeProfilesResponse> = async (ctx, input) => {
  const now = ctx.clock.now();
  const mergedIds = [...new Set(input.ProfileIdsToBeMerged)];
  const problems: string[] = [];
  if (mergedIds.includes(input.MainProfileId)) {
    problems.push(`The main profile ${input.MainProfileId} cannot also be one of the ProfileIdsToBeMerged.`);
  }
  const allowed = new Set([input.MainProfileId, ...mergedIds]);
  const sources = input.FieldSourceProfileIds ?? {};
  const chosen = Object.entries(sources).filter(([f]) => f !== 'Attributes') as [string, string][];
  const chosenAttributes = Object.entries(sources.Attributes ?? {});
  for (const [field, id] of [...chosen, ...chosenAttributes.map(([n, id]) => [`Attributes.${n}`, id] as const)]) {
    if (!allowed.has(id)) {
      problems.push(`FieldSourceProfileIds.${field} names profile ${id}, which is neither the main profile nor one of the ProfileIdsToBeMerged.`);
    }
  }
  if (problems.length > 0) throw new BadRequestException(problems.join(' '));

  await ctx.store.transaction(async (store) => {
    const domain = await requireDomain({ ...ctx, store }, input.DomainName);
    // Every profile of the merge locked, in one statement (so two merges cannot deadlock): an ingestion
    // landing objects on one of them commits first, and its objects move here, or finds it gone.
    const locked = await store.profiles.getMany(ctx.scope, input.DomainName, [input.MainProfileId, ...mergedIds], 'update');
    const main = locked.find((p) => p.profileId === input.MainProfileId);
    if (!main) throw new ResourceNotFoundException(`Profile ${input.MainProfileId} was not found in domain ${input.DomainName}.`);
    const others = locked.filter((p) => p.profileId !== input.MainProfileId);
    const missing = mergedIds.filter((id) => !others.some((p) => p.profileId === id));
    if (missing.length > 0) {
      throw new ResourceNotFoundException(`Profile ${missing.join(', ')} was not found in domain ${input.DomainName}: nothing was merged.`);
    }
    const byId = new Map([main, ...others].map((p) => [p.profileId, p] as const));
    const ordered = [main, ...mergedIds.map((id) => byId.get(id) as ProfileRecord)];
    const merged = mergeRecords(ordered, new Map(chosen), new Map(chosenAttributes), now);

    // Every index entry the merged profiles really hold (exactly those: LOOKUP_ONLY values an object
    // carries were never indexed and do not become so) moves to the main profile.
    const { keys: candidates } = await keysOfProfiles(store, ctx.scope, input.DomainName, others);
    const held = (await store.profiles.findByKeys(ctx.scope, input.DomainName, candidates)).filter((k) =>
      mergedIds.includes(k.profileId),
    );
    const changes = new ProfileChanges(store, ctx.scope, input.DomainName, now, { kind: 'api' }, domain.defaultExpirationDays);
    changes.removeKeys(held);
    changes.followStandardKeys(main.profileId, main.attributes, merged.attributes);
    const moved = held.map((k) => ({ ...k, profileId: main.profileId }));
    changes.addKeys(moved);
    // The main profile's attributes and objects may not show these values: as extra keys, a later
    // DeleteProfile or merge still finds them.
    changes.addExtraKeys(moved);
    changes.moveObjects(mergedIds, main.profileId);
    changes.deleteProfiles(mergedIds, 'DELETED_BY_MERGE');
    changes.saveProfile(merged, 'MERGED');
    await changes.commit();
    // In the same transaction: the event stream and webhooks announce a merge exactly when it happened.
    await store.profileHistory.addMerge(ctx.scope, { mergeId: historyRecordId(now), domainName: input.DomainName, mainProfileId: main.profileId, mergedProfileIds: mergedIds, mergedAt: now });
  });
  return { Message: `Profiles ${mergedIds.join(', ')} were merged into profile ${input.MainProfileId}.` };
};

/**
 * The main profile after the merge (pure). `ordered` is the main profile then the merged ones; a
 * field's value comes from the profile FieldSourceProfileIds names, else from the first that has one.
 */
export function mergeRecords(
  ordered: readonly ProfileRecord[],
  fieldSources: ReadonlyMap<string, string>,
  attributeSources: ReadonlyMap<string, string>,
  now: number,
): ProfileRecord {
  const [main] = ordered;
  const byId = new Map(ordered.map((p) => [p.profileId, p] as const));
  const attributes: Record<string, unknown> = {};
  const sourcesOut: Record<string, AttributeSource> = {};
  const copySources = (from: ProfileRecord, prefix: string, exact: boolean) => {
    for (const [path, source] of Object.entries(from.attributeSources)) {
      if (exact ? path === prefix : path.startsWith(`${prefix}.`)) setOwn(sourcesOut as Record<string, unknown>, path, source);
    }
  };
  for (const field of FIELDS) {
    const named = fieldSources.get(field);
    const from = named !== undefined ? byId.get(named) : ordered.find((p) => getOwn(p.attributes, field) !== undefined);
    const value = from && getOwn(from.attributes, field);
    if (!from || value === undefined) continue;
    setOwn(attributes, field, structuredClone(value));
    copySources(from, field, true);
    copySources(from, field, false);
  }
  const names = new Set(ordered.flatMap((p) => Object.keys((getOwn(p.attributes, 'Attributes') as object | undefined) ?? {})));
  const custom: Record<string, unknown> = {};
  for (const name of names) {
    const attrs = (p: ProfileRecord) => (getOwn(p.attributes, 'Attributes') as Record<string, unknown> | undefined) ?? {};
    const named = attributeSources.get(name);
    const from = named !== undefined ? byId.get(named) : ordered.find((p) => getOwn(attrs(p), name) !== undefined);
    const value = from && getOwn(attrs(from), name);
    if (!from || value === undefined) continue;
    setOwn(custom, name, value);
    copySources(from, `Attributes.${name}`, true);
  }
  if (Object.keys(custom).length > 0) attributes.Attributes = custom;
  return {
    profileId: main.profileId,
    attributes,
    attributeSources: sourcesOut,
    inferred: ordered.every((p) => p.inferred) && Object.keys(attributes).length === 0,
    createdAt: main.createdAt,
    updatedAt: Math.max(now, main.createdAt),
  };
}
