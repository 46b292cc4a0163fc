import { ConfigError } from '../../lib/config';
import { readInventoryConfig } from './inventory.config';

describe('inventory configuration', () => {
  it('sweeps reservations every 30 seconds unless told otherwise', () => {
    expect(readInventoryConfig({})).toEqual({ reservationSweepIntervalMs: 30_000 });
    expect(readInventoryConfig({ RESERVATION_SWEEP_INTERVAL_MS: '5000' })).toEqual({ reservationSweepIntervalMs: 5000 });
  });

  it.each(['0', '-5', '1.5', 'soon', '30s', ''])('refuses RESERVATION_SWEEP_INTERVAL_MS=%j with one clear line', (value) => {
    let error: unknown;
    try {
      readInventoryConfig({ RESERVATION_SWEEP_INTERVAL_MS: value });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([expect.stringMatching(/^RESERVATION_SWEEP_INTERVAL_MS: must be a whole number of milliseconds of at least 1, got /)]);
  });
});
