import type { Viewer } from '../lib/identity';

/** Per-request state of the gateway. */
export interface GatewayContext {
  viewer: Viewer | null;
}
