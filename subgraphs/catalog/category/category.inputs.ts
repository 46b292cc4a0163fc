import { Field, InputType } from 'type-graphql';

@InputType({ description: 'Changes to a category. Omitted or null fields stay as they are. The slug never changes.' })
export class UpdateCategoryInput {
  @Field(() => String, { nullable: true, description: 'New display name, 1 to 200 characters; the slug stays as it is' })
  name?: string | null;
}
