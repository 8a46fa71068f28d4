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
  SearchProfilesCommand,
} from '@aws-sdk/client-customer-profiles';

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
