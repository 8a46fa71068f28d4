// What both model vendoring scripts share: stripping documentation from a botocore model, and types named
// after its shapes (ListWorkflowsRequest, ExecutionRecord, …) for the handlers.

/** The model without its prose: documentation, deprecation messages and documentation links. */
export function strip(value) {
  if (Array.isArray(value)) return value.map(strip);
  if (value && typeof value === 'object') {
    const out = {};
    for (const [k, v] of Object.entries(value)) {
      if (k === 'documentation' || k === 'deprecatedMessage' || k === 'documentationUrl') continue;
      out[k] = strip(v);
    }
    return out;
  }
  return value;
}

/** A TypeScript module declaring one interface per structure and one union per enum of `shapes`. */
export function shapeTypes(shapes, header) {
  const tsType = (ref) => {
    const shape = shapes[ref];
    switch (shape.type) {
      case 'structure':
        return ref;
      case 'list':
        return `${tsType(shape.member.shape)}[]`;
      case 'map':
        return `Record<string, ${tsType(shape.value.shape)}>`;
      case 'string':
        return shape.enum ? ref : 'string';
      case 'integer':
      case 'long':
      case 'double':
      case 'float':
        return 'number';
      case 'boolean':
        return 'boolean';
      case 'timestamp':
        return 'Date';
      default:
        return 'unknown';
    }
  };
  let types = `${header}/* eslint-disable */\n`;
  for (const [name, shape] of Object.entries(shapes)) {
    if (shape.type === 'structure') {
      types += `export interface ${name} {\n`;
      for (const [member, ref] of Object.entries(shape.members)) {
        const optional = shape.required?.includes(member) ? '' : '?';
        types += `  ${member}${optional}: ${tsType(ref.shape)};\n`;
      }
      types += '}\n';
    } else if (shape.type === 'string' && shape.enum) {
      types += `export type ${name} = ${shape.enum.map((e) => JSON.stringify(e)).join(' | ')};\n`;
    }
  }
  return types;
}
