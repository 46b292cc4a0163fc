import { GraphQLError } from 'graphql';
import { ErrorCode } from '../../lib/errors';

/*
 * How admission steps say no, and the refusals several of them share, so
 * that a limit is reported the same way whichever step measured it.
 */

/**
 * A step's "no": the errors the client gets, with the HTTP status (WebSocket
 * clients get the same errors and codes). Thrown by admission steps.
 */
export class Refusal extends Error {
  constructor(
    readonly errors: readonly GraphQLError[],
    readonly status: number,
    readonly headers: Record<string, string> = {},
  ) {
    super(errors[0]?.message ?? 'refused');
    this.name = 'Refusal';
  }
}

export interface RefusalOptions {
  status: number;
  headers?: Record<string, string>;
  /** More facts for the client under `extensions` (limit, measured value, retry delay ...). */
  extensions?: Record<string, unknown>;
}

/** A refusal with one error coded from ErrorCode. */
export function refusal(code: ErrorCode, message: string, options: RefusalOptions): Refusal {
  return new Refusal([new GraphQLError(message, { extensions: { ...options.extensions, code } })], options.status, options.headers);
}

/**
 * A measured figure as a client reads it: a whole number, or "about 2^N" past
 * what a double holds exactly (hostile documents measure 2^64 and more).
 */
export function figure(value: number | string): number | string {
  if (typeof value === 'string' || Number.isSafeInteger(value)) return value;
  return `about 2^${Math.round(Math.log2(value))}`;
}

/** QUERY_TOO_COMPLEX (400) naming the limit, the measured value and the maximum. */
export function tooComplex(limit: string, measured: number | string, maximum: number, message: string) {
  return refusal(ErrorCode.QUERY_TOO_COMPLEX, message, { status: 400, extensions: { limit, measured: figure(measured), maximum } });
}

/** RATE_LIMITED (429) with `Retry-After`: a budget is spent, nothing runs. */
export function throttled(message: string, retryAfterSeconds: number, limit: string, extensions: Record<string, unknown> = {}) {
  const retryAfter = Math.max(1, retryAfterSeconds);
  return refusal(ErrorCode.RATE_LIMITED, `${message}; try again in ${retryAfter} s`, {
    status: 429,
    headers: { 'retry-after': String(retryAfter) },
    extensions: { limit, ...extensions, retryAfterSeconds: retryAfter },
  });
}
