import { createHash } from 'node:crypto';

/**
 * What a client with an API key may send:
 * - `any`: any operation, including automatic persisted queries;
 * - `safelist`: only operations of the manifest, by id or by body;
 * - `ids`: only manifest ids, never a body.
 */
export const SAFELIST_POLICIES = ['any', 'safelist', 'ids'] as const;
export type SafelistPolicy = (typeof SAFELIST_POLICIES)[number];

/** One configured key. Only the key's hash is ever stored or configured. */
export interface ApiKeyEntry {
  client: string;
  keyHash: string;
  policy: SafelistPolicy;
}

export interface ApiClient {
  name: string;
  policy: SafelistPolicy;
}

/** The development-only key of the README's integrator guide. Never accepted in production. */
export const DEMO_API_KEY = 'demo-integrator-key';
export const DEMO_API_CLIENT = 'demo-integrator';

const KEY_HASH = /^sha256:[0-9a-f]{64}$/;
const CLIENT_NAME = /^[A-Za-z0-9][\w.-]{0,63}$/;

/**
 * Keys are long random tokens, not passwords, so a plain SHA-256 is the right
 * hash: a stolen key list reveals no key, and lookups stay one hash per request.
 */
export function hashApiKey(key: string): string {
  return `sha256:${createHash('sha256').update(key, 'utf8').digest('hex')}`;
}

export const DEMO_API_KEY_ENTRY: ApiKeyEntry = { client: DEMO_API_CLIENT, keyHash: hashApiKey(DEMO_API_KEY), policy: 'safelist' };

/**
 * Reads a JSON array of `{ client, keyHash, policy }` (API_KEYS or the file of
 * API_KEYS_FILE); `source` names it in the problems, one line each.
 */
export function parseApiKeyEntries(json: string, source: string): { entries: ApiKeyEntry[]; problems: string[] } {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (error) {
    return { entries: [], problems: [`${source}: not valid JSON (${(error as Error).message})`] };
  }
  if (!Array.isArray(value)) return { entries: [], problems: [`${source}: must be a JSON array of { "client", "keyHash", "policy" }`] };
  const entries: ApiKeyEntry[] = [];
  const problems: string[] = [];
  value.forEach((item: unknown, index) => {
    const where = `${source}[${index}]`;
    if (typeof item !== 'object' || item === null) {
      problems.push(`${where}: must be an object { "client", "keyHash", "policy" }`);
      return;
    }
    const { client, keyHash, policy, key } = item as Record<string, unknown>;
    const before = problems.length;
    if (key !== undefined) problems.push(`${where}: holds a plain "key"; configure only its "keyHash" (npm run api-key -- <client> prints both)`);
    if (typeof client !== 'string' || !CLIENT_NAME.test(client)) problems.push(`${where}: "client" must be a name of letters, digits, ".", "_" or "-" (at most 64)`);
    if (typeof keyHash !== 'string' || !KEY_HASH.test(keyHash)) problems.push(`${where}: "keyHash" must be "sha256:" followed by 64 lowercase hex digits`);
    if (!SAFELIST_POLICIES.includes(policy as SafelistPolicy)) problems.push(`${where}: "policy" must be one of ${SAFELIST_POLICIES.join(', ')}`);
    if (problems.length === before) entries.push({ client: client as string, keyHash: keyHash as string, policy: policy as SafelistPolicy });
  });
  return { entries, problems };
}

/** The configured keys, looked up by hash. */
export class ApiKeyRegistry {
  private readonly byHash: Map<string, ApiClient>;

  constructor(entries: readonly ApiKeyEntry[]) {
    this.byHash = new Map(entries.map((entry) => [entry.keyHash, { name: entry.client, policy: entry.policy }]));
  }

  /** The client a key belongs to, or undefined for an unknown key. */
  identify(key: string): ApiClient | undefined {
    return this.byHash.get(hashApiKey(key));
  }

  get size(): number {
    return this.byHash.size;
  }
}
