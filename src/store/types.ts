/** The repository interfaces the operations and the engine use; they never see SQL or a dialect. */

export interface Scope {
  accountId: string;
  region: string;
}

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
  /** Removes the domain and everything in it; false when it did not exist. */
  delete(scope: Scope, domainName: string): Promise<boolean>;
  /** Ordered by name; keyset after `afterName`. */
  list(scope: Scope, afterName: string | undefined, limit: number): Promise<DomainRecord[]>;
  stats(scope: Scope, domainName: string): Promise<DomainStats>;
}

export type TagMap = Record<string, string>;

export interface TagRepository {
  get(scope: Scope, resourceArn: string): Promise<TagMap>;
  put(scope: Scope, resourceArn: string, tags: TagMap): Promise<void>;
  remove(scope: Scope, resourceArn: string, keys: string[]): Promise<void>;
  /** Removes the tags of the resource and of every resource below it (`arn/…`). */
  removeResource(scope: Scope, resourceArn: string): Promise<void>;
}

export interface Store {
  readonly backend: 'sqlite' | 'postgres';
  readonly domains: DomainRepository;
  readonly tags: TagRepository;
  /** Runs `work` in one transaction; the store it receives reads and writes inside it. */
  transaction<T>(work: (store: Store) => Promise<T>): Promise<T>;
  /** The secret page tokens are signed with (shared by every node through the database). */
  pageTokenSecret(): Promise<Buffer>;
  close(): Promise<void>;
}
