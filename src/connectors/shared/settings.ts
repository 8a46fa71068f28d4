/** A connector's settings described as data, checked by one function (the dynalite habit). */
export type SettingRule = { required?: boolean; describe?: string } & (
  | { type: 'string' }
  | { type: 'integer' | 'number'; min?: number; max?: number }
  | { type: 'string-or-number' }
  | { type: 'string-list'; allowed?: readonly string[] }
  /** Anything more structured: the check returns its problems as sentences. */
  | { type: 'custom'; check: (value: unknown, name: string) => string[] }
);

export type SettingRules = Record<string, SettingRule>;

/** The problems with `settings`, as sentences naming the setting and the rule; empty when usable. */
export function checkSettings(settings: Record<string, unknown>, rules: SettingRules): string[] {
  const problems: string[] = [];
  if (typeof settings !== 'object' || settings === null || Array.isArray(settings)) {
    return ['The settings must be a JSON object.'];
  }
  for (const name of Object.keys(settings)) {
    if (!Object.hasOwn(rules, name)) {
      problems.push(`Unknown setting '${name}'; the known settings are ${Object.keys(rules).join(', ')}.`);
    }
  }
  for (const [name, rule] of Object.entries(rules)) {
    const value = settings[name];
    if (value === undefined || value === null) {
      if (rule.required) problems.push(`Setting '${name}' is required${rule.describe ? `: ${rule.describe}` : ''}.`);
      continue;
    }
    problems.push(...checkOne(name, value, rule));
  }
  return problems;
}

function checkOne(name: string, value: unknown, rule: SettingRule): string[] {
  switch (rule.type) {
    case 'string':
      return typeof value === 'string' && value !== '' ? [] : [`Setting '${name}' must be a non-empty string.`];
    case 'integer':
    case 'number': {
      const ok = typeof value === 'number' && (rule.type === 'integer' ? Number.isInteger(value) : Number.isFinite(value));
      if (!ok) return [`Setting '${name}' must be ${rule.type === 'integer' ? 'an integer' : 'a number'}.`];
      const n = value as number;
      if ((rule.min !== undefined && n < rule.min) || (rule.max !== undefined && n > rule.max)) {
        return [`Setting '${name}' must be between ${rule.min ?? '-∞'} and ${rule.max ?? '∞'}, got ${n}.`];
      }
      return [];
    }
    case 'string-or-number':
      return (typeof value === 'string' && value !== '') || (typeof value === 'number' && Number.isFinite(value))
        ? []
        : [`Setting '${name}' must be a number or a non-empty string.`];
    case 'string-list': {
      if (!Array.isArray(value) || value.length === 0 || value.some((v) => typeof v !== 'string')) {
        return [`Setting '${name}' must be a non-empty list of strings.`];
      }
      const unknown = rule.allowed ? value.filter((v) => !rule.allowed?.includes(v as string)) : [];
      return unknown.length
        ? [`Setting '${name}' names unknown values ${unknown.map((v) => `'${v}'`).join(', ')}; allowed: ${rule.allowed?.join(', ')}.`]
        : [];
    }
    case 'custom':
      return rule.check(value, name);
  }
}
