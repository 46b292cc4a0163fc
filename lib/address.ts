import { Embeddable, Property } from '@mikro-orm/core';
import { IsOptional, Length, Matches, MaxLength } from 'class-validator';
import { Directive, Field, ID, InputType, ObjectType } from 'type-graphql';

/**
 * A postal address. users keeps a customer's saved addresses and orders keeps
 * the shipping address snapshotted at checkout; both serve this one GraphQL
 * type, so it is defined once and is `@shareable`.
 */
@ObjectType({ description: 'A postal address' })
@Directive('@shareable')
// Someone's address (saved, or shipped to): never shared between viewers.
@Directive('@cacheControl(scope: PRIVATE)')
export class Address {
  @Field(() => ID, { description: 'Stable identifier' })
  id!: string;

  @Field({ description: 'Street and number' })
  line1!: string;

  @Field(() => String, { nullable: true, description: 'Apartment, suite, building' })
  line2?: string | null;

  @Field({ description: 'City or town' })
  city!: string;

  @Field({ description: 'Postal or ZIP code' })
  postalCode!: string;

  @Field({ description: 'ISO 3166-1 alpha-2 country code, e.g. "NL"' })
  country!: string;
}

@InputType({ description: 'A postal address to save or ship to' })
export class AddressInput {
  @Field({ description: 'Street and number' })
  @Length(1, 200)
  line1!: string;

  @Field(() => String, { nullable: true, description: 'Apartment, suite, building' })
  @IsOptional()
  @MaxLength(200)
  line2?: string | null;

  @Field({ description: 'City or town' })
  @Length(1, 100)
  city!: string;

  @Field({ description: 'Postal or ZIP code' })
  @Length(1, 20)
  postalCode!: string;

  @Field({ description: 'ISO 3166-1 alpha-2 country code, e.g. "NL"' })
  @Matches(/^[A-Z]{2}$/, { message: 'country must be an ISO 3166-1 alpha-2 code such as "NL"' })
  country!: string;
}

/**
 * The stored form of an address, embedded in the rows that keep one (users'
 * saved addresses, orders' shipping snapshot) with the same columns and limits.
 */
@Embeddable()
export class PostalAddress {
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
}

/** The GraphQL Address for a stored one; `id` is that of the row keeping it. */
export function toAddress(id: string, postal: PostalAddress): Address {
  const address = new Address();
  address.id = id;
  address.line1 = postal.line1;
  address.line2 = postal.line2 ?? null;
  address.city = postal.city;
  address.postalCode = postal.postalCode;
  address.country = postal.country;
  return address;
}
