import { ServiceError } from '../errors.js';
import type { StructureShape } from '../model-types.js';
import { appflowModel } from './model.generated.js';

/** The HTTP status the AppFlow model gives an error shape: read from the model, never written out here. */
function statusOf(code: string): number {
  const shape = appflowModel.shapes[code] as StructureShape | undefined;
  const status = shape?.error?.httpStatusCode;
  if (!shape?.exception || status === undefined) throw new Error(`The AppFlow model has no error shape ${code}`);
  return status;
}

function appflowError(code: string) {
  const status = statusOf(code);
  return class extends ServiceError {
    constructor(message: string) {
      super(code, status, message);
    }
  };
}

/** AppFlow's modelled errors, by the names and statuses its model gives them. */
export const ValidationException = appflowError('ValidationException');
export const ConflictException = appflowError('ConflictException');
export const ConnectorAuthenticationException = appflowError('ConnectorAuthenticationException');
export const UnsupportedOperationException = appflowError('UnsupportedOperationException');
export const ResourceNotFoundException = appflowError('ResourceNotFoundException');
