import { GraphQLError, Kind, OperationTypeNode, parse, type DocumentNode } from 'graphql';
import CircuitBreaker from 'opossum';
import { Counter, Gauge, type Registry } from 'prom-client';
import { ErrorCode } from './errors';
import type { Logger } from './logger';
import type { BreakerSettings } from './resilience';

export type BreakerState = 'closed' | 'open' | 'half-open';

/**
 * Why a call to a subgraph got no answer: `timeout` (no answer within the
 * call's timeout), `deadline` (the request's deadline had passed before the
 * call), `unreachable` (connection refused or reset, or a 5xx / non-GraphQL
 * answer), `circuit-open` (the breaker failed it fast, nothing was sent).
 */
export type SubgraphFailureReason = 'timeout' | 'deadline' | 'unreachable' | 'circuit-open';

/**
 * A call to a subgraph that got no answer, as a contract error: code
 * SUBGRAPH_TIMEOUT or SUBGRAPH_UNAVAILABLE and the callee's `serviceName`.
 * The message names the service, never its URL; the low-level cause (which
 * may) is kept for logs only.
 */
export class SubgraphCallError extends GraphQLError {
  readonly serviceName: string;
  readonly reason: SubgraphFailureReason;
  readonly code: ErrorCode;
  /** What the transport said (connection refused, HTTP 502 ...): for logs, not for clients. */
  readonly detail?: unknown;

  constructor(serviceName: string, reason: SubgraphFailureReason, options: { timeoutMs?: number; detail?: unknown } = {}) {
    const code = reason === 'timeout' || reason === 'deadline' ? ErrorCode.SUBGRAPH_TIMEOUT : ErrorCode.SUBGRAPH_UNAVAILABLE;
    super(failureMessage(serviceName, reason, options.timeoutMs), { extensions: { code, serviceName } });
    this.name = 'SubgraphCallError';
    this.serviceName = serviceName;
    this.reason = reason;
    this.code = code;
    this.detail = options.detail;
  }
}

function failureMessage(serviceName: string, reason: SubgraphFailureReason, timeoutMs?: number): string {
  switch (reason) {
    case 'timeout':
      return `The ${serviceName} service did not answer within ${timeoutMs} ms`;
    case 'deadline':
      return `The request's deadline passed before the ${serviceName} service could be asked`;
    case 'circuit-open':
      return `The ${serviceName} service is unavailable (failing fast while its circuit breaker is open)`;
    case 'unreachable':
      return `The ${serviceName} service is unavailable`;
  }
}

export interface CircuitBreakersOptions {
  settings: BreakerSettings;
  /** Services whose breakers exist from the start (so their state shows before any call). */
  services?: readonly string[];
  /** Every state change is logged here. */
  logger?: Logger;
  /** Where the breaker metrics are registered (none without). */
  registry?: Registry;
  /**
   * Who calls, as a `caller` label on the metrics: for a registry several
   * callers share (the subgraphs of one process); absent on the gateway's own.
   */
  caller?: string;
}

type Run = () => Promise<unknown>;

/** The scope of every query (and entity) fetch of a subgraph: its breaker is the subgraph's. */
export const QUERIES_SCOPE = 'queries';

/**
 * Which breaker (and, at the gateway, which connection pool) a call to a
 * subgraph belongs to: every query shares the subgraph's `queries` breaker;
 * a mutation has one of its own per root field set (`mutation checkout`), so
 * one operation's trouble (checkout under a flash sale) never fails fast the
 * subgraph's queries or its other mutations.
 */
export function breakerScopeOf(document: DocumentNode): string {
  const operations = document.definitions.filter((definition) => definition.kind === Kind.OPERATION_DEFINITION);
  if (operations.length !== 1 || operations[0].operation !== OperationTypeNode.MUTATION) return QUERIES_SCOPE;
  const fields = new Set<string>();
  for (const selection of operations[0].selectionSet.selections) if (selection.kind === Kind.FIELD) fields.add(selection.name.value);
  return fields.size === 0 ? QUERIES_SCOPE : `mutation ${[...fields].sort().join(' ')}`;
}

