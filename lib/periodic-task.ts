import { processShuttingDown } from './graceful-shutdown';
import type { Logger } from './logger';

export interface BackgroundTask {
  /** Stops scheduling and waits for a run in progress. */
  stop(): Promise<void>;
}

export interface PeriodicTask extends BackgroundTask {
  /** Runs once now (after any run in progress); tests and shutdown hooks use it. */
  runNow(): Promise<void>;
}

/** What a run can ask of its task. */
export interface PeriodicRun {
  /** True once the task or the process is stopping: a failure now (a pool closing under it) is expected. */
  stopping(): boolean;
}

/**
 * A logger whose warnings and errors are written at debug while `stopping()`:
 * work cut short by a shutdown is not a problem to report.
 */
export function quietWhileStopping(logger: Logger, stopping: () => boolean): Logger {
  return new Proxy(logger, {
    get: (target, key) => {
      if ((key === 'error' || key === 'warn' || key === 'fatal') && stopping()) return target.debug.bind(target);
      const value = Reflect.get(target, key, target) as unknown;
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/**
 * Runs `work` every `intervalMs`, never two at a time. A failing run is logged
 * and retried at the next tick, so a passing database or sibling outage does
 * not stop the task; a run failing while the task or the process stops is
 * logged at debug only.
 */
/**
 * PostgreSQL ended the connection because the server is stopping (SQLSTATE
 * 57P01 admin_shutdown): an operator's command, not a fault of the task. It
 * also races our own shutdown under `npm start`, where the terminal's Ctrl-C
 * reaches the embedded server at the same moment as this process.
 */
function databaseShuttingDown(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === '57P01';
}

export function startPeriodicTask(name: string, intervalMs: number, work: (run: PeriodicRun) => Promise<void>, logger: Logger): PeriodicTask {
  let running: Promise<void> = Promise.resolve();
  /** A run queued behind the current one; further requests join it instead of queueing more. */
  let queued: Promise<void> | null = null;
  let stopped = false;
  let stopRequested = false;
  const run: PeriodicRun = { stopping: () => stopRequested || processShuttingDown() };
  const runOnce = (): Promise<void> => {
    if (queued) return queued;
    const next = running.then(async () => {
      queued = null;
      if (stopped) return;
      try {
        await work(run);
      } catch (error) {
        if (run.stopping()) logger.debug({ err: error, task: name }, 'background task run cut short by shutdown');
        else if (databaseShuttingDown(error)) logger.info({ err: error, task: name }, 'the database is shutting down; retrying at the next tick');
        else logger.error({ err: error, task: name }, 'background task failed; retrying at the next tick');
      }
    });
    queued = next;
    running = next;
    return next;
  };
  const timer = setInterval(() => void runOnce(), intervalMs);
  timer.unref();
  return {
    runNow: runOnce,
    stop: async () => {
      stopRequested = true;
      clearInterval(timer);
      await running;
      stopped = true;
    },
  };
}
