import { SourceError } from '../types.js';

/**
 * Object and field API names: a letter, then letters, digits and underscores (custom names end in
 * `__c`, namespaced ones start `ns__`), at most 80 characters (SOQL and SOSL reference). Nothing else
 * is ever written into a query, so no flow, cursor or describe answer can inject SOQL.
 */
const IDENTIFIER = /^[A-Za-z][A-Za-z0-9_]{0,79}$/;
/** Record Ids are 15 or 18 alphanumeric characters; a cursor's Id is checked against this. */
const RECORD_ID = /^[A-Za-z0-9]{1,18}$/;

export function checkIdentifier(name: string, what: 'object' | 'field'): string {
  if (!IDENTIFIER.test(name)) {
    throw new SourceError(
      'permanent',
      `The ${what} name '${name.slice(0, 100)}' is not a Salesforce API name (a letter, then letters, digits and _, at most 80 characters).`,
    );
  }
  return name;
}

export function isRecordId(value: unknown): value is string {
  return typeof value === 'string' && RECORD_ID.test(value);
}

/**
 * A dateTime literal as SOQL wants it: unquoted ISO-8601 in UTC, `2024-01-01T00:00:00Z` (SOQL
 * reference, "Date Formats and Date Literals"); milliseconds only when the instant has them, which
 * only split windows and record times do.
 */
export function soqlDateTime(ms: number): string {
  const iso = new Date(ms).toISOString();
  return iso.endsWith('.000Z') ? `${iso.slice(0, 19)}Z` : iso;
}

/** Where a keyset read resumes: after the record with this (time, Id). */
export interface Keyset {
  time: number;
  id: string;
}

export interface WindowQuery {
  object: string;
  fields: string[];
  timeField: string;
  start: number;
  end: number;
  after?: Keyset;
}

/** The window's condition: `t >= start AND t < end`, and past the keyset when resuming. */
export function windowCondition(q: Omit<WindowQuery, 'fields' | 'object'>): string {
  const t = q.timeField;
  let where = `${t} >= ${soqlDateTime(q.start)} AND ${t} < ${soqlDateTime(q.end)}`;
  if (q.after) {
    const at = soqlDateTime(q.after.time);
    where += ` AND (${t} > ${at} OR (${t} = ${at} AND Id > '${q.after.id}'))`;
  }
  return where;
}

/**
 * `SELECT … FROM … WHERE <window> ORDER BY <time>, Id`: the order makes the records a sequence in which
 * any delivered prefix is described by its last (time, Id), which is what makes the keyset resume exact.
 */
export function selectQuery(q: WindowQuery): string {
  return `SELECT ${q.fields.join(', ')} FROM ${q.object} WHERE ${windowCondition(q)} ORDER BY ${q.timeField}, Id`;
}

export function countQuery(q: Omit<WindowQuery, 'fields' | 'after'>): string {
  return `SELECT COUNT() FROM ${q.object} WHERE ${windowCondition(q)}`;
}
