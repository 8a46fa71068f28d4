import type { ConnectorPolicy } from '../connectors/policy.js';
import type { PageTokens } from '../domain/page-token.js';
import type { Clock } from '../engine/clock.js';
import type { Store, WorkflowChange } from '../store/types.js';
import type { Scope } from '../domain/scope.js';

/** What a handler gets besides its input. Handlers know no HTTP: they take input and return output. */
export interface OperationContext {
  scope: Scope;
  requestId: string;
  store: Store;
  clock: Clock;
  tokens: PageTokens;
  /** Told when there is new work, so an idle engine in this process starts it without waiting to poll. */
  engine?: { wake(): void };
  /** The operator's policy connector profiles saved through AppFlow must stay within; absent = DEFAULT_CONNECTOR_POLICY. */
  connectorPolicy?: ConnectorPolicy;
  /** The webhook outbox of this process (WebhookDispatcher), when it has one. */
  webhooks?: {
    /** Queues CANCELLED deliveries, inside `tx` when given (then `wake` once it has committed). */
    enqueueCancelled(change: WorkflowChange, tx?: Store): Promise<void>;
    wake(): void;
  };
}

export type Handler<I = any, O = any> = (ctx: OperationContext, input: I) => Promise<O>;
