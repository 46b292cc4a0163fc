import { getArgumentValues } from 'graphql/execution/values';
import { Counter } from 'prom-client';
import { wholeNumber } from '../../lib/config';
import { ErrorCode } from '../../lib/errors';
import type { Logger } from '../../lib/logger';
import type { GatewayMetrics } from '../metrics';
import type { Budget, BudgetStore } from '../pipeline/budgets';
import { chargeAll, refundAll, rootFieldOutcome, type Charge } from '../pipeline/failure-budgets';
import type { GatewayOperation, GatewayPlugin, OperationResponse } from '../pipeline/operation';
import { throttled } from '../pipeline/refusals';

/**
 * Throttling of failed `applyDiscountCode` attempts, so that codes cannot be
 * found by guessing (without it one address could try about 20,000 a minute).
 * Counted per executed root field (the operation's analysis: aliases each
 * their own field, fragments merged), over HTTP and WebSocket alike:
 * - failed codes per client IP per window;
 * - failed codes per cart (the `cartId` argument, else the signed-in user's
 *   own cart) from all IPs per window: slows a guess spread over addresses.
 * Each attempt is charged up front and given back unless its answer is
 * DISCOUNT_CODE_INVALID. Over either budget the operation does not run, a
 * valid code included: RATE_LIMITED, 429, `Retry-After`, the same answer
 * whatever the code, so a throttled guesser learns nothing about it.
 */
export interface DiscountCodeThrottleConfig {
  failuresPerIp: number;
  failuresPerCart: number;
  failureWindowSeconds: number;
}

export const discountCodeThrottleEnv = {
  DISCOUNT_CODE_FAILURES_PER_IP: wholeNumber('failures')({ default: 10, desc: 'applyDiscountCode attempts answered DISCOUNT_CODE_INVALID one IP may make per DISCOUNT_CODE_FAILURE_WINDOW_SECONDS' }),
  DISCOUNT_CODE_FAILURES_PER_CART: wholeNumber('failures')({ default: 5, desc: 'applyDiscountCode attempts answered DISCOUNT_CODE_INVALID on one cart, from all IPs, per DISCOUNT_CODE_FAILURE_WINDOW_SECONDS' }),
  DISCOUNT_CODE_FAILURE_WINDOW_SECONDS: wholeNumber('seconds')({ default: 900, desc: 'the window of the failed discount code counters' }),
};

export function discountCodeThrottleConfig(values: { DISCOUNT_CODE_FAILURES_PER_IP: number; DISCOUNT_CODE_FAILURES_PER_CART: number; DISCOUNT_CODE_FAILURE_WINDOW_SECONDS: number }): DiscountCodeThrottleConfig {
  return {
    failuresPerIp: values.DISCOUNT_CODE_FAILURES_PER_IP,
    failuresPerCart: values.DISCOUNT_CODE_FAILURES_PER_CART,
    failureWindowSeconds: values.DISCOUNT_CODE_FAILURE_WINDOW_SECONDS,
  };
}

const APPLY_DISCOUNT_CODE = 'applyDiscountCode';

interface CodeAttempt {
  /** The response key (alias or name) of the field. */
  responseKey: string;
  /** What this attempt was charged, given back unless it fails. */
  charges: Charge[];
}

/**
 * The cart an attempt guesses at: the `cartId` argument, else the signed-in
 * user's cart. Ids are lower-cased because the cart service reads a UUID in
 * any case: otherwise each spelling of one id would be a budget of its own.
 * A guest without a cart id has no cart (the per-IP budget still applies).
 */
function cartKeyOf(cartId: unknown, operation: GatewayOperation): string | undefined {
  if (typeof cartId === 'string') return `cart:${cartId.trim().toLowerCase()}`;
  return operation.viewer ? `user:${operation.viewer.id}` : undefined;
}

export function useDiscountCodeThrottle(options: { config: DiscountCodeThrottleConfig; store: BudgetStore; metrics: GatewayMetrics; logger: Logger }): GatewayPlugin {
  const { config, store, logger } = options;
  const perIp: Budget = store.budget('discount-code-failures:ip', config.failuresPerIp, config.failureWindowSeconds);
  const perCart: Budget = store.budget('discount-code-failures:cart', config.failuresPerCart, config.failureWindowSeconds);
  /** The attempts each admitted operation holds, for its response to settle. */
  const attemptsOf = new WeakMap<GatewayOperation, CodeAttempt[]>();
  const refused = new Counter({
    name: 'graphql_discount_code_throttled_total',
    help: 'Operations refused by discount code throttling, by the budget that was spent (ip, cart)',
    labelNames: ['limit'] as const,
    registers: [options.metrics.registry],
  });

  return {
    name: 'discount-code-throttle',
    async onRequest(operation: GatewayOperation) {
      const analysis = operation.analysis();
      if (analysis?.operationType !== 'mutation') return;
      const fields = analysis.rootFields.filter((field) => field.name === APPLY_DISCOUNT_CODE && field.definition);
      if (fields.length === 0) return;
      const ip = operation.client!.ip;

      const attempts: CodeAttempt[] = fields.map((field) => {
        const cartKey = cartKeyOf(getArgumentValues(field.definition!, field.nodes[0], operation.variables).cartId, operation);
        const charges: Charge[] = [{ budget: perIp, key: ip, points: 1 }];
        if (cartKey) charges.push({ budget: perCart, key: cartKey, points: 1 });
        return { responseKey: field.responseKey, charges };
      });
      // All the operation's attempts at once: aliased fields are refused together, none runs.
      const charged = await chargeAll(mergeCharges(attempts.flatMap((attempt) => attempt.charges)));
      if (!charged.allowed) {
        const limits = [...new Set(charged.refusedBy.map((charge) => (charge.budget === perIp ? 'ip' : 'cart')))];
        for (const limit of limits) refused.inc({ limit });
        logger.warn({ ip, attempts: attempts.length, limits }, 'discount code attempts refused: too many failed codes');
        throw throttled('Too many invalid discount codes tried', charged.retryAfterSeconds, 'discountCodeFailures');
      }
      attemptsOf.set(operation, attempts);
    },

    async onResponse(operation: GatewayOperation, response: OperationResponse) {
      const attempts = attemptsOf.get(operation);
      if (!attempts) return;
      // Only DISCOUNT_CODE_INVALID is a failed guess (a later step's refusal ran nothing); an attempt
      // whose answer is lost (its data nulled by another field's error, no error of its own) stays counted.
      const notFailed = response.refused
        ? attempts
        : attempts.filter((attempt) => {
            const outcome = rootFieldOutcome(response, attempt.responseKey);
            if (outcome.errorCodes.includes(ErrorCode.DISCOUNT_CODE_INVALID)) return false;
            return outcome.value != null || outcome.errorCodes.length > 0;
          });
      await refundAll(notFailed.flatMap((attempt) => attempt.charges));
    },
  };
}

/** One charge per budget and key (three aliased attempts on one cart: 3 points of that cart, in one call). */
function mergeCharges(charges: readonly Charge[]): Charge[] {
  const byBudget = new Map<Budget, Map<string, Charge>>();
  for (const charge of charges) {
    const byKey = byBudget.get(charge.budget) ?? new Map<string, Charge>();
    byBudget.set(charge.budget, byKey);
    const sum = byKey.get(charge.key);
    byKey.set(charge.key, { ...charge, points: (sum?.points ?? 0) + charge.points });
  }
  return [...byBudget.values()].flatMap((byKey) => [...byKey.values()]);
}
