/**
 * A FlowDefinition's Tasks, compiled once and applied to every source record: the AppFlow transforms a
 * Customer Profiles integration runs between the source and the object type. Pure, no I/O.
 *
 * Sources: the AppFlow API reference (Task, ConnectorOperator, OperatorPropertiesKeys), the AppFlow user
 * guide ("Amazon AppFlow transfers only the records that meet the filter criteria"; masked fields hold
 * asterisks; fields may be concatenated or truncated) and the task shapes the AWS CDK's AppFlow library
 * writes (cdklabs/cdk-appflow: Merge and Arithmetic write an intermediate field that a Map carries on,
 * MASK_LENGTH/MASK_VALUE on masks, comma-separated VALUES resolved as a logical OR, timestamps as epoch
 * milliseconds, VALIDATION_ACTION on Validate). Where those are silent the choice is marked [I].
 *
 * How a record travels:
 * 1. Every task but Map runs in list order on a working copy of the record. A Filter comparison or a
 *    Validate with DropRecord that fails drops the record; a Validate with TerminateFlow stops the flow.
 *    Mask and Truncate change their field in place (or write DestinationField when it names another);
 *    Merge and Arithmetic write DestinationField.
 * 2. Map tasks then say which fields travel and under which name, taking each field's value after all
 *    other tasks ([I]: AppFlow's console lists Maps before the transforms that still shape their output).
 * 3. With a Filter PROJECTION, only the projected fields, the fields Map tasks write and the fields tasks
 *    produce travel. Without one, every source field travels ([I]: the model leaves out AppFlow's
 *    Map_all, and a flow of Customer Profiles without a projection is read as "all fields").
 *    A Map whose DestinationField differs from its source renames: the source name no longer travels
 *    (unless another Map keeps it).
 */
import type { SourceConnectorType, Task } from '../api/shapes.generated.js';
import { characterCount } from './characters.js';
import { CONNECTOR_MEMBER } from './connector-member.js';
import { MAX_PROFILE_OBJECT_CHARACTERS } from './json-object.js';
import { getOwn, setOwn } from './own-properties.js';
import { invalid, valid, type Checked } from './problem.js';

export type TaskRecord = Record<string, unknown>;

/** What became of one record. */
export type TaskOutcome =
  | { record: TaskRecord }
  /** `task` is the 0-based index of the dropping task; `reason` names it ("Filter GREATER_THAN on Amount"). */
  | { dropped: string; task: number }
  | { terminate: string; task: number };

export interface CompiledTasks {
  /** Applies the tasks to one record. Never changes `record`. */
  apply(record: TaskRecord): TaskOutcome;
  /** Whether any task can drop or stop a record (the engine words its messages by it). */
  readonly canDrop: boolean;
  /** The steps each record goes through: what applying the tasks costs, per record. */
  readonly size: number;
}

export type CompileResult = { ok: true; transform: CompiledTasks } | { ok: false; problems: string[] };

export interface CompileOptions {
  /** The flow's SourceFlowConfig.ConnectorType: each ConnectorOperator must name its member. */
  connectorType?: SourceConnectorType;
}

const FILTER_COMPARISONS = [
  'LESS_THAN',
  'LESS_THAN_OR_EQUAL_TO',
  'GREATER_THAN',
  'GREATER_THAN_OR_EQUAL_TO',
  'EQUAL_TO',
  'NOT_EQUAL_TO',
  'BETWEEN',
  'CONTAINS',
] as const;
type Comparison = (typeof FILTER_COMPARISONS)[number];

/**
 * Which operators and TaskProperties keys each TaskType takes, as data. [I] from the AppFlow API
 * reference's operator list and the tasks the AWS CDK writes: NO_OP for Map, Merge and Truncate (or no
 * ConnectorOperator at all), the comparisons and PROJECTION for Filter, and so on.
 */
