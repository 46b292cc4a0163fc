import { ConfigError, readEnv } from '../../../lib/config';
import { orderRecoveryEnv } from './order-recovery.config';

describe('orders recovery configuration', () => {
  it('runs every 30 s and settles PENDING orders after a minute by default', () => {
    expect(readEnv(orderRecoveryEnv, {})).toMatchObject({ ORDER_RECOVERY_INTERVAL_MS: 30_000, ORDER_PENDING_TIMEOUT_MS: 60_000 });
  });

  it('takes whole positive milliseconds from the environment', () => {
    expect(readEnv(orderRecoveryEnv, { ORDER_RECOVERY_INTERVAL_MS: '500', ORDER_PENDING_TIMEOUT_MS: '1500' })).toMatchObject({
      ORDER_RECOVERY_INTERVAL_MS: 500,
      ORDER_PENDING_TIMEOUT_MS: 1500,
    });
  });

  it('reports every bad value at once', () => {
    let thrown: unknown;
    try {
      readEnv(orderRecoveryEnv, { ORDER_RECOVERY_INTERVAL_MS: '0', ORDER_PENDING_TIMEOUT_MS: 'soon' });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ConfigError);
    expect((thrown as ConfigError).problems).toEqual([
      'ORDER_RECOVERY_INTERVAL_MS: must be a whole number of milliseconds of at least 1, got "0"',
      'ORDER_PENDING_TIMEOUT_MS: must be a whole number of milliseconds of at least 1, got "soon"',
    ]);
  });
});
