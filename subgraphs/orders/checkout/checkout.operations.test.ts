import { GraphQLError } from 'graphql';
import { randomUUID } from 'node:crypto';
import { isUuid } from '../../../lib/uuid';
import { attemptOrderId, isReservationLapsed, linesFingerprint, shortProducts } from './checkout.operations';

describe('checkout request identity', () => {
  const [p1, p2] = [randomUUID(), randomUUID()];
  const lines = [
    { productId: p1, quantity: 2 },
    { productId: p2, quantity: 1 },
  ];

  it('fingerprints lines by product and quantity, whatever their order', () => {
    expect(linesFingerprint(lines)).toBe(linesFingerprint([...lines].reverse()));
    expect(linesFingerprint(lines)).not.toBe(linesFingerprint([{ productId: p1, quantity: 2 }]));
    expect(linesFingerprint(lines)).not.toBe(linesFingerprint([{ productId: p1, quantity: 1 }, { productId: p2, quantity: 2 }]));
    expect(linesFingerprint(lines)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('gives the same request the same order id, a UUID, and any difference another', () => {
    const [user, key, cart] = [randomUUID(), 'key-1', randomUUID()];
    const id = attemptOrderId(user, key, cart, lines);
    expect(isUuid(id)).toBe(true);
    expect(id[14]).toBe('8');
    expect('89ab').toContain(id[19]);
    expect(attemptOrderId(user, key, cart, [...lines].reverse())).toBe(id);
    const others = [
      attemptOrderId(randomUUID(), key, cart, lines),
      attemptOrderId(user, 'key-2', cart, lines),
      attemptOrderId(user, key, randomUUID(), lines),
      attemptOrderId(user, key, cart, lines.slice(1)),
    ];
    expect(new Set([id, ...others]).size).toBe(5);
  });
});

describe("inventory's answers", () => {
  const error = (extensions: Record<string, unknown>) => new GraphQLError('refused', { extensions: { serviceName: 'inventory', ...extensions } });

  it('tells a lapsed reservation (given back unsold, or none at all) from every other refusal', () => {
    expect(isReservationLapsed(error({ code: 'BAD_USER_INPUT', reservationStatus: 'RELEASED' }))).toBe(true);
    expect(isReservationLapsed(error({ code: 'BAD_USER_INPUT', reservationStatus: null }))).toBe(true);
    // Sold and given back (a cancelled paid order): never taken again.
    expect(isReservationLapsed(error({ code: 'BAD_USER_INPUT', reservationStatus: 'RESTOCKED' }))).toBe(false);
    // An inventory that does not say why, another code, or no answer at all.
    expect(isReservationLapsed(error({ code: 'BAD_USER_INPUT' }))).toBe(false);
    expect(isReservationLapsed(error({ code: 'SUBGRAPH_UNAVAILABLE', reservationStatus: 'RELEASED' }))).toBe(false);
    expect(isReservationLapsed(new Error('socket hang up'))).toBe(false);
  });

  it('reads the short products of OUT_OF_STOCK', () => {
    const [a, b] = [randomUUID(), randomUUID()];
    expect(shortProducts(error({ code: 'OUT_OF_STOCK', productIds: [a, b] }))).toEqual([a, b]);
    expect(shortProducts(error({ code: 'OUT_OF_STOCK' }))).toEqual([]);
  });
});