const TASK_RULES: Record<Task['TaskType'], { operators: readonly string[]; operatorOptional: boolean; keys: readonly string[] }> = {
  Map: { operators: ['NO_OP'], operatorOptional: true, keys: ['SOURCE_DATA_TYPE', 'DESTINATION_DATA_TYPE'] },
  Merge: { operators: ['NO_OP'], operatorOptional: true, keys: ['CONCAT_FORMAT', 'SOURCE_DATA_TYPE', 'DESTINATION_DATA_TYPE'] },
  Truncate: { operators: ['NO_OP'], operatorOptional: true, keys: ['TRUNCATE_LENGTH', 'SOURCE_DATA_TYPE', 'DESTINATION_DATA_TYPE'] },
  Filter: {
    operators: ['PROJECTION', ...FILTER_COMPARISONS],
    operatorOptional: false,
    keys: ['DATA_TYPE', 'VALUE', 'VALUES', 'LOWER_BOUND', 'UPPER_BOUND', 'SOURCE_DATA_TYPE'],
  },
  Mask: { operators: ['MASK_ALL', 'MASK_FIRST_N', 'MASK_LAST_N'], operatorOptional: false, keys: ['MASK_VALUE', 'MASK_LENGTH', 'SOURCE_DATA_TYPE', 'DESTINATION_DATA_TYPE'] },
  Arithmetic: {
    operators: ['ADDITION', 'SUBTRACTION', 'MULTIPLICATION', 'DIVISION'],
    operatorOptional: false,
    keys: ['MATH_OPERATION_FIELDS_ORDER', 'SOURCE_DATA_TYPE', 'DESTINATION_DATA_TYPE'],
  },
  Validate: {
    operators: ['VALIDATE_NON_NULL', 'VALIDATE_NON_ZERO', 'VALIDATE_NON_NEGATIVE', 'VALIDATE_NUMERIC'],
    operatorOptional: false,
    keys: ['VALIDATION_ACTION', 'SOURCE_DATA_TYPE'],
  },
};

/** [I] The AWS CDK writes DropDataset for "terminate the flow"; the console's wording is TerminateFlow. Both stop it. */
const VALIDATION_ACTIONS: Record<string, 'drop' | 'terminate'> = { DropRecord: 'drop', TerminateFlow: 'terminate', DropDataset: 'terminate' };

type DataKind = 'number' | 'datetime' | 'boolean' | 'string' | 'auto';

/**
 * AppFlow's DATA_TYPE values are the source's own type names (Salesforce: double, currency, datetime…);
 * they are grouped by how they compare. [I] Any other name compares as text; no DATA_TYPE compares
 * numerically when both sides are numbers, else as text.
 */
function dataKind(dataType: string | undefined): DataKind {
  if (dataType === undefined) return 'auto';
  const t = dataType.toLowerCase();
  if (['number', 'numeric', 'integer', 'int', 'long', 'short', 'double', 'float', 'decimal', 'currency', 'percent', 'bigint'].includes(t)) return 'number';
  if (['datetime', 'date', 'timestamp', 'time', 'date-time'].includes(t)) return 'datetime';
  if (['boolean', 'bool', 'checkbox'].includes(t)) return 'boolean';
  return 'string';
}

/** A working record: the source record copied on the first write only. */
interface Work {
  r: TaskRecord;
  copied: boolean;
}

type Step = (w: Work) => undefined | { dropped: string } | { terminate: string };

function write(w: Work, field: string, value: unknown): void {
  if (!w.copied) {
    w.r = { ...w.r };
    w.copied = true;
  }
  setOwn(w.r, field, value);
}

/** One task, as its compiler sees it: the checks common to every TaskType are done. */
interface TaskContext {
  task: Task;
  operator: string;
  props: Record<string, string>;
  fields: readonly string[];
  destination: string | undefined;
  /** How a drop or stop names the task ("Filter GREATER_THAN on Amount"). */
  label: string;
  problem(text: string): void;
  /** True when SourceFields holds n fields; records a problem otherwise. */
  exactly(n: number, what: string): boolean;
  /** Whether this task has recorded a problem so far. */
  failed(): boolean;
}

/** What a compiled task adds to the list. */
interface TaskSink {
  step(step: Step, canDrop?: boolean): void;
  map(from: string, to: string): void;
  project(field: string): void;
  produce(field: string): void;
}

type TaskCompiler = (t: TaskContext, out: TaskSink) => void;

