import type { Viewer } from '../lib/identity';
import type { GatewayOperation } from './pipeline/operation';

/** Per-request state of the gateway. */
export interface GatewayContext {
  viewer: Viewer | null;
  /** The admitted operation (absent only for Apollo's landing page). */
  operation?: GatewayOperation;
}
