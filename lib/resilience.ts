import { milliseconds, readEnv, wholeNumber } from './config';
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
 * - the breaker opens when, within `BREAKER_WINDOW_MS`, at least
 *   `BREAKER_VOLUME_THRESHOLD` calls were made and more than
 *   `BREAKER_ERROR_THRESHOLD_PERCENT` % of them failed or timed out; it then
 *   fails fast for `BREAKER_RESET_TIMEOUT_MS`, lets one probe through
 *   (half-open) and closes when that probe succeeds.
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
}

export function resilienceConfig(values: ResilienceValues): ResilienceConfig {
  const timeoutOverridesMs: Partial<Record<SubgraphName, number>> = {};
  for (const name of SUBGRAPH_NAMES) {
    const override = values[`${name.toUpperCase()}_TIMEOUT_MS` as keyof ResilienceValues];
    if (override !== undefined) timeoutOverridesMs[name] = override;
  }
  return {
    subgraphTimeoutMs: values.SUBGRAPH_TIMEOUT_MS,
    siblingTimeoutMs: values.SIBLING_TIMEOUT_MS,
    timeoutOverridesMs,
    requestDeadlineMs: values.REQUEST_DEADLINE_MS,
    breaker: {
      errorThresholdPercentage: values.BREAKER_ERROR_THRESHOLD_PERCENT,
      volumeThreshold: values.BREAKER_VOLUME_THRESHOLD,
      resetTimeoutMs: values.BREAKER_RESET_TIMEOUT_MS,
      windowMs: values.BREAKER_WINDOW_MS,
    },
  };
}

/** Timeout of one gateway fetch from `subgraph`. */
export function gatewayTimeoutMs(config: ResilienceConfig, subgraph: string): number {
  return config.timeoutOverridesMs[subgraph as SubgraphName] ?? config.subgraphTimeoutMs;
}

/** Timeout of one service-to-service call to `subgraph`. */
export function siblingTimeoutMs(config: ResilienceConfig, subgraph: string): number {
  return config.timeoutOverridesMs[subgraph as SubgraphName] ?? config.siblingTimeoutMs;
}

/** The settings from an environment alone (every problem reported at once, one line each). */
export function readResilienceConfig(env: NodeJS.ProcessEnv = process.env): ResilienceConfig {
  return resilienceConfig(readEnv(resilienceEnv, env));
}

/** The defaults, for callers that were given no settings. */
export function defaultResilienceConfig(): ResilienceConfig {
  return readResilienceConfig({});
}
