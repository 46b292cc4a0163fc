import { registerEnumType } from 'type-graphql';
import { Role } from '../../../lib/identity';

/**
 * The Role enum itself lives in lib (the gateway and every subgraph check it);
 * users owns its GraphQL type, so it is registered here and nowhere else.
 */
registerEnumType(Role, {
  name: 'Role',
  description: 'What a user may do in the shop',
  valuesConfig: {
    CUSTOMER: { description: 'A shopper: browses, keeps a cart, checks out and sees their own orders' },
    ADMIN: { description: 'Staff: manages products and stock and sees and updates every order' },
  },
});

export { Role };
