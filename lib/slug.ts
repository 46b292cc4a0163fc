/**
 * `text` as a URL slug: accents dropped, lower case, every run of other
 * characters one hyphen, none at either end. A module of its own because
 * catalog's product slugs and the demo data both use it, and production code
 * should not depend on the demo data.
 */
export function slugify(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
}
