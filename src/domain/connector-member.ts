import type { ConnectorOperator, SourceConnectorProperties, SourceConnectorType } from '../api/shapes.generated.js';

/** A member name that ConnectorOperator and SourceConnectorProperties both have, one per connector. */
export type ConnectorMember = keyof ConnectorOperator & keyof SourceConnectorProperties;

/**
 * The member of ConnectorOperator and SourceConnectorProperties that belongs to a ConnectorType. The
 * model spells the enum value `Servicenow` but the members `ServiceNow`; every other type is spelled
 * alike.
 */
export const CONNECTOR_MEMBER: Readonly<Record<SourceConnectorType, ConnectorMember>> = {
  Salesforce: 'Salesforce',
  Marketo: 'Marketo',
  Zendesk: 'Zendesk',
  Servicenow: 'ServiceNow',
  S3: 'S3',
};
