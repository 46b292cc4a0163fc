import { GraphQLError } from 'graphql';
import { InvalidAccessTokenError, verifyAccessToken } from '../../lib/access-token';
import { ErrorCode } from '../../lib/errors';
import type { Viewer } from '../../lib/identity';
import { Refusal, type GatewayOperation, type GatewayPlugin } from '../pipeline/operation';

function unauthenticated(message: string): Refusal {
  return new Refusal([new GraphQLError(message, { extensions: { code: ErrorCode.UNAUTHENTICATED } })], 401);
}

/**
 * The viewer from `Authorization: Bearer <token>` (HTTP) or the same value in
 * graphql-ws `connectionParams.authorization`. No header means anonymous; a
 * bad token is an error, never silently anonymous, so a client with an
 * expired token learns to refresh it.
 */
export async function authenticate(authorization: string | undefined | null, jwtSecret: string): Promise<Viewer | null> {
  if (!authorization) return null;
  const match = /^Bearer\s+(\S+)$/i.exec(authorization.trim());
  if (!match) throw unauthenticated('Authorization must be "Bearer <accessToken>"');
  try {
    return await verifyAccessToken(match[1], jwtSecret);
  } catch (error) {
    if (error instanceof InvalidAccessTokenError) throw unauthenticated(error.message);
    throw error;
  }
}

/**
 * Who the viewer is, checked for every operation, so a token that expires
 * during a long-lived WebSocket stops working for the next operation. A bad
 * or expired token is UNAUTHENTICATED (401).
 */
export function useAuthentication(options: { jwtSecret: string }): GatewayPlugin {
  return {
    name: 'authentication',
    async onRequest(operation: GatewayOperation) {
      operation.viewer = await authenticate(operation.request.header('authorization'), options.jwtSecret);
    },
  };
}
