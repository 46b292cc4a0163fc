import { ErrorCode } from '../../lib/errors';
import type { GatewayPlugin } from '../pipeline/operation';

/** Codes with which a subgraph says "not now, come back in extensions.retryAfterSeconds": nothing was done. */
const COME_BACK_LATER = new Set<string>([ErrorCode.CHECKOUT_BUSY]);

/**
 * `Retry-After` on an executed operation's HTTP answer when a subgraph
 * refused part of it for now (CHECKOUT_BUSY: the product's checkout
 * queue is full), from the refusal's `extensions.retryAfterSeconds` (the
 * longest when several say so). The answer stays a GraphQL result (HTTP 200,
 * the error at its path, other fields resolved); over graphql-ws the
 * extension alone tells the client. The gateway's own refusals (RATE_LIMITED)
 * set theirs when they refuse.
 */
export function useRetryAfter(): GatewayPlugin {
  return {
    name: 'retry-after',
    onResponse(operation, response) {
      if (response.refused) return;
      let seconds = 0;
      for (const error of response.result.errors ?? []) {
        const { code, retryAfterSeconds } = error.extensions ?? {};
        if (typeof code === 'string' && COME_BACK_LATER.has(code) && typeof retryAfterSeconds === 'number' && Number.isFinite(retryAfterSeconds)) {
          seconds = Math.max(seconds, Math.ceil(retryAfterSeconds));
        }
      }
      if (seconds > 0) operation.responseHeaders['retry-after'] = String(seconds);
    },
  };
}
