import { createLogger } from '../../lib/logger';
import { createBudgetStore, type BudgetStore } from './budgets';
import { chargeAll } from './failure-budgets';

/** Failure budgets charged together (in memory: the Redis store is exercised by the gateway's e2e suites). */
describe('chargeAll', () => {
  let store: BudgetStore;

  beforeEach(async () => {
    store = await createBudgetStore({ namespace: 'test:', logger: createLogger('test', 'silent') });
  });

  it('spends every charge while all budgets allow it', async () => {
    const perIp = store.budget('ip', 3, 60);
    const perCart = store.budget('cart', 2, 60);
    expect(await chargeAll([{ budget: perIp, key: 'a', points: 1 }, { budget: perCart, key: 'c', points: 1 }])).toEqual({ allowed: true });
    expect((await perIp.peek('a')).remaining).toBe(2);
    expect((await perCart.peek('c')).remaining).toBe(1);
  });

  it('gives every charge back when one budget is short, so retries while throttled spend no shared budget', async () => {
    const pair = store.budget('pair', 1, 60);
    const shared = store.budget('shared', 5, 60);
    const attempt = () => chargeAll([{ budget: pair, key: 'ip|account', points: 1 }, { budget: shared, key: 'account', points: 1 }]);
    expect((await attempt()).allowed).toBe(true);
    for (let i = 0; i < 10; i += 1) {
      const refused = await attempt();
      expect(refused).toMatchObject({ allowed: false, refusedBy: [expect.objectContaining({ budget: pair })] });
      expect(refused.allowed === false && refused.retryAfterSeconds).toBeGreaterThan(50);
    }
    // Ten refused retries from the throttled pair left the shared budget as the one allowed attempt did.
    expect((await shared.peek('account')).remaining).toBe(4);
    expect((await pair.peek('ip|account')).remaining).toBe(0);
  });

  it('refuses several points at once over the budget, and keeps none of them', async () => {
    const perCart = store.budget('cart', 5, 60);
    expect((await chargeAll([{ budget: perCart, key: 'c', points: 6 }])).allowed).toBe(false);
    expect((await perCart.peek('c')).remaining).toBe(5);
  });
});
