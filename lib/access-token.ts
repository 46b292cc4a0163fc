import { SignJWT, decodeJwt, jwtVerify, errors as joseErrors } from 'jose';
import { Role, type Viewer } from './identity';

export const ACCESS_TOKEN_TTL_SECONDS = 15 * 60;
const ISSUER = 'commerce-users';
const AUDIENCE = 'commerce-supergraph';

const keyCache = new Map<string, Uint8Array>();
function keyFor(secret: string): Uint8Array {
  let key = keyCache.get(secret);
  if (!key) {
    key = new TextEncoder().encode(secret);
    keyCache.set(secret, key);
  }
  return key;
}

/** Signs a short-lived HS256 access token carrying the user id and role. */
export async function signAccessToken(viewer: Viewer, secret: string, ttlSeconds = ACCESS_TOKEN_TTL_SECONDS): Promise<string> {
  return new SignJWT({ role: viewer.role })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(viewer.id)
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(`${ttlSeconds}s`)
    .sign(keyFor(secret));
}

export class InvalidAccessTokenError extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'InvalidAccessTokenError';
  }
}

/** Verifies an access token; throws InvalidAccessTokenError when it is forged, expired or malformed. */
export async function verifyAccessToken(token: string, secret: string): Promise<Viewer> {
  try {
    const { payload } = await jwtVerify(token, keyFor(secret), { issuer: ISSUER, audience: AUDIENCE, algorithms: ['HS256'] });
    const role = payload.role;
    if (typeof payload.sub !== 'string' || (role !== Role.ADMIN && role !== Role.CUSTOMER)) {
      throw new InvalidAccessTokenError('Access token has no valid subject or role');
    }
    return { id: payload.sub, role };
  } catch (error) {
    if (error instanceof InvalidAccessTokenError) throw error;
    if (error instanceof joseErrors.JWTExpired) throw new InvalidAccessTokenError('Access token has expired');
    throw new InvalidAccessTokenError('Access token is invalid');
  }
}

/**
 * When an access token stops being valid, in ms since the epoch (its `exp`),
 * or null when it has none. It reads the claim without checking the
 * signature, so only call it with a token verifyAccessToken has accepted:
 * it is for holders of a verified token that must stop acting on it in time
 * (a subscription outliving the request that authenticated it).
 */
export function accessTokenExpiresAt(verifiedToken: string): number | null {
  const { exp } = decodeJwt(verifiedToken);
  return typeof exp === 'number' ? exp * 1000 : null;
}