/** One compiler per TaskType: each checks what is particular to its type and adds its step. */
const TASK_COMPILERS: Record<Task['TaskType'], TaskCompiler> = {
  Map: compileMap,
  Filter: compileFilter,
  Validate: compileValidate,
  Truncate: compileTruncate,
  Mask: compileMask,
  Merge: compileMerge,
  Arithmetic: compileArithmetic,
};

/**
 * Checks every task and compiles the list. Problems name the task (1-based, as the request validator
 * numbers list members) and its TaskType, never a property's value: the FlowDefinition is sensitive.
 */
export function compileTasks(tasks: readonly Task[] | undefined, options: CompileOptions = {}): CompileResult {
  const problems: string[] = [];
  const steps: { step: Step; index: number }[] = [];
  const maps: { from: string; to: string }[] = [];
  let projection: Set<string> | undefined;
  const produced = new Set<string>();
  let canDrop = false;

  (tasks ?? []).forEach((task, index) => {
    const where = `Task ${index + 1} (${task.TaskType})`;
    const problem = (text: string) => problems.push(`${where}: ${text}`);
    const rules = TASK_RULES[task.TaskType];
    if (!rules) {
      problem(`TaskType must be one of ${Object.keys(TASK_RULES).join(', ')}.`);
      return;
    }
    const operator = operatorOf(task, options, rules, problem);
    if (operator === null) return;
    const props = task.TaskProperties ?? {};
    for (const key of Object.keys(props)) {
      if (!rules.keys.includes(key)) problem(`TaskProperties ${key} does not apply to a ${task.TaskType} task; it takes ${rules.keys.join(', ')}.`);
    }
    const fields = task.SourceFields ?? [];
    if (fields.some((f) => f === '')) {
      problem('SourceFields must not hold an empty field name.');
      return;
    }
    const problemCount = problems.length;
    const context: TaskContext = {
      task,
      operator,
      props,
      fields,
      destination: task.DestinationField === undefined || task.DestinationField === '' ? undefined : task.DestinationField,
      label: `${task.TaskType}${operator === 'NO_OP' ? '' : ` ${operator}`} on ${fields.join(', ')}`,
      problem,
      exactly(n, what) {
        if (fields.length === n) return true;
        problem(`${what} takes exactly ${n} source field${n === 1 ? '' : 's'}; SourceFields holds ${fields.length}.`);
        return false;
      },
      failed: () => problems.length > problemCount,
    };
    TASK_COMPILERS[task.TaskType](context, {
      step(step, drops = false) {
        if (drops) canDrop = true;
        steps.push({ index, step });
      },
      map: (from, to) => maps.push({ from, to }),
      project: (field) => (projection ??= new Set()).add(field),
      produce: (field) => produced.add(field),
    });
  });

  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, transform: build(steps, maps, projection, produced, canDrop) };
}

function compileMap(t: TaskContext, out: TaskSink): void {
  if (!t.exactly(1, 'A Map task')) return;
  if (!t.failed()) out.map(t.fields[0], t.destination ?? t.fields[0]);
}

function compileFilter(t: TaskContext, out: TaskSink): void {
  const { operator, props, fields, problem } = t;
  if (operator === 'PROJECTION') {
    for (const key of ['VALUE', 'VALUES', 'LOWER_BOUND', 'UPPER_BOUND']) {
      if (props[key] !== undefined) problem(`PROJECTION selects fields and takes no ${key}.`);
    }
    if (fields.length === 0) problem('PROJECTION needs at least one source field.');
    for (const f of fields) out.project(f);
    return;
  }
  if (!t.exactly(1, `A Filter ${operator}`)) return;
  const test = compileComparison(operator as Comparison, props, problem);
  if (!test || t.failed()) return;
  const field = fields[0];
  const reason = t.label;
  out.step((w) => (test(getOwn(w.r, field)) ? undefined : { dropped: reason }), true);
}

