import { GraphQLError } from 'graphql';
import { ErrorCode } from '../../lib/errors';
import { authenticate } from '../authentication';
import { Refusal, type GatewayOperation, type GatewayPlugin } from '../pipeline/operation';

/**
 * Who the viewer is: `Authorization: Bearer <token>` on HTTP, the same value
 * in graphql-ws `connectionParams.authorization`. Checked for every
 * operation, so a token that expires during a long-lived connection stops
 * working for the next operation. A bad or expired token is UNAUTHENTICATED
 * (401), never silently anonymous.
 */
export function useAuthentication(options: { jwtSecret: string }): GatewayPlugin {
  return {
    name: 'authentication',
    async onRequest(operation: GatewayOperation) {
      try {
        operation.viewer = await authenticate(operation.request.header('authorization'), options.jwtSecret);
      } catch (error) {
        if (error instanceof GraphQLError) throw new Refusal([error], 401);
        throw new Refusal([new GraphQLError('Invalid credentials', { extensions: { code: ErrorCode.UNAUTHENTICATED } })], 401);
      }
    },
  };
}
