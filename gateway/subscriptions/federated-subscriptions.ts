import { operationFromDocument, type Schema, type Supergraph } from '@apollo/federation-internals';
import { buildOperationContext, executeQueryPlan, type GraphQLDataSource, type ServiceMap } from '@apollo/gateway';
import { QueryPlanner, type FetchNode, type PlanNode, type QueryPlan } from '@apollo/query-planner';
import type { GatewayGraphQLRequestContext } from '@apollo/server-gateway-interface';
import { GraphQLError, Kind, print, type DocumentNode, type ExecutionResult, type GraphQLFormattedError, type GraphQLSchema, type OperationDefinitionNode } from 'graphql';
import type { Counter } from 'prom-client';
import { ErrorCode } from '../../lib/errors';
import { EVENT_TIME_EXTENSION } from '../../lib/events';
import type { Viewer } from '../../lib/identity';
import type { Logger } from '../../lib/logger';
import { inSpan, isTracing, linkTo, recordSpanError, SpanKind, type SpanContext } from '../../lib/tracing';
import type { GatewayContext } from '../gateway.context';
import type { SubscriptionMetrics } from './subscription-metrics';
import type { UpstreamListener, UpstreamSubscriptions } from './upstream';

export interface SubscribeRequest {
  document: DocumentNode;
  operationName?: string | null;
  /** Coerced variable values. */
  variables: Record<string, unknown>;
  viewer: Viewer | null;
  /** The span of the subscribe request (tracing): each event's execution links to it. */
  subscribedIn?: SpanContext;
}

/** A client's result: the same shape a federated query answers with. */
/** graphql-ws serialises errors with `toJSON()`, so they stay GraphQLError instances. */
export type SubscriptionResult = ExecutionResult;

interface SubscriptionPlan {
  primary: FetchNode;
  rest?: PlanNode;
  /** The name the client gave, else the one in the document (clients need not send operationName). */
  operationName?: string;
}

interface Subscriber {
  push(result: SubscriptionResult): void;
  stop(): void;
}

const PLAN_CACHE_SIZE = 500;

/**
 * Clients one event is handed to before the fan-out yields to the event loop
 * (setImmediate): their socket writes go out and the garbage of the chunk dies
 * young, instead of every client's promises and frames of an event being alive
 * at once (and promoted to the old generation) with 10,000 subscribers.
 */
const FANOUT_CHUNK = 256;

/**
 * Federated subscriptions on top of @apollo/gateway, which executes none: the
 * gateway's own query planner splits a subscription into the `primary` fetch
 * (a subscription to the subgraph owning the field, with the @key fields
 * added) and the `rest` (entity fetches to the other subgraphs). Each event
 * of the primary stream runs `Sequence[primary, rest]` through the gateway's
 * executor, with the primary's service answering from the event, so a client
 * gets its whole selection set, shaped like a query result, with no per-type
 * code here.
 *
 * Identical subscriptions (same document, variables and viewer) share one
 * upstream stream and one execution per event; each client has its own
 * bounded queue that drops the oldest result when the client falls behind.
 */
export class FederatedSubscriptions {
  readonly apiSchema: GraphQLSchema;
  private readonly federationApiSchema: Schema;
  private readonly supergraphSchema: GraphQLSchema;
  private readonly planner: QueryPlanner;
  private readonly plans = new Map<string, SubscriptionPlan>();
  private readonly groups = new Map<string, SubscriptionGroup>();

  constructor(
    supergraph: Supergraph,
    private readonly dataSources: ServiceMap,
    private readonly upstream: UpstreamSubscriptions,
    private readonly options: { queueSize: number; logger: Logger; metrics?: SubscriptionMetrics },
  ) {
    this.federationApiSchema = supergraph.apiSchema();
    this.apiSchema = this.federationApiSchema.toGraphQLJSSchema();
    this.supergraphSchema = supergraph.schema.toGraphQLJSSchema();
    this.planner = new QueryPlanner(supergraph);
  }

