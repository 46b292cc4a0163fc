import { Check, Embedded, Entity, Index, ManyToOne, OptionalProps, PrimaryKey, Property } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';
import { PostalAddress } from '../../../lib/address';
import { User } from '../account/user.entity';

/**
 * A saved address of a user. Persistence only: GraphQL serves these rows as
 * lib's shared `Address` type (see `toAddress`), which orders also uses for
 * shipping addresses.
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

  /** Columns line1, line2, city, postal_code, country (no prefix). */
  @Embedded(() => PostalAddress, { prefix: false })
  address!: PostalAddress;

  @Property({ columnType: 'timestamptz(3)' })
  createdAt: Date = new Date();
}
