import { milliseconds, readEnv } from '../../lib/config';

/** Settings only inventory reads (see the configuration table of the README). */
export const inventoryEnv = {
  RESERVATION_SWEEP_INTERVAL_MS: milliseconds({ default: 30_000, desc: 'how often expired stock reservations are released' }),
};

export interface InventoryConfig {
  reservationSweepIntervalMs: number;
}

export function readInventoryConfig(env: NodeJS.ProcessEnv = process.env): InventoryConfig {
  return { reservationSweepIntervalMs: readEnv(inventoryEnv, env).RESERVATION_SWEEP_INTERVAL_MS };
}
