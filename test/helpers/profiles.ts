import assert from 'node:assert/strict';
import {
  BatchGetProfileCommand,
  CreateProfileCommand,
  type CreateProfileCommandInput,
  type CustomerProfilesClient,
  GetDomainCommand,
  ListProfileHistoryRecordsCommand,
  type Profile,
  type ProfileHistoryRecord,
  PutProfileObjectTypeCommand,
  SearchProfilesCommand,
} from '@aws-sdk/client-customer-profiles';
import type { Clock } from '../../src/engine/clock.js';
import type { ChangeSource } from '../../src/ingest/profile-changes.js';
import { putProfileObjects } from '../../src/ingest/profile-objects.js';
import type { Store } from '../../src/store/types.js';
import { CONTACT, createDomain, HOME } from './profile-objects.js';
import type { TestServer } from './server.js';

/** CreateProfile; answers the new ProfileId. */
export async function newProfile(
  client: CustomerProfilesClient,
  domainName: string,
  members: Omit<CreateProfileCommandInput, 'DomainName'> = {},
): Promise<string> {
  const { ProfileId } = await client.send(new CreateProfileCommand({ DomainName: domainName, ...members }));
  assert.ok(ProfileId);
  return ProfileId;
}

/** The profile as BatchGetProfile answers it, or undefined when it is gone. */
export async function profileById(client: CustomerProfilesClient, domainName: string, profileId: string): Promise<Profile | undefined> {
  const out = await client.send(new BatchGetProfileCommand({ DomainName: domainName, ProfileIds: [profileId] }));
  return out.Profiles?.[0];
}

/** The ids SearchProfiles finds for one key. */
export async function searchIds(client: CustomerProfilesClient, domainName: string, keyName: string, values: string[]): Promise<string[]> {
  const out = await client.send(new SearchProfilesCommand({ DomainName: domainName, KeyName: keyName, Values: values }));
  return (out.Items ?? []).map((p) => p.ProfileId as string);
}

export async function statsOf(client: CustomerProfilesClient, domainName: string) {
  return (await client.send(new GetDomainCommand({ DomainName: domainName }))).Stats;
}

/** Every history record of a profile, in order. */
export async function historyOf(client: CustomerProfilesClient, domainName: string, profileId: string): Promise<ProfileHistoryRecord[]> {
  const out: ProfileHistoryRecord[] = [];
  let NextToken: string | undefined;
  do {
    const page = await client.send(new ListProfileHistoryRecordsCommand({ DomainName: domainName, ProfileId: profileId, NextToken }));
    out.push(...(page.ProfileHistoryRecords ?? []));
    NextToken = page.NextToken;
  } while (NextToken);
  return out;
}

/**
 * Ingestion of Contact records as a workflow step does it, straight through `putProfileObjects` on the
 * server's store (or the transaction's) at the clock's time: `ingested` creates the domain and its Contact type first. Each
 * answers the profile id of every record.
 */
export function contactIngestion(server: () => TestServer, clock: Clock, defaultSource: ChangeSource) {
  async function ingest(domainName: string, records: Record<string, unknown>[], source: ChangeSource = defaultSource, store: Store = server().store): Promise<string[]> {
    const type = await store.objectTypes.get(HOME, domainName, 'Contact');
    assert.ok(type);
    const results = await store.transaction((tx) => putProfileObjects(tx, HOME, domainName, type, records, clock.now(), { source }));
    return results.map((r) => r.profileId);
  }
  async function ingested(domainName: string, records: Record<string, unknown>[], source: ChangeSource = defaultSource): Promise<string[]> {
    const { client } = server();
    await createDomain(client, domainName);
    await client.send(new PutProfileObjectTypeCommand({ DomainName: domainName, ObjectTypeName: 'Contact', ...CONTACT }));
    return ingest(domainName, records, source);
  }
  return { ingest, ingested };
}