/** breakerScopeOf for a document's text (the sibling clients' fixed operations), parsed once per text. */
const scopesOfText = new Map<string, string>();
export function breakerScopeOfText(query: string): string {
  let scope = scopesOfText.get(query);
  if (scope === undefined) {
    try {
      scope = breakerScopeOf(parse(query, { noLocation: true }));
    } catch {
      scope = QUERIES_SCOPE;
    }
    // The texts are the callers' constants: a bound only guards against a caller that builds them.
    if (scopesOfText.size < 1_000) scopesOfText.set(query, scope);
  }
  return scope;
}

const STATES: readonly BreakerState[] = ['closed', 'open', 'half-open'];

/**
 * Circuit breakers (opossum) per subgraph and scope, shared by everything in
 * a process that calls that subgraph: the gateway's data sources, or a
 * service's sibling clients. A subgraph's queries share one breaker; each
 * mutation has its own (breakerScopeOf), so a crowd of slow checkouts cannot
 * fail fast the subgraph's queries or its other mutations. `call` runs one call under the service's timeout
 * and breaker: a timeout or a transport failure counts as a failure; after
 * enough of them (BreakerSettings) the breaker opens and calls fail at once
 * with SUBGRAPH_UNAVAILABLE without being sent; after the reset timeout one
 * probe goes through (half-open) and its success closes the breaker.
 * Answers the callee gave (GraphQL errors included) are successes: whether
 * it is up is all a breaker judges.
 *
 * "Enough" is either of two rules: opossum's own rate rule (a share of the
 * calls in a rolling window, for busy traffic), or `consecutiveFailures` in a
 * row, which opossum lacks and which alone opens for a quiet caller (one
 * request at a time to a hung subgraph never fills the window: see
 * lib/resilience.ts).
 */
export class CircuitBreakers {
  /** By `service` for the queries scope, `service scope` for the others. */
  private readonly breakers = new Map<string, CircuitBreaker<[Run], unknown>>();
  /** When each service last answered a call (any scope): a service that answers others is alive, however slow one call is. */
  private readonly lastAnswerAt = new Map<string, number>();
  /** Timeouts of calls during which their service answered others: not counted against its breaker. */
  private readonly slowButAlive = new WeakSet<object>();
  private readonly metrics?: ReturnType<typeof breakerMetrics>;
  private readonly callerLabel: { caller?: string };

  constructor(private readonly options: CircuitBreakersOptions) {
    this.callerLabel = options.caller === undefined ? {} : { caller: options.caller };
    if (options.registry) this.metrics = breakerMetrics(options.registry, options.caller !== undefined);
    for (const service of options.services ?? []) this.breakerFor(service);
  }

  /** Every breaker's state: by service for its queries, `service scope` for a mutation's. */
  states(): Record<string, BreakerState> {
    return Object.fromEntries([...this.breakers].map(([key, breaker]) => [key, stateOf(breaker)]));
  }

  state(service: string, scope: string = QUERIES_SCOPE): BreakerState {
    return stateOf(this.breakerFor(service, scope));
  }

  /**
   * Runs `action` (one call to `service`) with a timeout of `timeoutMs`
   * (the action gets a signal that aborts then, and the call settles then
   * even if the action ignores it) under the service's breaker. Rejects with
   * a SubgraphCallError when there is no answer; an action's own
   * SubgraphCallError (a 5xx it saw, say) passes through as the failure.
   * `scope` picks the breaker (breakerScopeOf). A call that times out while
   * its service answered other calls is slow, not down: it fails, but does
   * not count against the breaker (opossum's errorFilter).
   */
  async call<T>(service: string, timeoutMs: number, action: (signal: AbortSignal) => Promise<T>, scope: string = QUERIES_SCOPE): Promise<T> {
    if (timeoutMs <= 0) {
      this.metrics?.failures.inc({ ...this.callerLabel, subgraph: service, scope, reason: 'deadline' });
      throw new SubgraphCallError(service, 'deadline');
    }
    const breaker = this.breakerFor(service, scope);
    const startedAt = Date.now();
    try {
      return (await breaker.fire(async () => {
        try {
          const answer = await withTimeout(service, timeoutMs, action);
          this.lastAnswerAt.set(service, Date.now());
          return answer;
        } catch (error) {
          if (error instanceof SubgraphCallError && error.reason === 'timeout' && (this.lastAnswerAt.get(service) ?? 0) > startedAt) this.slowButAlive.add(error);
          throw error;
        }
      })) as T;
    } catch (error) {
      const failure =
        error instanceof SubgraphCallError
          ? error
          : CircuitBreaker.isOurError(error as Error)
            ? new SubgraphCallError(service, 'circuit-open')
            : new SubgraphCallError(service, 'unreachable', { detail: error });
      this.metrics?.failures.inc({ ...this.callerLabel, subgraph: service, scope, reason: failure.reason });
      throw failure;
    }
  }

