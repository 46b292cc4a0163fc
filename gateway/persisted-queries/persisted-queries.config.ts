import { readFileSync } from 'node:fs';
import path from 'node:path';
import { bool, ConfigError, str, wholeNumber } from '../../lib/config';
import { schemaDir } from '../../lib/paths';
import { DEMO_API_KEY_ENTRY, parseApiKeyEntries, type ApiKeyEntry } from './api-keys';

/**
 * Gateway-wide safelisting, on top of each API key's own policy:
 * - `off`: only keys with a `safelist` or `ids` policy are restricted;
 * - `enforce`: every client must send manifest operations (the production
 *   lock-down); keys with the `ids` policy still send ids only;
 * - `log`: operations that `enforce` would refuse are logged and counted but
 *   served (to see what a lock-down would break). Keys' own policies still apply.
 */
export const SAFELIST_MODES = ['off', 'enforce', 'log'] as const;
export type SafelistMode = (typeof SAFELIST_MODES)[number];

export interface PersistedQueriesConfig {
  /** Seconds an automatic persisted query stays registered after its last registration. */
  apqTtlSeconds: number;
  safelistMode: SafelistMode;
  /** The persisted query manifest (Apollo's format) that is the safelist. */
  manifestPath: string;
  /** Reload the manifest when its file changes (SIGHUP always reloads it). */
  watchManifest: boolean;
  /** Hashed API keys; outside production this includes the demo key. */
  apiKeys: ApiKeyEntry[];
  /** Largest document an APQ registration may store, in bytes. */
  apqMaxDocumentBytes: number;
  /** APQ registrations one client (API key, else IP) may make per window. */
  apqRegistrationsPerWindow: number;
  apqRegistrationWindowSeconds: number;
}

export const persistedQueriesEnv = {
  APQ_TTL_SECONDS: wholeNumber('seconds')({ default: 86_400, desc: 'seconds an automatic persisted query stays registered' }),
  APQ_MAX_DOCUMENT_BYTES: wholeNumber('bytes')({ default: 8_192, desc: 'largest document an automatic persisted query registration may store' }),
  APQ_REGISTRATIONS_PER_WINDOW: wholeNumber('registrations')({ default: 100, desc: 'APQ registrations one client (API key, else IP) may make per window' }),
  APQ_REGISTRATION_WINDOW_SECONDS: wholeNumber('seconds')({ default: 3_600, desc: 'the window of APQ_REGISTRATIONS_PER_WINDOW' }),
  SAFELIST_MODE: str({ choices: [...SAFELIST_MODES], default: 'off', desc: 'gateway-wide safelisting: off, enforce or log' }),
  PERSISTED_QUERY_MANIFEST_PATH: str({ default: path.join(schemaDir(), 'persisted-query-manifest.json'), desc: 'the persisted query manifest (safelist)' }),
  PERSISTED_QUERY_MANIFEST_WATCH: bool({ default: true, desc: 'reload the manifest when its file changes' }),
  API_KEYS: str({ default: undefined, desc: 'JSON array of { client, keyHash, policy }' }),
  API_KEYS_FILE: str({ default: undefined, desc: 'file holding a JSON array of { client, keyHash, policy }' }),
};

type PersistedQueriesEnv = {
  APQ_TTL_SECONDS: number;
  APQ_MAX_DOCUMENT_BYTES: number;
  APQ_REGISTRATIONS_PER_WINDOW: number;
  APQ_REGISTRATION_WINDOW_SECONDS: number;
  SAFELIST_MODE: string;
  PERSISTED_QUERY_MANIFEST_PATH: string;
  PERSISTED_QUERY_MANIFEST_WATCH: boolean;
  API_KEYS?: string;
  API_KEYS_FILE?: string;
};

/**
 * Builds the settings from validated variables and loads the API keys from
 * API_KEYS and API_KEYS_FILE (both may be used). Every problem with the keys
 * is reported at once, one line each.
 */
export function persistedQueriesConfig(values: PersistedQueriesEnv, production: boolean): PersistedQueriesConfig {
  const problems: string[] = [];
  const entries: ApiKeyEntry[] = [];
  const collect = (json: string, source: string) => {
    const parsed = parseApiKeyEntries(json, source);
    entries.push(...parsed.entries);
    problems.push(...parsed.problems);
  };
  if (values.API_KEYS !== undefined) collect(values.API_KEYS, 'API_KEYS');
  if (values.API_KEYS_FILE !== undefined) {
    try {
      collect(readFileSync(values.API_KEYS_FILE, 'utf8'), `API_KEYS_FILE (${values.API_KEYS_FILE})`);
    } catch (error) {
      problems.push(`API_KEYS_FILE: cannot read ${values.API_KEYS_FILE} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
    }
  }
  const seen = new Map<string, string>();
  for (const entry of entries) {
    if (seen.has(entry.keyHash)) problems.push(`API keys: the key of client "${entry.client}" is also configured for "${seen.get(entry.keyHash)}"`);
    seen.set(entry.keyHash, entry.client);
    if (production && entry.keyHash === DEMO_API_KEY_ENTRY.keyHash) {
      problems.push(`API keys: client "${entry.client}" uses the public demo key, which is refused in production`);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  // The demo key exists only outside production, unless the same key is configured explicitly.
  if (!production && !seen.has(DEMO_API_KEY_ENTRY.keyHash)) entries.push(DEMO_API_KEY_ENTRY);
  return {
    apqTtlSeconds: values.APQ_TTL_SECONDS,
    safelistMode: values.SAFELIST_MODE as SafelistMode,
    manifestPath: values.PERSISTED_QUERY_MANIFEST_PATH,
    watchManifest: values.PERSISTED_QUERY_MANIFEST_WATCH,
    apiKeys: entries,
    apqMaxDocumentBytes: values.APQ_MAX_DOCUMENT_BYTES,
    apqRegistrationsPerWindow: values.APQ_REGISTRATIONS_PER_WINDOW,
    apqRegistrationWindowSeconds: values.APQ_REGISTRATION_WINDOW_SECONDS,
  };
}
