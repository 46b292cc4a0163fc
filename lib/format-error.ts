import { unwrapResolverError } from '@apollo/server/errors';
import type { GraphQLFormattedError } from 'graphql';
import type { Logger } from './logger';

/**
 * Errors we raise on purpose carry a contract code and pass through. Anything
 * else is a bug: it is logged with its stack, and in production the client
 * sees a generic message instead of internals.
 */
export function errorFormatter(logger: Logger, production: boolean) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const code = formatted.extensions?.code;
    if (code !== 'INTERNAL_SERVER_ERROR') return formatted;
    logger.error({ err: unwrapResolverError(error), path: formatted.path }, 'unexpected error while executing an operation');
    if (!production) return formatted;
    return { message: 'Internal server error', path: formatted.path, locations: formatted.locations, extensions: { code } };
  };
}
