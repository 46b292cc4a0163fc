import { Arg, Authorized, Mutation, Resolver } from 'type-graphql';
import { Address, AddressInput } from '../../../lib/address';
import { notImplemented } from '../../../lib/errors';

@Resolver(() => Address)
export class AddressResolver {
  @Authorized()
  @Mutation(() => Address, { description: "Saves an address to the signed-in user's address book" })
  async addAddress(@Arg('input', () => AddressInput, { description: 'The address to save' }) _input: AddressInput): Promise<Address> {
    throw notImplemented('addAddress');
  }
}
