/** The repository interfaces the operations and the engine use; they never see SQL or a dialect. */
import type { ConnectorProfile } from '../connectors/types.js';
import type { ActivityRepository, WebhookOutboxRepository } from './activity-types.js';
import type { WorkflowRepository } from './workflow-types.js';
import type { AccountConnectorProfileRepository, ClientTokenRepository, FlowRepository } from './appflow-types.js';
import type { FlowRunRepository } from './flow-run-types.js';
import type { Scope } from '../domain/scope.js';
import type { StorageCondition } from './storage-condition.js';
import type { ObjectTypePurgeRepository, ObjectTypeRepository, ProfileHistoryRepository, ProfileObjectRepository, ProfileRepository, IntegrationRepository } from './profile-types.js';

export type * from './profile-types.js';
export type * from './activity-types.js';
export type * from './appflow-types.js';
export type * from './flow-run-types.js';

export interface DomainRecord {
  domainName: string;
  defaultExpirationDays?: number;
  defaultEncryptionKey?: string;
  deadLetterQueueUrl?: string;
  matching?: unknown;
  ruleBasedMatching?: unknown;
  dataStore?: unknown;
  /** Epoch milliseconds. */
  createdAt: number;
  updatedAt: number;
}

export interface DomainStats {
  ProfileCount: number;
  MeteringProfileCount: number;
  ObjectCount: number;
  TotalSize: number;
}

export interface DomainRepository {
  /** False when a domain of that name exists already. */
  create(scope: Scope, domain: DomainRecord): Promise<boolean>;
  get(scope: Scope, domainName: string): Promise<DomainRecord | undefined>;
  /** Replaces the stored record; false when it is gone. */
  update(scope: Scope, domain: DomainRecord): Promise<boolean>;
  /**
   * Removes the domain, its workflows, object types, integrations and stats; false when it did not exist.
   * Its profiles, objects, history, keys and merges are left to the domain's purge (purge-domain.ts),
   * recorded here, in the same transaction. `deletedAt` orders the purges.
   */
  delete(scope: Scope, domainName: string, deletedAt: number): Promise<boolean>;
  /** Ordered by name; keyset after `afterName`. */
  list(scope: Scope, afterName: string | undefined, limit: number): Promise<DomainRecord[]>;
  stats(scope: Scope, domainName: string): Promise<DomainStats>;
}

/** A deleted domain whose data is still being removed; `domainId` is its key index's id, if it had one. */
export interface DomainPurge {
  scope: Scope;
  domainName: string;
  domainId: number | null;
}

/** Where a purge's last part stopped: the table and the last key it took there. */
export interface PurgePosition {
  table: string;
  after: string[];
}

export interface DomainPurgeRepository {
  /** Called by DomainRepository.delete in the deletion's transaction, before the domain's id goes. */
  record(scope: Scope, domainName: string, deletedAt: number): Promise<void>;
  /** The purge of a domain of this name, while its data is still being removed (a new domain of the name waits for it). */
  of(scope: Scope, domainName: string): Promise<DomainPurge | undefined>;
  /** The purge deleted longest ago. */
  oldest(): Promise<DomainPurge | undefined>;
  /**
   * Deletes up to `limit` rows of the domain from one table, going on `from` where the last part stopped
   * (PostgreSQL, which answers where it stopped); 0 when none is left to take.
   */
  removeSome(purge: DomainPurge, limit: number, from?: PurgePosition): Promise<{ removed: number; position?: PurgePosition }>;
  /** Ends the purge when nothing of the domain is left, even rows another transaction is deleting; false otherwise. */
  finish(purge: DomainPurge): Promise<boolean>;
}

export type TagMap = Record<string, string>;

export interface TagRepository {
  get(scope: Scope, resourceArn: string): Promise<TagMap>;
  put(scope: Scope, resourceArn: string, tags: TagMap): Promise<void>;
  remove(scope: Scope, resourceArn: string, keys: string[]): Promise<void>;
  /** Removes the tags of the resource and of every resource below it (`arn/…`). */
  removeResource(scope: Scope, resourceArn: string): Promise<void>;
}

/** Where a stored connector profile came from: the --config file at start, or the admin routes. */
export type ConnectorProfileSource = 'config' | 'api';

export interface ConnectorProfileRecord extends ConnectorProfile {
  source: ConnectorProfileSource;
  /** Epoch milliseconds. */
  createdAt: number;
  updatedAt: number;
}

/** Connector profiles are the operator's, shared by every account and region: no Scope here. */
export interface ConnectorProfileRepository {
  get(name: string): Promise<ConnectorProfileRecord | undefined>;
  /** Ordered by name. */
  list(): Promise<ConnectorProfileRecord[]>;
  /** Creates or replaces the profile (keeping its createdAt) and returns it as stored. */
  put(profile: ConnectorProfile, source: ConnectorProfileSource, now: number): Promise<ConnectorProfileRecord>;
  /** False when no profile of that name existed. */
  delete(name: string): Promise<boolean>;
}

