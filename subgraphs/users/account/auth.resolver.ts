import { Arg, Args, Mutation, Resolver } from 'type-graphql';
import { notImplemented } from '../../../lib/errors';
import { LoginArgs, RegisterInput } from './auth.inputs';
import { AuthPayload } from './auth.payload';

@Resolver()
export class AuthResolver {
  @Mutation(() => AuthPayload, { description: 'Creates a CUSTOMER account and signs it in. EMAIL_TAKEN when the email has an account.' })
  async register(@Arg('input', () => RegisterInput, { description: 'The new account' }) _input: RegisterInput): Promise<AuthPayload> {
    throw notImplemented('register');
  }

  @Mutation(() => AuthPayload, { description: 'Signs in with email and password. INVALID_CREDENTIALS when either is wrong.' })
  async login(@Args(() => LoginArgs) _args: LoginArgs): Promise<AuthPayload> {
    throw notImplemented('login');
  }

  @Mutation(() => AuthPayload, { description: 'Exchanges a refresh token for a new access and refresh token; the old refresh token stops working' })
  async refreshToken(@Arg('refreshToken', () => String, { description: 'A refresh token from an earlier AuthPayload' }) _refreshToken: string): Promise<AuthPayload> {
    throw notImplemented('refreshToken');
  }

  @Mutation(() => Boolean, { description: 'Revokes a refresh token (and the tokens rotated from the same sign-in)' })
  async logout(@Arg('refreshToken', () => String, { description: 'The refresh token to revoke' }) _refreshToken: string): Promise<boolean> {
    throw notImplemented('logout');
  }
}
