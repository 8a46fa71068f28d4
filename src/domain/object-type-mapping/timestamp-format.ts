// SourceLastUpdatedTimestampFormat.

/**
 * The model calls it the format of the source's last-updated timestamp; AWS documents Java
 * SimpleDateFormat patterns, and EPOCHMILLI is used in AWS's own solutions. Supported: EPOCHMILLI,
 * EPOCHSECOND, and patterns of y M d H m s S Z X with literal punctuation and quoted text; a pattern
 * without a zone reads as UTC [I]. Undefined when the format is not supported.
 */
export function timestampParser(format: string): ((text: string) => number | undefined) | undefined {
  const upper = format.toUpperCase();
  if (upper === 'EPOCHMILLI' || upper === 'EPOCHMILLIS') return (text) => epoch(text, 1);
  if (upper === 'EPOCHSECOND' || upper === 'EPOCHSECONDS') return (text) => epoch(text, 1000);

  type Part = 'year' | 'year2' | 'month' | 'day' | 'hour' | 'minute' | 'second' | 'fraction' | 'zone';
  const groups: Part[] = [];
  let regex = '';
  let i = 0;
  while (i < format.length) {
    const c = format[i];
    if (c === "'") {
      const end = format.indexOf("'", i + 1);
      if (end === -1) return undefined;
      regex += end === i + 1 ? "'" : escapeRegex(format.slice(i + 1, end));
      i = end + 1;
      continue;
    }
    if (!/[A-Za-z]/.test(c)) {
      regex += escapeRegex(c);
      i++;
      continue;
    }
    let n = 1;
    while (format[i + n] === c) n++;
    i += n;
    switch (c) {
      case 'y':
        groups.push(n === 2 ? 'year2' : 'year');
        regex += n === 2 ? '(\\d{2})' : '(\\d{4})';
        break;
      case 'M':
        if (n > 2) return undefined;
        groups.push('month');
        regex += n === 1 ? '(\\d{1,2})' : '(\\d{2})';
        break;
      case 'd':
      case 'H':
      case 'm':
      case 's':
        if (n > 2) return undefined;
        groups.push(({ d: 'day', H: 'hour', m: 'minute', s: 'second' } as const)[c]);
        regex += n === 1 ? '(\\d{1,2})' : '(\\d{2})';
        break;
      case 'S':
        groups.push('fraction');
        regex += `(\\d{${n}})`;
        break;
      case 'Z':
      case 'X':
        groups.push('zone');
        regex += '(Z|[+-]\\d{2}(?::?\\d{2})?)';
        break;
      default:
        return undefined;
    }
  }
  if (!groups.includes('year') && !groups.includes('year2')) return undefined;
  const re = new RegExp(`^${regex}$`);
  return (text) => {
    const m = re.exec(text.trim());
    if (!m) return undefined;
    const v = { year: 1970, month: 1, day: 1, hour: 0, minute: 0, second: 0, ms: 0, offset: 0 };
    groups.forEach((g, idx) => {
      const s = m[idx + 1];
      if (g === 'year') v.year = Number(s);
      else if (g === 'year2') v.year = 2000 + Number(s);
      else if (g === 'fraction') v.ms = Math.round(Number(`0.${s}`) * 1000);
      else if (g === 'zone') v.offset = zoneOffsetMinutes(s);
      else v[g] = Number(s);
    });
    const utc = Date.UTC(v.year, v.month - 1, v.day, v.hour, v.minute, v.second, v.ms);
    const check = new Date(utc);
    // Date.UTC rolls 2024-02-31 over into March; such a date is not a date.
    if (check.getUTCMonth() !== v.month - 1 || check.getUTCDate() !== v.day || v.hour > 23 || v.minute > 59 || v.second > 59) {
      return undefined;
    }
    return utc - v.offset * 60_000;
  };
}

/** A count of units since the epoch; one too large to be an exact number of milliseconds is no time at all. */
function epoch(text: string, msPerUnit: number): number | undefined {
  const t = text.trim();
  if (!/^\d+(\.\d+)?$/.test(t)) return undefined;
  const ms = Math.round(Number(t) * msPerUnit);
  return Number.isSafeInteger(ms) ? ms : undefined;
}

function zoneOffsetMinutes(zone: string): number {
  if (zone === 'Z') return 0;
  const sign = zone[0] === '-' ? -1 : 1;
  const digits = zone.slice(1).replace(':', '');
  return sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4) || '0'));
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