function compileValidate(t: TaskContext, out: TaskSink): void {
  const { operator, props, problem, label } = t;
  if (!t.exactly(1, `A Validate ${operator}`)) return;
  const action = props.VALIDATION_ACTION;
  if (action === undefined) {
    problem(`VALIDATION_ACTION is required: DropRecord or TerminateFlow.`);
    return;
  }
  const kind = Object.hasOwn(VALIDATION_ACTIONS, action) ? VALIDATION_ACTIONS[action] : undefined;
  if (!kind) {
    problem('VALIDATION_ACTION must be DropRecord or TerminateFlow.');
    return;
  }
  if (t.failed()) return;
  const check = VALIDATIONS[operator as keyof typeof VALIDATIONS];
  const field = t.fields[0];
  out.step(
    kind === 'drop' ? (w) => (check(getOwn(w.r, field)) ? undefined : { dropped: label }) : (w) => (check(getOwn(w.r, field)) ? undefined : { terminate: label }),
    true,
  );
}

function compileTruncate(t: TaskContext, out: TaskSink): void {
  if (!t.exactly(1, 'A Truncate task')) return;
  const length = wholeNumber(t.props.TRUNCATE_LENGTH, 'TRUNCATE_LENGTH', t.problem, true);
  if (length === undefined || t.failed()) return;
  const field = t.fields[0];
  const to = t.destination ?? field;
  if (to !== field) out.produce(to);
  out.step((w) => {
    const v = getOwn(w.r, field);
    // [I] Only text is truncated: cutting the digits of a number would change its value silently.
    if (typeof v === 'string') {
      if (v.length > length || to !== field) write(w, to, v.length > length ? v.slice(0, length) : v);
    } else if (to !== field && v !== undefined) write(w, to, v);
    return undefined;
  });
}

const MAX_MASK_LENGTH = 2048;

function compileMask(t: TaskContext, out: TaskSink): void {
  const { operator, props, problem } = t;
  if (!t.exactly(1, `A Mask ${operator}`)) return;
  const maskValue = props.MASK_VALUE;
  if (maskValue === undefined) problem('MASK_VALUE (the mask character) is required.');
  else if ([...maskValue].length !== 1) problem('MASK_VALUE must be a single character.');
  const needsLength = operator !== 'MASK_ALL';
  const length = wholeNumber(props.MASK_LENGTH, 'MASK_LENGTH', problem, needsLength);
  // MASK_ALL writes that many characters into every record (the others never more than the value has):
  // bounded, as TaskPropertiesMap bounds a property's text, so one flow cannot fill the service's memory.
  if (length !== undefined && length > MAX_MASK_LENGTH) problem(`MASK_LENGTH must be at most ${MAX_MASK_LENGTH} characters.`);
  if (t.failed() || maskValue === undefined) return;
  const field = t.fields[0];
  const to = t.destination ?? field;
  if (to !== field) out.produce(to);
  const mask = maskerFor(operator, maskValue, length);
  out.step((w) => {
    const v = getOwn(w.r, field);
    // [I] Null and missing values have nothing to hide and stay as they are; numbers and booleans are masked as text.
    if (v === null || v === undefined) {
      if (to !== field && v === null) write(w, to, null);
      return undefined;
    }
    write(w, to, mask(typeof v === 'string' ? v : typeof v === 'object' ? JSON.stringify(v) : String(v)));
    return undefined;
  });
}

function compileMerge(t: TaskContext, out: TaskSink): void {
  const { fields, problem } = t;
  if (fields.length === 0) {
    problem('A Merge task needs at least one source field.');
    return;
  }
  const format = t.props.CONCAT_FORMAT;
  if (format === undefined) {
    problem('CONCAT_FORMAT is required: a template such as "${FirstName} ${LastName}", or the separator put between the values.');
    return;
  }
  const templateFields = [...format.matchAll(/\$\{([^}]*)\}/g)].map((m) => m[1]);
  for (const f of templateFields) {
    if (!fields.includes(f)) problem(`CONCAT_FORMAT names a field that is not one of the task's SourceFields.`);
  }
  if (t.failed()) return;
  // [I] Without DestinationField the merged value is named after its sources, as the AWS CDK names it.
  const to = t.destination ?? fields.join(',');
  out.produce(to);
  const merge = mergerFor(fields, format, templateFields.length > 0);
  const tooLong = `${t.label}: longer than ${MAX_PROFILE_OBJECT_CHARACTERS} characters`;
  out.step((w) => {
    const value = merge(w.r);
    // Merges chained on their own output double it each time: past what an object can hold, the record
    // could never be ingested, and building it further would only fill the service's memory.
    if (value !== undefined && value.length > MAX_PROFILE_OBJECT_CHARACTERS && characterCount(value) > MAX_PROFILE_OBJECT_CHARACTERS) return { dropped: tooLong };
    if (value !== undefined) write(w, to, value);
    return undefined;
  }, true);
}

