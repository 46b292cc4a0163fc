import { performance } from 'node:perf_hooks';

/**
 * In-flight deduplication of identical subgraph fetches (used by
 * SubgraphDataSource): while one HTTP call is under way, an identical fetch
 * waits for it instead of sending its own. Nothing outlives the call: its
 * entry goes when it settles, success or failure, so this is no cache.
 *
 * A flight lasts until its own timeout (the subgraph's, or less when its
 * leader's request deadline cut it). A fetch joins it only if the flight
 * lasts as long as the fetch may wait, or if the flight has the subgraph's
 * full timeout (then, should it time out, the subgraph did not answer within
 * its timeout, which is what SUBGRAPH_TIMEOUT says); otherwise the fetch leads
 * a flight of its own, which later fetches join. A waiter waits under its own
 * timeout (the data source runs the wait through the subgraph's breaker).
 */
export class InFlightFetches<T> {
  private readonly flights = new Map<string, Flight<T>>();

  /** Flights under way (for tests). */
  get size(): number {
    return this.flights.size;
  }

  /**
   * The flight under `key` that a fetch allowed to wait `timeoutMs` may join,
   * if there is one.
   */
  join(key: string, timeoutMs: number): Flight<T> | undefined {
    const flight = this.flights.get(key);
    if (!flight) return undefined;
    return flight.fullTimeout || flight.expiresAt >= performance.now() + timeoutMs ? flight : undefined;
  }

  /**
   * Runs `call` (which settles within `timeoutMs`) as the flight under `key`,
   * which identical fetches may join until it settles. `fullTimeout`: the
   * call has the subgraph's whole timeout (not cut by its request's deadline).
   */
  lead(key: string, timeoutMs: number, fullTimeout: boolean, call: () => Promise<T>): Promise<T> {
    const promise = call();
    const flight: Flight<T> = { promise, expiresAt: performance.now() + timeoutMs, fullTimeout };
    this.flights.set(key, flight);
    // Gone when it settles, unless a longer-lived flight has taken its place (then that one stays).
    const settled = () => {
      if (this.flights.get(key) === flight) this.flights.delete(key);
    };
    promise.then(settled, settled);
    return promise;
  }
}

export interface Flight<T> {
  readonly promise: Promise<T>;
  /** When it settles at the latest (performance.now() clock). */
  readonly expiresAt: number;
  readonly fullTimeout: boolean;
}

/**
 * JSON with every object's keys sorted, so values that differ only in key
 * order (`{"a":1,"b":2}`, `{"b":2,"a":1}`) give the same text; otherwise as
 * JSON.stringify (toJSON, undefined and functions left out of objects and
 * null in arrays, non-finite numbers null).
 */
export function canonicalJson(value: unknown): string {
  return canonical(value) ?? 'null';
}

function canonical(value: unknown): string | undefined {
  if (value !== null && typeof value === 'object' && typeof (value as { toJSON?: unknown }).toJSON === 'function') {
    value = (value as { toJSON: () => unknown }).toJSON();
  }
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map((item) => canonical(item) ?? 'null').join(',')}]`;
  const parts: string[] = [];
  for (const key of Object.keys(value).sort()) {
    const item = canonical((value as Record<string, unknown>)[key]);
    if (item !== undefined) parts.push(`${JSON.stringify(key)}:${item}`);
  }
  return `{${parts.join(',')}}`;
}
