import { GraphQLError } from 'graphql';
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

const STATES: readonly BreakerState[] = ['closed', 'open', 'half-open'];

/**
 * One circuit breaker per subgraph (opossum), shared by everything in a
 * process that calls that subgraph: the gateway's data sources, or a
 * service's sibling clients. `call` runs one call under the service's timeout
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
  private readonly breakers = new Map<string, CircuitBreaker<[Run], unknown>>();
  private readonly metrics?: ReturnType<typeof breakerMetrics>;
  private readonly callerLabel: { caller?: string };

  constructor(private readonly options: CircuitBreakersOptions) {
    this.callerLabel = options.caller === undefined ? {} : { caller: options.caller };
    if (options.registry) this.metrics = breakerMetrics(options.registry, options.caller !== undefined);
    for (const service of options.services ?? []) this.breakerFor(service);
  }

  /** Every breaker's state, by service. */
  states(): Record<string, BreakerState> {
    return Object.fromEntries([...this.breakers].map(([service, breaker]) => [service, stateOf(breaker)]));
  }

  state(service: string): BreakerState {
    return stateOf(this.breakerFor(service));
  }

  /**
   * Runs `action` (one call to `service`) with a timeout of `timeoutMs`
   * (the action gets a signal that aborts then, and the call settles then
   * even if the action ignores it) under the service's breaker. Rejects with
   * a SubgraphCallError when there is no answer; an action's own
   * SubgraphCallError (a 5xx it saw, say) passes through as the failure.
   */
  async call<T>(service: string, timeoutMs: number, action: (signal: AbortSignal) => Promise<T>): Promise<T> {
    if (timeoutMs <= 0) {
      this.metrics?.failures.inc({ ...this.callerLabel, subgraph: service, reason: 'deadline' });
      throw new SubgraphCallError(service, 'deadline');
    }
    const breaker = this.breakerFor(service);
    try {
      return (await breaker.fire(() => withTimeout(service, timeoutMs, action))) as T;
    } catch (error) {
      const failure =
        error instanceof SubgraphCallError
          ? error
          : CircuitBreaker.isOurError(error as Error)
            ? new SubgraphCallError(service, 'circuit-open')
            : new SubgraphCallError(service, 'unreachable', { detail: error });
      this.metrics?.failures.inc({ ...this.callerLabel, subgraph: service, reason: failure.reason });
      throw failure;
    }
  }

  /** Stops the breakers' timers. */
  shutdown(): void {
    for (const breaker of this.breakers.values()) breaker.shutdown();
  }

  private breakerFor(service: string): CircuitBreaker<[Run], unknown> {
    const existing = this.breakers.get(service);
    if (existing) return existing;
    const { settings } = this.options;
    const breaker = new CircuitBreaker<[Run], unknown>((run) => run(), {
      name: service,
      timeout: false, // each call has its own timeout (withTimeout), which aborts the request
      errorThresholdPercentage: settings.errorThresholdPercentage,
      volumeThreshold: settings.volumeThreshold,
      resetTimeout: settings.resetTimeoutMs,
      rollingCountTimeout: settings.windowMs,
      rollingCountBuckets: 10,
      rollingPercentilesEnabled: false,
      enableSnapshots: false,
    });
    this.breakers.set(service, breaker);
    let current: BreakerState = 'closed';
    // Which rule opened it, for the log line (set just before our own open()).
    let openedBy: 'error-rate' | 'consecutive-failures' = 'error-rate';
    const changeTo = (next: BreakerState) => {
      const previous = current;
      current = next;
      this.publish(service, next);
      this.metrics?.transitions.inc({ ...this.callerLabel, subgraph: service, state: next });
      const facts = { subgraph: service, from: previous, to: next };
      if (next === 'open') {
        // A failed half-open probe reopens it whichever rule opened it first.
        const rule = previous === 'half-open' ? 'failed-probe' : openedBy;
        openedBy = 'error-rate';
        this.options.logger?.warn(
          { ...facts, rule, resetTimeoutMs: settings.resetTimeoutMs },
          `circuit breaker of ${service} opened: calls fail fast for ${settings.resetTimeoutMs} ms`,
        );
      } else if (next === 'half-open') {
        this.options.logger?.info(facts, `circuit breaker of ${service} half-open: one probe call goes through`);
      } else {
        this.options.logger?.info(facts, `circuit breaker of ${service} closed: calls go through again`);
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
    this.publish(service, 'closed');
    return breaker;
  }

  private publish(service: string, state: BreakerState): void {
    for (const candidate of STATES) this.metrics?.state.set({ ...this.callerLabel, subgraph: service, state: candidate }, candidate === state ? 1 : 0);
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

type BreakerLabel = 'caller' | 'subgraph' | 'state' | 'reason';

function breakerMetrics(registry: Registry, withCaller: boolean) {
  const existing = <M>(name: string) => registry.getSingleMetric(name) as M | undefined;
  const labels = (...names: BreakerLabel[]) => (withCaller ? ['caller' as const, ...names] : names);
  return {
    state:
      existing<Gauge<BreakerLabel>>('subgraph_circuit_breaker_state') ??
      new Gauge<BreakerLabel>({
        name: 'subgraph_circuit_breaker_state',
        help: 'Circuit breaker of each subgraph: 1 for its current state (closed, open, half-open), 0 for the others',
        labelNames: labels('subgraph', 'state'),
        registers: [registry],
      }),
    transitions:
      existing<Counter<BreakerLabel>>('subgraph_circuit_breaker_transitions_total') ??
      new Counter<BreakerLabel>({
        name: 'subgraph_circuit_breaker_transitions_total',
        help: 'State changes of the circuit breaker of each subgraph, by the state entered',
        labelNames: labels('subgraph', 'state'),
        registers: [registry],
      }),
    failures:
      existing<Counter<BreakerLabel>>('subgraph_call_failures_total') ??
      new Counter<BreakerLabel>({
        name: 'subgraph_call_failures_total',
        help: 'Calls to a subgraph without an answer, by reason (timeout, deadline, unreachable, circuit-open)',
        labelNames: labels('subgraph', 'reason'),
        registers: [registry],
      }),
  };
}
