import { GraphQLError } from 'graphql';
import { createHash, randomUUID } from 'node:crypto';
import { isUuid } from '../../../lib/uuid';
import { Role, type Viewer } from '../../../lib/identity';
import type { SubgraphClients } from '../../../lib/subgraph-client';
import { attemptOrderId, isReservationLapsed, linesFingerprint, readQuotedCart, shortProducts } from './checkout.operations';

describe('checkout request identity', () => {
  const [p1, p2] = [randomUUID(), randomUUID()];
  // Default variants: the variant id is the product's.
  const line = (productId: string, quantity: number, variantId = productId) => ({ productId, variantId, quantity });
  const lines = [line(p1, 2), line(p2, 1)];

  it('fingerprints lines by variant and quantity, whatever their order', () => {
    expect(linesFingerprint(lines)).toBe(linesFingerprint([...lines].reverse()));
    expect(linesFingerprint(lines)).not.toBe(linesFingerprint([line(p1, 2)]));
    expect(linesFingerprint(lines)).not.toBe(linesFingerprint([line(p1, 1), line(p2, 2)]));
    expect(linesFingerprint(lines)).toMatch(/^[0-9a-f]{64}$/);
    // Another variant of the same product is another purchase.
    expect(linesFingerprint(lines)).not.toBe(linesFingerprint([line(p1, 2, randomUUID()), line(p2, 1)]));
  });

  it('digests default-variant lines as lines were digested before variants (product id and quantity), so fingerprints stored then stay valid', () => {
    const before = (productLines: { productId: string; quantity: number }[]) =>
      createHash('sha256')
        .update(
          [...productLines]
            .sort((a, b) => (a.productId < b.productId ? -1 : a.productId > b.productId ? 1 : 0))
            .map((l) => `${l.productId}:${l.quantity}`)
            .join(','),
        )
        .digest('hex');
    expect(linesFingerprint(lines)).toBe(before(lines.map(({ productId, quantity }) => ({ productId, quantity }))));
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

describe("cart's quote", () => {
  const viewer: Viewer = { id: randomUUID(), role: Role.CUSTOMER };
  /** A cart sibling that answers `answer` (or throws it) to whatever it is asked, recording the variables. */
  const cartAnswering = (answer: unknown) => {
    const calls: Record<string, unknown>[] = [];
    const clients = {
      cart: {
        request: async (_query: string, variables: Record<string, unknown>) => {
          calls.push(variables);
          if (answer instanceof Error) throw answer;
          return answer;
        },
      },
    } as unknown as SubgraphClients;
    return { clients, calls };
  };
  const refusal = (argumentName: string) =>
    new GraphQLError('No shipping method "pigeon" ships to NL', { extensions: { code: 'BAD_USER_INPUT', argumentName, serviceName: 'cart' } });

  it("names the checkout input's fields in cart's refusals of the quote's arguments, and passes any other error on", async () => {
    const shipping = { countryCode: 'nl', shippingMethodId: 'pigeon' };
    await expect(readQuotedCart(cartAnswering(refusal('shippingMethodId')).clients, viewer, null, shipping)).rejects.toMatchObject({
      message: 'No shipping method "pigeon" ships to NL',
      extensions: { code: 'BAD_USER_INPUT', argumentName: 'input.shippingMethodId' },
    });
    await expect(readQuotedCart(cartAnswering(refusal('countryCode')).clients, viewer, null, shipping)).rejects.toMatchObject({
      extensions: { code: 'BAD_USER_INPUT', argumentName: 'input.shippingAddress.country' },
    });
    const unsold = new GraphQLError('no longer sold', { extensions: { code: 'BAD_USER_INPUT', productIds: ['p'], serviceName: 'cart' } });
    await expect(readQuotedCart(cartAnswering(unsold).clients, viewer, null, shipping)).rejects.toBe(unsold);
  });

  it('asks for the country upper-cased and merges the lines of one variant, sorted by variant', async () => {
    const [a, b] = [randomUUID(), randomUUID()].sort();
    const quote = {
      currency: 'USD',
      lines: [
        { variantId: b, productId: b, quantity: 1, unitPriceAmount: 500 },
        { variantId: a, productId: b, quantity: 1, unitPriceAmount: 700 },
        { variantId: b, productId: b, quantity: 2, unitPriceAmount: 500 },
      ],
      subtotal: 2200,
      discounts: 0,
      shipping: 999,
      tax: 0,
      total: 3199,
      shippingMethod: { id: 'standard', name: 'Standard', description: '3-5 business days' },
      discount: null,
    };
    const { clients, calls } = cartAnswering({ cart: { id: 'c1', items: [], checkoutQuote: quote } });
    const cart = await readQuotedCart(clients, viewer, null, { countryCode: 'nl', shippingMethodId: null });
    expect(calls).toEqual([{ id: null, countryCode: 'NL', shippingMethodId: null }]);
    expect(cart!.lines).toEqual([
      { variantId: a, productId: b, quantity: 1, unitPriceAmount: 700 },
      { variantId: b, productId: b, quantity: 3, unitPriceAmount: 500 },
    ]);
    expect(cart!.quote).toMatchObject({ total: 3199, lines: cart!.lines, discount: null });
    expect(await readQuotedCart(cartAnswering({ cart: null }).clients, viewer, null, { countryCode: 'NL', shippingMethodId: null })).toBeNull();
  });
});
