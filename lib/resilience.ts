import { ConfigError, milliseconds, readEnv, wholeNumber } from './config';
import { SUBGRAPH_NAMES, type SubgraphName } from './subgraph-names';

/**
 * Settings of every call to a subgraph, from the gateway and between services:
 * how long one call may take, how long one gateway request may take in all,
 * and when a subgraph's circuit breaker opens (lib/circuit-breaker.ts).
 *
 * - `SUBGRAPH_TIMEOUT_MS` (5 s): one fetch of the gateway's query plan. A
 *   subgraph answers in milliseconds; one that has not answered after 5 s is
 *   stuck, and waiting longer only holds the client (and a socket) hostage.
 * - `SIBLING_TIMEOUT_MS` (2 s): one service-to-service call (a checkout step,
 *   cart's price and stock lookups). Shorter than the gateway's timeout, so a
 *   saga step that hangs fails inside the gateway's budget for the whole
 *   mutation: the saga answers with its own error (and compensates) instead
 *   of the gateway giving up on it half-way. Every step is idempotent and
 *   keyed by the order, so a retry or recovery finishes what a timeout cut.
 * - `<NAME>_TIMEOUT_MS` (e.g. `CATALOG_TIMEOUT_MS`): every call this process
 *   makes to that subgraph, gateway fetch or sibling call alike.
 * - `REQUEST_DEADLINE_MS` (10 s): a gateway request as a whole; a fetch never
 *   waits past it (a plan's fetches in sequence share it).
 * - a subgraph's breaker opens by either of two rules. The rate rule (for
 *   busy traffic): within `BREAKER_WINDOW_MS`, at least
 *   `BREAKER_VOLUME_THRESHOLD` calls were made and more than
 *   `BREAKER_ERROR_THRESHOLD_PERCENT` % of them failed or timed out. The
 *   consecutive rule (for any traffic): `BREAKER_CONSECUTIVE_FAILURES` calls
 *   in a row failed or timed out, with no success between them. Either way
 *   it then fails fast for `BREAKER_RESET_TIMEOUT_MS`, lets one probe through
 *   (half-open) and closes when that probe succeeds.
 *
 * Why two rules: the rate rule alone never opens for a quiet caller. One
 * client sending one request at a time to a hung subgraph makes a call per
 * timeout, so with the defaults (5 calls in 10 s, a 5 s timeout) the window
 * never holds 5 calls: it waited 5 s for every answer, forever. Hence
 * settings under which nothing but the rate rule could open a breaker, and
 * it never can, are refused at start (see `breakerProblems`).
 */
export interface BreakerSettings {
  /** Percentage (1-100) of failed calls in the window above which the breaker opens. */
  errorThresholdPercentage: number;
  /** Calls needed in the window before the breaker may open. */
  volumeThreshold: number;
  /** Time the breaker stays open before it lets a probe through. */
  resetTimeoutMs: number;
  /** The rolling window the failures are counted in. */
  windowMs: number;
  /**
   * Failed or timed-out calls in a row (no success between them) that open
   * the breaker whatever the rate; 0: off, only the rate rule opens it.
   */
  consecutiveFailures: number;
}

export interface ResilienceConfig {
  /** Timeout of one gateway fetch (SUBGRAPH_TIMEOUT_MS). */
  subgraphTimeoutMs: number;
  /** Timeout of one service-to-service call (SIBLING_TIMEOUT_MS). */
  siblingTimeoutMs: number;
  /** `<NAME>_TIMEOUT_MS` where set: every call to that subgraph, from the gateway or a sibling. */
  timeoutOverridesMs: Partial<Record<SubgraphName, number>>;
  /** Time one gateway request may take in all; no fetch waits past it. */
  requestDeadlineMs: number;
  breaker: BreakerSettings;
}

export const DEFAULT_SUBGRAPH_TIMEOUT_MS = 5_000;
export const DEFAULT_SIBLING_TIMEOUT_MS = 2_000;
export const DEFAULT_REQUEST_DEADLINE_MS = 10_000;

const percentage = wholeNumber('percent', 1, 100);

const timeoutOverride = (name: SubgraphName) =>
  milliseconds({ default: undefined, desc: `timeout of every call to ${name} (gateway fetches and sibling calls); SUBGRAPH_TIMEOUT_MS / SIBLING_TIMEOUT_MS when unset` });

