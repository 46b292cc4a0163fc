import { getArgumentValues } from 'graphql/execution/values';
import { Counter } from 'prom-client';
import { wholeNumber } from '../../lib/config';
import type { Logger } from '../../lib/logger';
import type { GatewayMetrics } from '../metrics';
import type { Budget, BudgetStore } from '../pipeline/budgets';
import { chargeAll, rootFieldOutcome } from '../pipeline/failure-budgets';
import type { GatewayOperation, GatewayPlugin, OperationResponse } from '../pipeline/operation';
import { throttled, tooComplex } from '../pipeline/refusals';

/**
 * Throttling of the credential mutations (`login`, `register`,
 * `refreshToken`), on top of the cost budget, counted per executed root
 * field (the operation's analysis: fragments merged, aliases each their own
 * field), so that `a: login(...) b: login(...)` counts two and a login
 * inside an inline or named fragment counts exactly like a plain one:
 * - at most CREDENTIAL_FIELDS_PER_OPERATION of them in one operation
 *   (QUERY_TOO_COMPLEX, 400): no batch of guesses in one request;
 * - attempts per client IP per minute, for all three together: stops floods
 *   and aliased batches;
 * - failed logins per account and IP: a handful per window, then that IP
 *   may not try that account until the window ends;
 * - failed logins per account from all IPs: a higher cap that slows a
 *   distributed guess at one account. It can lock the real user out, but
 *   only until its window ends (15 minutes by default), and a successful
 *   login clears the account-and-IP counter.
 * Over any of them: RATE_LIMITED, 429, `Retry-After`, and nothing runs.
 */
export interface CredentialThrottleConfig {
  /** Credential fields one operation may hold (aliases count): batching guesses in one request is the classic GraphQL brute force. */
  fieldsPerOperation: number;
  attemptsPerIp: number;
  attemptWindowSeconds: number;
  failuresPerAccountAndIp: number;
  failuresPerAccount: number;
  failureWindowSeconds: number;
}

export const credentialThrottleEnv = {
  CREDENTIAL_FIELDS_PER_OPERATION: wholeNumber('fields')({ default: 1, desc: 'login, register and refreshToken fields one operation may hold (aliases count)' }),
  CREDENTIAL_ATTEMPTS_PER_IP: wholeNumber('attempts')({ default: 30, desc: 'login, register and refreshToken fields one IP may send per CREDENTIAL_ATTEMPT_WINDOW_SECONDS' }),
  CREDENTIAL_ATTEMPT_WINDOW_SECONDS: wholeNumber('seconds')({ default: 60, desc: 'the window of CREDENTIAL_ATTEMPTS_PER_IP' }),
  LOGIN_FAILURES_PER_ACCOUNT_AND_IP: wholeNumber('failures')({ default: 5, desc: 'failed logins to one account from one IP per LOGIN_FAILURE_WINDOW_SECONDS' }),
  LOGIN_FAILURES_PER_ACCOUNT: wholeNumber('failures')({ default: 20, desc: 'failed logins to one account from all IPs per LOGIN_FAILURE_WINDOW_SECONDS' }),
  LOGIN_FAILURE_WINDOW_SECONDS: wholeNumber('seconds')({ default: 900, desc: 'the window of the failed-login counters' }),
};

export function credentialThrottleConfig(values: {
  CREDENTIAL_FIELDS_PER_OPERATION: number;
  CREDENTIAL_ATTEMPTS_PER_IP: number;
  CREDENTIAL_ATTEMPT_WINDOW_SECONDS: number;
  LOGIN_FAILURES_PER_ACCOUNT_AND_IP: number;
  LOGIN_FAILURES_PER_ACCOUNT: number;
  LOGIN_FAILURE_WINDOW_SECONDS: number;
}): CredentialThrottleConfig {
  return {
    fieldsPerOperation: values.CREDENTIAL_FIELDS_PER_OPERATION,
    attemptsPerIp: values.CREDENTIAL_ATTEMPTS_PER_IP,
    attemptWindowSeconds: values.CREDENTIAL_ATTEMPT_WINDOW_SECONDS,
    failuresPerAccountAndIp: values.LOGIN_FAILURES_PER_ACCOUNT_AND_IP,
    failuresPerAccount: values.LOGIN_FAILURES_PER_ACCOUNT,
    failureWindowSeconds: values.LOGIN_FAILURE_WINDOW_SECONDS,
  };
}

