import { BadRequestException } from '../api/errors.js';
import type { SourceFlowConfig, Task } from '../api/shapes.generated.js';
import { CONNECTOR_MEMBER } from './connector-member.js';

export interface SourceObject {
  object: string;
  prefix?: string;
  includeDeleted?: boolean;
  enableDynamicFieldUpdate?: boolean;
}

/** What a flow reads: the object (or bucket and prefix) named under the ConnectorType's own member. */
export function sourceObjectOf(config: SourceFlowConfig): SourceObject {
  const member = CONNECTOR_MEMBER[config.ConnectorType];
  const props = config.SourceConnectorProperties as Record<string, Record<string, unknown> | undefined>;
  const own = props[member];
  if (!own) {
    throw new BadRequestException(
      `SourceConnectorProperties.${member} is required when ConnectorType is ${config.ConnectorType}.`,
    );
  }
  const others = Object.keys(props).filter((k) => k !== member && props[k] !== undefined);
  if (others.length > 0) {
    throw new BadRequestException(
      `SourceConnectorProperties may only name ${member} for ConnectorType ${config.ConnectorType}, not ${others.join(', ')}.`,
    );
  }
  if (member === 'S3') {
    return { object: String(own.BucketName), prefix: own.BucketPrefix === undefined ? undefined : String(own.BucketPrefix) };
  }
  return {
    object: String(own.Object),
    includeDeleted: own.IncludeDeletedRecords === true,
    enableDynamicFieldUpdate: own.EnableDynamicFieldUpdate === true,
  };
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