export const resilienceEnv = {
  SUBGRAPH_TIMEOUT_MS: milliseconds({ default: DEFAULT_SUBGRAPH_TIMEOUT_MS, desc: 'timeout of one fetch from the gateway to a subgraph' }),
  SIBLING_TIMEOUT_MS: milliseconds({ default: DEFAULT_SIBLING_TIMEOUT_MS, desc: 'timeout of one service-to-service call (checkout steps, price lookups)' }),
  USERS_TIMEOUT_MS: timeoutOverride('users'),
  CATALOG_TIMEOUT_MS: timeoutOverride('catalog'),
  INVENTORY_TIMEOUT_MS: timeoutOverride('inventory'),
  CART_TIMEOUT_MS: timeoutOverride('cart'),
  ORDERS_TIMEOUT_MS: timeoutOverride('orders'),
  REQUEST_DEADLINE_MS: milliseconds({ default: DEFAULT_REQUEST_DEADLINE_MS, desc: 'time one gateway request may take in all; no fetch waits past it' }),
  BREAKER_ERROR_THRESHOLD_PERCENT: percentage({ default: 50, desc: 'failed calls (percent) in the window above which a subgraph breaker opens' }),
  BREAKER_VOLUME_THRESHOLD: wholeNumber('calls')({ default: 5, desc: 'calls in the window before a breaker may open' }),
  BREAKER_RESET_TIMEOUT_MS: milliseconds({ default: 5_000, desc: 'time an open breaker fails fast before it lets one probe through' }),
  BREAKER_WINDOW_MS: milliseconds({ default: 10_000, desc: 'rolling window in which a breaker counts calls and failures' }),
  /**
   * Failures in a row that open a breaker at any request rate (0: off). Off
   * is accepted only when the rate rule can open a breaker for one client
   * sending one request at a time to a hung subgraph, i.e. refused at start
   * (one line) when it is 0 and either
   * - BREAKER_ERROR_THRESHOLD_PERCENT is 100: opossum opens when the failed
   *   share is *above* the percentage (`errorRate > errorThresholdPercentage`),
   *   and at most 100 % of calls fail (more only by an artefact of its
   *   buckets: calls started before the window failing in it); or
   * - BREAKER_WINDOW_MS <= BREAKER_VOLUME_THRESHOLD x the longest call timeout
   *   of the process: the gateway's largest of SUBGRAPH_TIMEOUT_MS and the
   *   `<NAME>_TIMEOUT_MS` set, capped by REQUEST_DEADLINE_MS; a subgraph's
   *   largest of SIBLING_TIMEOUT_MS and those. Such a client's V calls to a
   *   hung subgraph span at least V x timeout from the first call's start
   *   to the last one's failure, and opossum's window (10 buckets of W/10)
   *   holds less than W of history, so the first call has left it before
   *   the last one fails. (A window just above V x timeout opens only when
   *   its buckets happen to line up; above V x timeout / 0.9 always.)
   */
  BREAKER_CONSECUTIVE_FAILURES: wholeNumber('failures', 0)({ default: 5, desc: 'failed or timed-out calls to a subgraph in a row that open its breaker at any request rate; 0: off' }),
};

/** The cleaned values of `resilienceEnv` (as `readEnv` returns them). */
export interface ResilienceValues {
  SUBGRAPH_TIMEOUT_MS: number;
  SIBLING_TIMEOUT_MS: number;
  USERS_TIMEOUT_MS?: number;
  CATALOG_TIMEOUT_MS?: number;
  INVENTORY_TIMEOUT_MS?: number;
  CART_TIMEOUT_MS?: number;
  ORDERS_TIMEOUT_MS?: number;
  REQUEST_DEADLINE_MS: number;
  BREAKER_ERROR_THRESHOLD_PERCENT: number;
  BREAKER_VOLUME_THRESHOLD: number;
  BREAKER_RESET_TIMEOUT_MS: number;
  BREAKER_WINDOW_MS: number;
  BREAKER_CONSECUTIVE_FAILURES: number;
}

/** Which calls a process makes: the gateway's fetches, or a service's calls to its siblings (their timeouts differ). */
export type SubgraphCaller = 'gateway' | 'sibling';

/**
 * The settings from cleaned values, for a process making `caller`'s calls;
 * a ConfigError (one line per problem) when no breaker could open under
 * them for a one-request-at-a-time client (`breakerProblems`).
 */
