import { createHash, randomBytes } from 'node:crypto';

/** A refresh token lives 30 days from when it is issued; every rotation starts a new 30 days. */
export const REFRESH_TOKEN_TTL_SECONDS = 30 * 24 * 60 * 60;

/**
 * 256 random bits, base64url: unguessable, so the token needs no signature,
 * and a plain (unsalted) SHA-256 is enough to store it: there is nothing to
 * brute-force, unlike a password.
 */
export function createOpaqueToken(): string {
  return randomBytes(32).toString('base64url');
}

/** What the database keeps instead of the token (hex, 64 characters). */
export function hashOpaqueToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}
