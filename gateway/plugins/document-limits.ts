import { GraphQLError, parse, type DocumentNode } from 'graphql';
import { LRUCache } from 'lru-cache';
import { wholeNumber } from '../../lib/config';
import { ErrorCode } from '../../lib/errors';
import { refusal, type GatewayOperation, type GatewayPlugin } from '../pipeline/operation';
import { tooComplex } from '../pipeline/refusals';

/**
 * Parse and document limits, the first admission step: a document larger
 * than `maxBytes` is refused without being read, and parsing stops at
 * `maxTokens` tokens (graphql-js's own `maxTokens`), so a huge or
 * token-stuffed document costs the gateway next to nothing. Both are
 * QUERY_TOO_COMPLEX (400) naming the limit; a syntax error is
 * GRAPHQL_PARSE_FAILED (400).
 *
 * Parsed documents are kept in an LRU by text: the same operation sent again
 * is not parsed again. Persisted queries parse the text they resolve through
 * `parse` here, so a document sent by id passes the same limits.
 */
export interface DocumentLimitsConfig {
  /** Largest HTTP request body accepted, in bytes (variables included); WebSocket messages have WS_MAX_MESSAGE_BYTES. */
  maxRequestBytes: number;
  /** Largest document accepted, in UTF-8 bytes. */
  maxBytes: number;
  /** Most lexical tokens (names, punctuation, values) a document may have. */
  maxTokens: number;
}

export const documentLimitsEnv = {
  LIMIT_REQUEST_BYTES: wholeNumber('bytes')({ default: 131_072, desc: 'largest HTTP request body accepted, in bytes' }),
  LIMIT_DOCUMENT_BYTES: wholeNumber('bytes')({ default: 16_384, desc: 'largest GraphQL document accepted, in bytes' }),
  LIMIT_TOKENS: wholeNumber('tokens')({ default: 2_000, desc: 'most tokens a GraphQL document may have' }),
};

export function documentLimitsConfig(values: { LIMIT_REQUEST_BYTES: number; LIMIT_DOCUMENT_BYTES: number; LIMIT_TOKENS: number }): DocumentLimitsConfig {
  return { maxRequestBytes: values.LIMIT_REQUEST_BYTES, maxBytes: values.LIMIT_DOCUMENT_BYTES, maxTokens: values.LIMIT_TOKENS };
}

/** Distinct documents kept parsed. */
const PARSED_DOCUMENTS = 1_000;

export interface DocumentLimits extends GatewayPlugin {
  /** Parses a document under the limits (cached); throws a Refusal. */
  parse(text: string): DocumentNode;
}

export function useDocumentLimits(config: DocumentLimitsConfig): DocumentLimits {
  const parsed = new LRUCache<string, DocumentNode>({ max: PARSED_DOCUMENTS });

  const parseWithLimits = (text: string): DocumentNode => {
    const cached = parsed.get(text);
    if (cached) return cached;
    // A UTF-8 byte count is at least the character count: an oversized text is refused unmeasured.
    const measured = text.length > config.maxBytes ? text.length : Buffer.byteLength(text, 'utf8');
    if (measured > config.maxBytes) {
      throw tooComplex('documentBytes', measured, config.maxBytes, `The document has at least ${measured} bytes; the limit is ${config.maxBytes}`);
    }
    let document: DocumentNode;
    try {
      document = parse(text, { maxTokens: config.maxTokens });
    } catch (error) {
      const message = (error as GraphQLError).message;
      if (message.includes('Parsing aborted')) {
        throw tooComplex('tokens', `>${config.maxTokens}`, config.maxTokens, `The document has more than ${config.maxTokens} tokens; the limit is ${config.maxTokens}`);
      }
      const locations = (error as GraphQLError).locations;
      throw refusal(ErrorCode.GRAPHQL_PARSE_FAILED, message, { status: 400, extensions: locations ? { locations } : undefined });
    }
    parsed.set(text, document);
    return document;
  };

  return {
    name: 'document-limits',
    parse: parseWithLimits,
    onRequest(operation: GatewayOperation) {
      if (operation.query !== undefined) operation.document = parseWithLimits(operation.query);
    },
  };
}
