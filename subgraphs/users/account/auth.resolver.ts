import { Arg, Args, Ctx, Directive, Mutation, Resolver } from 'type-graphql';
import type { UsersContext } from '../users.context';
import { LoginArgs, RegisterInput } from './auth.inputs';
import { AuthPayload } from './auth.payload';
import { AuthService } from './auth.service';

/**
 * Validation errors echo the rejected input (class-validator's `target` and
 * `value`); for these arguments that would put a password into the response.
 */
const VALIDATE_WITHOUT_ECHO = { validate: { validationError: { target: false, value: false } } };

@Resolver()
export class AuthResolver {
  private readonly authService = new AuthService();

  /*
   * Demand control (docs/demand-control.md): a mutation root field weighs 10;
   * register and login weigh 20, as each runs one scrypt (N = 2^15, r = 8:
   * 32 MiB and tens of milliseconds of CPU; login also for an unknown email),
   * worth about another mutation. It also makes password guessing spend
   * twice the rate-limit points. refreshToken and logout only hash a token
   * with SHA-256 and keep the default.
   */
  @Directive('@cost(weight: 20)')
  @Mutation(() => AuthPayload, {
    description: 'Creates a CUSTOMER account and signs it in. EMAIL_TAKEN when the email (in any letter case) has an account; BAD_USER_INPUT for an invalid email, a password under 8 characters or a blank name.',
  })
  async register(
    @Ctx() ctx: UsersContext,
    @Arg('input', () => RegisterInput, { description: 'The new account', ...VALIDATE_WITHOUT_ECHO }) input: RegisterInput,
  ): Promise<AuthPayload> {
    return this.authService.register(ctx, input);
  }

  @Directive('@cost(weight: 20)')
  @Mutation(() => AuthPayload, { description: 'Signs in with email and password, starting a new session. INVALID_CREDENTIALS when either is wrong.' })
  async login(@Ctx() ctx: UsersContext, @Args(() => LoginArgs, VALIDATE_WITHOUT_ECHO) args: LoginArgs): Promise<AuthPayload> {
    return this.authService.login(ctx, args);
  }

  @Mutation(() => AuthPayload, {
    description:
      'Exchanges a refresh token for a new access and refresh token; the old refresh token stops working. UNAUTHENTICATED for an unknown, expired, used or revoked token; presenting an already exchanged token again also ends its session.',
  })
  async refreshToken(
    @Ctx() ctx: UsersContext,
    @Arg('refreshToken', () => String, { description: 'A refresh token from an earlier AuthPayload' }) refreshToken: string,
  ): Promise<AuthPayload> {
    return this.authService.refresh(ctx, refreshToken);
  }

  @Mutation(() => Boolean, {
    description: 'Ends the session of a refresh token: it and every token rotated from the same sign-in are revoked. Always true, also for an unknown or already revoked token.',
  })
  async logout(
    @Ctx() ctx: UsersContext,
    @Arg('refreshToken', () => String, { description: 'The refresh token to revoke' }) refreshToken: string,
  ): Promise<boolean> {
    return this.authService.logout(ctx, refreshToken);
  }
}
