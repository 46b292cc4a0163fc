import { LockMode, UniqueConstraintViolationException } from '@mikro-orm/core';
import { randomBytes, randomUUID } from 'node:crypto';
import { ACCESS_TOKEN_TTL_SECONDS, signAccessToken } from '../../../lib/access-token';
import type { EntityManager } from '../../../lib/database';
import { badUserInput, ErrorCode, graphQLError, unauthenticated } from '../../../lib/errors';
import { Role } from '../../../lib/identity';
import type { UsersContext } from '../users.context';
import type { LoginArgs, RegisterInput } from './auth.inputs';
import { AuthPayload } from './auth.payload';
import { createOpaqueToken, hashOpaqueToken, REFRESH_TOKEN_TTL_SECONDS } from './opaque-token';
import { hashPassword, needsRehash, verifyPassword } from './password';
import { RefreshToken } from './refresh-token.entity';
import { normalizeEmail, User } from './user.entity';

/** The name PostgreSQL reports when the email unique index refuses a row (see the initial migration). */
const EMAIL_UNIQUE_CONSTRAINT = 'user_account_email_unique';

const emailTaken = () => graphQLError(ErrorCode.EMAIL_TAKEN, 'An account with this email already exists');
/** One message for an unknown email and a wrong password, so a caller cannot tell which it was. */
const invalidCredentials = () => graphQLError(ErrorCode.INVALID_CREDENTIALS, 'The email or password is incorrect');
/** One message for unknown, expired, used and revoked refresh tokens: the holder of a stolen one learns nothing. */
const invalidRefreshToken = () => unauthenticated('The refresh token is invalid or has expired; sign in again');

let dummyHash: Promise<string> | undefined;
/**
 * A hash of a random password with the current parameters. Logging in with
 * an unknown email verifies against it, so that answer costs one scrypt like
 * a wrong password does and response times do not reveal which emails have
 * accounts. Computed once per process, on first use.
 */
function dummyPasswordHash(): Promise<string> {
  dummyHash ??= hashPassword(randomBytes(16).toString('base64'));
  return dummyHash;
}

type RefreshOutcome =
  | { ok: true; user: User; refreshToken: string }
  | { ok: false; reason: 'unknown' | 'expired' | 'revoked' | 'reused'; userId?: string; familyId?: string };

export class AuthService {
  /** Creates a CUSTOMER account and its first session. */
  async register(ctx: UsersContext, input: RegisterInput): Promise<AuthPayload> {
    const email = normalizeEmail(input.email);
    const name = input.name.trim();
    if (!name) throw badUserInput('name must not be blank', { field: 'name' });
    // Spares the scrypt cost for the common case; the unique index decides races.
    if ((await ctx.em.count(User, { email })) > 0) throw emailTaken();
    const passwordHash = await hashPassword(input.password);
    try {
      const { user, refreshToken } = await ctx.em.transactional(async (tx) => {
        const user = tx.create(User, { email, name, passwordHash, role: Role.CUSTOMER });
        return { user, refreshToken: this.startFamily(tx, user) };
      });
      return this.payload(ctx, user, refreshToken);
    } catch (error) {
      if (error instanceof UniqueConstraintViolationException && (error as { constraint?: string }).constraint === EMAIL_UNIQUE_CONSTRAINT) {
        throw emailTaken();
      }
      throw error;
    }
  }

  /** Checks the password and starts a new session (a new refresh-token family). */
  async login(ctx: UsersContext, { email, password }: LoginArgs): Promise<AuthPayload> {
    const user = await ctx.em.findOne(User, { email: normalizeEmail(email) }, { populate: ['passwordHash'] });
    if (!user) {
      await verifyPassword(password, await dummyPasswordHash());
      throw invalidCredentials();
    }
    if (!(await verifyPassword(password, user.passwordHash))) throw invalidCredentials();
    // The only moment the plain password is at hand: move old hashes to the current cost.
    if (needsRehash(user.passwordHash)) user.passwordHash = await hashPassword(password);
    const refreshToken = await ctx.em.transactional(async (tx) => this.startFamily(tx, user));
    return this.payload(ctx, user, refreshToken);
  }

