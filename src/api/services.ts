import { allOperations } from './all-operations.generated.js';
import { appflowModel } from './appflow/model.generated.js';
import type { OperationModel, OperationRoute, ServiceModel, Shape, StructureShape } from './model-types.js';
import { serviceModel } from './model.generated.js';

/** The SigV4 signing names of the two services served on one endpoint (the credential scope's third part). */
export type ServiceName = 'profile' | 'appflow';

/**
 * One AWS service as the protocol layer sees it: its vendored model (routing, binding, validation and
 * serialization read only this), every route it has (so an operation not built answers 501 by name),
 * and how its errors look on the wire, taken from its model's error shapes.
 */
export interface ApiService {
  name: ServiceName;
  /** For messages: "No Amazon AppFlow operation is served at …". */
  title: string;
  model: ServiceModel;
  routes: OperationRoute[];
  /** The member an error body carries its message in: `Message` (Customer Profiles) or `message` (AppFlow). */
  errorMessageMember: string;
  /** The code a request breaking a model constraint answers: BadRequestException or ValidationException. */
  validationErrorCode: string;
}

function messageMemberOf(model: ServiceModel, errorShape: string): string {
  const shape = model.shapes[errorShape] as StructureShape | undefined;
  const member = shape && Object.keys(shape.members).find((m) => m.toLowerCase() === 'message');
  if (!member) throw new Error(`The model ${String(model.metadata.uid)} has no message member on ${errorShape}`);
  return member;
}

export const customerProfilesService: ApiService = {
  name: 'profile',
  title: 'Customer Profiles',
  model: serviceModel,
  routes: allOperations,
  errorMessageMember: messageMemberOf(serviceModel, 'BadRequestException'),
  validationErrorCode: 'BadRequestException',
};

export const appflowService: ApiService = {
  name: 'appflow',
  title: 'Amazon AppFlow',
  model: appflowModel,
  routes: Object.values(appflowModel.operations).map((o) => ({ name: o.name, method: o.http.method, requestUri: o.http.requestUri })),
  errorMessageMember: messageMemberOf(appflowModel, 'ValidationException'),
  validationErrorCode: 'ValidationException',
};

export const services: Record<ServiceName, ApiService> = { profile: customerProfilesService, appflow: appflowService };

export function isServiceName(name: string): name is ServiceName {
  return name === 'profile' || name === 'appflow';
}

export function shapeIn(model: ServiceModel, name: string): Shape {
  const shape = model.shapes[name];
  if (!shape) throw new Error(`The model ${String(model.metadata.uid)} has no shape ${name}`);
  return shape;
}

export function operationIn(model: ServiceModel, name: string): OperationModel {
  const op = model.operations[name];
  if (!op) throw new Error(`The model ${String(model.metadata.uid)} has no operation ${name}`);
  return op;
}
