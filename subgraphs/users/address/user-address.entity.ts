import { Check, Entity, Index, ManyToOne, OptionalProps, PrimaryKey, Property } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';
import { User } from '../account/user.entity';

/**
 * A saved address of a user. Persistence only: GraphQL serves these rows as
 * lib's shared `Address` type (same property names), which orders also uses
 * for shipping addresses, so the type is not redeclared here.
 */
@Entity({ tableName: 'user_address' })
@Index({ name: 'user_address_user_id_created_at_id_idx', properties: ['user', 'createdAt', 'id'] })
@Check({ name: 'user_address_country_check', expression: "country ~ '^[A-Z]{2}$'" })
export class UserAddress {
  [OptionalProps]?: 'createdAt';

  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @ManyToOne(() => User, { deleteRule: 'cascade' })
  user!: User;

  @Property({ length: 200 })
  line1!: string;

  @Property({ length: 200, nullable: true })
  line2?: string | null;

  @Property({ length: 100 })
  city!: string;

  @Property({ length: 20 })
  postalCode!: string;

  /** ISO 3166-1 alpha-2. */
  @Property({ length: 2 })
  country!: string;

  @Property({ columnType: 'timestamptz(3)' })
  createdAt: Date = new Date();
}
