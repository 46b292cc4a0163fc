import { ErrorCode } from '../../lib/errors';
import type { SafelistPolicy } from './api-keys';
import type { ManifestOperation, PersistedQueryManifest } from './manifest';
import type { SafelistMode } from './persisted-queries.config';

/** What a request carries: a body, an id (extensions.persistedQuery.sha256Hash), or both (an APQ registration). */
export interface IncomingOperation {
  query?: string;
  persistedQueryId?: string;
}

export type RefusalCode = typeof ErrorCode.PERSISTED_QUERY_NOT_IN_LIST | typeof ErrorCode.QUERY_NOT_IN_SAFELIST | typeof ErrorCode.PERSISTED_QUERY_ID_REQUIRED;

export interface Refusal {
  code: RefusalCode;
  message: string;
  /** Apollo Router's statuses: unknown id 404, body not listed 403, body where an id is required 400. */
  status: number;
}

export type Decision =
  /** Run this listed operation; the request's own id and body are replaced (no APQ lookup or registration). */
  | { kind: 'manifest'; operation: ManifestOperation }
  /** Leave the request to Apollo Server as sent: a body, or an automatic persisted query. */
  | { kind: 'pass' }
  | { kind: 'refuse'; refusal: Refusal };

const STRICTNESS: Record<SafelistPolicy, number> = { any: 0, safelist: 1, ids: 2 };

function notInList(id: string): Decision {
  return { kind: 'refuse', refusal: { code: ErrorCode.PERSISTED_QUERY_NOT_IN_LIST, message: `Persisted query '${id}' not found in the persisted query list`, status: 404 } };
}

const notInSafelist: Decision = {
  kind: 'refuse',
  refusal: { code: ErrorCode.QUERY_NOT_IN_SAFELIST, message: 'The operation body was not found in the persisted query safelist', status: 403 },
};

const idRequired: Decision = {
  kind: 'refuse',
  refusal: {
    code: ErrorCode.PERSISTED_QUERY_ID_REQUIRED,
    message: 'This client may only send operations by id: send the manifest id in extensions.persistedQuery.sha256Hash and no query',
    status: 400,
  },
};

/**
 * One request under one policy, with Apollo Router's semantics:
 * - an id is looked up in the manifest first, for every client; a listed id
 *   runs the listed body. An unlisted id goes to APQ only for `any` clients;
 *   for safelisted ones it is PERSISTED_QUERY_NOT_IN_LIST, whatever the APQ
 *   cache holds (registering through APQ never adds to the safelist);
 * - an id with a body is an APQ registration: for safelisted clients the body
 *   must itself be listed, else QUERY_NOT_IN_SAFELIST (and nothing is registered);
 * - a body alone must be listed (`safelist`) or is refused outright (`ids`).
 */
export interface SafelistContext {
  /**
   * Introspection is served and the operation asks for nothing else
   * (`__schema`, `__type`, `__typename` at its root, through any fragments):
   * such a body passes without being listed. Asked only when needed.
   */
  introspectionOnly(): boolean;
}

export function decide(operation: IncomingOperation, policy: SafelistPolicy, manifest: PersistedQueryManifest, options: SafelistContext): Decision {
  const { query, persistedQueryId: id } = operation;
  if (id !== undefined) {
    const listed = manifest.operationById(id);
    if (listed) {
      if (query === undefined) return { kind: 'manifest', operation: listed };
      if (policy === 'any') return { kind: 'pass' };
      return manifest.operationByBody(query) === listed ? { kind: 'manifest', operation: listed } : notInSafelist;
    }
    if (policy === 'any') return { kind: 'pass' };
    if (query === undefined || policy === 'ids') return notInList(id);
    const byBody = manifest.operationByBody(query);
    return byBody ? { kind: 'manifest', operation: byBody } : notInSafelist;
  }
  // No query either: Apollo Server answers that with its own error.
  if (query === undefined || policy === 'any') return { kind: 'pass' };
  if (policy === 'ids') return idRequired;
  const byBody = manifest.operationByBody(query);
  if (byBody) return { kind: 'manifest', operation: byBody };
  if (options.introspectionOnly()) return { kind: 'pass' };
  return notInSafelist;
}

export interface Verdict {
  decision: Decision;
  /** Set when the gateway-wide mode would refuse but only logs (SAFELIST_MODE=log). */
  logged?: Refusal;
}

/**
 * The client's own policy always applies. The gateway-wide mode raises it to
 * at least `safelist`: refusing (`enforce`) or only reporting (`log`) what
 * that stricter policy refuses.
 */
export function checkOperation(
  operation: IncomingOperation,
  context: SafelistContext & { policy: SafelistPolicy; mode: SafelistMode; manifest: PersistedQueryManifest },
): Verdict {
  const own = decide(operation, context.policy, context.manifest, context);
  if (own.kind === 'refuse' || context.mode === 'off' || STRICTNESS[context.policy] >= STRICTNESS.safelist) return { decision: own };
  const gatewayWide = decide(operation, 'safelist', context.manifest, context);
  if (gatewayWide.kind !== 'refuse') return { decision: gatewayWide };
  return context.mode === 'enforce' ? { decision: gatewayWide } : { decision: own, logged: gatewayWide.refusal };
}
