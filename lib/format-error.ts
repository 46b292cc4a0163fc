import { unwrapResolverError } from '@apollo/server/errors';
import type { GraphQLFormattedError } from 'graphql';
import { ErrorCode } from './errors';
import type { Logger } from './logger';

/**
 * Errors we raise on purpose carry a contract code and pass through. Anything
 * else is a bug: it is logged with its stack, and in production the client
 * sees a generic message instead of internals (a database error's message is
 * its SQL statement with the parameter values).
 */
export function errorFormatter(logger: Logger, production: boolean) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const code = formatted.extensions?.code;
    if (code !== ErrorCode.INTERNAL_SERVER_ERROR) return formatted;
    const err = unwrapResolverError(error);
    // Subgraph loggers reduce a database error to its kind, constraint and PostgreSQL's own message
    // (lib/database.ts); the statement, its values and the stack are for debugging only.
    logger.error({ err, path: formatted.path }, 'unexpected error while executing an operation');
    logger.debug({ path: formatted.path, stack: err instanceof Error ? err.stack : String(err) }, 'stack of the unexpected error');
    if (!production) return formatted;
    return { message: 'Internal server error', path: formatted.path, locations: formatted.locations, extensions: { code } };
  };
}
