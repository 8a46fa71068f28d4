import type { Handler } from './context.js';
import { createDomain } from './createDomain.js';
import { deleteDomain } from './deleteDomain.js';
import { getDomain } from './getDomain.js';
import { listDomains } from './listDomains.js';
import { listTagsForResource } from './listTagsForResource.js';
import { tagResource } from './tagResource.js';
import { untagResource } from './untagResource.js';
import { updateDomain } from './updateDomain.js';

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
};