  get stats() {
    let subscribers = 0;
    for (const group of this.groups.values()) subscribers += group.size;
    return { subscribers, groups: this.groups.size, upstreams: this.upstream.activeStreams };
  }

  /** A validated subscription document in, its stream of results out. */
  subscribe(request: SubscribeRequest): AsyncIterableIterator<SubscriptionResult> {
    const text = print(request.document);
    const plan = this.planFor(text, request.document, request.operationName ?? undefined);
    const key = JSON.stringify([text, request.operationName ?? null, request.variables, request.viewer?.id ?? null, request.viewer?.role ?? null]);
    let group = this.groups.get(key);
    if (!group) {
      group = new SubscriptionGroup(this, plan, request, () => this.groups.delete(key));
      this.groups.set(key, group);
    }
    return new SubscriberStream(group, this.options.queueSize, this.options.metrics?.dropped);
  }

  /** @internal */
  get metrics(): SubscriptionMetrics | undefined {
    return this.options.metrics;
  }

  /** @internal */
  logError(error: unknown): void {
    this.options.logger.error({ err: error }, 'could not resolve a subscription event');
  }

  /** Completes every open subscription (graceful shutdown). */
  completeAll(): void {
    for (const group of [...this.groups.values()]) group.completeAll();
  }

  /** @internal */
  listenUpstream(plan: SubscriptionPlan, request: SubscribeRequest, listener: UpstreamListener): () => void {
    const variables = Object.fromEntries(
      (plan.primary.variableUsages ?? []).filter((name) => name in request.variables).map((name) => [name, request.variables[name]]),
    );
    return this.upstream.listen({ serviceName: plan.primary.serviceName, query: plan.primary.operation, variables, viewer: request.viewer }, listener);
  }

  /**
   * @internal One event through the gateway's executor. When tracing, each
   * event is a trace of its own (the event, not the subscribe request, caused
   * the fetches), linked to the span of the request that subscribed.
   */
  execute(plan: SubscriptionPlan, request: SubscribeRequest, event: ExecutionResult): Promise<SubscriptionResult> {
    if (!isTracing()) return this.executeEvent(plan, request, event);
    const { operationName } = plan;
    return inSpan(
      `subscription event${operationName ? ` ${operationName}` : ''}`,
      {
        root: true,
        kind: SpanKind.CONSUMER,
        links: linkTo(request.subscribedIn),
        attributes: { 'graphql.operation.type': 'subscription', ...(operationName ? { 'graphql.operation.name': operationName } : {}), 'gateway.subscription.subgraph': plan.primary.serviceName },
      },
      async (span) => {
        const result = await this.executeEvent(plan, request, event);
        if (result.errors?.length) recordSpanError(span, result.errors[0], `${result.errors.length} GraphQL error(s)`);
        return result;
      },
    );
  }

  private async executeEvent(plan: SubscriptionPlan, request: SubscribeRequest, event: ExecutionResult): Promise<SubscriptionResult> {
    const real = this.dataSources[plan.primary.serviceName];
    const eventSource: GraphQLDataSource = {
      process: (options) => (options.request.query === plan.primary.operation ? Promise.resolve(event as never) : real.process(options)),
    };
    const queryPlan: QueryPlan = {
      kind: 'QueryPlan',
      node: plan.rest ? { kind: 'Sequence', nodes: [plan.primary, plan.rest] } : plan.primary,
    };
    const { operationName } = plan;
    const requestContext = {
      request: { variables: request.variables, operationName },
      context: { viewer: request.viewer } satisfies GatewayContext,
      document: request.document,
      operationName: operationName ?? null,
      metrics: {},
      logger: this.options.logger,
      cache: undefined,
      overallCachePolicy: undefined,
    } as unknown as GatewayGraphQLRequestContext<GatewayContext>;
    const operationContext = buildOperationContext({ schema: this.apiSchema, operationDocument: request.document, operationName });
    const result = await executeQueryPlan(
      queryPlan,
      { ...this.dataSources, [plan.primary.serviceName]: eventSource },
      requestContext,
      operationContext,
      this.supergraphSchema,
      this.federationApiSchema,
    );
    return { data: result.data as ExecutionResult['data'], ...(result.errors?.length ? { errors: result.errors } : {}) };
  }

