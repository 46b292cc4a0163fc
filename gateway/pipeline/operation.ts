import type { DocumentNode, FormattedExecutionResult, OperationDefinitionNode } from 'graphql';
import type { Viewer } from '../../lib/identity';
import type { OperationAnalysis, OperationAnalyzer, OperationType } from './operation-analysis';

export type { OperationType } from './operation-analysis';

export type Transport = 'http' | 'ws';

/**
 * One GraphQL request as a transport received it, before any step ran: the
 * HTTP adapter builds it from a GET or POST, the WebSocket server from a
 * graphql-ws `subscribe` message. Fields are as sent (not yet checked).
 */
export interface IncomingRequest {
  transport: Transport;
  /** GET or POST over HTTP; WebSocket operations have none. */
  method?: 'GET' | 'POST';
  query?: unknown;
  operationName?: unknown;
  variables?: unknown;
  extensions?: unknown;
  /** A request header (HTTP) or connection parameter (WebSocket), by lower-case name. */
  header(name: string): string | undefined;
  /** The peer's address as the socket sees it. */
  remoteAddress: string;
  /** X-Forwarded-For as sent (trusted only through configured proxies). */
  forwardedFor?: string;
}

/** Who sent an operation, as the client-identity step established it. */
export interface ClientIdentity {
  /** From the API key, else the apollographql-client-name header / connection parameter. */
  name?: string;
  version?: string;
  /** Set when a configured API key was presented. */
  apiClient?: { name: string; policy: 'any' | 'safelist' | 'ids' };
  /** The client's address: the peer, or the first untrusted X-Forwarded-For hop. */
  ip: string;
}

/** How the document arrived: in full, by manifest id, or by APQ hash (hit, registration, miss). */
export type DocumentSource = 'query' | 'manifest' | 'apq' | 'apq_register' | 'apq_miss';

/** What the rate limit left of the client's budget, for the response's headers and `extensions.cost`. */
export interface BudgetFigures {
  /** Points per window. */
  points: number;
  windowSeconds: number;
  /** Points left in this window. */
  remaining: number;
  /** Seconds until the window resets. */
  resetSeconds: number;
}

/** What the response cache did: answered from the cache, executed and maybe stored, or not looked up. */
export type CacheStatus = 'HIT' | 'MISS' | 'BYPASS';

/**
 * The state of one operation as it passes the admission steps; each step
 * fills in what it establishes and later steps rely on it. Execution sees
 * only admitted operations.
 */
export class GatewayOperation {
  readonly startedAt = process.hrtime.bigint();
  /** The same moment as a wall-clock time (ms since epoch), forwarded to subgraphs (REQUEST_START_HEADER) so their time budgets start where the client's did. */
  readonly receivedAt = Date.now();
  readonly transport: Transport;
  /** The request's GraphQL fields once checked for shape. */
  operationName?: string;
  rawVariables: Record<string, unknown> = {};
  extensions: Record<string, unknown> = {};

  /** The text to execute (as sent, or resolved from a manifest id or an APQ hash). */
  query?: string;
  document?: DocumentNode;
  source: DocumentSource = 'query';
  client?: ClientIdentity;
  viewer: Viewer | null = null;
  /** The operation of the document to run, once resolved and validated. */
  definition?: OperationDefinitionNode;
  /** Variables coerced against the schema. */
  variables: Record<string, unknown> = {};
  /** Static cost from demand control. */
  cost?: number;
  /** The rate limit's budget after this operation spent from it. */
  budget?: BudgetFigures;
  /** What the response cache did with it. */
  cacheStatus?: CacheStatus;
  /**
   * The text that is executed, when a step changed it (the response cache
   * adds entity ids to tag what it stores); `query` otherwise.
   */
  executedQuery?: string;
  /** Set once every admission step has passed. */
  admitted = false;
  /** Headers every response to this operation carries (rate-limit budget, cache control of refusals). */
  readonly responseHeaders: Record<string, string> = {};
  /** The last analysis `analysis()` returned: for the steps that only report (log, span), never computed by them. */
  analyzed?: OperationAnalysis;

  constructor(
    readonly request: IncomingRequest,
    private readonly analyzer?: OperationAnalyzer,
  ) {
    this.transport = request.transport;
  }

  /**
   * What the operation executes (./operation-analysis.ts), once a document is
   * known; undefined before, or when the document has no single operation
   * to run by that name (validation answers that). Cached per document,
   * operation name and @skip/@include values, so every step may call it.
   * Before validation it reads the variables as sent, after it as coerced.
   * Throws a QUERY_TOO_COMPLEX Refusal for a document beyond its work bound.
   */
  analysis(): OperationAnalysis | undefined {
    if (!this.document || !this.analyzer) return undefined;
    this.analyzed = this.analyzer.analyze(this.document, this.operationName, this.definition ? this.variables : this.rawVariables);
    return this.analyzed;
  }

  /**
   * The operation to run, or every operation of the document when the
   * request names none that it can run: validation reads them all, so limits
   * that protect it measure each.
   */
  analysesToLimit(): OperationAnalysis[] {
    const selected = this.analysis();
    if (selected) return [selected];
    if (!this.document || !this.analyzer) return [];
    return this.analyzer.analyzeEach(this.document, this.rawVariables);
  }

  get operationType(): OperationType | undefined {
    return this.definition?.operation as OperationType | undefined;
  }

  /** Milliseconds since the request arrived. */
  elapsedMs(): number {
    return Number(process.hrtime.bigint() - this.startedAt) / 1e6;
  }
}

/** What a client gets back: an executed result or a refusal's errors, and the HTTP status. */
export interface OperationResponse {
  result: FormattedExecutionResult & { extensions?: Record<string, unknown> };
  /** True when a step refused the operation (nothing was executed). */
  refused: boolean;
  /** HTTP status: a refusal's, or Apollo's for an executed result (200 when absent). */
  status?: number;
}

/** Runs an admitted operation: Apollo Server over the subgraphs, or a step answering in its place. */
export type Execute = (operation: GatewayOperation) => Promise<OperationResponse>;

// A step's "no" lives with the shared refusal helpers; exported here too for the steps that build their own.
export { Refusal, refusal, type RefusalOptions } from './refusals';

/**
 * One concern of the gateway's edge (limits, identity, persisted queries,
 * authentication, cost, rate limits, logging). The pipeline runs every
 * plugin's `onRequest` in order for each operation, whatever its transport;
 * `onResponse` runs for every response, refused or executed, in reverse order
 * (the first plugin sees the final response).
 */
export interface GatewayPlugin {
  readonly name: string;
  /** Admission: fills in the operation, or throws a Refusal. */
  onRequest?(operation: GatewayOperation): void | Promise<void>;
  /**
   * Around execution of an admitted query or mutation (not subscriptions):
   * call `next` to execute, or answer without it (a cache hit). Plugins wrap
   * execution in pipeline order, the first one outermost.
   */
  onExecute?(operation: GatewayOperation, next: Execute): Promise<OperationResponse>;
  /** May add headers (operation.responseHeaders) and result extensions; must not throw. */
  onResponse?(operation: GatewayOperation, response: OperationResponse): void | Promise<void>;
}