function compileArithmetic(t: TaskContext, out: TaskSink): void {
  const { fields, operator } = t;
  if (!t.exactly(2, `An Arithmetic ${operator}`)) return;
  let operands = fields;
  const order = t.props.MATH_OPERATION_FIELDS_ORDER;
  if (order !== undefined) {
    const named = order.split(',').map((f) => f.trim());
    if (named.length !== 2 || !named.every((f) => fields.includes(f)) || named[0] === named[1]) {
      t.problem('MATH_OPERATION_FIELDS_ORDER must name the two SourceFields, comma-separated, in the order of the operation.');
      return;
    }
    operands = named;
  }
  if (t.failed()) return;
  const to = t.destination ?? fields.join(',');
  out.produce(to);
  const [a, b] = operands;
  const op = ARITHMETIC[operator as keyof typeof ARITHMETIC];
  out.step((w) => {
    const x = numberOf(getOwn(w.r, a));
    const y = numberOf(getOwn(w.r, b));
    // [I] A missing or non-numeric operand, and a division by zero, give null rather than dropping the record.
    const result = x === undefined || y === undefined ? null : op(x, y);
    write(w, to, result === null || !Number.isFinite(result) ? null : result);
    return undefined;
  });
}

/** The one operator of a task; null when it is wrong (a problem was recorded). */
function operatorOf(
  task: Task,
  options: CompileOptions,
  rules: (typeof TASK_RULES)[Task['TaskType']],
  problem: (text: string) => void,
): string | null {
  const members = Object.entries(task.ConnectorOperator ?? {}).filter(([, v]) => v !== undefined && v !== null);
  if (members.length === 0) {
    if (rules.operatorOptional) return 'NO_OP';
    problem(`ConnectorOperator is required; a ${task.TaskType} task takes ${rules.operators.join(', ')}.`);
    return null;
  }
  if (members.length > 1) {
    problem(`ConnectorOperator must name one member, not ${members.map(([k]) => k).join(' and ')}.`);
    return null;
  }
  const [member, operator] = members[0] as [string, string];
  if (options.connectorType && member !== CONNECTOR_MEMBER[options.connectorType]) {
    problem(`ConnectorOperator.${member} does not fit ConnectorType ${options.connectorType}; use ConnectorOperator.${CONNECTOR_MEMBER[options.connectorType]}.`);
    return null;
  }
  if (!rules.operators.includes(operator)) {
    problem(`ConnectorOperator ${operator} does not fit a ${task.TaskType} task; it takes ${rules.operators.join(', ')}.`);
    return null;
  }
  return operator;
}

function wholeNumber(text: string | undefined, key: string, problem: (t: string) => void, required: boolean): number | undefined {
  if (text === undefined) {
    if (required) problem(`${key} is required.`);
    return undefined;
  }
  if (!/^\d+$/.test(text.trim())) {
    problem(`${key} must be a whole number of characters, 0 or more.`);
    return undefined;
  }
  return Number(text.trim());
}

/** A number from a number or numeric text; undefined for anything else (null, '', 'abc', booleans). */
function numberOf(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v === 'string') {
    const t = v.trim();
    if (t === '') return undefined;
    const n = Number(t);
    return Number.isFinite(n) ? n : undefined;
  }
  return undefined;
}

/** Epoch milliseconds from epoch-millisecond numbers or text (as the AWS CDK writes bounds) or ISO-8601 text. */
function timeOf(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v !== 'string' || v.trim() === '') return undefined;
  const t = v.trim();
  if (/^-?\d+(\.\d+)?$/.test(t)) return Number(t);
  const ms = Date.parse(t);
  return Number.isNaN(ms) ? undefined : ms;
}

function booleanOf(v: unknown): boolean | undefined {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string') {
    const t = v.trim().toLowerCase();
    if (t === 'true') return true;
    if (t === 'false') return false;
  }
  return undefined;
}

