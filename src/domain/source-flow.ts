import type { FlowDefinition, SourceConnectorType, SourceFlowConfig, Task } from '../api/shapes.generated.js';
import { checkRunnableTasks, type CompiledTasks } from './flow-tasks.js';
import { invalid, valid, type Checked } from './problem.js';
import { CONNECTOR_MEMBER } from './connector-member.js';

export interface SourceObject {
  object: string;
  prefix?: string;
  includeDeleted?: boolean;
  enableDynamicFieldUpdate?: boolean;
}

/** What a flow reads: the object (or bucket and prefix) named under the ConnectorType's own member. */
export function sourceObjectOf(config: SourceFlowConfig): Checked<SourceObject> {
  const member = CONNECTOR_MEMBER[config.ConnectorType];
  const props = (config.SourceConnectorProperties ?? {}) as Record<string, Record<string, unknown> | undefined>;
  const own = props[member];
  if (!own) {
    return invalid(`SourceConnectorProperties.${member} is required when ConnectorType is ${config.ConnectorType}.`);
  }
  const others = Object.keys(props).filter((k) => k !== member && props[k] !== undefined);
  if (others.length > 0) {
    return invalid(`SourceConnectorProperties may only name ${member} for ConnectorType ${config.ConnectorType}, not ${others.join(', ')}.`);
  }
  if (member === 'S3') {
    return valid({ object: String(own.BucketName), prefix: own.BucketPrefix === undefined ? undefined : String(own.BucketPrefix) });
  }
  return valid({
    object: String(own.Object),
    includeDeleted: own.IncludeDeletedRecords === true,
    enableDynamicFieldUpdate: own.EnableDynamicFieldUpdate === true,
  });
}

/**
 * The source fields a flow's Tasks name, distinct, in first-mention order. AppFlow queries the source
 * for exactly the fields its tasks mention (the mapped and projected ones), so connectors that can
 * select fields (SOQL, sysparm_fields) ask for these.
 */
export function sourceFieldsOf(tasks: readonly Task[] | undefined): string[] {
  // A Merge or Arithmetic result (or a Mask or Truncate written elsewhere) that a later Map carries on is
  // made by the flow, not read from the source: asking the source for it would fail.
  const produced = new Set<string>();
  for (const task of tasks ?? []) {
    const destination = task.DestinationField;
    if (task.TaskType === 'Merge' || task.TaskType === 'Arithmetic') produced.add(destination || (task.SourceFields ?? []).join(','));
    else if ((task.TaskType === 'Mask' || task.TaskType === 'Truncate') && destination && !task.SourceFields?.includes(destination)) {
      produced.add(destination);
    }
  }
  const fields = new Set<string>();
  for (const task of tasks ?? []) {
    for (const field of task.SourceFields ?? []) if (field !== '' && !produced.has(field)) fields.add(field);
  }
  return [...fields];
}

/** Everything a step needs from its workflow's FlowDefinition to read and transform its window. */
export interface FlowRead {
  connectorType: SourceConnectorType;
  source: SourceObject;
  /** The Tasks, compiled once per step; per record the transform is a few property reads. */
  tasks: CompiledTasks;
  fields: string[];
  datetimeField?: string;
}

/**
 * A stored FlowDefinition as the engine reads it, or why it cannot run. CreateIntegrationWorkflow
 * refused such a definition, so a problem here means the stored one changed meaning under a newer
 * version (a task no longer compiles) or was written by hand: the step fails for good, since no retry
 * could mend it.
 */
export function checkFlowRead(flow: FlowDefinition): Checked<FlowRead> {
  const config: SourceFlowConfig | undefined = flow?.SourceFlowConfig;
  if (!config || typeof config !== 'object') return invalid('The stored FlowDefinition has no SourceFlowConfig.');
  if (!Object.hasOwn(CONNECTOR_MEMBER, config.ConnectorType)) {
    return invalid(`The stored SourceFlowConfig.ConnectorType ${String(config.ConnectorType)} is not one of ${Object.keys(CONNECTOR_MEMBER).join(', ')}.`);
  }
  const source = sourceObjectOf(config);
  if (!source.ok) return source;
  const tasks = checkRunnableTasks(flow);
  if (!tasks.ok) return tasks;
  const datetimeField = config.IncrementalPullConfig?.DatetimeTypeFieldName;
  return valid({ connectorType: config.ConnectorType, source: source.value, tasks: tasks.value, fields: sourceFieldsOf(flow.Tasks), datetimeField });
}
