import type { KeyValueCache } from '@apollo/utils.keyvaluecache';
import type { DocumentNode } from 'graphql';
import { ErrorCode } from '../../lib/errors';
import type { Logger } from '../../lib/logger';
import type { GatewayMetrics } from '../metrics';
import type { Budget } from '../pipeline/budgets';
import { refusal, type GatewayOperation, type GatewayPlugin, type OperationResponse } from '../pipeline/operation';
import { sha256Hex } from './manifest';
import type { ManifestStore } from './manifest-store';
import type { SafelistMode } from './persisted-queries.config';
import { checkOperation, type Refusal as SafelistRefusal } from './safelist';

/** Unknown operations are logged with their text, cut to this many characters. */
const LOGGED_QUERY_LENGTH = 2_000;

/** Like Router, refusals are never cached by a CDN in front of GET requests. */
const NO_CACHE = { 'cache-control': 'private, no-cache, must-revalidate' };

export interface PersistedQueriesPluginOptions {
  manifests: ManifestStore;
  mode: SafelistMode;
  /** Introspection-only documents pass the safelist where introspection is on (development). */
  introspection: boolean;
  /** Apollo's APQ protocol over this cache (Redis shared by replicas, or in memory). */
  apqCache: KeyValueCache<string>;
  apqTtlSeconds: number;
  /** Largest document an anonymous APQ registration may store, in bytes. */
  apqMaxDocumentBytes: number;
  /** Registrations one client (API key, else IP) may make per window. */
  apqRegistrations: Budget;
  /** Parses a resolved text under the document limits. */
  parse(text: string): DocumentNode;
  logger: Logger;
  metrics: GatewayMetrics;
}

const APQ_KEY = (hash: string) => `apq:${hash}`;

function truncated(query: string | undefined): string | undefined {
  return query && query.length > LOGGED_QUERY_LENGTH ? `${query.slice(0, LOGGED_QUERY_LENGTH)}…` : query;
}

function safelistRefusal(refused: SafelistRefusal) {
  return refusal(refused.code, refused.message, { status: refused.status, headers: NO_CACHE });
}

interface PersistedQueryExtension {
  version?: unknown;
  sha256Hash?: unknown;
}

/**
 * Persisted queries and the safelist, one admission step for every
 * transport: applies the client's policy (its API key's, raised by
 * SAFELIST_MODE) with Apollo Router's codes, resolves manifest ids to their
 * listed body, and speaks Apollo's automatic persisted queries protocol
 * (hash alone: look up, PERSISTED_QUERY_NOT_FOUND on a miss; hash with its
 * query: checked, and registered once the operation has been validated and
 * run). Registrations are bounded: a document over APQ_MAX_DOCUMENT_BYTES,
 * or more than the client's registrations per window, is
 * PERSISTED_QUERY_REGISTRATION_REFUSED (413 / 429) and nothing is stored.
 */
