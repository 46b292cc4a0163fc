import { milliseconds } from '../../../lib/config';

/** How often recovery runs, and how old a PENDING order must be before recovery settles it. */
export const orderRecoveryEnv = {
  ORDER_RECOVERY_INTERVAL_MS: milliseconds({ default: 30_000, desc: 'how often orders recovery runs' }),
  ORDER_PENDING_TIMEOUT_MS: milliseconds({ default: 60_000, desc: 'age after which a PENDING order (or an unfinished follow-up) is recovered' }),
};

export interface OrderRecoveryConfig {
  /** How often recovery runs. */
  intervalMs: number;
  /** Age after which a PENDING order (or an unfinished follow-up) is recovered. */
  pendingTimeoutMs: number;
}

export function orderRecoveryConfig(values: { ORDER_RECOVERY_INTERVAL_MS: number; ORDER_PENDING_TIMEOUT_MS: number }): OrderRecoveryConfig {
  return { intervalMs: values.ORDER_RECOVERY_INTERVAL_MS, pendingTimeoutMs: values.ORDER_PENDING_TIMEOUT_MS };
}
