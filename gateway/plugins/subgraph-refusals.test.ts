import { ErrorCode } from '../../lib/errors';
import type { GatewayOperation, OperationResponse } from '../pipeline/operation';
import { useSubgraphRefusals } from './subgraph-refusals';

/** How subgraphs' refusals show at the HTTP level: Retry-After for CHECKOUT_BUSY, 422 for a whole operation refused with IDEMPOTENCY_KEY_REUSED. */
describe('useSubgraphRefusals', () => {
  const plugin = useSubgraphRefusals();
  const respond = (result: OperationResponse['result'], refused = false) => {
    const operation = { responseHeaders: {} as Record<string, string> } as GatewayOperation;
    const response: OperationResponse = { result, refused };
    plugin.onResponse!(operation, response);
    return { headers: operation.responseHeaders, status: response.status };
  };
  const error = (code: string, extensions: Record<string, unknown> = {}) => ({ message: code, extensions: { code, ...extensions } });

  it('sets Retry-After from the longest CHECKOUT_BUSY wait, the status staying 200', () => {
    expect(respond({ data: null, errors: [error(ErrorCode.CHECKOUT_BUSY, { retryAfterSeconds: 2 }), error(ErrorCode.CHECKOUT_BUSY, { retryAfterSeconds: 4.2 })] })).toEqual({
      headers: { 'retry-after': '5' },
      status: undefined,
    });
    // Another code's retryAfterSeconds, or none, says nothing here.
    expect(respond({ data: null, errors: [error(ErrorCode.OUT_OF_STOCK, { retryAfterSeconds: 3 }), error(ErrorCode.CHECKOUT_BUSY)] })).toEqual({ headers: {}, status: undefined });
  });

  it('answers 422 when the whole operation was refused for a reused idempotency key, not when other fields resolved', () => {
    expect(respond({ data: null, errors: [error(ErrorCode.IDEMPOTENCY_KEY_REUSED, { orderId: 'o' })] }).status).toBe(422);
    expect(respond({ data: { other: 1 }, errors: [error(ErrorCode.IDEMPOTENCY_KEY_REUSED)] }).status).toBeUndefined();
    expect(respond({ data: null, errors: [error(ErrorCode.PAYMENT_DECLINED)] }).status).toBeUndefined();
  });

  it('leaves the gateway\'s own refusals alone', () => {
    expect(respond({ errors: [error(ErrorCode.CHECKOUT_BUSY, { retryAfterSeconds: 9 })] }, true)).toEqual({ headers: {}, status: undefined });
  });
});
