import { Lexer, Source, TokenKind } from 'graphql';
import type { HostileShape } from '../scripts/hostile-shapes';
import { leaks } from './hostile';

/**
 * Checks for the hostile-shape family (scripts/hostile-shapes.ts), the same
 * over HTTP and graphql-ws: an answer is its status (HTTP only) and its body
 * (over the socket: the result, or `{ errors }` when the server refused).
 */
export interface ShapeAnswer {
  status?: number;
  body?: { data?: unknown; errors?: readonly unknown[] | { message?: string; extensions?: Record<string, unknown> }[] } | null;
}

type ErrorLike = { message?: string; extensions?: Record<string, unknown> };
const firstError = (answer: ShapeAnswer) => (answer.body?.errors as ErrorLike[] | undefined)?.[0];

/** Lexical tokens of a document, as graphql-js counts them against LIMIT_TOKENS (EOF excluded). */
export function tokenCount(document: string): number {
  const lexer = new Lexer(new Source(document));
  let count = 0;
  while (lexer.advance().kind !== TokenKind.EOF) count += 1;
  return count;
}

/** What the answer to `shape` was, in the shape of its expectation, so a mismatch prints both side by side. */
export function outcomeOf(shape: HostileShape, answer: ShapeAnswer) {
  const error = firstError(answer);
  const data = answer.body?.data as Record<string, unknown> | null | undefined;
  if (shape.expectedStatus === 200) {
    return {
      status: answer.status ?? 200,
      errors: answer.body?.errors,
      hasData: data?.[shape.expectedDataField!] !== undefined && data?.[shape.expectedDataField!] !== null,
    };
  }
  return {
    status: answer.status ?? shape.expectedStatus,
    code: error?.extensions?.code,
    limit: error?.extensions?.limit,
    data: data ?? undefined,
  };
}

/** Asserts that `answer` is what `shape` expects (status only when the answer has one: HTTP). */
export function expectShapeAnswer(shape: HostileShape, answer: ShapeAnswer): void {
  if (shape.expectedStatus === 200) {
    expect(outcomeOf(shape, answer)).toEqual({ status: 200, errors: undefined, hasData: true });
    return;
  }
  expect(outcomeOf(shape, answer)).toEqual({ status: shape.expectedStatus, code: shape.expectedCode, limit: shape.expectedLimit, data: undefined });
  const extensions = firstError(answer)!.extensions!;
  // A figure is a whole number, or past 2^53 a string "about 2^N".
  const measured = extensions.measured;
  if (typeof measured === 'number') expect(Number.isSafeInteger(measured)).toBe(true);
  else expect(measured).toMatch(/^about 2\^\d+$/);
  if (shape.expectedMeasured instanceof RegExp) expect(measured).toMatch(shape.expectedMeasured);
  else if (shape.expectedMeasured !== undefined) expect(measured).toBe(shape.expectedMeasured);
  if (shape.expectedMaximum !== undefined) expect(extensions.maximum).toBe(shape.expectedMaximum);
  expect(leaks(JSON.stringify(answer.body))).toEqual([]);
}

/** The refusal's limit and measured figure: what a fragment-free equivalent must match. */
export function measureOf(answer: ShapeAnswer): { code: unknown; limit: unknown; measured: unknown } {
  const extensions = firstError(answer)?.extensions;
  return { code: extensions?.code, limit: extensions?.limit, measured: extensions?.measured };
}
