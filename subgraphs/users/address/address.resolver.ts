import { Arg, Authorized, Ctx, Mutation, Resolver } from 'type-graphql';
import { Address, AddressInput, toAddress } from '../../../lib/address';
import type { UsersContext } from '../users.context';
import { AddressService } from './address.service';

@Resolver(() => Address)
export class AddressResolver {
  private readonly addressService = new AddressService();

  @Authorized()
  @Mutation(() => Address, { description: "Saves an address to the signed-in user's address book" })
  async addAddress(@Ctx() ctx: UsersContext, @Arg('input', () => AddressInput, { description: 'The address to save' }) input: AddressInput): Promise<Address> {
    const row = await this.addressService.add(ctx, input);
    return toAddress(row.id, row.address);
  }
}
