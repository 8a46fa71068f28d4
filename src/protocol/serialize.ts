import { setOwn } from '../domain/own-properties.js';
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
  return (writerOf(outputRef.shape)(output) as Record<string, unknown>) ?? {};
}

/** Writes one non-null value of a shape; undefined means "omit". */
type Writer = (value: unknown) => unknown;

/**
 * One writer per shape, built on first use and kept: a list page writes the same structure a hundred
 * times, and looking its members up in the model for each item (Object.entries, shape by name) cost
 * as much as the writing. Member writers are resolved lazily, so recursive shapes cannot loop here.
 */
const writers = new Map<string, Writer>();

function writerOf(shapeName: string): Writer {
  let writer = writers.get(shapeName);
  if (!writer) {
    writer = buildWriter(shapeName);
    writers.set(shapeName, writer);
  }
  return writer;
}

function write(shapeName: string): Writer {
  let resolved: Writer | undefined;
  return (value) => (value === undefined || value === null ? undefined : (resolved ??= writerOf(shapeName))(value));
}

function buildWriter(shapeName: string): Writer {
  const shape = shapeOf(shapeName);
  switch (shape.type) {
    case 'structure': {
      const members = Object.entries((shape as StructureShape).members).map(([name, ref]) => [name, write(ref.shape)] as const);
      return (value) => {
        const out: Record<string, unknown> = {};
        const source = value as Record<string, unknown>;
        for (const [name, writeMember] of members) {
          const written = writeMember(source[name]);
          if (written !== undefined) out[name] = written;
        }
        return out;
      };
    }
    case 'list': {
      const writeItem = write(shape.member.shape);
      return (value) => (value as unknown[]).map(writeItem);
    }
    case 'map': {
      const writeValue = write(shape.value.shape);
      return (value) => {
        const out: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
          const written = writeValue(v);
          if (written !== undefined) setOwn(out, k, written);
        }
        return out;
      };
    }
    case 'timestamp':
      return toEpochSeconds;
    default:
      return (value) => value;
  }
}

export function toEpochSeconds(value: unknown): number | undefined {
  if (value instanceof Date) return value.getTime() / 1000;
  if (typeof value === 'number') return value / 1000;
  return undefined;
}
