import { setOwn } from '../domain/own-properties.js';
import type { ServiceModel, StructureShape } from '../api/model-types.js';
import { serviceModel } from '../api/service.js';
import { operationIn, shapeIn } from '../api/services.js';

/**
 * Writes an operation's output as restJson1 does: only the members the model declares (so nothing
 * internal can leak), absent optional members omitted, timestamps as epoch seconds (fractional when
 * the time has milliseconds).
 */
export function serializeOutput(operation: string, output: unknown, model: ServiceModel = serviceModel): Record<string, unknown> {
  const outputRef = operationIn(model, operation).output;
  if (!outputRef || output === undefined || output === null) return {};
  return (writerOf(model, outputRef.shape)(output) as Record<string, unknown>) ?? {};
}

/** Writes one non-null value of a shape; undefined means "omit". */
type Writer = (value: unknown) => unknown;

/**
 * One writer per shape, built on first use and kept: a list page writes the same structure a hundred
 * times, and looking its members up in the model for each item (Object.entries, shape by name) cost
 * as much as the writing. Member writers are resolved lazily, so recursive shapes cannot loop here.
 */
const writers = new WeakMap<ServiceModel, Map<string, Writer>>();

function writerOf(model: ServiceModel, shapeName: string): Writer {
  let byName = writers.get(model);
  if (!byName) writers.set(model, (byName = new Map()));
  let writer = byName.get(shapeName);
  if (!writer) {
    writer = buildWriter(model, shapeName);
    byName.set(shapeName, writer);
  }
  return writer;
}

function write(model: ServiceModel, shapeName: string): Writer {
  let resolved: Writer | undefined;
  return (value) => (value === undefined || value === null ? undefined : (resolved ??= writerOf(model, shapeName))(value));
}

function buildWriter(model: ServiceModel, shapeName: string): Writer {
  const shape = shapeIn(model, shapeName);
  switch (shape.type) {
    case 'structure': {
      const members = Object.entries((shape as StructureShape).members).map(([name, ref]) => [name, write(model, ref.shape)] as const);
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
      const writeItem = write(model, shape.member.shape);
      return (value) => (value as unknown[]).map(writeItem);
    }
    case 'map': {
      const writeValue = write(model, shape.value.shape);
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
