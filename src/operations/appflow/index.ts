import type { Handler } from '../context.js';
import { createConnectorProfile } from './createConnectorProfile.js';
import { createFlow } from './createFlow.js';
import { deleteConnectorProfile } from './deleteConnectorProfile.js';
import { deleteFlow } from './deleteFlow.js';
import { describeConnectorProfiles } from './describeConnectorProfiles.js';
import { describeFlow } from './describeFlow.js';
import { listFlows } from './listFlows.js';
import { listTagsForResource } from './listTagsForResource.js';
import { tagResource } from './tagResource.js';
import { untagResource } from './untagResource.js';
import { updateConnectorProfile } from './updateConnectorProfile.js';
import { updateFlow } from './updateFlow.js';
import { startFlow } from './startFlow.js';
import { stopFlow } from './stopFlow.js';
import { describeFlowExecutionRecords } from './describeFlowExecutionRecords.js';
import { cancelFlowExecutions } from './cancelFlowExecutions.js';

/** The AppFlow registry: operation name → handler. Every other AppFlow operation answers 501 naming it. */
export const appflowOperations: Record<string, Handler> = {
  CreateConnectorProfile: createConnectorProfile,
  DescribeConnectorProfiles: describeConnectorProfiles,
  UpdateConnectorProfile: updateConnectorProfile,
  DeleteConnectorProfile: deleteConnectorProfile,
  CreateFlow: createFlow,
  UpdateFlow: updateFlow,
  DeleteFlow: deleteFlow,
  DescribeFlow: describeFlow,
  ListFlows: listFlows,
  TagResource: tagResource,
  UntagResource: untagResource,
  ListTagsForResource: listTagsForResource,
  StartFlow: startFlow,
  StopFlow: stopFlow,
  DescribeFlowExecutionRecords: describeFlowExecutionRecords,
  CancelFlowExecutions: cancelFlowExecutions,
};