  /**
   * Rotates a refresh token: the presented one is used up and a successor in
   * the same family is issued. The row is locked for the whole transaction,
   * so of two concurrent exchanges of one token exactly one sees it unused.
   * Presenting a token that was already exchanged means two parties hold it
   * (a thief and the owner, or a replay), so the whole family is revoked:
   * the successor dies too, and the owner has to sign in again.
   */
  async refresh(ctx: UsersContext, presented: string): Promise<AuthPayload> {
    const tokenHash = hashOpaqueToken(presented);
    const outcome = await ctx.em.transactional(async (tx): Promise<RefreshOutcome> => {
      const now = new Date();
      const current = await tx.findOne(RefreshToken, { tokenHash }, { lockMode: LockMode.PESSIMISTIC_WRITE });
      if (!current) return { ok: false, reason: 'unknown' };
      const about = { userId: current.user.id, familyId: current.familyId };
      if (current.revokedAt) return { ok: false, reason: 'revoked', ...about };
      if (current.usedAt) {
        // Returned, not thrown: the revocation must commit.
        await revokeFamily(tx, current.familyId, now);
        return { ok: false, reason: 'reused', ...about };
      }
      // A logout or reuse that ran while a rotation of this family was in
      // flight can miss the rotation's new row; one revoked row condemns all.
      if ((await tx.count(RefreshToken, { familyId: current.familyId, revokedAt: { $ne: null } })) > 0) {
        await revokeFamily(tx, current.familyId, now);
        return { ok: false, reason: 'revoked', ...about };
      }
      if (current.expiresAt.getTime() <= now.getTime()) return { ok: false, reason: 'expired', ...about };
      const user = await tx.findOneOrFail(User, { id: current.user.id });
      current.usedAt = now;
      return { ok: true, user, refreshToken: this.issue(tx, user, current.familyId, now) };
    });
    if (!outcome.ok) {
      const { reason, userId, familyId } = outcome;
      if (reason === 'reused') ctx.log.warn({ userId, familyId }, 'refresh token reused; revoked its family');
      else ctx.log.info({ reason, userId, familyId }, 'refused a refresh token');
      throw invalidRefreshToken();
    }
    return this.payload(ctx, outcome.user, outcome.refreshToken);
  }

  /**
   * Ends the session the token belongs to: every token of its family is
   * revoked. Always true (also for an unknown, expired, used or already
   * revoked token), so repeating it is harmless and the answer does not say
   * whether the token ever existed.
   */
  async logout(ctx: UsersContext, presented: string): Promise<boolean> {
    const token = await ctx.em.findOne(RefreshToken, { tokenHash: hashOpaqueToken(presented) }, { fields: ['familyId'] });
    if (token) await revokeFamily(ctx.em, token.familyId, new Date());
    return true;
  }

  /** A new sign-in: a refresh token opening its own family. */
  private startFamily(em: EntityManager, user: User): string {
    return this.issue(em, user, randomUUID(), new Date());
  }

  /** Persists (on flush) a new refresh token of `familyId`; returns the only copy of the token itself. */
  private issue(em: EntityManager, user: User, familyId: string, now: Date): string {
    const token = createOpaqueToken();
    em.create(RefreshToken, {
      user,
      tokenHash: hashOpaqueToken(token),
      familyId,
      expiresAt: new Date(now.getTime() + REFRESH_TOKEN_TTL_SECONDS * 1000),
    });
    return token;
  }

  private async payload(ctx: UsersContext, user: User, refreshToken: string): Promise<AuthPayload> {
    const payload = new AuthPayload();
    payload.accessToken = await signAccessToken({ id: user.id, role: user.role }, ctx.config.jwtSecret);
    payload.expiresIn = ACCESS_TOKEN_TTL_SECONDS;
    payload.refreshToken = refreshToken;
    payload.user = user;
    return payload;
  }
}

async function revokeFamily(em: EntityManager, familyId: string, now: Date): Promise<void> {
  await em.nativeUpdate(RefreshToken, { familyId, revokedAt: null }, { revokedAt: now });
}
