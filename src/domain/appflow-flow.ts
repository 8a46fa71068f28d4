/**
 * A Customer Profiles FlowDefinition (PascalCase members) read as the AppFlow flow it stands for
 * (camelCase members): Customer Profiles' FlowDefinition is AppFlow's CreateFlow input with its members
 * capitalised, so each AppFlow member is found by name without regard to case, guided by the AppFlow
 * model's shapes (members AppFlow does not have are dropped).
 */
import { appflowModel } from '../api/appflow/model.generated.js';
import { serviceModel } from '../api/model.generated.js';
import type { ServiceModel, StructureShape } from '../api/model-types.js';
import { appflowFlowArn } from './arns.js';
import type { Scope } from './scope.js';
import type { FlowDefinition } from '../api/shapes.generated.js';

type Obj = Record<string, unknown>;

/**
 * `value` read as the shape `shapeName` of `model`: each structure member found by name without regard
 * to case (the two services spell the same members in PascalCase and camelCase), members the shape does
 * not have dropped, map keys kept as they are.
 */
function readAsShape(model: ServiceModel, shapeName: string, value: unknown): unknown {
  if (value === undefined || value === null) return undefined;
  const shape = model.shapes[shapeName];
  if (!shape) return undefined;
  switch (shape.type) {
    case 'structure': {
      if (typeof value !== 'object' || Array.isArray(value)) return undefined;
      const byLower = new Map(Object.entries(value as Obj).map(([k, v]) => [k.toLowerCase(), v]));
      const out: Obj = {};
      for (const [member, ref] of Object.entries((shape as StructureShape).members)) {
        const read = readAsShape(model, ref.shape, byLower.get(member.toLowerCase()));
        if (read !== undefined) out[member] = read;
      }
      return out;
    }
    case 'list':
      return Array.isArray(value) ? value.map((v) => readAsShape(model, shape.member.shape, v)) : undefined;
    case 'map': {
      if (typeof value !== 'object' || Array.isArray(value)) return undefined;
      return Object.fromEntries(Object.entries(value as Obj).map(([k, v]) => [k, readAsShape(model, shape.value.shape, v)]));
    }
    default:
      return value;
  }
}

export function asAppflowShape(shapeName: string, value: unknown): unknown {
  return readAsShape(appflowModel, shapeName, value);
}

/** What a Customer Profiles integration's flow looks like as an AppFlow flow (without times and authors). */
export interface FlowFromCustomerProfiles {
  flowName: string;
  flowArn: string;
  description?: string;
  kmsArn?: string;
  triggerConfig: Obj;
  sourceFlowConfig: Obj;
  connectorType: string;
  connectorProfileName?: string;
  destinationFlowConfigList: Obj[];
  tasks: Obj[];
}

export function flowFromCustomerProfiles(scope: Scope, flowDefinition: FlowDefinition, domainName: string, objectTypeName: string | undefined): FlowFromCustomerProfiles {
  const read = asAppflowShape('CreateFlowRequest', flowDefinition) as Obj;
  const source = (read.sourceFlowConfig ?? {}) as Obj;
  const flowName = String(read.flowName);
  return {
    flowName,
    flowArn: appflowFlowArn(scope, flowName),
    description: read.description as string | undefined,
    kmsArn: read.kmsArn as string | undefined,
    triggerConfig: (read.triggerConfig ?? { triggerType: 'OnDemand' }) as Obj,
    sourceFlowConfig: source,
    connectorType: String(source.connectorType),
    connectorProfileName: source.connectorProfileName as string | undefined,
    destinationFlowConfigList: [
      {
        connectorType: 'CustomerProfiles',
        destinationConnectorProperties: { CustomerProfiles: { domainName, ...(objectTypeName ? { objectTypeName } : {}) } },
      },
    ],
    tasks: (read.tasks ?? []) as Obj[],
  };
}

/**
 * The opposite direction: a stored AppFlow flow (camelCase members) read as the Customer Profiles
 * FlowDefinition the engine's readers expect (checkFlowRead, sourceObjectOf, compileTasks), each member
 * found by name without regard to case, guided by the Customer Profiles model's shapes (members it does
 * not have are dropped). Keys of maps (taskProperties' VALUE…, connectorOperator's Salesforce…) stay.
 */
export function asCustomerProfilesShape(shapeName: string, value: unknown): unknown {
  return readAsShape(serviceModel, shapeName, value);
}

/** A stored flow as the FlowDefinition a run reads with: its name, source, tasks and trigger. */
export function flowDefinitionOf(flow: { flowName: string; description?: string; kmsArn?: string; triggerConfig: Obj; sourceFlowConfig: Obj; tasks: Obj[] }): FlowDefinition {
  return asCustomerProfilesShape('FlowDefinition', {
    flowName: flow.flowName,
    description: flow.description,
    kmsArn: flow.kmsArn,
    triggerConfig: flow.triggerConfig,
    sourceFlowConfig: flow.sourceFlowConfig,
    tasks: flow.tasks,
  }) as FlowDefinition;
}
