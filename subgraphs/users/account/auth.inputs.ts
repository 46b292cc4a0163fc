import { IsEmail, Length, Matches, MaxLength } from 'class-validator';
import { ArgsType, Field, InputType } from 'type-graphql';

@InputType({ description: 'A new account' })
export class RegisterInput {
  @Field({ description: 'Sign-in email; stored lower-cased, must not have an account yet' })
  @IsEmail()
  @MaxLength(254)
  email!: string;

  @Field({ description: 'At least 8 characters (at most 200)' })
  // The upper bound only stops absurd inputs from costing hashing time.
  @Length(8, 200, { message: 'password must be 8 to 200 characters long' })
  password!: string;

  @Field({ description: 'Display name, not blank; stored without surrounding spaces' })
  @Length(1, 200)
  @Matches(/\S/, { message: 'name must not be blank' })
  name!: string;
}

/** An args class, not two @Arg parameters, so the SDL lists email before password as the contract does. */
@ArgsType()
export class LoginArgs {
  @Field({ description: 'Sign-in email, any letter case' })
  email!: string;

  @Field({ description: 'The password' })
  password!: string;
}
