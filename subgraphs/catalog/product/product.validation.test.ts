import { baseSlug, firstFreeSlug } from './product.service';
import { checkPriceAmount, normalizeCurrency, normalizeImageUrl, normalizeSku } from './product.validation';

describe('product field rules', () => {
  it('makes slugs from names, bounded and never empty', () => {
    expect(baseSlug('  Crème Brûlée Torch, 2nd Edition! ')).toBe('creme-brulee-torch-2nd-edition');
    expect(baseSlug('☕')).toBe('product');
    expect(baseSlug(`${'a'.repeat(119)} b`)).toBe('a'.repeat(119));
    expect(baseSlug('x'.repeat(300))).toHaveLength(120);
  });

  it('numbers a taken slug with the first free suffix from 2', () => {
    expect(firstFreeSlug('mug', new Set())).toBe('mug');
    expect(firstFreeSlug('mug', new Set(['mug']))).toBe('mug-2');
    expect(firstFreeSlug('mug', new Set(['mug', 'mug-2', 'mug-3', 'mug-5']))).toBe('mug-4');
  });

  it('normalizes SKUs, currencies and image URLs, and explains refusals', () => {
    expect(normalizeSku(' shoe-1.a_b ')).toBe('SHOE-1.A_B');
    expect(() => normalizeSku('-shoe')).toThrow('may contain only');
    expect(normalizeCurrency(' jpy ')).toBe('JPY');
    expect(() => normalizeCurrency('ABC')).toThrow('not an ISO 4217 currency code');
    expect(normalizeImageUrl('https://cdn.example.com/a b.png')).toBe('https://cdn.example.com/a%20b.png');
    expect(() => normalizeImageUrl('data:image/png;base64,AAAA')).toThrow('http or https');
    expect(checkPriceAmount(0)).toBe(0);
    expect(() => checkPriceAmount(-1)).toThrow('at least 0');
  });
});
