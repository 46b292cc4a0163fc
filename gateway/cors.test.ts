import { ConfigError } from '../lib/config';
import { corsConfig, originMatcher, type CorsConfig } from './cors';

function problemsOf(run: () => unknown): string[] {
  try {
    run();
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('corsConfig (CORS_ORIGINS)', () => {
  it('allows no origins by default, and localhost only outside production', () => {
    expect(corsConfig({ CORS_ORIGINS: '' }, false)).toEqual({ origins: [], allowLocalhost: true });
    expect(corsConfig({ CORS_ORIGINS: '' }, true)).toEqual({ origins: [], allowLocalhost: false });
  });

  it('reads a comma-separated list, trimming entries and dropping empty ones', () => {
    const config = corsConfig({ CORS_ORIGINS: ' https://shop.example.com , ,https://*.example.com,http://localhost:3000,https://admin.example.com:8443, ' }, true);
    expect(config.origins).toEqual(['https://shop.example.com', 'https://*.example.com', 'http://localhost:3000', 'https://admin.example.com:8443']);
  });

  it('reports every malformed entry, one line each, naming the entry', () => {
    const bad = [
      'shop.example.com', // no scheme
      'https://shop.example.com/', // trailing slash
      'https://shop.example.com/graphql', // path
      'ftp://files.example.com', // not http(s)
      '*', // wildcard alone
      'https://shop.*.example.com', // * not the first label
      'https://user@shop.example.com', // credentials
      'https://shop.example.com?x=1', // query
    ];
    const problems = problemsOf(() => corsConfig({ CORS_ORIGINS: ['https://good.example.com', ...bad].join(',') }, false));
    expect(problems).toHaveLength(bad.length);
    bad.forEach((entry, index) => {
      expect(problems[index]).toContain(`"${entry}"`);
      expect(problems[index]).toMatch(/^CORS_ORIGINS: /);
      expect(problems[index]).not.toContain('\n');
    });
  });

  it('says what a valid entry looks like', () => {
    const [problem] = problemsOf(() => corsConfig({ CORS_ORIGINS: 'shop.example.com' }, false));
    expect(problem).toContain('https://shop.example.com');
    expect(problem).toContain('https://*.example.com');
  });
});

describe('originMatcher', () => {
  const matcher = (origins: string[], allowLocalhost = false) => originMatcher({ origins, allowLocalhost } satisfies CorsConfig);

  it('matches exact origins only: scheme, host and port', () => {
    const allowed = matcher(['https://shop.example.com', 'https://admin.example.com:8443']);
    expect(allowed('https://shop.example.com')).toBe(true);
    expect(allowed('https://admin.example.com:8443')).toBe(true);
    for (const origin of [
      'http://shop.example.com',
      'https://shop.example.com:8443',
      'https://admin.example.com',
      'https://shop.example.com.evil.com',
      'https://evil-shop.example.com',
      'https://eu.shop.example.com',
      'https://example.com',
      'null',
      '',
    ]) {
      expect({ origin, allowed: allowed(origin) }).toEqual({ origin, allowed: false });
    }
  });

  it('compares host names case-insensitively', () => {
    expect(matcher(['https://Shop.Example.com'])('https://shop.example.com')).toBe(true);
    expect(matcher(['https://shop.example.com'])('HTTPS://SHOP.EXAMPLE.COM')).toBe(true);
  });

  it('matches a * pattern for one label and for several labels', () => {
    const allowed = matcher(['https://*.example.com']);
    for (const origin of ['https://eu.example.com', 'https://shop-2.example.com', 'https://a.b.example.com', 'https://a.b.c.example.com']) {
      expect({ origin, allowed: allowed(origin) }).toEqual({ origin, allowed: true });
    }
  });

  it('does not let a * pattern match the bare domain, look-alike hosts, other schemes or ports', () => {
    const allowed = matcher(['https://*.example.com']);
    for (const origin of [
      'https://example.com',
      'https://.example.com',
      'https://example.com.evil.com',
      'https://eu.example.com.evil.com',
      'https://evilexample.com',
      'https://eu-example.com',
      'http://eu.example.com',
      'wss://eu.example.com',
      'ftp://eu.example.com',
      'https://eu.example.com:8443',
      'https://eu.example.com/',
      'https://eu.example.com/path',
      'https:/eu.example.com',
      'https:///.example.com',
    ]) {
      expect({ origin, allowed: allowed(origin) }).toEqual({ origin, allowed: false });
    }
  });

  it('keeps the port of a * pattern', () => {
    const allowed = matcher(['https://*.example.com:8443']);
    expect(allowed('https://eu.example.com:8443')).toBe(true);
    expect(allowed('https://eu.example.com')).toBe(false);
    expect(allowed('https://eu.example.com:9443')).toBe(false);
  });

  it('treats dots in exact origins and patterns literally', () => {
    expect(matcher(['https://shop.example.com'])('https://shopxexample.com')).toBe(false);
    expect(matcher(['https://*.example.com'])('https://eu.examplexcom')).toBe(false);
  });

  it('allows localhost, 127.0.0.1 and [::1] on any port when allowLocalhost is on', () => {
    const allowed = matcher([], true);
    for (const origin of ['http://localhost', 'http://localhost:3000', 'https://localhost:5173', 'http://127.0.0.1:8080', 'http://[::1]:4000']) {
      expect({ origin, allowed: allowed(origin) }).toEqual({ origin, allowed: true });
    }
    for (const origin of ['http://localhost.evil.com', 'http://127.0.0.1.nip.io', 'http://evil-localhost:3000', 'http://localhost:3000.evil.com', 'http://127.0.0.2:3000']) {
      expect({ origin, allowed: allowed(origin) }).toEqual({ origin, allowed: false });
    }
  });

  it('allows localhost only outside production', () => {
    const development = originMatcher(corsConfig({ CORS_ORIGINS: '' }, false));
    const production = originMatcher(corsConfig({ CORS_ORIGINS: '' }, true));
    for (const origin of ['http://localhost:3000', 'http://127.0.0.1:3000', 'http://[::1]:3000']) {
      expect({ origin, development: development(origin), production: production(origin) }).toEqual({ origin, development: true, production: false });
    }
    const productionWithList = originMatcher(corsConfig({ CORS_ORIGINS: 'https://shop.example.com' }, true));
    expect(productionWithList('https://shop.example.com')).toBe(true);
    expect(productionWithList('http://localhost:3000')).toBe(false);
  });

  it('allows nothing when nothing is configured and localhost is off', () => {
    const allowed = matcher([]);
    expect(['https://shop.example.com', 'http://localhost:3000', 'null'].some(allowed)).toBe(false);
  });
});
