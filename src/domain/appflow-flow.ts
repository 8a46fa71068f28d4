/**
 * A Customer Profiles FlowDefinition (PascalCase members) read as the AppFlow flow it stands for
 * (camelCase members): Customer Profiles' FlowDefinition is AppFlow's CreateFlow input with its members
 * capitalised, so each AppFlow member is found by name without regard to case, guided by the AppFlow
 * model's shapes (members AppFlow does not have are dropped).
 */
import { appflowModel } from '../api/appflow/model.generated.js';
import type {
  ConnectorProfileProperties,
  ConnectorType,
  CreateFlowRequest,
  DestinationFlowConfig,
  MetadataCatalogConfig,
  SourceFlowConfig,
  Task,
  TriggerConfig,
} from '../api/appflow/shapes.generated.js';
import { serviceModel } from '../api/model.generated.js';
import type { ServiceModel } from '../api/model-types.js';
import { appflowFlowArn } from './arns.js';
import type { Scope } from './scope.js';
import type { FlowDefinition } from '../api/shapes.generated.js';

type Obj = Record<string, unknown>;

/**
 * `value` read as the shape `shapeName` of `model`: each structure member found by name without regard
 * to case (the two services spell the same members in PascalCase and camelCase), members the shape does
 * not have dropped, map keys kept as they are, timestamps as Dates (from a Date, epoch milliseconds as
 * the store keeps them, or ISO-8601 text as JSON.stringify leaves a Date).
 */
function readAsShape(model: ServiceModel, shapeName: string, value: unknown): unknown {
  if (value === undefined || value === null) return undefined;
  const shape = model.shapes[shapeName];
  if (!shape) return undefined;
  switch (shape.type) {
    case 'structure': {
      if (typeof value !== 'object' || Array.isArray(value)) return undefined;
      const byLower = new Map(Object.entries(value).map(([k, v]) => [k.toLowerCase(), v]));
      const out: Obj = {};
      for (const [member, ref] of Object.entries(shape.members)) {
        const read = readAsShape(model, ref.shape, byLower.get(member.toLowerCase()));
        if (read !== undefined) out[member] = read;
      }
      return out;
    }
    case 'list':
      return Array.isArray(value) ? value.map((v) => readAsShape(model, shape.member.shape, v)) : undefined;
    case 'map': {
      if (typeof value !== 'object' || Array.isArray(value)) return undefined;
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, readAsShape(model, shape.value.shape, v)]));
    }
    case 'timestamp':
      return timestamp(value);
    default:
      return value;
  }
}

function timestamp(value: unknown): Date | undefined {
  const ms = value instanceof Date ? value.getTime() : typeof value === 'number' ? value : typeof value === 'string' ? Date.parse(value) : Number.NaN;
  return Number.isFinite(ms) ? new Date(ms) : undefined;
}

/** The AppFlow structures the store keeps (a flow's, a connector profile's), by shape name, with their generated types. */
interface AppflowStoredShapes {
  CreateFlowRequest: CreateFlowRequest;
  TriggerConfig: TriggerConfig;
  SourceFlowConfig: SourceFlowConfig;
  DestinationFlowConfig: DestinationFlowConfig;
  Task: Task;
  MetadataCatalogConfig: MetadataCatalogConfig;
  ConnectorProfileProperties: ConnectorProfileProperties;
}

export type AppflowStoredShape = keyof AppflowStoredShapes;

/**
 * A reader of objects as the shapes of `model`, typed by `Shapes` (shape name → generated type). The
 * type is what the shape declares: the reader keeps only the shape's members and reads each by its own
 * shape, and the values come from input the model's constraints were checked on (a request, or a flow
 * stored from one).
 */
function shapeReader<Shapes>(model: ServiceModel) {
  return <N extends keyof Shapes & string>(shapeName: N, value: object): Shapes[N] => readAsShape(model, shapeName, value) as Shapes[N];
}

/** An object (a Customer Profiles FlowDefinition, JSON the store kept) read as an AppFlow structure. */
export const asAppflowShape = shapeReader<AppflowStoredShapes>(appflowModel);

const asCustomerProfilesShape = shapeReader<{ FlowDefinition: FlowDefinition }>(serviceModel);

/** What a Customer Profiles integration's flow looks like as an AppFlow flow (without times and authors). */
export interface FlowFromCustomerProfiles {
  flowName: string;
  flowArn: string;
  description?: string;
  kmsArn?: string;
  triggerConfig: TriggerConfig;
  sourceFlowConfig: SourceFlowConfig;
  connectorType: ConnectorType;
  connectorProfileName?: string;
  destinationFlowConfigList: DestinationFlowConfig[];
  tasks: Task[];
}

export function flowFromCustomerProfiles(scope: Scope, flowDefinition: FlowDefinition, domainName: string, objectTypeName: string | undefined): FlowFromCustomerProfiles {
  const read = asAppflowShape('CreateFlowRequest', flowDefinition);
  return {
    flowName: read.flowName,
    flowArn: appflowFlowArn(scope, read.flowName),
    description: read.description,
    kmsArn: read.kmsArn,
    triggerConfig: read.triggerConfig,
    sourceFlowConfig: read.sourceFlowConfig,
    connectorType: read.sourceFlowConfig.connectorType,
    connectorProfileName: read.sourceFlowConfig.connectorProfileName,
    destinationFlowConfigList: [
      {
        connectorType: 'CustomerProfiles',
        destinationConnectorProperties: { CustomerProfiles: { domainName, ...(objectTypeName ? { objectTypeName } : {}) } },
      },
    ],
    tasks: read.tasks,
  };
}

/**
 * The opposite direction: a stored AppFlow flow (camelCase members) read as the Customer Profiles
 * FlowDefinition the engine's readers expect (checkFlowRead, sourceObjectOf, compileTasks), each member
 * found by name without regard to case, guided by the Customer Profiles model's shapes (members it does
 * not have are dropped). Keys of maps (taskProperties' VALUE…, connectorOperator's Salesforce…) stay.
 */
export function flowDefinitionOf(flow: {
  flowName: string;
  description?: string;
  kmsArn?: string;
  triggerConfig: TriggerConfig;
  sourceFlowConfig: SourceFlowConfig;
  tasks: Task[];
}): FlowDefinition {
  return asCustomerProfilesShape('FlowDefinition', {
    flowName: flow.flowName,
    description: flow.description,
    kmsArn: flow.kmsArn,
    triggerConfig: flow.triggerConfig,
    sourceFlowConfig: flow.sourceFlowConfig,
    tasks: flow.tasks,
  });
}
