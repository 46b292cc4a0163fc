import { BeforeCreate, BeforeUpdate, Check, Entity, Enum, OptionalProps, PrimaryKey, Property } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';
import { Directive, Field, ID, ObjectType } from 'type-graphql';
import { Role } from './role.enum';
import { ENTITY_DESCRIPTIONS } from '../../../lib/entity-references';

/** Emails compare case-insensitively in practice; storing one form keeps the unique index honest. */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

/**
 * `user` is a reserved word in PostgreSQL; a different table name spares every
 * hand-written query the quoting.
 */
@ObjectType('User', { description: ENTITY_DESCRIPTIONS.User })
@Directive('@key(fields: "id")')
// About one account: never shared between viewers.
@Directive('@cacheControl(scope: PRIVATE)')
@Entity({ tableName: 'user_account' })
@Check({ name: 'user_account_email_lower_check', expression: 'email = lower(email)' })
export class User {
  /** Columns with defaults, optional in `em.create`. */
  [OptionalProps]?: 'role' | 'createdAt';

  @Field(() => ID, { description: 'Stable identifier' })
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Field({ description: 'Sign-in email, lower-cased; unique' })
  @Property({ length: 254, unique: true })
  email!: string;

  @Field({ description: 'Display name' })
  @Property({ length: 200 })
  name!: string;

  @Field(() => Role, { description: 'What the user may do' })
  @Enum({ items: () => Role })
  role: Role = Role.CUSTOMER;

  /**
   * scrypt hash (see password.ts). Lazy, so loading users for `me` or
   * `_entities` never reads it; sign-in asks for it with `populate`. Hidden
   * keeps it out of any serialized entity.
   */
  @Property({ type: 'text', lazy: true, hidden: true })
  passwordHash!: string;

  @Field({ description: 'When the account was created' })
  @Property({ columnType: 'timestamptz(3)' })
  createdAt: Date = new Date();

  @BeforeCreate()
  @BeforeUpdate()
  protected normalize(): void {
    if (this.email) this.email = normalizeEmail(this.email);
  }
}
