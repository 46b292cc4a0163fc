import { Entity, Index, ManyToOne, OptionalProps, PrimaryKey, Property } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';
import { User } from './user.entity';

/**
 * One issued refresh token. The token itself is an opaque random string given
 * to the client once; only its SHA-256 is stored, so a database leak yields
 * nothing usable. Tokens are single use: refreshing marks this row used and
 * issues a successor in the same family. Presenting a used token again means
 * it was stolen (or replayed), and the whole family is revoked.
 */
@Entity({ tableName: 'refresh_token' })
export class RefreshToken {
  [OptionalProps]?: 'createdAt';

  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Index()
  @ManyToOne(() => User, { deleteRule: 'cascade' })
  user!: User;

  /** Hex SHA-256 of the token the client holds. */
  @Property({ length: 64, unique: true })
  tokenHash!: string;

  /** Shared by every token rotated from the same sign-in, so reuse can revoke them all at once. */
  @Index()
  @Property({ type: 'uuid' })
  familyId!: string;

  @Property({ columnType: 'timestamptz(3)' })
  expiresAt!: Date;

  /** Set when the token was exchanged for a new one. */
  @Property({ columnType: 'timestamptz(3)', nullable: true })
  usedAt?: Date | null;

  /** Set on logout or when reuse of the family was detected. */
  @Property({ columnType: 'timestamptz(3)', nullable: true })
  revokedAt?: Date | null;

  @Property({ columnType: 'timestamptz(3)' })
  createdAt: Date = new Date();
}