function textOf(v: unknown): string | undefined {
  if (v === null || v === undefined) return undefined;
  return typeof v === 'string' ? v : typeof v === 'object' ? JSON.stringify(v) : String(v);
}

/**
 * One comparison, compiled: the constants are parsed once, each record's value per call.
 * [I] A missing or null value, or one that does not read as the DATA_TYPE, matches no comparison (as in
 * SQL, where comparing with NULL is never true), so such records are dropped — NOT_EQUAL_TO included.
 * BETWEEN includes both bounds. CONTAINS is a case-sensitive substring test.
 */
function compileComparison(op: Comparison, props: Record<string, string>, problem: (t: string) => void): ((v: unknown) => boolean) | undefined {
  const kind = dataKind(props.DATA_TYPE);
  const hasValue = props.VALUE !== undefined;
  const hasValues = props.VALUES !== undefined;
  if (op === 'BETWEEN') {
    if (props.LOWER_BOUND === undefined || props.UPPER_BOUND === undefined) {
      problem('BETWEEN needs TaskProperties LOWER_BOUND and UPPER_BOUND.');
      return undefined;
    }
    if (hasValue || hasValues) problem('BETWEEN compares with LOWER_BOUND and UPPER_BOUND, not VALUE or VALUES.');
    const lower = constantOf(props.LOWER_BOUND, kind, 'LOWER_BOUND', problem);
    const upper = constantOf(props.UPPER_BOUND, kind, 'UPPER_BOUND', problem);
    if (lower === undefined || upper === undefined) return undefined;
    if (compare(lower, upper) > 0) {
      problem('LOWER_BOUND is greater than UPPER_BOUND: no record could pass.');
      return undefined;
    }
    return (v) => {
      const x = valueOf(v, lower.kind);
      return x !== undefined && compare(x, lower) >= 0 && compare(x, upper) <= 0;
    };
  }
  if (props.LOWER_BOUND !== undefined || props.UPPER_BOUND !== undefined) problem(`${op} takes VALUE (or VALUES), not LOWER_BOUND or UPPER_BOUND.`);
  const ordering = op === 'LESS_THAN' || op === 'LESS_THAN_OR_EQUAL_TO' || op === 'GREATER_THAN' || op === 'GREATER_THAN_OR_EQUAL_TO';
  if (hasValue === hasValues) {
    problem(hasValue ? `${op} takes VALUE or VALUES, not both.` : `${op} needs TaskProperties VALUE${ordering ? '' : ' or VALUES'}.`);
    return undefined;
  }
  if (ordering && hasValues) {
    problem(`${op} compares with one VALUE, not a list of VALUES.`);
    return undefined;
  }
  if (op === 'CONTAINS') {
    const needles = hasValue ? [props.VALUE] : props.VALUES.split(',');
    // VALUES resolve as a logical OR (AWS CDK documentation of its AppFlow filters).
    return (v) => {
      const s = textOf(v);
      return s !== undefined && needles.some((n) => s.includes(n));
    };
  }
  const texts = hasValue ? [props.VALUE] : props.VALUES.split(',').map((t) => t.trim());
  const constants: Constant[] = [];
  for (const t of texts) {
    const c = constantOf(t, kind, hasValue ? 'VALUE' : 'VALUES', problem);
    if (c === undefined) return undefined;
    constants.push(c);
  }
  const c0 = constants[0];
  switch (op) {
    case 'LESS_THAN':
      return (v) => test(v, c0, (d) => d < 0);
    case 'LESS_THAN_OR_EQUAL_TO':
      return (v) => test(v, c0, (d) => d <= 0);
    case 'GREATER_THAN':
      return (v) => test(v, c0, (d) => d > 0);
    case 'GREATER_THAN_OR_EQUAL_TO':
      return (v) => test(v, c0, (d) => d >= 0);
    case 'EQUAL_TO':
      return (v) => constants.some((c) => test(v, c, (d) => d === 0));
    case 'NOT_EQUAL_TO':
      // [I] With VALUES: equal to none of them (the OR of "not equal" would pass almost everything).
      return (v) => {
        for (const c of constants) {
          const x = valueOf(v, c.kind);
          if (x === undefined || compare(x, c) === 0) return false;
        }
        return true;
      };
  }
  return undefined;
}

