import { Args, ArgsType, Ctx, Directive, Field, FieldResolver, Int, Resolver, Root } from 'type-graphql';
import { OrderConnection } from '../order/order.connection';
import { OrderService } from '../order/order.service';
import type { OrdersContext } from '../orders.context';
import { UserOrders } from './user.type';

@ArgsType()
class UserOrdersArgs {
  @Field(() => Int, { nullable: true, defaultValue: 20, description: 'Page size, at most 100' })
  first?: number | null;

  @Field(() => String, { nullable: true, description: 'Cursor after which the page starts (pageInfo.endCursor of the previous page)' })
  after?: string | null;
}

@Resolver(() => UserOrders)
export class UserOrdersResolver {
  private readonly orderService = new OrderService();

  /** Demand control (docs/demand-control.md): a page of `first` (default 20, at most 100) orders: nodes and edges are that long. */
  @Directive('@listSize(slicingArguments: ["first"], sizedFields: ["nodes", "edges"], requireOneSlicingArgument: false)')
  @FieldResolver(() => OrderConnection, { description: "The user's orders, newest first. Only the user themself or an ADMIN" })
  async orders(@Root() user: UserOrders, @Ctx() ctx: OrdersContext, @Args(() => UserOrdersArgs) args: UserOrdersArgs): Promise<OrderConnection> {
    return this.orderService.pageForUser(ctx, user.id, args);
  }
}
