/** A path with every label percent-encoded: uri`/domains/${name}/workflows`. */
export function uri(strings: TemplateStringsArray, ...labels: string[]): string {
  return strings.reduce((out, s, i) => out + s + (i < labels.length ? encodeURIComponent(labels[i]) : ''), '');
}

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
const integer = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 });

/** Epoch seconds (restJson1) or ISO-8601 text → a Date; undefined for nothing or nonsense. */
export function toDate(value: number | string | undefined): Date | undefined {
  if (value === undefined || value === '') return undefined;
  const date = typeof value === 'number' ? new Date(value * 1000) : new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

export function formatDate(date: Date): string {
  return dateTime.format(date);
}

const dateOnly = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium' });
const timeOnly = new Intl.DateTimeFormat(undefined, { timeStyle: 'medium' });

/** The date and the time of day apart, so that a narrow column can put them on two lines. */
export function formatDateParts(date: Date): [string, string] {
  return [dateOnly.format(date), timeOnly.format(date)];
}

export function formatCount(value: number | undefined): string {
  return value === undefined ? '—' : integer.format(value);
}

export function formatBytes(value: number | undefined): string {
  if (value === undefined) return '—';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let n = value;
  let unit = 0;
  while (n >= 1024 && unit < units.length - 1) {
    n /= 1024;
    unit += 1;
  }
  return `${unit === 0 ? n : n.toFixed(1)} ${units[unit]}`;
}

export function plural(count: number, one: string, many = `${one}s`): string {
  return `${formatCount(count)} ${count === 1 ? one : many}`;
}

/** A status name as people read it: IN_PROGRESS → In progress, and AppFlow's CancelStarted → Cancel started. */
export function statusLabel(status: string | undefined): string {
  if (!status) return 'Unknown';
  const words = status.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase().replace(/_/g, ' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** Whether a workflow in this status can still change. */
export function isActive(status: string | undefined): boolean {
  return status === 'NOT_STARTED' || status === 'IN_PROGRESS' || status === 'RETRY' || status === 'SPLIT';
}

/**
 * The FlowName of the flow definition that started a workflow, from one of its steps' FlowName: each
 * step's flow is named `<FlowName>-<WorkflowId>-<step number>` (the definition's name cut short when
 * the whole would pass 256 characters). GetWorkflow has no member for it. A step name of another
 * form (AWS may name them otherwise) is shown as it is.
 */
export function definitionFlowName(stepFlowName: string | undefined, workflowId: string): string | undefined {
  if (!stepFlowName) return undefined;
  const suffix = new RegExp(`-${workflowId.replace(/[^\w]/g, '')}-\\d+$`);
  return suffix.test(stepFlowName) ? stepFlowName.replace(suffix, '') : stepFlowName;
}
