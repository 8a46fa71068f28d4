import type { FieldContentType, ObjectTypeField, ObjectTypeKey, StandardIdentifier } from '../../api/shapes.generated.js';

/** What a definition must provide; an ObjectTypeRecord is one. */
export interface ObjectTypeDefinition {
  objectTypeName: string;
  templateId?: string;
  allowProfileCreation?: boolean;
  sourceLastUpdatedTimestampFormat?: string;
  sourcePriority?: number;
  fields?: Record<string, ObjectTypeField>;
  keys?: Record<string, ObjectTypeKey[]>;
}

export type PathSegment = string | number;
export type SourceSpec = { kind: 'path'; path: PathSegment[] } | { kind: 'template'; parts: (string | PathSegment[])[] };

/** Where a Target writes on the standard profile. */
export type TargetSpec =
  | { kind: 'leaf'; path: string[] }
  | { kind: 'address'; member: string }
  | { kind: 'source-timestamp' };

export interface CompiledField {
  name: string;
  source: SourceSpec;
  target?: TargetSpec;
  contentType: FieldContentType;
}

/** How a key takes part in matching an object to a profile. */
export type KeyMatch = 'primary' | 'secondary' | 'none';
/** Whether a key's value is added to the profile's key index. */
export type KeyPersist = 'always' | 'new-only' | 'never';

export interface CompiledKey {
  name: string;
  identifiers: ReadonlySet<StandardIdentifier>;
  /** One list of field names per ObjectTypeKey entry; the first whose fields all have values is used. */
  variants: string[][];
  match: KeyMatch;
  persist: KeyPersist;
}

export interface CompiledObjectType {
  objectTypeName: string;
  allowProfileCreation: boolean;
  sourcePriority?: number;
  fields: Map<string, CompiledField>;
  keys: CompiledKey[];
  uniqueKey: CompiledKey;
  timestamp?: { field: CompiledField; format: string; parse: (text: string) => number | undefined };
}

export type CompileResult = { ok: true; type: CompiledObjectType } | { ok: false; problems: string[] };
