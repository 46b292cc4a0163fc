import { readGatewayConfig } from '../gateway.config';

/** The discount code throttle's settings: defaults, and values refused at start. */
describe('discount code throttle settings', () => {
  it('defaults to 10 failures per address and 5 per cart per 15 minutes', () => {
    expect(readGatewayConfig({ NODE_ENV: 'test' }).discountCodeThrottle).toEqual({ failuresPerIp: 10, failuresPerCart: 5, failureWindowSeconds: 900 });
  });

  it('reads its variables', () => {
    const config = readGatewayConfig({ NODE_ENV: 'test', DISCOUNT_CODE_FAILURES_PER_IP: '20', DISCOUNT_CODE_FAILURES_PER_CART: '3', DISCOUNT_CODE_FAILURE_WINDOW_SECONDS: '600' });
    expect(config.discountCodeThrottle).toEqual({ failuresPerIp: 20, failuresPerCart: 3, failureWindowSeconds: 600 });
  });

  it.each([
    ['DISCOUNT_CODE_FAILURES_PER_IP', '0'],
    ['DISCOUNT_CODE_FAILURES_PER_CART', 'five'],
    ['DISCOUNT_CODE_FAILURE_WINDOW_SECONDS', '-1'],
  ])('refuses %s=%s at start', (name, value) => {
    expect(() => readGatewayConfig({ NODE_ENV: 'test', [name]: value })).toThrow(name);
  });
});