  private planFor(text: string, document: DocumentNode, operationName?: string): SubscriptionPlan {
    const cacheKey = `${operationName ?? ''}\n${text}`;
    const cached = this.plans.get(cacheKey);
    if (cached) return cached;
    const operation = operationFromDocument(this.federationApiSchema, document, { operationName });
    const node = this.planner.buildQueryPlan(operation).node;
    if (node?.kind !== 'Subscription') throw new Error('Expected a subscription plan');
    const plan: SubscriptionPlan = {
      primary: node.primary,
      rest: node.rest,
      operationName: operationName ?? document.definitions.find((definition): definition is OperationDefinitionNode => definition.kind === Kind.OPERATION_DEFINITION)?.name?.value,
    };
    if (this.plans.size >= PLAN_CACHE_SIZE) this.plans.delete(this.plans.keys().next().value!);
    this.plans.set(cacheKey, plan);
    return plan;
  }
}

/** Clients with the same subscription: one upstream stream, one execution per event, in order. */
class SubscriptionGroup {
  private readonly subscribers = new Set<Subscriber>();
  private leaveUpstream: (() => void) | null = null;
  private delivery: Promise<void> = Promise.resolve();
  /** The label set of this group's metrics. */
  private readonly labels: { subgraph: string };

  constructor(
    private readonly owner: FederatedSubscriptions,
    private readonly plan: SubscriptionPlan,
    private readonly request: SubscribeRequest,
    private readonly onEmpty: () => void,
  ) {
    this.labels = { subgraph: plan.primary.serviceName };
  }

  get size(): number {
    return this.subscribers.size;
  }

  add(subscriber: Subscriber): void {
    this.subscribers.add(subscriber);
    if (!this.leaveUpstream) {
      this.leaveUpstream = this.owner.listenUpstream(this.plan, this.request, {
        // Events are executed one after another so every client sees them in upstream order.
        next: (event) => {
          // A refusal at subscribe time (FORBIDDEN, UNAUTHENTICATED) arrives as an errors-only result: pass it on and end.
          if (event.errors?.length && event.data == null) {
            this.delivery = this.delivery.then(() => this.end(upstreamErrors(event.errors, this.plan.primary.serviceName)));
            return;
          }
          this.delivery = this.delivery.then(() => this.deliver(event as ExecutionResult));
        },
        error: (error) => {
          this.delivery = this.delivery.then(() => this.end(upstreamErrors(error, this.plan.primary.serviceName)));
        },
        complete: () => {
          this.delivery = this.delivery.then(() => this.end(null));
        },
      });
    }
  }

  remove(subscriber: Subscriber): void {
    this.subscribers.delete(subscriber);
    if (this.subscribers.size === 0) this.close();
  }

  completeAll(): void {
    for (const subscriber of [...this.subscribers]) subscriber.stop();
  }

  private async deliver(event: ExecutionResult): Promise<void> {
    if (this.subscribers.size === 0) return;
    const metrics = this.owner.metrics;
    metrics?.events.inc(this.labels);
    await this.fanOut(event);
    if (!metrics) return;
    metrics.delivered.inc(this.labels, this.subscribers.size);
    const eventTime = event.extensions?.[EVENT_TIME_EXTENSION];
    if (typeof eventTime === 'string') {
      const at = Date.parse(eventTime);
      if (!Number.isNaN(at)) metrics.latency.observe(this.labels, Math.max(0, Date.now() - at) / 1000);
    }
  }

  private async fanOut(event: ExecutionResult): Promise<void> {
    let result: SubscriptionResult;
    try {
      result = await this.owner.execute(this.plan, this.request, event);
    } catch (error) {
      this.owner.logError(error);
      result = { errors: [new GraphQLError('Could not resolve this event', { extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR } })] };
    }
    // One result for every client: nothing downstream mutates it (graphql-ws only serialises), so no copies.
    // The clients of this event are those subscribed now; one that leaves during the fan-out gets nothing more.
    if (this.subscribers.size <= FANOUT_CHUNK) {
      for (const subscriber of this.subscribers) subscriber.push(result);
      return;
    }
    const targets = [...this.subscribers];
    for (let i = 0; i < targets.length; i += 1) {
      targets[i].push(result);
      if (i % FANOUT_CHUNK === FANOUT_CHUNK - 1 && i < targets.length - 1) await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }

