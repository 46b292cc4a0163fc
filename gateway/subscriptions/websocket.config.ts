import { wholeNumber } from '../../lib/config';

/**
 * Limits of the graphql-ws endpoint, so one client cannot hold the gateway's
 * memory or sockets: message size (larger messages close the socket with
 * 1009), subscriptions per connection (TOO_MANY_SUBSCRIPTIONS), connections
 * per client IP (the upgrade is answered 429), the time a client has to send
 * `connection_init` (4408), and keep-alive pings (a peer that misses a pong is
 * dropped).
 */
export interface WebSocketConfig {
  maxMessageBytes: number;
  maxSubscriptionsPerConnection: number;
  maxConnectionsPerIp: number;
  initTimeoutMs: number;
  keepAliveMs: number;
}

export const webSocketEnv = {
  WS_MAX_MESSAGE_BYTES: wholeNumber('bytes')({ default: 65_536, desc: 'largest message a WebSocket client may send; larger ones close the socket (1009)' }),
  WS_MAX_SUBSCRIPTIONS_PER_CONNECTION: wholeNumber('subscriptions')({ default: 25, desc: 'operations one WebSocket connection may have running at once' }),
  WS_MAX_CONNECTIONS_PER_IP: wholeNumber('connections')({ default: 50, desc: 'open WebSocket connections per client IP (one gateway replica)' }),
  WS_INIT_TIMEOUT_MS: wholeNumber('milliseconds')({ default: 3_000, desc: 'time a client has to send connection_init before the socket is closed (4408)' }),
  WS_KEEPALIVE_MS: wholeNumber('milliseconds')({ default: 12_000, desc: 'interval of keep-alive pings; a peer that misses a pong is dropped' }),
};

export function webSocketConfig(values: {
  WS_MAX_MESSAGE_BYTES: number;
  WS_MAX_SUBSCRIPTIONS_PER_CONNECTION: number;
  WS_MAX_CONNECTIONS_PER_IP: number;
  WS_INIT_TIMEOUT_MS: number;
  WS_KEEPALIVE_MS: number;
}): WebSocketConfig {
  return {
    maxMessageBytes: values.WS_MAX_MESSAGE_BYTES,
    maxSubscriptionsPerConnection: values.WS_MAX_SUBSCRIPTIONS_PER_CONNECTION,
    maxConnectionsPerIp: values.WS_MAX_CONNECTIONS_PER_IP,
    initTimeoutMs: values.WS_INIT_TIMEOUT_MS,
    keepAliveMs: values.WS_KEEPALIVE_MS,
  };
}
