import { Directive, Field, InputType, ObjectType } from 'type-graphql';

/**
 * One option value of a variant, e.g. Size = M. Shared by the variant's
 * `selectedOptions`, `Product.variantBySelectedOptions` and the product
 * filter's `options` (product search), so it is declared once here.
 */
@ObjectType({ description: 'One option value a variant has, e.g. name "Size", value "M"' })
// A value type: as cacheable as the variant it belongs to.
@Directive('@cacheControl(inheritMaxAge: true)')
export class SelectedOption {
  @Field({ description: 'The option\'s name, e.g. "Size"' })
  name!: string;

  @Field({ description: 'The value of that option, e.g. "M"' })
  value!: string;
}

@InputType({ description: 'One option value to look for, e.g. name "Size", value "M"; names and values are case-sensitive' })
export class SelectedOptionInput {
  @Field({ description: 'The option\'s name, e.g. "Size"' })
  name!: string;

  @Field({ description: 'The value of that option, e.g. "M"' })
  value!: string;
}
