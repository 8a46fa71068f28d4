/** The subset of the botocore service-2.json format that profileflow reads. */
export interface ServiceModel {
  metadata: Record<string, unknown>;
  operations: Record<string, OperationModel>;
  shapes: Record<string, Shape>;
}

export interface OperationModel {
  name: string;
  http: { method: string; requestUri: string; responseCode?: number };
  input?: { shape: string };
  output?: { shape: string };
  errors?: { shape: string }[];
}

export interface OperationRoute {
  name: string;
  method: string;
  requestUri: string;
}

export interface MemberRef {
  shape: string;
  location?: 'uri' | 'querystring' | 'header';
  locationName?: string;
  box?: boolean;
  /** The SDK fills it with a fresh token when the caller gives none (AppFlow's clientToken). */
  idempotencyToken?: boolean;
}

export type Shape =
  | StructureShape
  | ListShape
  | MapShape
  | StringShape
  | NumberShape
  | { type: 'boolean' | 'timestamp' | 'blob'; sensitive?: boolean };

export interface StructureShape {
  type: 'structure';
  required?: string[];
  members: Record<string, MemberRef>;
  sensitive?: boolean;
  error?: { httpStatusCode: number };
  exception?: boolean;
  fault?: boolean;
}
export interface ListShape {
  type: 'list';
  member: MemberRef;
  min?: number;
  max?: number;
  sensitive?: boolean;
}
export interface MapShape {
  type: 'map';
  key: MemberRef;
  value: MemberRef;
  min?: number;
  max?: number;
  sensitive?: boolean;
}
export interface StringShape {
  type: 'string';
  min?: number;
  max?: number;
  pattern?: string;
  enum?: string[];
  sensitive?: boolean;
  deprecated?: boolean;
}
export interface NumberShape {
  type: 'integer' | 'long' | 'double' | 'float';
  min?: number;
  max?: number;
  sensitive?: boolean;
}
