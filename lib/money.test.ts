import { isCurrencyCode, money } from './money';

describe('money', () => {
  it('formats integer minor units for display', () => {
    expect(money(1299, 'USD')).toMatchObject({ amount: 1299, currency: 'USD', formatted: '$12.99' });
    expect(money(0, 'USD').formatted).toBe('$0.00');
    expect(money(123456, 'EUR').formatted).toBe('€1,234.56');
    expect(money(500, 'JPY').formatted).toBe('¥500');
  });

  it('refuses fractional amounts', () => {
    expect(() => money(12.5, 'USD')).toThrow(RangeError);
  });

  it('recognises ISO 4217 codes', () => {
    expect(isCurrencyCode('USD')).toBe(true);
    expect(isCurrencyCode('usd')).toBe(false);
    expect(isCurrencyCode('DOLLARS')).toBe(false);
    expect(isCurrencyCode('XYZ')).toBe(false);
  });
});
