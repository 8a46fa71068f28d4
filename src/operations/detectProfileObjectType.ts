import type { DetectProfileObjectTypeRequest, DetectProfileObjectTypeResponse } from '../api/shapes.generated.js';
import { detectObjectType } from '../domain/object-type-mapping/index.js';
import { parseJsonBounded } from '../protocol/json.js';
import type { Handler } from './context.js';
import { requireDomain } from './common.js';
import { requireValid } from './problems.js';

/**
 * Proposes one object type mapping (Fields, Keys, SourceLastUpdatedTimestampFormat) from up to five
 * sample objects; it stores nothing. The domain must exist, as for every operation under /domains.
 */
export const detectProfileObjectType: Handler<DetectProfileObjectTypeRequest, DetectProfileObjectTypeResponse> = async (
  ctx,
  input,
) => {
  await requireDomain(ctx, input.DomainName);
  const samples = input.Objects.map((text, i) => parseJsonBounded(text, `Objects[${i}]`));
  const detected = requireValid(detectObjectType(samples));
  return {
    DetectedProfileObjectTypes: [
      {
        SourceLastUpdatedTimestampFormat: detected.sourceLastUpdatedTimestampFormat,
        Fields: detected.fields,
        Keys: detected.keys,
      },
    ],
  };
};
