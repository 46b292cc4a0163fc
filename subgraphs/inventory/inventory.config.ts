import { envSettings, milliseconds, readEnv } from '../../lib/config';

/** Settings only inventory reads (see the configuration table of the README). */
export const inventoryEnv = {
  RESERVATION_SWEEP_INTERVAL_MS: milliseconds({ default: 30_000, desc: 'how often expired stock reservations are released' }),
};

export interface InventoryConfig {
  reservationSweepIntervalMs: number;
}

function inventoryConfig(values: { RESERVATION_SWEEP_INTERVAL_MS: number }): InventoryConfig {
  return { reservationSweepIntervalMs: values.RESERVATION_SWEEP_INTERVAL_MS };
}

/** Declared by the inventory subgraph: read and validated at start with the common settings. */
export const inventorySettings = envSettings(inventoryEnv, inventoryConfig);

export function readInventoryConfig(env: NodeJS.ProcessEnv = process.env): InventoryConfig {
  return inventoryConfig(readEnv(inventoryEnv, env));
}