/** How a transaction starts (Store.transaction). */
export interface TransactionOptions {
  /**
   * Transactions of this store (one per process) given the same turn run one after another, each
   * waiting for its turn before it takes a connection; inside a transaction, ignored. For work that the
   * database would queue anyway (a domain's ingestions: ingestionTurn), so that the queue costs no
   * pooled connections. A turn not reached within TURN_WAIT_MS throws TurnNotReached.
   */
  turn?: string;
  /** Stops waiting for the turn (with the signal's reason) once it aborts: a step given up, a shutdown. */
  signal?: AbortSignal;
  /**
   * Run when the turn is taken, before waiting for it: checks the work would fail inside its
   * transaction (a missing domain or object type), made outside it, so that a call bound to fail answers
   * at once rather than after everyone ahead of it. Throwing leaves the line with that error. Not run when
   * the turn is free: the work's own checks then answer as soon.
   */
  whileWaiting?: () => Promise<void>;
}

export interface Store {
  readonly backend: 'sqlite' | 'postgres';
  /**
   * Statements run in the database server's process, so the caller's thread can do other work while a
   * transaction waits for them (PostgreSQL); false when they run on the caller's thread (SQLite), where
   * work started "meanwhile" runs only after the transaction.
   */
  readonly statementsRunElsewhere: boolean;
  readonly workflows: WorkflowRepository;
  readonly domains: DomainRepository;
  readonly tags: TagRepository;
  readonly connectorProfiles: ConnectorProfileRepository;
  readonly objectTypes: ObjectTypeRepository;
  readonly profiles: ProfileRepository;
  readonly profileObjects: ProfileObjectRepository;
  readonly integrations: IntegrationRepository;
  /** Every change to a profile (ListProfileHistoryRecords). */
  readonly profileHistory: ProfileHistoryRepository;
  /** Cross-account reads for events, metrics and webhooks (operator views, never an AWS answer). */
  readonly activity: ActivityRepository;
  readonly webhookOutbox: WebhookOutboxRepository;
  /** Connector profiles an account created through AppFlow: its own, keyed by (account, region). */
  readonly accountConnectorProfiles: AccountConnectorProfileRepository;
  /** AppFlow flows into Customer Profiles, keyed by (account, region). */
  readonly flows: FlowRepository;
  /** AppFlow flow runs: the second kind of leased work. */
  readonly flowRuns: FlowRunRepository;
  /** AppFlow clientTokens and the answers of the writes done under them, keyed by (account, region). */
  readonly clientTokens: ClientTokenRepository;
  /** Deleted domains whose profiles, objects, history and keys are still being removed (purge-domain.ts). */
  readonly domainPurges: DomainPurgeRepository;
  /** Deleted object types whose objects are still being removed (ingest/object-type-purge.ts). */
  readonly objectTypePurges: ObjectTypePurgeRepository;
  /**
   * Empties every table except the migrations' bookkeeping and the page-token secret, in one
   * transaction; returns the tables emptied. With `accountId`, deletes that account's rows only, from
   * every table keyed by account, the account's AppFlow connector profiles and flows included (the operator's
   * connector profiles and the settings belong to no account and stay).
   */
  reset(accountId?: string): Promise<string[]>;
  /**
   * Brings the planner's statistics up to date where the database will not do it by itself (PostgreSQL
   * with autovacuum off: dialects/postgres-statistics.ts); returns the tables analyzed. SQLite plans
   * these queries from the schema alone and needs none.
   */
  refreshStatistics(): Promise<string[]>;
  /**
   * Runs `work` in one transaction; the store it receives reads and writes inside it. On PostgreSQL a
   * transaction aborted for a conflict with another (deadlock, serialization failure) is run again, so
   * `work` must do nothing outside that store which a second run would repeat.
   */
  transaction<T>(work: (store: Store) => Promise<T>, options?: TransactionOptions): Promise<T>;
  /**
   * `degraded` while the last write failed for want of storage (disk full, read-only, I/O errors, a
   * damaged file, the PostgreSQL server unreachable), with a sentence naming the fault; `ok` again after
   * the next write that commits (any answered query, for an unreachable server).
   */
  condition(): StorageCondition;
  /** The secret page tokens are signed with (shared by every node through the database). */
  pageTokenSecret(): Promise<Buffer>;
  close(): Promise<void>;
}

/** How objects are told apart across types in one batch. */
export function objectKey(objectTypeName: string, uniqueKey: string): string {
  return `${objectTypeName}\u0000${uniqueKey}`;
}
