import { randomBytes } from 'node:crypto';
import { hashApiKey, SAFELIST_POLICIES, type SafelistPolicy } from '../gateway/persisted-queries/api-keys';

/**
 * `npm run api-key -- <client> [any|safelist|ids]`: a new random API key for
 * an integrator and the entry that configures it (API_KEYS or API_KEYS_FILE).
 * The key is shown once; only its hash goes into the configuration.
 */
function main(): void {
  const [client, policy = 'safelist'] = process.argv.slice(2);
  if (!client || !/^[A-Za-z0-9][\w.-]{0,63}$/.test(client) || !SAFELIST_POLICIES.includes(policy as SafelistPolicy)) {
    console.error(`usage: npm run api-key -- <client name> [${SAFELIST_POLICIES.join('|')}]   (default policy: safelist)`);
    process.exit(1);
  }
  const key = `cmk_${randomBytes(32).toString('base64url')}`;
  console.log(`API key for ${client} (give it to the integrator; it is not stored anywhere):\n\n  ${key}\n`);
  console.log(`Entry for API_KEYS / API_KEYS_FILE:\n\n  ${JSON.stringify({ client, keyHash: hashApiKey(key), policy })}\n`);
}

main();
