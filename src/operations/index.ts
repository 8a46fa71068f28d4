import type { Handler } from './context.js';
import { createDomain } from './createDomain.js';
import { createIntegrationWorkflow } from './createIntegrationWorkflow.js';
import { deleteDomain } from './deleteDomain.js';
import { deleteWorkflow } from './deleteWorkflow.js';
import { getDomain } from './getDomain.js';
import { getWorkflow } from './getWorkflow.js';
import { getWorkflowSteps } from './getWorkflowSteps.js';
import { listDomains } from './listDomains.js';
import { listTagsForResource } from './listTagsForResource.js';
import { listWorkflows } from './listWorkflows.js';
import { tagResource } from './tagResource.js';
import { untagResource } from './untagResource.js';
import { updateDomain } from './updateDomain.js';
import { deleteIntegration } from './deleteIntegration.js';
import { deleteProfileObject } from './deleteProfileObject.js';
import { deleteProfileObjectType } from './deleteProfileObjectType.js';
import { getIntegration } from './getIntegration.js';
import { getProfileObjectType } from './getProfileObjectType.js';
import { listIntegrations } from './listIntegrations.js';
import { listProfileObjects } from './listProfileObjects.js';
import { listProfileObjectTypes } from './listProfileObjectTypes.js';
import { putIntegration } from './putIntegration.js';
import { putProfileObject } from './putProfileObject.js';
import { batchPutProfileObject } from './batchPutProfileObject.js';
import { putProfileObjectType } from './putProfileObjectType.js';
import { createProfile } from './createProfile.js';
import { searchProfiles } from './searchProfiles.js';
import { getProfileObjectTypeTemplate } from './getProfileObjectTypeTemplate.js';
import { listProfileObjectTypeTemplates } from './listProfileObjectTypeTemplates.js';
import { listAccountIntegrations } from './listAccountIntegrations.js';
import { updateProfile } from './updateProfile.js';
import { deleteProfile } from './deleteProfile.js';
import { addProfileKey } from './addProfileKey.js';
import { deleteProfileKey } from './deleteProfileKey.js';
import { batchGetProfile } from './batchGetProfile.js';
import { mergeProfiles } from './mergeProfiles.js';
import { listProfileHistoryRecords } from './listProfileHistoryRecords.js';
import { getProfileHistoryRecord } from './getProfileHistoryRecord.js';
import { detectProfileObjectType } from './detectProfileObjectType.js';

/** The registry: AWS operation name → handler. Anything not here answers 501. */
export const operations: Record<string, Handler> = {
  CreateDomain: createDomain,
  GetDomain: getDomain,
  UpdateDomain: updateDomain,
  DeleteDomain: deleteDomain,
  ListDomains: listDomains,
  TagResource: tagResource,
  UntagResource: untagResource,
  ListTagsForResource: listTagsForResource,
  CreateIntegrationWorkflow: createIntegrationWorkflow,
  GetWorkflow: getWorkflow,
  GetWorkflowSteps: getWorkflowSteps,
  ListWorkflows: listWorkflows,
  DeleteWorkflow: deleteWorkflow,
  PutProfileObjectType: putProfileObjectType,
  GetProfileObjectType: getProfileObjectType,
  ListProfileObjectTypes: listProfileObjectTypes,
  DeleteProfileObjectType: deleteProfileObjectType,
  PutProfileObject: putProfileObject,
  BatchPutProfileObject: batchPutProfileObject,
  ListProfileObjects: listProfileObjects,
  DeleteProfileObject: deleteProfileObject,
  PutIntegration: putIntegration,
  GetIntegration: getIntegration,
  ListIntegrations: listIntegrations,
  DeleteIntegration: deleteIntegration,
  CreateProfile: createProfile,
  SearchProfiles: searchProfiles,
  ListProfileObjectTypeTemplates: listProfileObjectTypeTemplates,
  GetProfileObjectTypeTemplate: getProfileObjectTypeTemplate,
  ListAccountIntegrations: listAccountIntegrations,
  UpdateProfile: updateProfile,
  DeleteProfile: deleteProfile,
  AddProfileKey: addProfileKey,
  DeleteProfileKey: deleteProfileKey,
  BatchGetProfile: batchGetProfile,
  MergeProfiles: mergeProfiles,
  ListProfileHistoryRecords: listProfileHistoryRecords,
  GetProfileHistoryRecord: getProfileHistoryRecord,
  DetectProfileObjectType: detectProfileObjectType,
};
