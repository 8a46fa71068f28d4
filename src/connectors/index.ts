import { FilesConnector } from './files/files-connector.js';
import { S3Connector } from './s3/s3-connector.js';
import { SyntheticConnector } from './synthetic/synthetic-connector.js';
import { SalesforceConnector } from './salesforce/salesforce-connector.js';
import { MarketoConnector } from './marketo/marketo-connector.js';
import { ServiceNowConnector } from './servicenow/servicenow-connector.js';
import { ZendeskConnector } from './zendesk/zendesk-connector.js';
import type { Connector } from './types.js';

/**
 * Every source kind a connector profile may name. Later kinds (s3, salesforce, servicenow, marketo,
 * zendesk) are added to this list and nowhere else.
 */
const connectors = new Map<string, Connector>(
  [new FilesConnector(), new S3Connector(), new SyntheticConnector(), new SalesforceConnector(), new ServiceNowConnector(), new ZendeskConnector(), new MarketoConnector()].map((c) => [c.kind, c] as const),
);

/** The connector that reads profiles of `kind`, or undefined for a kind profileflow does not know. */
export function connectorFor(kind: string): Connector | undefined {
  return connectors.get(kind);
}

/** The known kinds, in the order they were registered. */
export function connectorKinds(): string[] {
  return [...connectors.keys()];
}

export type { Connector, ConnectorProfile, ReadRequest, SourcePage, SourceRecord } from './types.js';
export { SourceError } from './types.js';
