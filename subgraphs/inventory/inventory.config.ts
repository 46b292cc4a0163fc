import { makeValidator } from 'envalid';
import { readEnv } from '../../lib/config';

const positiveMilliseconds = makeValidator<number>((input) => {
  const value = Number(input);
  if (!/^\s*\d+\s*$/.test(String(input)) || !Number.isSafeInteger(value) || value < 1) {
    throw new Error(`must be a whole number of milliseconds of at least 1, got "${input}"`);
  }
  return value;
});

/** Settings only inventory reads (see the configuration table of the README). */
export const inventoryEnv = {
  RESERVATION_SWEEP_INTERVAL_MS: positiveMilliseconds({ default: 30_000, desc: 'how often expired stock reservations are released' }),
};

export interface InventoryConfig {
  reservationSweepIntervalMs: number;
}

export function readInventoryConfig(env: NodeJS.ProcessEnv = process.env): InventoryConfig {
  return { reservationSweepIntervalMs: readEnv(inventoryEnv, env).RESERVATION_SWEEP_INTERVAL_MS };
}
