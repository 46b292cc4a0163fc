import type { IncomingHttpHeaders } from 'node:http';
import { GraphQLError } from 'graphql';
import { InvalidAccessTokenError, verifyAccessToken } from '../lib/access-token';
import { ErrorCode } from '../lib/errors';
import type { Viewer } from '../lib/identity';

/**
 * The viewer of a request from `Authorization: Bearer <token>` (HTTP) or the
 * same value in graphql-ws `connectionParams.authorization`. No header means
 * anonymous; a bad token is an error, never silently anonymous, so a client
 * with an expired token learns to refresh it.
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

export function authorizationHeader(headers: IncomingHttpHeaders): string | undefined {
  const value = headers.authorization;
  return Array.isArray(value) ? value[0] : value;
}

function unauthenticated(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: ErrorCode.UNAUTHENTICATED, http: { status: 401 } } });
}