  private end(errors: readonly GraphQLError[] | null): void {
    this.leaveUpstream = null;
    for (const subscriber of [...this.subscribers]) {
      if (errors) subscriber.push({ errors });
      subscriber.stop();
    }
  }

  private close(): void {
    this.leaveUpstream?.();
    this.leaveUpstream = null;
    this.onEmpty();
  }
}

const DONE: IteratorResult<SubscriptionResult> = Object.freeze({ done: true, value: undefined }) as IteratorResult<SubscriptionResult>;

/**
 * One client's stream of results (what graphql-ws iterates): a bounded queue
 * that drops the oldest result when the client falls behind. It joins its
 * group when first read and leaves it when stopped (the group ended) or
 * returned (the client completed or went away); after stop() the queued
 * results are still read, then the stream is done. A class with no closures
 * and no promise per push, since there is one per subscriber and each event
 * is pushed to every one.
 */
class SubscriberStream implements AsyncIterableIterator<SubscriptionResult>, Subscriber {
  private queue: SubscriptionResult[] | null = null;
  /** The read waiting for a result, if any. */
  private waiting: ((step: IteratorResult<SubscriptionResult>) => void) | null = null;
  private state: 'new' | 'open' | 'stopped' | 'finished' = 'new';

  constructor(
    private readonly group: SubscriptionGroup,
    private readonly queueSize: number,
    private readonly dropped?: Counter,
  ) {}

  push(result: SubscriptionResult): void {
    if (this.state !== 'open') return;
    const waiting = this.waiting;
    if (waiting) {
      this.waiting = null;
      waiting({ done: false, value: result });
      return;
    }
    const queue = (this.queue ??= []);
    if (queue.length >= this.queueSize) {
      if (this.queueSize > 0) queue.shift();
      this.dropped?.inc();
    }
    if (this.queueSize > 0) queue.push(result);
  }

  stop(): void {
    if (this.state !== 'open') return;
    this.state = 'stopped';
    this.leave();
  }

  next(): Promise<IteratorResult<SubscriptionResult>> {
    if (this.state === 'new') {
      this.state = 'open';
      this.group.add(this);
    }
    const queue = this.queue;
    if (queue && queue.length > 0) return Promise.resolve({ done: false, value: queue.shift()! });
    if (this.state === 'stopped' || this.state === 'finished') {
      this.state = 'finished';
      return Promise.resolve(DONE);
    }
    if (this.waiting) return Promise.reject(new Error('next() called while a read is pending'));
    return new Promise((resolve) => (this.waiting = resolve));
  }

  return(): Promise<IteratorResult<SubscriptionResult>> {
    const wasOpen = this.state === 'open';
    this.state = 'finished';
    this.queue = null;
    if (wasOpen) this.leave();
    return Promise.resolve(DONE);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  private leave(): void {
    const waiting = this.waiting;
    this.waiting = null;
    if (waiting) {
      this.state = 'finished';
      waiting(DONE);
    }
    this.group.remove(this);
  }
}

/** What a client is told when its upstream refused or was lost for good. */
function upstreamErrors(error: unknown, serviceName: string): GraphQLError[] {
  if (Array.isArray(error) && error.length > 0) {
    return error.map(
      (e: GraphQLFormattedError) => new GraphQLError(e.message, { path: e.path, extensions: { ...e.extensions, serviceName } }),
    );
  }
  return [
    new GraphQLError(`The ${serviceName} service stopped serving this subscription; subscribe again`, {
      extensions: { code: ErrorCode.SUBSCRIPTION_UPSTREAM_LOST, serviceName },
    }),
  ];
}
