import type { StructureShape } from '../api/model-types.js';
import { operationModel, shapeOf } from '../api/service.js';

/**
 * Writes an operation's output as restJson1 does: only the members the model declares (so nothing
 * internal can leak), absent optional members omitted, timestamps as epoch seconds (fractional when
 * the time has milliseconds).
 */
export function serializeOutput(operation: string, output: unknown): Record<string, unknown> {
  const outputRef = operationModel(operation).output;
  if (!outputRef || output === undefined || output === null) return {};
  return (writeShape(outputRef.shape, output) as Record<string, unknown>) ?? {};
}

function writeShape(shapeName: string, value: unknown): unknown {
  if (value === undefined || value === null) return undefined;
  const shape = shapeOf(shapeName);
  switch (shape.type) {
    case 'structure': {
      const out: Record<string, unknown> = {};
      const source = value as Record<string, unknown>;
      for (const [name, ref] of Object.entries((shape as StructureShape).members)) {
        const written = writeShape(ref.shape, source[name]);
        if (written !== undefined) out[name] = written;
      }
      return out;
    }
    case 'list':
      return (value as unknown[]).map((item) => writeShape(shape.member.shape, item));
    case 'map': {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
        const written = writeShape(shape.value.shape, v);
        if (written !== undefined) out[k] = written;
      }
      return out;
    }
    case 'timestamp':
      return toEpochSeconds(value);
    default:
      return value;
  }
}

export function toEpochSeconds(value: unknown): number | undefined {
  if (value instanceof Date) return value.getTime() / 1000;
  if (typeof value === 'number') return value / 1000;
  return undefined;
}
