import { Directive, Field, Int, ObjectType } from 'type-graphql';
import { User } from './user.entity';

@ObjectType({ description: 'The result of signing in, registering or refreshing' })
// Tokens of one session: never cached for anyone else.
@Directive('@cacheControl(scope: PRIVATE)')
export class AuthPayload {
  @Field({ description: 'Short-lived JWT; send it as `Authorization: Bearer <accessToken>`' })
  accessToken!: string;

  @Field({ description: 'Opaque and single use: exchange it with `refreshToken` for a new pair' })
  refreshToken!: string;

  @Field(() => Int, { description: 'Seconds until the access token expires' })
  expiresIn!: number;

  @Field(() => User, { description: 'The signed-in user' })
  user!: User;
}
