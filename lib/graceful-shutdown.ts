import type { Server } from 'node:http';
import type { RequestHandler } from 'express';
import { wholeNumber } from './config';
import type { Logger } from './logger';

/**
 * Zero-downtime shutdown for every HTTP process (gateway and subgraphs), in
 * the order a load balancer needs:
 * 1. draining starts: readiness answers 503, so the balancer stops sending
 *    new work; every response now carries `Connection: close`, so clients
 *    move their keep-alive connections elsewhere after their current request
 *    instead of racing a close on an idle socket;
 * 2. for SHUTDOWN_DELAY_MS the process still accepts and serves everything
 *    (the balancer needs a moment to notice);
 * 3. it stops accepting connections, finishes what it has accepted (open
 *    subscriptions are completed by the caller), and closes idle sockets;
 * 4. whatever is still open after SHUTDOWN_GRACE_MS is cut, and the caller
 *    closes its pools. A deployment's termination grace period must exceed
 *    delay + grace.
 */
export interface ShutdownSettings {
  delayMs: number;
  graceMs: number;
}

export const shutdownEnv = {
  SHUTDOWN_DELAY_MS: wholeNumber('milliseconds', 0)({
    default: 5_000,
    devDefault: 0,
    desc: 'after SIGTERM, how long the process keeps accepting work while readiness reports 503 (for the load balancer to notice)',
  }),
  SHUTDOWN_GRACE_MS: wholeNumber('milliseconds')({ default: 25_000, desc: 'after the delay, how long in-flight requests may take before connections are cut' }),
};

export function shutdownSettings(values: { SHUTDOWN_DELAY_MS: number; SHUTDOWN_GRACE_MS: number }): ShutdownSettings {
  return { delayMs: values.SHUTDOWN_DELAY_MS, graceMs: values.SHUTDOWN_GRACE_MS };
}

export const DEFAULT_SHUTDOWN: ShutdownSettings = { delayMs: 0, graceMs: 25_000 };

/** Whether a process is draining, shared by its readiness check and its connection handling. */
export class DrainState {
  private drainingSince: number | undefined;

  get draining(): boolean {
    return this.drainingSince !== undefined;
  }

  begin(): void {
    this.drainingSince ??= Date.now();
  }

  /** First middleware of an app: once draining, every response closes its connection. */
  readonly closeConnectionsWhenDraining: RequestHandler = (_req, res, next) => {
    if (this.draining) res.setHeader('connection', 'close');
    next();
  };
}

/**
 * Whether this process is stopping on a signal (set by stopOnSignals in
 * lib/entry-point.ts). Background work that fails then (its pool closing, an
 * embedded PostgreSQL that got the terminal's Ctrl-C too) is not an error.
 */
let processStopping = false;

export function beginProcessShutdown(): void {
  processStopping = true;
}

export function processShuttingDown(): boolean {
  return processStopping;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Steps 2 to 4 for one server: waits the delay, stops accepting, lets
 * in-flight requests finish within the grace period, then cuts what is left.
 * `beforeClose` runs once no new connection is accepted (e.g. completing
 * subscriptions). Resolves when the server is closed.
 */
export async function drainServer(server: Server, drain: DrainState, settings: ShutdownSettings, logger: Logger, beforeClose?: () => Promise<void>): Promise<void> {
  drain.begin();
  if (settings.delayMs > 0) {
    logger.info({ delayMs: settings.delayMs }, 'draining: readiness is off, still serving until the delay ends');
    await sleep(settings.delayMs);
  }
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  await beforeClose?.();
  server.closeIdleConnections();
  let timer: NodeJS.Timeout | undefined;
  const cut = new Promise<'cut'>((resolve) => {
    timer = setTimeout(() => resolve('cut'), settings.graceMs);
  });
  // Connections that finish a request while closing get no new one (Connection: close); idle ones are closed here.
  const idleSweep = setInterval(() => server.closeIdleConnections(), 100);
  const outcome = await Promise.race([closed.then(() => 'closed' as const), cut]);
  clearInterval(idleSweep);
  clearTimeout(timer);
  if (outcome === 'cut') {
    logger.warn({ graceMs: settings.graceMs }, 'grace period over: closing the connections still open');
    server.closeAllConnections();
    await closed;
  }
}
