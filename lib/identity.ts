import { timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

export enum Role {
  CUSTOMER = 'CUSTOMER',
  ADMIN = 'ADMIN',
}

/** Who is making a request, as established by the gateway. */
export interface Viewer {
  id: string;
  role: Role;
}

/**
 * The viewer is that user, or an ADMIN: who may see a user's personal data
 * (account, addresses, cart, orders). The one rule every subgraph applies.
 */
export function actsFor(viewer: Viewer | null, userId: string): boolean {
  return viewer != null && (viewer.id === userId || viewer.role === Role.ADMIN);
}

/**
 * Trust between processes: the gateway (or a sibling service) presents the
 * internal secret, and only then does a subgraph believe the viewer header.
 * A request to a subgraph port without it is refused, so the port is no way
 * around the gateway's authentication.
 */
export const INTERNAL_SECRET_HEADER = 'x-internal-secret';
export const VIEWER_HEADER = 'x-viewer';
/**
 * When the gateway received the client's request (`t=<ms since epoch>`, the
 * convention of Heroku's and New Relic's X-Request-Start), so a subgraph
 * that answers within a time budget (checkout) counts the time the request
 * already spent in the gateway and in queues, not only its own.
 */
export const REQUEST_START_HEADER = 'x-request-start';
/** A forwarded request start older than this (or later than now by more than the clock skew below) is ignored. */
const REQUEST_START_MAX_AGE_MS = 60_000;
const REQUEST_START_MAX_SKEW_MS = 1_000;

export function internalHeaders(secret: string, viewer: Viewer | null, requestStartedAt?: number): Record<string, string> {
  const headers: Record<string, string> = { [INTERNAL_SECRET_HEADER]: secret };
  if (viewer) headers[VIEWER_HEADER] = JSON.stringify({ id: viewer.id, role: viewer.role });
  if (requestStartedAt !== undefined) headers[REQUEST_START_HEADER] = `t=${Math.floor(requestStartedAt)}`;
  return headers;
}

/**
 * When the client's request reached the gateway (ms since epoch), from a
 * trusted caller's REQUEST_START_HEADER; `now` when absent, malformed, or
 * implausible (older than a minute, or ahead of `now` by more than a second
 * of clock skew; a little ahead counts as `now`).
 */
export function forwardedRequestStart(headers: IncomingHttpHeaders, now = Date.now()): number {
  const match = /^t=(\d{1,16})$/.exec(firstHeader(headers[REQUEST_START_HEADER]) ?? '');
  const startedAt = match ? Number(match[1]) : NaN;
  if (!Number.isSafeInteger(startedAt) || startedAt < now - REQUEST_START_MAX_AGE_MS || startedAt > now + REQUEST_START_MAX_SKEW_MS) return now;
  return Math.min(startedAt, now);
}

function firstHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

export function hasInternalCredential(headers: IncomingHttpHeaders, secret: string): boolean {
  const presented = firstHeader(headers[INTERNAL_SECRET_HEADER]);
  if (!presented) return false;
  const a = Buffer.from(presented);
  const b = Buffer.from(secret);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The viewer a trusted caller forwarded; null for anonymous requests. */
export function forwardedViewer(headers: IncomingHttpHeaders): Viewer | null {
  const raw = firstHeader(headers[VIEWER_HEADER]);
  if (!raw) return null;
  try {
    const parsed = JSON.parse(raw) as Partial<Viewer>;
    if (typeof parsed.id === 'string' && (parsed.role === Role.ADMIN || parsed.role === Role.CUSTOMER)) {
      return { id: parsed.id, role: parsed.role };
    }
  } catch {
    // fall through: a malformed header from a trusted caller is a bug there, treat as anonymous
  }
  return null;
}