export function resilienceConfig(values: ResilienceValues, caller: SubgraphCaller): ResilienceConfig {
  const timeoutOverridesMs: Partial<Record<SubgraphName, number>> = {};
  for (const name of SUBGRAPH_NAMES) {
    const override = values[`${name.toUpperCase()}_TIMEOUT_MS` as keyof ResilienceValues];
    if (override !== undefined) timeoutOverridesMs[name] = override;
  }
  const config: ResilienceConfig = {
    subgraphTimeoutMs: values.SUBGRAPH_TIMEOUT_MS,
    siblingTimeoutMs: values.SIBLING_TIMEOUT_MS,
    timeoutOverridesMs,
    requestDeadlineMs: values.REQUEST_DEADLINE_MS,
    breaker: {
      errorThresholdPercentage: values.BREAKER_ERROR_THRESHOLD_PERCENT,
      volumeThreshold: values.BREAKER_VOLUME_THRESHOLD,
      resetTimeoutMs: values.BREAKER_RESET_TIMEOUT_MS,
      windowMs: values.BREAKER_WINDOW_MS,
      consecutiveFailures: values.BREAKER_CONSECUTIVE_FAILURES,
    },
  };
  const problems = breakerProblems(config, caller);
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

/**
 * The longest a call of this process may wait, and the setting that says so:
 * the timeouts it uses (SUBGRAPH_TIMEOUT_MS for the gateway, SIBLING_TIMEOUT_MS
 * for a service, and every `<NAME>_TIMEOUT_MS` set); a gateway fetch never
 * waits past REQUEST_DEADLINE_MS either.
 */
export function longestCallTimeout(config: ResilienceConfig, caller: SubgraphCaller): { ms: number; setting: string } {
  let longest =
    caller === 'gateway' ? { ms: config.subgraphTimeoutMs, setting: 'SUBGRAPH_TIMEOUT_MS' } : { ms: config.siblingTimeoutMs, setting: 'SIBLING_TIMEOUT_MS' };
  for (const name of SUBGRAPH_NAMES) {
    const override = config.timeoutOverridesMs[name];
    if (override !== undefined && override > longest.ms) longest = { ms: override, setting: `${name.toUpperCase()}_TIMEOUT_MS` };
  }
  if (caller === 'gateway' && config.requestDeadlineMs < longest.ms) longest = { ms: config.requestDeadlineMs, setting: 'REQUEST_DEADLINE_MS' };
  return longest;
}

/**
 * Why no subgraph breaker of this process could ever open for one client
 * sending one request at a time to a hung subgraph, one line per reason
 * (none when it can); the rule is in BREAKER_CONSECUTIVE_FAILURES's comment.
 * With the consecutive rule on, any caller opens it.
 */
export function breakerProblems(config: ResilienceConfig, caller: SubgraphCaller): string[] {
  const { breaker } = config;
  if (breaker.consecutiveFailures > 0) return [];
  const problems: string[] = [];
  const off = 'BREAKER_CONSECUTIVE_FAILURES: 0 (off) leaves only the rate rule to open a breaker';
  if (breaker.errorThresholdPercentage >= 100) {
    problems.push(
      `${off}, and with BREAKER_ERROR_THRESHOLD_PERCENT at 100 it never opens (the failed share must be above it): set BREAKER_CONSECUTIVE_FAILURES to 1 or more, or BREAKER_ERROR_THRESHOLD_PERCENT below 100`,
    );
  }
  const longest = longestCallTimeout(config, caller);
  const span = breaker.volumeThreshold * longest.ms;
  if (breaker.windowMs <= span) {
    problems.push(
      `${off}, which never opens for a client sending one request at a time: BREAKER_WINDOW_MS (${breaker.windowMs}) must be longer than ` +
        `BREAKER_VOLUME_THRESHOLD (${breaker.volumeThreshold}) x the longest call timeout (${longest.ms} ms, ${longest.setting}) = ${span} ms: ` +
        `set BREAKER_CONSECUTIVE_FAILURES to 1 or more, or BREAKER_WINDOW_MS above ${span}`,
    );
  }
  return problems;
}

/** Timeout of one gateway fetch from `subgraph`. */
export function gatewayTimeoutMs(config: ResilienceConfig, subgraph: string): number {
  return config.timeoutOverridesMs[subgraph as SubgraphName] ?? config.subgraphTimeoutMs;
}

/** Timeout of one service-to-service call to `subgraph`. */
export function siblingTimeoutMs(config: ResilienceConfig, subgraph: string): number {
  return config.timeoutOverridesMs[subgraph as SubgraphName] ?? config.siblingTimeoutMs;
}

/** The settings from an environment alone, for `caller`'s calls (a service's sibling calls unless said); every problem at once, one line each. */
export function readResilienceConfig(env: NodeJS.ProcessEnv = process.env, caller: SubgraphCaller = 'sibling'): ResilienceConfig {
  return resilienceConfig(readEnv(resilienceEnv, env), caller);
}

/** The defaults, for callers that were given no settings. */
export function defaultResilienceConfig(): ResilienceConfig {
  return readResilienceConfig({});
}
