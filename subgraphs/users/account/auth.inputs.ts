import { IsEmail, Length, MaxLength } from 'class-validator';
import { ArgsType, Field, InputType } from 'type-graphql';

@InputType({ description: 'A new account' })
export class RegisterInput {
  @Field({ description: 'Sign-in email; stored lower-cased, must not have an account yet' })
  @IsEmail()
  @MaxLength(254)
  email!: string;

  @Field({ description: 'At least 8 characters' })
  // The upper bound only stops absurd inputs from costing hashing time.
  @Length(8, 200)
  password!: string;

  @Field({ description: 'Display name' })
  @Length(1, 200)
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
