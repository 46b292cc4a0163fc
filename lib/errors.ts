import { GraphQLError } from 'graphql';

/**
 * The stable `extensions.code` values of the public contract: the only place
 * codes are named. Clients branch on these, so they never change; messages are
 * for humans and may. Every value is in the contract's `ErrorCode` enum and in
 * the README's table (a unit test holds all three together).
 */
export const ErrorCode = {
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  FORBIDDEN: 'FORBIDDEN',
  BAD_USER_INPUT: 'BAD_USER_INPUT',
  NOT_FOUND: 'NOT_FOUND',
  EMAIL_TAKEN: 'EMAIL_TAKEN',
  INVALID_CREDENTIALS: 'INVALID_CREDENTIALS',
  EMPTY_CART: 'EMPTY_CART',
  OUT_OF_STOCK: 'OUT_OF_STOCK',
  PAYMENT_DECLINED: 'PAYMENT_DECLINED',
  INVALID_STATUS_TRANSITION: 'INVALID_STATUS_TRANSITION',
  IDEMPOTENCY_KEY_REUSED: 'IDEMPOTENCY_KEY_REUSED',
  PERSISTED_QUERY_NOT_FOUND: 'PERSISTED_QUERY_NOT_FOUND',
  PERSISTED_QUERY_NOT_IN_LIST: 'PERSISTED_QUERY_NOT_IN_LIST',
  QUERY_NOT_IN_SAFELIST: 'QUERY_NOT_IN_SAFELIST',
  PERSISTED_QUERY_ID_REQUIRED: 'PERSISTED_QUERY_ID_REQUIRED',
  QUERY_TOO_COMPLEX: 'QUERY_TOO_COMPLEX',
  RATE_LIMITED: 'RATE_LIMITED',
  // The protocol's own (Apollo Server's names, so existing clients recognise them).
  BAD_REQUEST: 'BAD_REQUEST',
  PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  GRAPHQL_PARSE_FAILED: 'GRAPHQL_PARSE_FAILED',
  GRAPHQL_VALIDATION_FAILED: 'GRAPHQL_VALIDATION_FAILED',
  OPERATION_RESOLUTION_FAILURE: 'OPERATION_RESOLUTION_FAILURE',
  SUBSCRIPTION_REQUIRES_WEBSOCKET: 'SUBSCRIPTION_REQUIRES_WEBSOCKET',
  PERSISTED_QUERY_REGISTRATION_REFUSED: 'PERSISTED_QUERY_REGISTRATION_REFUSED',
  SUBSCRIPTION_UPSTREAM_LOST: 'SUBSCRIPTION_UPSTREAM_LOST',
  INTERNAL_SERVER_ERROR: 'INTERNAL_SERVER_ERROR',
  // A subgraph that could not answer: the fields it owns are null, the rest of the answer stands.
  SUBGRAPH_UNAVAILABLE: 'SUBGRAPH_UNAVAILABLE',
  SUBGRAPH_TIMEOUT: 'SUBGRAPH_TIMEOUT',
  TOO_MANY_SUBSCRIPTIONS: 'TOO_MANY_SUBSCRIPTIONS',
  // Discount codes (cart applies them, checkout redeems them).
  DISCOUNT_CODE_INVALID: 'DISCOUNT_CODE_INVALID',
  DISCOUNT_CODE_LIMIT_REACHED: 'DISCOUNT_CODE_LIMIT_REACHED',
  // Checkout's admission: too many buyers of one product at once (Retry-After says when to come back).
  CHECKOUT_BUSY: 'CHECKOUT_BUSY',
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export function graphQLError(code: ErrorCode, message: string, extensions: Record<string, unknown> = {}): GraphQLError {
  return new GraphQLError(message, { extensions: { ...extensions, code } });
}

export const badUserInput = (message: string, extensions?: Record<string, unknown>) =>
  graphQLError(ErrorCode.BAD_USER_INPUT, message, extensions);
export const unauthenticated = (message = 'You must be signed in to do this') =>
  graphQLError(ErrorCode.UNAUTHENTICATED, message);
export const forbidden = (message = 'You are not allowed to do this') => graphQLError(ErrorCode.FORBIDDEN, message);
export const notFound = (what: string, id: string) => graphQLError(ErrorCode.NOT_FOUND, `${what} ${id} does not exist`, { id });
