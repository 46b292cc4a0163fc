import { envSettings } from '../../lib/config';
import { checkoutEnv, checkoutSettings, type CheckoutSettings } from './checkout/checkout.config';
import { orderRecoveryConfig, orderRecoveryEnv, type OrderRecoveryConfig } from './recovery/order-recovery.config';

/** The orders subgraph's own settings: recovery's and checkout's (each documented where it is declared). */
export const ordersEnv = { ...orderRecoveryEnv, ...checkoutEnv };

export interface OrdersConfig {
  recovery: OrderRecoveryConfig;
  checkout: CheckoutSettings;
}

/** Declared by the orders subgraph: read and validated at start with the common settings. */
export const ordersSettings = envSettings(ordersEnv, (values) => ({ recovery: orderRecoveryConfig(values), checkout: checkoutSettings(values) }) satisfies OrdersConfig);