  /** Stops the breakers' timers. */
  shutdown(): void {
    for (const breaker of this.breakers.values()) breaker.shutdown();
  }

  private breakerFor(service: string, scope: string = QUERIES_SCOPE): CircuitBreaker<[Run], unknown> {
    const key = scope === QUERIES_SCOPE ? service : `${service} ${scope}`;
    const existing = this.breakers.get(key);
    if (existing) return existing;
    const { settings } = this.options;
    const name = key;
    const breaker = new CircuitBreaker<[Run], unknown>((run) => run(), {
      name,
      // Slow but alive (see call): failed for the caller, not for the breaker.
      errorFilter: (error: unknown) => typeof error === 'object' && error !== null && this.slowButAlive.has(error),
      timeout: false, // each call has its own timeout (withTimeout), which aborts the request
      errorThresholdPercentage: settings.errorThresholdPercentage,
      volumeThreshold: settings.volumeThreshold,
      resetTimeout: settings.resetTimeoutMs,
      rollingCountTimeout: settings.windowMs,
      rollingCountBuckets: 10,
      rollingPercentilesEnabled: false,
      enableSnapshots: false,
    });
    this.breakers.set(key, breaker);
    const labels = { subgraph: service, scope };
    let current: BreakerState = 'closed';
    // Which rule opened it, for the log line (set just before our own open()).
    let openedBy: 'error-rate' | 'consecutive-failures' = 'error-rate';
    const changeTo = (next: BreakerState) => {
      const previous = current;
      current = next;
      this.publish(labels, next);
      this.metrics?.transitions.inc({ ...this.callerLabel, ...labels, state: next });
      const facts = { ...labels, from: previous, to: next };
      if (next === 'open') {
        // A failed half-open probe reopens it whichever rule opened it first.
        const rule = previous === 'half-open' ? 'failed-probe' : openedBy;
        openedBy = 'error-rate';
        this.options.logger?.warn(
          { ...facts, rule, resetTimeoutMs: settings.resetTimeoutMs },
          `circuit breaker of ${name} opened: calls fail fast for ${settings.resetTimeoutMs} ms`,
        );
      } else if (next === 'half-open') {
        this.options.logger?.info(facts, `circuit breaker of ${name} half-open: one probe call goes through`);
      } else {
        this.options.logger?.info(facts, `circuit breaker of ${name} closed: calls go through again`);
      }
    };
    breaker.on('open', () => changeTo('open'));
    breaker.on('halfOpen', () => changeTo('half-open'));
    breaker.on('close', () => changeTo('closed'));

    // The consecutive rule, on opossum's own events so it counts exactly what its rate rule
    // counts: 'failure' is a call that failed or timed out (withTimeout rejects), 'success' one
    // that got an answer (GraphQL errors included). Calls refused while open emit 'reject', and
    // calls past the request's deadline never reach the breaker (call()), so neither counts.
    //
    // In a row means one after another: a failure counts only when its call started after the
    // last counted failure had ended. Calls that were in flight together and fail together (a burst
    // of slow calls timing out at once) are one failure here, so a handful of slow requests cannot
    // close a busy subgraph to everyone; busy traffic is the rate rule's to judge.
    let failuresInARow = 0;
    let lastCountedFailureEnd = Number.NEGATIVE_INFINITY;
    const resetCount = () => {
      failuresInARow = 0;
      lastCountedFailureEnd = Number.NEGATIVE_INFINITY;
    };
    breaker.on('success', resetCount);
    breaker.on('close', resetCount);
    if (settings.consecutiveFailures > 0) {
      breaker.on('failure', (_error: unknown, latencyMs: number) => {
        const now = Date.now();
        if (now - (latencyMs ?? 0) < lastCountedFailureEnd) return;
        lastCountedFailureEnd = now;
        failuresInARow += 1;
        // Only a closed breaker needs opening: half-open, opossum reopens it on any failure itself.
        if (failuresInARow < settings.consecutiveFailures || !breaker.closed) return;
        openedBy = 'consecutive-failures';
        // opossum's open() emits 'open', which starts its reset timer (half-open after
        // resetTimeout, then one probe) and our logs and metrics, as when its rate rule opens it.
        // This listener runs inside opossum's fail(), before its rate check, whose own open()
        // is then a no-op on an open breaker.
        breaker.open();
      });
    }
    this.publish(labels, 'closed');
    return breaker;
  }

