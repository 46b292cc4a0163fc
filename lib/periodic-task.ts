import type { Logger } from './logger';

export interface BackgroundTask {
  /** Stops scheduling and waits for a run in progress. */
  stop(): Promise<void>;
}

export interface PeriodicTask extends BackgroundTask {
  /** Runs once now (after any run in progress); tests and shutdown hooks use it. */
  runNow(): Promise<void>;
}

/**
 * Runs `work` every `intervalMs`, never two at a time. A failing run is logged
 * and retried at the next tick, so a passing database or sibling outage does
 * not stop the task.
 */
export function startPeriodicTask(name: string, intervalMs: number, work: () => Promise<void>, logger: Logger): PeriodicTask {
  let running: Promise<void> = Promise.resolve();
  /** A run queued behind the current one; further requests join it instead of queueing more. */
  let queued: Promise<void> | null = null;
  let stopped = false;
  const runOnce = (): Promise<void> => {
    if (queued) return queued;
    const next = running.then(async () => {
      queued = null;
      if (stopped) return;
      try {
        await work();
      } catch (error) {
        logger.error({ err: error, task: name }, 'background task failed; retrying at the next tick');
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
      clearInterval(timer);
      await running;
      stopped = true;
    },
  };
}
