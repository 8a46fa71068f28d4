import assert from 'node:assert/strict';
import {
  CreateDomainCommand,
  type CustomerProfilesClient,
  PutProfileObjectCommand,
  PutProfileObjectTypeCommand,
  type PutProfileObjectTypeCommandInput,
} from '@aws-sdk/client-customer-profiles';
import type { TestServer } from './server.js';
import { TEST_ACCOUNT, TEST_REGION } from './server.js';

export const HOME = { accountId: TEST_ACCOUNT, region: TEST_REGION };

/** A contact object type: Id is the UNIQUE key, Email and Phone find the profile. */
export const CONTACT: Omit<PutProfileObjectTypeCommandInput, 'DomainName' | 'ObjectTypeName'> = {
  Description: 'Contacts from the CRM',
  AllowProfileCreation: true,
  Fields: {
    Id: { Source: '_source.Id', ContentType: 'STRING' },
    Email: { Source: '_source.Email', Target: '_profile.EmailAddress', ContentType: 'EMAIL_ADDRESS' },
    Phone: { Source: '_source.Phone', Target: '_profile.PhoneNumber', ContentType: 'PHONE_NUMBER' },
    FirstName: { Source: '_source.FirstName', Target: '_profile.FirstName', ContentType: 'NAME' },
  },
  Keys: {
    _contactId: [{ StandardIdentifiers: ['UNIQUE', 'PROFILE'], FieldNames: ['Id'] }],
    _email: [{ StandardIdentifiers: ['PROFILE'], FieldNames: ['Email'] }],
    _phone: [{ StandardIdentifiers: ['PROFILE'], FieldNames: ['Phone'] }],
  },
};

export async function createDomain(client: CustomerProfilesClient, domainName: string): Promise<void> {
  await client.send(new CreateDomainCommand({ DomainName: domainName, DefaultExpirationDays: 30 }));
}

/** A domain holding the Contact object type (or the one given). */
export async function domainWithType(
  client: CustomerProfilesClient,
  domainName: string,
  objectTypeName = 'Contact',
  definition: Omit<PutProfileObjectTypeCommandInput, 'DomainName' | 'ObjectTypeName'> = CONTACT,
): Promise<void> {
  await createDomain(client, domainName);
  await client.send(new PutProfileObjectTypeCommand({ DomainName: domainName, ObjectTypeName: objectTypeName, ...definition }));
}

/** PutProfileObject of a JSON object; answers its ProfileObjectUniqueKey. */
export async function putObject(
  client: CustomerProfilesClient,
  domainName: string,
  object: Record<string, unknown>,
  objectTypeName = 'Contact',
): Promise<string> {
  const out = await client.send(
    new PutProfileObjectCommand({ DomainName: domainName, ObjectTypeName: objectTypeName, Object: JSON.stringify(object) }),
  );
  assert.ok(out.ProfileObjectUniqueKey);
  return out.ProfileObjectUniqueKey;
}

/**
 * The profile an object landed on. No profile read operation exists yet (SearchProfiles is a later
 * issue), so tests ask the store the server runs on.
 */
export async function profileOf(s: TestServer, domainName: string, uniqueKey: string, objectTypeName = 'Contact'): Promise<string> {
  const object = await s.store.profileObjects.get(HOME, domainName, objectTypeName, uniqueKey);
  assert.ok(object, `object ${uniqueKey} is stored`);
  return object.profileId;
}

/** A request as any HTTP client would send it (unsigned: the default account and region). */
export async function raw(
  s: TestServer,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; errorType: string | null; json: Record<string, unknown> }> {
  const response = await fetch(`${s.url}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, errorType: response.headers.get('x-amzn-errortype'), json: text ? JSON.parse(text) : {} };
}

export function integrationArnOf(domainName: string, uri: string): string {
  return `arn:aws:profile:${TEST_REGION}:${TEST_ACCOUNT}:domains/${domainName}/integrations/${uri}`;
}

export function objectTypeArnOf(domainName: string, objectTypeName: string): string {
  return `arn:aws:profile:${TEST_REGION}:${TEST_ACCOUNT}:domains/${domainName}/object-types/${objectTypeName}`;
}
