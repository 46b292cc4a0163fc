import type { BackgroundTask } from '../../../lib/periodic-task';
import { checkoutsInBackground } from '../orders.metrics';
import { CheckoutAdmission } from './checkout-admission';
import { DEFAULT_CHECKOUT_SETTINGS, type CheckoutSettings } from './checkout.config';

/**
 * What checkout keeps between requests in one orders process: its admission
 * queues, and the checkouts answered PENDING that are still finishing.
 */
export class CheckoutRuntime {
  readonly admission: CheckoutAdmission;
  private readonly finishing = new Set<Promise<void>>();

  constructor(readonly settings: CheckoutSettings) {
    this.admission = new CheckoutAdmission(settings);
  }

  /** Keeps a checkout that outlived its answer until it ends (it never rejects: the caller logs its outcome). */
  finishInBackground(work: Promise<void>): void {
    const tracked = work.finally(() => {
      this.finishing.delete(tracked);
      checkoutsInBackground.dec();
    });
    this.finishing.add(tracked);
    checkoutsInBackground.inc();
  }

  /** Waits for the checkouts finishing in the background, for `timeoutMs` at most (recovery finishes what is left). */
  async drain(timeoutMs: number): Promise<void> {
    if (this.finishing.size === 0) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.allSettled([...this.finishing]), new Promise((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
    clearTimeout(timer);
  }
}

/** One runtime per settings object: a process (or a test's subgraph) has its own queues. */
const runtimes = new WeakMap<CheckoutSettings, CheckoutRuntime>();

export function checkoutRuntime(settings: CheckoutSettings | undefined): CheckoutRuntime {
  const key = settings ?? DEFAULT_CHECKOUT_SETTINGS;
  let runtime = runtimes.get(key);
  if (!runtime) {
    runtime = new CheckoutRuntime(key);
    runtimes.set(key, runtime);
  }
  return runtime;
}

/** How long shutdown waits for checkouts finishing in the background. */
const DRAIN_MS = 5_000;

/** A background task whose stop waits for the checkouts still finishing, before the database closes. */
export function checkoutDrain(settings: CheckoutSettings): BackgroundTask {
  return { stop: () => checkoutRuntime(settings).drain(DRAIN_MS) };
}
