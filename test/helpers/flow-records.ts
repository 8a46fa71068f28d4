import type { FlowRecord } from '../../src/store/appflow-types.js';

/** When the store tests' flows were created. */
export const FLOW_T0 = Date.UTC(2026, 0, 1);

/**
 * A flow record as the store tests write it straight to the store (account 111122223333): an hourly
 * Salesforce flow into the Contact type of `fields.domainName`, created at FLOW_T0; `fields` overrides.
 */
export function flowRecord(name: string, fields: Partial<FlowRecord> & Pick<FlowRecord, 'domainName'>): FlowRecord {
  return {
    flowName: name,
    flowArn: `arn:aws:appflow:us-east-1:111122223333:flow/${name}`,
    flowStatus: 'Active',
    triggerConfig: { triggerType: 'Scheduled', triggerProperties: { Scheduled: { scheduleExpression: 'rate(1hours)' } } },
    sourceFlowConfig: { connectorType: 'Salesforce', connectorProfileName: 'p', sourceConnectorProperties: { Salesforce: { object: 'Contact' } } },
    connectorType: 'Salesforce',
    connectorProfileName: 'p',
    destinationFlowConfigList: [],
    objectTypeName: 'Contact',
    tasks: [],
    createdBy: 'x',
    lastUpdatedBy: 'x',
    createdAt: FLOW_T0,
    updatedAt: FLOW_T0,
    activatedAt: FLOW_T0 + 1,
    ...fields,
  };
}
