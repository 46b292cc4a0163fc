import { combinations, variantSku, variantTitle } from '../../../lib/variant-naming';
import { normalizeOptions, variantSkus } from './product-option.validation';

describe('product options', () => {
  it('combines values first option slowest, so the first combination is the default variant', () => {
    expect(combinations([])).toEqual([[]]);
    expect(combinations([{ name: 'Size', values: ['S', 'M'] }, { name: 'Color', values: ['Black', 'Olive'] }])).toEqual([
      ['S', 'Black'],
      ['S', 'Olive'],
      ['M', 'Black'],
      ['M', 'Olive'],
    ]);
  });

  it('makes SKUs and titles from the values', () => {
    expect(variantSku('JACK-0025', ['S', 'Forest Green'])).toBe('JACK-0025-S-FOREST-GREEN');
    expect(variantSku('JACK-0025', [])).toBe('JACK-0025');
    expect(variantTitle([])).toBe('Default');
    expect(variantTitle(['M', 'Black'])).toBe('M / Black');
    expect(variantTitle(['a'.repeat(100), 'b'.repeat(100), 'c'.repeat(100)])).toHaveLength(200);
  });

  it('trims names and values and accepts no options', () => {
    expect(normalizeOptions(null)).toEqual([]);
    expect(normalizeOptions([{ name: ' Size ', values: [' S', 'M '] }])).toEqual([{ name: 'Size', values: ['S', 'M'] }]);
  });

  it('refuses SKUs that are too long or equal', () => {
    const options = normalizeOptions([{ name: 'Size', values: ['S'] }]);
    expect(() => variantSkus('X'.repeat(63), options)).toThrow(/longer than 64/);
    expect(() => variantSkus('X', [{ name: 'A', values: ['a-b', 'a'] }, { name: 'B', values: ['c', 'b-c'] }])).toThrow(/Two variants/);
    expect(variantSkus('X', options)).toEqual(['X-S']);
  });
});
