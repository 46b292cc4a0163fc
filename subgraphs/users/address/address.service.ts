import type { AddressInput } from '../../../lib/address';
import { PostalAddress } from '../../../lib/address';
import { badUserInput, unauthenticated } from '../../../lib/errors';
import type { UsersContext } from '../users.context';
import { UserAddress } from './user-address.entity';

const REQUIRED = ['line1', 'city', 'postalCode'] as const;

/** The stored form of an input: trimmed, an empty second line as none. Blank required lines are refused. */
export function toPostalAddress(input: AddressInput): PostalAddress {
  const postal = new PostalAddress();
  postal.line1 = input.line1.trim();
  postal.line2 = input.line2?.trim() || null;
  postal.city = input.city.trim();
  postal.postalCode = input.postalCode.trim();
  postal.country = input.country;
  const blank = REQUIRED.filter((field) => !postal[field]);
  if (blank.length > 0) throw badUserInput(`${blank.join(', ')} must not be blank`, { fields: blank });
  return postal;
}

export class AddressService {
  /** Saves an address for the viewer (the resolver requires one). */
  async add(ctx: UsersContext, input: AddressInput): Promise<UserAddress> {
    const address = toPostalAddress(input);
    const user = await ctx.loaders.userById.load(ctx.viewer!.id);
    // A valid token of an account deleted since it was issued.
    if (!user) throw unauthenticated('Your account no longer exists');
    const row = ctx.em.create(UserAddress, { user, address });
    await ctx.em.flush();
    return row;
  }
}
