import { envSettings, jwtSecretEnv } from '../../lib/config';

export interface UsersConfig {
  /** Key of access tokens. */
  jwtSecret: string;
}

/** Settings only users reads among the subgraphs: it signs access tokens (the gateway verifies them). */
export const usersSettings = envSettings(jwtSecretEnv, (values): UsersConfig => ({ jwtSecret: values.JWT_SECRET }));
