import { Directive, Field, ID, ObjectType } from 'type-graphql';
import { ENTITY_DESCRIPTIONS } from '../../../lib/entity-references';

/**
 * The users subgraph's User, as far as this subgraph is concerned: its key,
 * to which this subgraph adds `orders`.
 */
@ObjectType('User', { description: ENTITY_DESCRIPTIONS.User })
@Directive('@key(fields: "id")')
// The same hint as users' User: about one account, never shared.
@Directive('@cacheControl(scope: PRIVATE)')
export class UserOrders {
  @Field(() => ID, { description: 'Stable identifier' })
  id!: string;
}