/** The credential mutations of the contract. */
const CREDENTIAL_FIELDS = new Set(['login', 'register', 'refreshToken']);

interface LoginAttempt {
  /** The response key (alias or name) of the login field. */
  responseKey: string;
  account: string;
}

export function useCredentialThrottle(options: { config: CredentialThrottleConfig; store: BudgetStore; metrics: GatewayMetrics; logger: Logger }): GatewayPlugin {
  const { config, store, logger } = options;
  const attempts: Budget = store.budget('credentials:ip', config.attemptsPerIp, config.attemptWindowSeconds);
  const accountAndIp: Budget = store.budget('login-failures:account-ip', config.failuresPerAccountAndIp, config.failureWindowSeconds);
  const account: Budget = store.budget('login-failures:account', config.failuresPerAccount, config.failureWindowSeconds);
  /** The logins each admitted operation holds, for its response to settle. */
  const loginsOf = new WeakMap<GatewayOperation, LoginAttempt[]>();
  const refused = new Counter({
    name: 'graphql_credential_throttled_total',
    help: 'Operations refused by credential throttling, by limit',
    labelNames: ['limit'] as const,
    registers: [options.metrics.registry],
  });

  return {
    name: 'credential-throttle',
    async onRequest(operation: GatewayOperation) {
      const analysis = operation.analysis();
      if (analysis?.operationType !== 'mutation') return;
      const fields = analysis.rootFields.filter((field) => CREDENTIAL_FIELDS.has(field.name) && field.definition);
      if (fields.length === 0) return;
      if (fields.length > config.fieldsPerOperation) {
        refused.inc({ limit: 'fieldsPerOperation' });
        throw tooComplex('credentialFields', fields.length, config.fieldsPerOperation, `The operation holds ${fields.length} login, register or refreshToken fields; the limit is ${config.fieldsPerOperation}`);
      }
      const ip = operation.client!.ip;

      const spent = await attempts.spend(ip, fields.length);
      if (!spent.allowed) {
        refused.inc({ limit: 'attempts' });
        logger.warn({ ip, fields: fields.length }, 'credential attempts over the per-IP limit refused');
        throw throttled(`Too many sign-in, registration or refresh attempts from this address (${config.attemptsPerIp} per ${config.attemptWindowSeconds} s)`, spent.resetSeconds, 'credentialAttempts');
      }

      const logins: LoginAttempt[] = [];
      for (const field of fields) {
        if (field.name !== 'login') continue;
        const email = getArgumentValues(field.definition!, field.nodes[0], operation.variables).email;
        if (typeof email === 'string') logins.push({ responseKey: field.responseKey, account: email.trim().toLowerCase() });
      }
      // Each login is counted as a failure up front and refunded if it succeeds (../pipeline/failure-budgets.ts).
      for (const login of logins) {
        const charged = await chargeAll([
          { budget: accountAndIp, key: `${login.account}|${ip}`, points: 1 },
          { budget: account, key: login.account, points: 1 },
        ]);
        if (!charged.allowed) {
          refused.inc({ limit: 'loginFailures' });
          logger.warn({ ip, accountLocked: charged.refusedBy.some((charge) => charge.budget === account) }, 'login refused: too many failed attempts for this account');
          throw throttled('Too many failed sign-in attempts for this account', charged.retryAfterSeconds, 'loginFailures');
        }
      }
      loginsOf.set(operation, logins);
    },

    async onResponse(operation: GatewayOperation, response: OperationResponse) {
      const logins = loginsOf.get(operation);
      if (!logins || response.refused) return;
      const ip = operation.client!.ip;
      await Promise.all(
        logins.map(async (login) => {
          if (!rootFieldOutcome(response, login.responseKey).value) return;
          // A successful sign-in clears this IP's failures for the account and refunds the attempt.
          await Promise.all([accountAndIp.reset(`${login.account}|${ip}`), account.refund(login.account, 1)]);
        }),
      );
    },
  };
}
