import { createLogger } from '../../lib/logger';
import { GatewayMetrics } from '../metrics';
import { ApiKeyRegistry, hashApiKey } from '../persisted-queries/api-keys';
import { GatewayOperation, Refusal, type IncomingRequest } from '../pipeline/operation';
import { clientIdentityConfig, useClientIdentity } from './client-identity';

function identify(trustedProxies: string, request: Partial<IncomingRequest>) {
  const plugin = useClientIdentity({
    config: clientIdentityConfig({ TRUSTED_PROXIES: trustedProxies }),
    apiKeys: new ApiKeyRegistry([{ client: 'acme', keyHash: hashApiKey('acme-key'), policy: 'any' }]),
    metrics: new GatewayMetrics({ processMetrics: false }),
    logger: createLogger('test', 'silent'),
  });
  const headers = (request as { headers?: Record<string, string> }).headers ?? {};
  const operation = new GatewayOperation({ transport: 'http', remoteAddress: '203.0.113.9', header: (name) => headers[name], ...request });
  plugin.onRequest!(operation);
  return operation.client!;
}

describe('client identity', () => {
  it('ignores X-Forwarded-For unless the peer is a trusted proxy', () => {
    expect(identify('', { forwardedFor: '198.51.100.1' }).ip).toBe('203.0.113.9');
    expect(identify('loopback', { remoteAddress: '127.0.0.1', forwardedFor: '198.51.100.1' }).ip).toBe('198.51.100.1');
  });

  it('takes the first untrusted hop from the right, so a client cannot choose its address', () => {
    // The client sent a forged first hop; the trusted proxy appended the real one.
    expect(identify('10.0.0.0/8', { remoteAddress: '10.0.0.2', forwardedFor: '1.2.3.4, 198.51.100.7, 10.0.0.1' }).ip).toBe('198.51.100.7');
  });

  it('names the client by its API key, else by the client-name header, with the version header', () => {
    const keyed = identify('', { headers: { 'x-api-key': 'acme-key', 'apollographql-client-name': 'spoof', 'apollographql-client-version': '2.1' } } as never);
    expect(keyed).toMatchObject({ name: 'acme', version: '2.1', apiClient: { name: 'acme', policy: 'any' } });
    expect(identify('', { headers: { 'apollographql-client-name': 'web' } } as never)).toMatchObject({ name: 'web', apiClient: undefined });
  });

  it('refuses an unknown key with UNAUTHENTICATED (401)', () => {
    let refused: unknown;
    try {
      identify('', { headers: { 'x-api-key': 'wrong' } } as never);
    } catch (error) {
      refused = error;
    }
    expect(refused).toBeInstanceOf(Refusal);
    expect((refused as Refusal).status).toBe(401);
    expect((refused as Refusal).errors[0].extensions.code).toBe('UNAUTHENTICATED');
  });

  it('reports every bad TRUSTED_PROXIES entry', () => {
    expect(() => clientIdentityConfig({ TRUSTED_PROXIES: 'loopback, not-an-ip, 10.0.0.0/99' })).toThrow(/"not-an-ip".*\n.*"10.0.0.0\/99"/s);
  });
});