export function usePersistedQueries(options: PersistedQueriesPluginOptions): GatewayPlugin {
  const { manifests, mode, introspection, logger, metrics } = options;
  return {
    name: 'persisted-queries',
    async onRequest(operation: GatewayOperation) {
      const client = operation.client!;
      const labels = metrics.clientLabels(client.name, client.version);
      const extension = operation.extensions.persistedQuery as PersistedQueryExtension | undefined;
      if (extension !== undefined) {
        if (typeof extension !== 'object' || extension === null || extension.version !== 1) {
          throw refusal(ErrorCode.BAD_REQUEST, 'Unsupported persisted query version', { status: 400 });
        }
        if (typeof extension.sha256Hash !== 'string' || !/^[0-9a-f]{64}$/i.test(extension.sha256Hash)) {
          throw refusal(ErrorCode.BAD_REQUEST, 'persistedQuery.sha256Hash must be a SHA-256 hex digest', { status: 400 });
        }
      }
      const persistedQueryId = extension?.sha256Hash as string | undefined;
      if (persistedQueryId) operation.source = 'apq_miss';

      const verdict = checkOperation(
        { query: operation.query, persistedQueryId },
        { policy: client.apiClient?.policy ?? 'any', mode, manifest: manifests.manifest, introspectionOnly: () => introspection && operation.analysis()?.introspectionOnly === true },
      );
      const details = { client: { name: client.name, version: client.version }, policy: client.apiClient?.policy, operationName: operation.operationName, persistedQueryId };
      if (verdict.logged) {
        metrics.safelistViolations.inc({ client_name: labels.client_name, code: verdict.logged.code, enforced: 'false' });
        logger.warn({ ...details, code: verdict.logged.code, query: truncated(operation.query) }, 'operation outside the safelist served (SAFELIST_MODE=log)');
      }
      const { decision } = verdict;
      if (decision.kind === 'refuse') {
        metrics.safelistViolations.inc({ client_name: labels.client_name, code: decision.refusal.code, enforced: 'true' });
        logger.info({ ...details, code: decision.refusal.code, query: truncated(operation.query) }, 'operation refused by the safelist');
        throw safelistRefusal(decision.refusal);
      }
      if (decision.kind === 'manifest') {
        // The listed text replaces what was sent, and APQ is bypassed: nothing gets registered.
        operation.query = decision.operation.body;
        operation.document = options.parse(decision.operation.body);
        operation.source = 'manifest';
        return;
      }
      if (!persistedQueryId) return;

      if (operation.query === undefined) {
        const stored = await options.apqCache.get(APQ_KEY(persistedQueryId));
        if (stored === undefined) {
          // Apollo's protocol: 200 with this code tells the client to send the query with its hash.
          throw refusal(ErrorCode.PERSISTED_QUERY_NOT_FOUND, 'PersistedQueryNotFound', { status: 200, headers: NO_CACHE });
        }
        operation.query = stored;
        operation.document = options.parse(stored);
        operation.source = 'apq';
        return;
      }
      if (sha256Hex(operation.query) !== persistedQueryId.toLowerCase()) {
        throw refusal(ErrorCode.BAD_REQUEST, 'provided sha does not match query', { status: 400 });
      }
      const bytes = Buffer.byteLength(operation.query, 'utf8');
      if (bytes > options.apqMaxDocumentBytes) {
        throw refusal(ErrorCode.PERSISTED_QUERY_REGISTRATION_REFUSED, `Automatic persisted queries register documents of at most ${options.apqMaxDocumentBytes} bytes; this one has ${bytes}. Send it without the hash.`, {
          status: 413,
          extensions: { limit: 'apqDocumentBytes', measured: bytes, maximum: options.apqMaxDocumentBytes },
        });
      }
      const quota = await options.apqRegistrations.spend(client.apiClient ? `key:${client.apiClient.name}` : `ip:${client.ip}`, 1);
      if (!quota.allowed) {
        throw refusal(ErrorCode.PERSISTED_QUERY_REGISTRATION_REFUSED, `Too many automatic persisted query registrations; try again in ${quota.resetSeconds} s`, {
          status: 429,
          headers: { 'retry-after': String(Math.max(1, quota.resetSeconds)) },
          extensions: { limit: 'apqRegistrations', maximum: options.apqRegistrations.points, windowSeconds: options.apqRegistrations.windowSeconds },
        });
      }
      operation.source = 'apq_register';
    },

    async onResponse(operation: GatewayOperation, response: OperationResponse) {
      // Like Apollo Server, only a document that validated and ran is registered.
      if (operation.source !== 'apq_register' || response.refused || !operation.query) return;
      const hash = (operation.extensions.persistedQuery as { sha256Hash: string }).sha256Hash.toLowerCase();
      await options.apqCache.set(APQ_KEY(hash), operation.query, { ttl: options.apqTtlSeconds });
    },
  };
}
