import type { OperationResponse } from './operation';
import type { Budget } from './budgets';

/*
 * Failure budgets: how the throttles of guessable mutations (failed logins,
 * failed discount codes) count. Each attempt is charged up front to every
 * budget it belongs to (per address, per account or cart ...), so a burst of
 * concurrent guesses is counted before any of them has been answered; the
 * charge is given back once the answer shows the attempt did not fail.
 */

/** Points of one budget under one key. */
export interface Charge {
  budget: Budget;
  key: string;
  points: number;
}

export type ChargeOutcome = { allowed: true } | { allowed: false; retryAfterSeconds: number; refusedBy: readonly Charge[] };

/**
 * Spends every charge at once. When any budget is short the attempt does not
 * run, so every charge is given back (the short ones included: the counter
 * increments even when it refuses): a refused attempt costs nothing, and an
 * address that is throttled for one key cannot, by retrying, spend a budget
 * shared with other clients (e.g. lock an account or a cart for everyone).
 */
export async function chargeAll(charges: readonly Charge[]): Promise<ChargeOutcome> {
  const states = await Promise.all(charges.map((charge) => charge.budget.spend(charge.key, charge.points)));
  const refusedBy = charges.filter((_, index) => !states[index].allowed);
  if (refusedBy.length === 0) return { allowed: true };
  await refundAll(charges);
  const retryAfterSeconds = Math.max(...states.filter((state) => !state.allowed).map((state) => state.resetSeconds));
  return { allowed: false, retryAfterSeconds, refusedBy };
}

/** Gives charges back (an attempt that turned out not to fail). */
export async function refundAll(charges: readonly Charge[]): Promise<void> {
  await Promise.all(charges.filter((charge) => charge.points > 0).map((charge) => charge.budget.refund(charge.key, charge.points)));
}

/** What a response says of one executed root field, by its response key (alias or name). */
export function rootFieldOutcome(response: OperationResponse, responseKey: string): { value: unknown; errorCodes: unknown[] } {
  const data = response.result.data as Record<string, unknown> | null | undefined;
  const errorCodes = (response.result.errors ?? []).filter((error) => error.path?.[0] === responseKey).map((error) => error.extensions?.code);
  return { value: data?.[responseKey], errorCodes };
}
