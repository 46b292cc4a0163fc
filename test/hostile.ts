import { createClient, type Client, type FormattedExecutionResult } from 'graphql-ws';
import WebSocket from 'ws';
import type { GatewayConfig } from '../gateway/gateway.config';
import { startTestSupergraph, type TestSupergraph } from './supergraph-harness';

/**
 * Wiring for the hostile-input suites: the whole supergraph in production
 * mode (introspection off, no suggestions, no stacks), with loopback as a
 * trusted proxy so each test can speak as its own client IP through
 * X-Forwarded-For and never spend another test's budget.
 */
export function startProductionSupergraph(gateway: Partial<GatewayConfig> = {}): Promise<TestSupergraph> {
  return startTestSupergraph({ production: true, gateway: { clientIdentity: { trustedProxies: ['loopback'] }, ...gateway } });
}

export interface HttpAnswer {
  status: number;
  headers: Headers;
  text: string;
  body: { data?: unknown; errors?: { message: string; extensions?: Record<string, unknown> }[]; extensions?: Record<string, unknown> } | undefined;
}

let ipCounter = 0;
/** A client address of its own (documentation range 198.51.100.0/24), for X-Forwarded-For. */
export function freshIp(): string {
  ipCounter += 1;
  return `198.51.100.${(ipCounter % 250) + 1}`;
}

export const JSON_HEADERS = { 'content-type': 'application/json' };

/** Sends a request as is and reads whatever comes back. */
export async function send(url: string, init: { method?: string; headers?: Record<string, string>; body?: string }): Promise<HttpAnswer> {
  const response = await fetch(url, { method: init.method ?? 'POST', headers: init.headers, body: init.body });
  const text = await response.text();
  let body: HttpAnswer['body'];
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: response.status, headers: response.headers, text, body };
}

export function post(url: string, payload: unknown, headers: Record<string, string> = {}): Promise<HttpAnswer> {
  return send(url, { headers: { ...JSON_HEADERS, 'x-forwarded-for': freshIp(), ...headers }, body: JSON.stringify(payload) });
}

export const codeOf = (answer: { body?: HttpAnswer['body'] } | FormattedExecutionResult | readonly unknown[]) => {
  if (Array.isArray(answer)) return (answer[0] as { extensions?: { code?: unknown } } | undefined)?.extensions?.code;
  const body = 'body' in (answer as object) ? (answer as HttpAnswer).body : (answer as FormattedExecutionResult);
  return body?.errors?.[0]?.extensions?.code;
};

/** What must never reach a client: stacks, source paths, SQL, HTML pages, schema suggestions. */
const LEAKS = [/\bstack\b/i, /\bat \S+ \(/, /node_modules/, /\/work\//, /\.ts:\d+/, /did you mean/i, /\bselect\b.*\bfrom\b/i, /\binsert into\b/i, /<html/i, /<!DOCTYPE/i, /exception/i];

export function leaks(text: string): string[] {
  return LEAKS.filter((pattern) => pattern.test(text)).map(String);
}

/** A graphql-ws client with its own connection parameters and upgrade headers. */
export function wsClientWith(httpUrl: string, connectionParams: Record<string, unknown>, headers: Record<string, string> = {}): Client {
  class WebSocketWithHeaders extends WebSocket {
    constructor(address: string, protocols?: string | string[]) {
      super(address, protocols, { headers });
    }
  }
  return createClient({ url: httpUrl.replace(/^http/, 'ws'), webSocketImpl: WebSocketWithHeaders, connectionParams, retryAttempts: 0, lazy: true });
}

/** Runs one operation over the socket and resolves with its result, or its errors if the server refused it. */
export function runOverSocket(client: Client, payload: { query: string; variables?: Record<string, unknown>; operationName?: string }): Promise<{ result?: FormattedExecutionResult<Record<string, unknown>, unknown>; errors?: readonly unknown[] }> {
  return new Promise((resolve) => {
    let result: FormattedExecutionResult<Record<string, unknown>, unknown> | undefined;
    const timer = setTimeout(() => resolve({ errors: [{ message: 'timed out' }] }), 10_000);
    client.subscribe(payload, {
      next: (value) => {
        result = value;
      },
      error: (error) => {
        clearTimeout(timer);
        resolve({ errors: Array.isArray(error) ? error : [error] });
      },
      complete: () => {
        clearTimeout(timer);
        resolve({ result });
      },
    });
  });
}