interface Constant {
  kind: 'number' | 'datetime' | 'boolean' | 'string';
  n: number;
  s: string;
}

function constantOf(text: string, kind: DataKind, key: string, problem: (t: string) => void): Constant | undefined {
  switch (kind) {
    case 'number': {
      const n = numberOf(text);
      if (n === undefined) problem(`${key} must be a number for a numeric DATA_TYPE.`);
      return n === undefined ? undefined : { kind: 'number', n, s: text };
    }
    case 'datetime': {
      const n = timeOf(text);
      if (n === undefined) problem(`${key} must be a date: epoch milliseconds or ISO-8601 text.`);
      return n === undefined ? undefined : { kind: 'datetime', n, s: text };
    }
    case 'boolean': {
      const b = booleanOf(text);
      if (b === undefined) problem(`${key} must be true or false for a boolean DATA_TYPE.`);
      return b === undefined ? undefined : { kind: 'boolean', n: b ? 1 : 0, s: text };
    }
    case 'string':
      return { kind: 'string', n: Number.NaN, s: text };
    case 'auto': {
      const n = numberOf(text);
      return n === undefined ? { kind: 'string', n: Number.NaN, s: text } : { kind: 'number', n, s: text };
    }
  }
}

/** The record's value read as the constant's kind; a number constant without a DATA_TYPE falls back to text for text that is not a number. */
function valueOf(v: unknown, kind: Constant['kind']): Constant | undefined {
  switch (kind) {
    case 'number': {
      const n = numberOf(v);
      return n === undefined ? undefined : { kind, n, s: '' };
    }
    case 'datetime': {
      const n = timeOf(v);
      return n === undefined ? undefined : { kind, n, s: '' };
    }
    case 'boolean': {
      const b = booleanOf(v);
      return b === undefined ? undefined : { kind, n: b ? 1 : 0, s: '' };
    }
    case 'string': {
      const s = textOf(v);
      return s === undefined ? undefined : { kind, n: Number.NaN, s };
    }
  }
}

function compare(a: Constant, b: Constant): number {
  if (a.kind === 'string') return a.s < b.s ? -1 : a.s > b.s ? 1 : 0;
  return a.n - b.n;
}

function test(v: unknown, c: Constant, ok: (difference: number) => boolean): boolean {
  const x = valueOf(v, c.kind);
  return x !== undefined && ok(compare(x, c));
}

/**
 * Validations pass (true) or fail. [I] VALIDATE_NON_NULL also fails an empty string (text sources such as
 * CSV files have no other way to say null); VALIDATE_NON_ZERO and VALIDATE_NON_NEGATIVE judge numbers
 * only and let anything else pass; VALIDATE_NUMERIC fails anything that is not a number, null included.
 */
const VALIDATIONS = {
  VALIDATE_NON_NULL: (v: unknown) => v !== null && v !== undefined && v !== '',
  VALIDATE_NON_ZERO: (v: unknown) => numberOf(v) !== 0,
  VALIDATE_NON_NEGATIVE: (v: unknown) => {
    const n = numberOf(v);
    return n === undefined || n >= 0;
  },
  VALIDATE_NUMERIC: (v: unknown) => numberOf(v) !== undefined,
} as const;

const ARITHMETIC = {
  ADDITION: (a: number, b: number) => a + b,
  SUBTRACTION: (a: number, b: number) => a - b,
  MULTIPLICATION: (a: number, b: number) => a * b,
  DIVISION: (a: number, b: number) => (b === 0 ? null : a / b),
} as const;

/**
 * [I] MASK_ALL replaces every character, or writes MASK_LENGTH mask characters when it is given (hiding the
 * length too, which is why the AWS console sets one); MASK_FIRST_N and MASK_LAST_N replace up to
 * MASK_LENGTH characters at their end, the whole value when it is shorter. Characters, not UTF-16 units.
 */
