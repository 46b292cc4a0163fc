import proxyaddr from 'proxy-addr';
import { ConfigError, str } from '../../lib/config';
import { ErrorCode } from '../../lib/errors';
import type { Logger } from '../../lib/logger';
import type { GatewayMetrics } from '../metrics';
import type { ApiKeyRegistry } from '../persisted-queries/api-keys';
import { refusal, type GatewayOperation, type GatewayPlugin } from '../pipeline/operation';

export const API_KEY_HEADER = 'x-api-key';
export const CLIENT_NAME_HEADER = 'apollographql-client-name';
export const CLIENT_VERSION_HEADER = 'apollographql-client-version';

/**
 * Who is calling, for every later step: the integrator behind an API key
 * (`x-api-key` header or connection parameter; an unknown key is
 * UNAUTHENTICATED, 401), the client name and version Apollo Client sends
 * (`apollographql-client-name` / `-version`, as headers or connection
 * parameters; a key's client name wins), and the client's IP address.
 *
 * The IP is the socket's peer unless that peer is a trusted proxy
 * (TRUSTED_PROXIES): then X-Forwarded-For is read from the right, skipping
 * trusted hops, and the first untrusted address is the client. With no
 * trusted proxies X-Forwarded-For is ignored, so a client cannot pick the
 * address its rate limit is counted against.
 */
export interface ClientIdentityConfig {
  /** Addresses, CIDR ranges or proxy-addr's names (loopback, linklocal, uniquelocal). */
  trustedProxies: string[];
}

export const clientIdentityEnv = {
  TRUSTED_PROXIES: str({
    default: '',
    desc: 'comma-separated proxies whose X-Forwarded-For is believed: addresses, CIDR ranges, or loopback / linklocal / uniquelocal',
  }),
};

export function clientIdentityConfig(values: { TRUSTED_PROXIES: string }): ClientIdentityConfig {
  const trustedProxies = values.TRUSTED_PROXIES.split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
  const problems: string[] = [];
  for (const entry of trustedProxies) {
    try {
      proxyaddr.compile(entry);
    } catch {
      problems.push(`TRUSTED_PROXIES: "${entry}" is not an IP address, a CIDR range, or one of loopback, linklocal, uniquelocal`);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return { trustedProxies };
}

/** The client's address from the socket's peer and X-Forwarded-For, believing only trusted proxies. */
export function clientAddressResolver(config: ClientIdentityConfig): (remoteAddress: string, forwardedFor: string | undefined) => string {
  const trust = config.trustedProxies.length > 0 ? proxyaddr.compile(config.trustedProxies) : () => false;
  return (remoteAddress, forwardedFor) =>
    forwardedFor === undefined ? remoteAddress : proxyaddr({ headers: { 'x-forwarded-for': forwardedFor }, socket: { remoteAddress } } as never, trust);
}

export function useClientIdentity(options: { config: ClientIdentityConfig; apiKeys: ApiKeyRegistry; metrics: GatewayMetrics; logger: Logger }): GatewayPlugin {
  const clientIp = clientAddressResolver(options.config);

  return {
    name: 'client-identity',
    onRequest(operation: GatewayOperation) {
      const { request } = operation;
      const ip = clientIp(request.remoteAddress, request.forwardedFor);
      const key = request.header(API_KEY_HEADER);
      const apiClient = key === undefined ? undefined : options.apiKeys.identify(key);
      operation.client = { name: apiClient?.name ?? request.header(CLIENT_NAME_HEADER), version: request.header(CLIENT_VERSION_HEADER), apiClient, ip };
      if (key !== undefined && !apiClient) {
        options.metrics.unknownApiKeys.inc();
        options.logger.warn({ client: { name: operation.client.name, version: operation.client.version }, ip }, 'request with an unknown API key refused');
        throw refusal(ErrorCode.UNAUTHENTICATED, `Unknown API key in ${API_KEY_HEADER}`, { status: 401 });
      }
    },
  };
}
