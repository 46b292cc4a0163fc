import { envSettings, jwtSecretEnv } from '../../lib/config';

/** Settings only users reads among the subgraphs: it signs access tokens (the gateway verifies them). */
export const usersEnv = jwtSecretEnv;

export interface UsersConfig {
  /** Key of access tokens. */
  jwtSecret: string;
}

export function usersConfig(values: { JWT_SECRET: string }): UsersConfig {
  return { jwtSecret: values.JWT_SECRET };
}

export const usersSettings = envSettings(usersEnv, usersConfig);