function maskerFor(operator: string, maskValue: string, length: number | undefined): (s: string) => string {
  if (operator === 'MASK_ALL') {
    if (length !== undefined) {
      const fixed = maskValue.repeat(length);
      return () => fixed;
    }
    return (s) => maskValue.repeat([...s].length);
  }
  const n = length ?? 0;
  if (operator === 'MASK_FIRST_N') {
    return (s) => {
      const chars = [...s];
      const k = Math.min(n, chars.length);
      return maskValue.repeat(k) + chars.slice(k).join('');
    };
  }
  return (s) => {
    const chars = [...s];
    const k = Math.min(n, chars.length);
    return chars.slice(0, chars.length - k).join('') + maskValue.repeat(k);
  };
}

/**
 * [I] CONCAT_FORMAT is a template in which `${Field}` stands for a source field's value; a format with no
 * placeholder is the separator put between the values, in SourceFields order. A missing or null value
 * contributes nothing; when every value is missing the destination is left unset.
 */
function mergerFor(fields: readonly string[], format: string, template: boolean): (r: TaskRecord) => string | undefined {
  if (template) {
    const parts = format.split(/\$\{([^}]*)\}/g);
    return (r) => {
      let any = false;
      let out = '';
      for (let i = 0; i < parts.length; i++) {
        if (i % 2 === 0) out += parts[i];
        else {
          const s = textOf(getOwn(r, parts[i]));
          if (s !== undefined) {
            any = true;
            out += s;
          }
        }
      }
      return any ? out : undefined;
    };
  }
  return (r) => {
    const values: string[] = [];
    for (const f of fields) {
      const s = textOf(getOwn(r, f));
      if (s !== undefined) values.push(s);
    }
    return values.length === 0 ? undefined : values.join(format);
  };
}

function build(
  steps: { step: Step; index: number }[],
  maps: { from: string; to: string }[],
  projection: Set<string> | undefined,
  produced: Set<string>,
  canDrop: boolean,
): CompiledTasks {
  const keptByMap = new Set(maps.filter((m) => m.from === m.to).map((m) => m.from));
  const renamedAway = new Set(maps.filter((m) => m.from !== m.to && !keptByMap.has(m.from)).map((m) => m.from));
  const renames = maps.filter((m) => m.from !== m.to);
  // Projected and produced fields travel under their own names; Map destinations are written after them.
  const carried = projection ? [...new Set([...projection, ...produced])].filter((f) => !renamedAway.has(f)) : undefined;
  const identity = carried === undefined && renames.length === 0;

  return {
    canDrop,
    size: steps.length + maps.length,
    apply(record) {
      const w: Work = { r: record, copied: false };
      for (const { step, index } of steps) {
        const outcome = step(w);
        if (outcome !== undefined) return { ...outcome, task: index } as TaskOutcome;
      }
      const r = w.r;
      if (identity) return { record: r };
      let out: TaskRecord;
      if (carried) {
        out = {};
        for (const f of carried) if (Object.hasOwn(r, f)) setOwn(out, f, r[f]);
        for (const m of maps) if (Object.hasOwn(r, m.from)) setOwn(out, m.to, r[m.from]);
        return { record: out };
      }
      out = {};
      for (const k of Object.keys(r)) if (!renamedAway.has(k)) setOwn(out, k, r[k]);
      for (const m of renames) if (Object.hasOwn(r, m.from)) setOwn(out, m.to, r[m.from]);
      return { record: out };
    },
  };
}

/**
 * A FlowDefinition's Tasks, compiled, or one problem naming every task at fault (up to ten): what
 * CreateIntegrationWorkflow and PutIntegration refuse, rather than a workflow that fails later, and
 * what fails a step whose stored definition no longer compiles.
 */
export function checkRunnableTasks(flow: { Tasks?: readonly Task[]; SourceFlowConfig?: { ConnectorType?: SourceConnectorType } }): Checked<CompiledTasks> {
  const result = compileTasks(flow.Tasks, { connectorType: flow.SourceFlowConfig?.ConnectorType });
  if (result.ok) return valid(result.transform);
  const shown = result.problems.slice(0, 10);
  const more = result.problems.length - shown.length;
  return invalid(`FlowDefinition.Tasks cannot run: ${shown.join(' ')}${more > 0 ? ` (and ${more} more problem${more === 1 ? '' : 's'})` : ''}`);
}