  private publish(labels: { subgraph: string; scope: string }, state: BreakerState): void {
    for (const candidate of STATES) this.metrics?.state.set({ ...this.callerLabel, ...labels, state: candidate }, candidate === state ? 1 : 0);
  }
}

function stateOf(breaker: CircuitBreaker<[Run], unknown>): BreakerState {
  if (breaker.opened) return 'open';
  if (breaker.halfOpen) return 'half-open';
  return 'closed';
}

/** The action, settled after `timeoutMs` at the latest (its signal aborted then) with SUBGRAPH_TIMEOUT. */
async function withTimeout<T>(service: string, timeoutMs: number, action: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const error = new SubgraphCallError(service, 'timeout', { timeoutMs });
      controller.abort(error);
      reject(error);
    }, timeoutMs);
  });
  try {
    return await Promise.race([
      action(controller.signal).catch((error: unknown) => {
        // An abort surfaces as the action's own error; report it as the timeout it is.
        if (controller.signal.aborted) throw controller.signal.reason;
        if (error instanceof SubgraphCallError) throw error;
        throw new SubgraphCallError(service, 'unreachable', { detail: error });
      }),
      timedOut,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

type BreakerLabel = 'caller' | 'subgraph' | 'scope' | 'state' | 'reason';

function breakerMetrics(registry: Registry, withCaller: boolean) {
  const existing = <M>(name: string) => registry.getSingleMetric(name) as M | undefined;
  const labels = (...names: BreakerLabel[]) => (withCaller ? ['caller' as const, ...names] : names);
  return {
    state:
      existing<Gauge<BreakerLabel>>('subgraph_circuit_breaker_state') ??
      new Gauge<BreakerLabel>({
        name: 'subgraph_circuit_breaker_state',
        help: 'Circuit breaker of each subgraph and scope (queries, or one mutation): 1 for its current state (closed, open, half-open), 0 for the others',
        labelNames: labels('subgraph', 'scope', 'state'),
        registers: [registry],
      }),
    transitions:
      existing<Counter<BreakerLabel>>('subgraph_circuit_breaker_transitions_total') ??
      new Counter<BreakerLabel>({
        name: 'subgraph_circuit_breaker_transitions_total',
        help: 'State changes of the circuit breaker of each subgraph, by the state entered',
        labelNames: labels('subgraph', 'scope', 'state'),
        registers: [registry],
      }),
    failures:
      existing<Counter<BreakerLabel>>('subgraph_call_failures_total') ??
      new Counter<BreakerLabel>({
        name: 'subgraph_call_failures_total',
        help: 'Calls to a subgraph without an answer, by reason (timeout, deadline, unreachable, circuit-open)',
        labelNames: labels('subgraph', 'scope', 'reason'),
        registers: [registry],
      }),
  };
}
