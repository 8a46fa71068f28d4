import type { SourceConnectorType } from '../api/shapes.generated.js';
import type { Checked } from '../domain/problem.js';
import type { ConnectorPolicy } from './policy.js';

/** One record as a source delivers it: field name → value (strings, numbers, booleans, null). */
export type SourceRecord = Record<string, unknown>;

/**
 * A named connector profile (the ConnectorProfileName of a flow): which source kind reads it, which
 * ConnectorTypes it may serve, and the kind's settings (directory, seed, credentials…).
 */
export interface ConnectorProfile {
  name: string;
  kind: string;
  connectorTypes: SourceConnectorType[];
  settings: Record<string, unknown>;
}

/** What a step asks of its source: the records whose time lies in [start, end), after `cursor`. */
export interface ReadRequest {
  profile: ConnectorProfile;
  connectorType: SourceConnectorType;
  /** SourceConnectorProperties.<type>.Object (for S3: BucketName, with BucketPrefix in `prefix`). */
  object: string;
  prefix?: string;
  /** IncrementalPullConfig.DatetimeTypeFieldName, when the flow gives one. */
  datetimeField?: string;
  includeDeleted?: boolean;
  /** SourceConnectorProperties.<type>.EnableDynamicFieldUpdate: read every field the source has. */
  enableDynamicFieldUpdate?: boolean;
  /**
   * The source fields the flow's Tasks name, in first-mention order (what AppFlow asks the source for).
   * Empty when the Tasks name none; a connector that can select fields reads all of them then.
   */
  fields: string[];
  window: { start: Date; end: Date };
  /** Resume point returned with an earlier page; undefined to start at the beginning of the window. */
  cursor?: string;
  pageSize: number;
  signal?: AbortSignal;
  /** The operator's policy the read stays within; DEFAULT_CONNECTOR_POLICY when not given. */
  policy?: ConnectorPolicy;
}

export interface SourcePage {
  records: SourceRecord[];
  /**
   * Where a read resumes after this page. Deterministic: reading again from it yields exactly the
   * records not yet delivered, which is what lets a step resume after a crash without loss or repeat.
   */
  cursor: string;
  /**
   * Rows the source read since the previous page but could not deliver, by reason ("no readable
   * LastModifiedDate"): counted with the page, so the step's message can say how many and why.
   */
  skipped?: Record<string, number>;
  /**
   * How far through the window the read has got, when the source can tell: every record of the window
   * whose time lies before this instant has been delivered, with this page or an earlier one (window.end
   * once the window is exhausted). Only a source read in time order can say so; one read in another order
   * (files, S3 objects) leaves it out.
   */
  readThrough?: Date;
}

/** A source kind; `S` is the type of its profiles' settings once checked. */
export interface Connector<S = unknown> {
  /** The source kind connector profiles name: 'files', 'synthetic', 's3', … */
  readonly kind: string;
  /** A profile's settings (stored as JSON) as the kind's typed settings, or their problems as sentences. */
  parseSettings(settings: Record<string, unknown>): Checked<S>;
  /** How many records the window holds, when the source can tell cheaply (drives splitting). */
  estimate?(request: ReadRequest): Promise<number | undefined>;
  read(request: ReadRequest): AsyncIterable<SourcePage>;
  /**
   * True when the source computes its pages in this process, with nothing to wait for (no network, no
   * disk): on SQLite the engine then does not ask it for a page ahead of the one it writes, which would
   * gain nothing and keep two pages alive at once (runPages). On PostgreSQL it does, to prepare the page
   * while the one before it waits for the server.
   */
  answersFromMemory?(request: ReadRequest): boolean;
}

export type SourceFailureKind = 'transient' | 'permanent' | 'too-large';

/**
 * How a connector reports failure: transient ones are retried with back-off, permanent ones fail the
 * step at once, too-large makes the engine split the window.
 */
export class SourceError extends Error {
  /**
   * How long the source asked to be left alone (its Retry-After), in milliseconds, when it said so: a
   * hint for the engine's back-off on a transient failure. Undefined when the source gave none.
   */
  readonly retryAfterMs?: number;

  constructor(
    readonly kind: SourceFailureKind,
    message: string,
    options: SourceErrorOptions = {},
  ) {
    super(message);
    this.name = 'SourceError';
    if (options.retryAfterMs !== undefined && Number.isFinite(options.retryAfterMs) && options.retryAfterMs >= 0) {
      this.retryAfterMs = options.retryAfterMs;
    }
  }
}

export interface SourceErrorOptions {
  /** The source's Retry-After in milliseconds; ignored unless a finite number ≥ 0. */
  retryAfterMs?: number;
}
