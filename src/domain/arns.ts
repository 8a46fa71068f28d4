import type { Scope } from './scope.js';

export function domainArn(scope: Scope, domainName: string): string {
  return `arn:aws:profile:${scope.region}:${scope.accountId}:domains/${domainName}`;
}

export function objectTypeArn(scope: Scope, domainName: string, objectTypeName: string): string {
  return `${domainArn(scope, domainName)}/object-types/${objectTypeName}`;
}

export function integrationArn(scope: Scope, domainName: string, uri: string): string {
  return `${domainArn(scope, domainName)}/integrations/${uri}`;
}

export type TaggableResource =
  | { kind: 'domain'; domainName: string }
  | { kind: 'object-type'; domainName: string; objectTypeName: string }
  | { kind: 'integration'; domainName: string; uri: string };

export type ArnParse =
  | { ok: true; partition: string; region: string; accountId: string; resource: TaggableResource }
  | { ok: false; reason: string };

/**
 * Reads a Customer Profiles ARN (domains, object types and integrations are taggable; the IAM
 * reference has no workflow resource). An integration's Uri may itself contain `/` and `:`.
 */
export function parseResourceArn(arn: string): ArnParse {
  const parts = arn.split(':');
  if (parts.length < 6 || parts[0] !== 'arn' || parts[2] !== 'profile') {
    return { ok: false, reason: 'it is not an ARN of the profile service' };
  }
  const [, partition, , region, accountId] = parts;
  const resource = parts.slice(5).join(':');
  const m = /^domains\/([^/]+)(?:\/(object-types|integrations)\/(.+))?$/.exec(resource);
  if (!m) return { ok: false, reason: 'its resource is not a domain, an object type or an integration' };
  const [, domainName, child, childName] = m;
  if (!child) return { ok: true, partition, region, accountId, resource: { kind: 'domain', domainName } };
  if (child === 'object-types') {
    return { ok: true, partition, region, accountId, resource: { kind: 'object-type', domainName, objectTypeName: childName } };
  }
  return { ok: true, partition, region, accountId, resource: { kind: 'integration', domainName, uri: childName } };
}

/** An AppFlow flow: `arn:aws:appflow:<region>:<account>:flow/<flowName>` (AppFlow's IAM resource type `flow`). */
export function appflowFlowArn(scope: Scope, flowName: string): string {
  return `arn:aws:appflow:${scope.region}:${scope.accountId}:flow/${flowName}`;
}

/** An AppFlow connector profile: `arn:aws:appflow:<region>:<account>:connectorprofile/<name>`. */
export function appflowConnectorProfileArn(scope: Scope, name: string): string {
  return `arn:aws:appflow:${scope.region}:${scope.accountId}:connectorprofile/${name}`;
}

export type AppflowArnParse =
  | { ok: true; region: string; accountId: string; resource: { kind: 'flow' | 'connectorprofile'; name: string } }
  | { ok: false; reason: string };

/** Reads an AppFlow ARN naming a flow or a connector profile (the taggable resources profileflow has). */
export function parseAppflowArn(arn: string): AppflowArnParse {
  const parts = arn.split(':');
  if (parts.length < 6 || parts[0] !== 'arn' || parts[2] !== 'appflow') return { ok: false, reason: 'it is not an ARN of the appflow service' };
  const [, , , region, accountId] = parts;
  const m = /^(flow|connectorprofile)\/(.+)$/.exec(parts.slice(5).join(':'));
  if (!m) return { ok: false, reason: 'its resource is not a flow or a connector profile' };
  return { ok: true, region, accountId, resource: { kind: m[1] as 'flow' | 'connectorprofile', name: m[2] } };
}
