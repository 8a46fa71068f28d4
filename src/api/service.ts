import { allOperations } from './all-operations.generated.js';
import { serviceModel } from './model.generated.js';
import type { OperationModel, Shape } from './model-types.js';

export { allOperations, serviceModel };

export function shapeOf(name: string): Shape {
  const shape = serviceModel.shapes[name];
  if (!shape) throw new Error(`The model has no shape ${name}`);
  return shape;
}

export function operationModel(name: string): OperationModel {
  const op = serviceModel.operations[name];
  if (!op) throw new Error(`The model has no operation ${name}`);
  return op;
}

