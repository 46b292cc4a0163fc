import { ErrorCode } from '../../lib/errors';
import type { GatewayPlugin } from '../pipeline/operation';

/** Codes with which a subgraph says "not now, come back in extensions.retryAfterSeconds": nothing was done. */
const COME_BACK_LATER = new Set<string>([ErrorCode.CHECKOUT_BUSY]);

/**
 * The HTTP status of an operation a subgraph refused outright (its data
 * null), for the codes whose standard status is not 200: a reused
 * idempotency key with a different request is 422, as the IETF
 * Idempotency-Key draft answers it.
 */
const REFUSAL_STATUS: Readonly<Record<string, number>> = {
  [ErrorCode.IDEMPOTENCY_KEY_REUSED]: 422,
};

/**
 * How a subgraph's refusal shows at the HTTP level of an executed operation:
 * - `Retry-After` when a subgraph refused part of it for now (CHECKOUT_BUSY:
 *   too many buyers at once), from the refusal's
 *   `extensions.retryAfterSeconds` (the longest when several say so); the
 *   answer stays a GraphQL result (HTTP 200, the error at its path, other
 *   fields resolved);
 * - the refusal's own status when the whole operation was refused (data
 *   null) with a code that has one (REFUSAL_STATUS).
 * Over graphql-ws the extensions alone tell the client. The gateway's own
 * refusals (RATE_LIMITED ...) set theirs when they refuse.
 */
export function useSubgraphRefusals(): GatewayPlugin {
  return {
    name: 'subgraph-refusals',
    onResponse(operation, response) {
      if (response.refused) return;
      let seconds = 0;
      let status: number | undefined;
      for (const error of response.result.errors ?? []) {
        const { code, retryAfterSeconds } = error.extensions ?? {};
        if (typeof code !== 'string') continue;
        if (COME_BACK_LATER.has(code) && typeof retryAfterSeconds === 'number' && Number.isFinite(retryAfterSeconds)) {
          seconds = Math.max(seconds, Math.ceil(retryAfterSeconds));
        }
        if (response.result.data === null && REFUSAL_STATUS[code] !== undefined) status ??= REFUSAL_STATUS[code];
      }
      if (seconds > 0) operation.responseHeaders['retry-after'] = String(seconds);
      if (status !== undefined) response.status = status;
    },
  };
}
