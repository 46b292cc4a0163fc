import { commonEnv, ConfigError, databaseEnv, DEVELOPMENT_INTERNAL_SECRET, DEVELOPMENT_JWT_SECRET, jwtSecretEnv, port, readEnv } from './config';

describe('readEnv', () => {
  it('reports every problem at once, one line each', () => {
    let error: unknown;
    try {
      readEnv({ ...commonEnv, ...jwtSecretEnv, ...databaseEnv, PORT: port() }, { NODE_ENV: 'production', DATABASE_URL: 'not a url', PORT: 'eighty' });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    for (const name of ['DATABASE_URL', 'PORT', 'INTERNAL_SECRET', 'JWT_SECRET']) expect(problems).toContain(name);
    expect((error as ConfigError).problems).toHaveLength(4);
    expect(problems).toMatch(/JWT_SECRET: required, not set/);
  });

  it('uses development defaults for secrets outside production only', () => {
    const env = readEnv({ ...commonEnv, ...jwtSecretEnv }, { NODE_ENV: 'development' });
    expect(env.INTERNAL_SECRET).toBeTruthy();
    expect(env.JWT_SECRET).toBeTruthy();
    expect(() => readEnv(commonEnv, { NODE_ENV: 'production' })).toThrow(ConfigError);
  });
});

describe('secrets in production', () => {
  const strong = 'q8Jx2vN0pL5sR7tW1yZ4bC6dF9gH3kM0';
  const problemsOf = (env: NodeJS.ProcessEnv): string[] => {
    try {
      readEnv({ ...commonEnv, ...jwtSecretEnv }, { NODE_ENV: 'production', ...env });
      return [];
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      return error.problems;
    }
  };

  it('accepts long random values', () => {
    expect(problemsOf({ INTERNAL_SECRET: strong, JWT_SECRET: strong.split('').reverse().join('') })).toEqual([]);
  });

  it.each([
    ['the development default', DEVELOPMENT_INTERNAL_SECRET, /^INTERNAL_SECRET: is a development default, refused in production: set a random value of at least 32 characters/],
    ['a placeholder', 'change-me-change-me-change-me-change-me', /^INTERNAL_SECRET: looks like a placeholder, refused in production: /],
    ['"secret"', 'secret', /^INTERNAL_SECRET: looks like a placeholder, refused in production: /],
    ['a placeholder word', 'this-is-a-placeholder-value-for-the-secret', /^INTERNAL_SECRET: looks like a placeholder, refused in production: /],
    ['a short value', 'k3y-0f-20-characters', /^INTERNAL_SECRET: too short for production \(20 characters, at least 32\): /],
    ['one repeated character', 'a'.repeat(40), /^INTERNAL_SECRET: one character repeated, refused in production: /],
  ])('refuses %s with one line', (_what, value, line) => {
    expect(problemsOf({ INTERNAL_SECRET: value, JWT_SECRET: strong })).toEqual([expect.stringMatching(line)]);
  });

  it('reports each weak secret on its own line, in order', () => {
    expect(problemsOf({ INTERNAL_SECRET: 'short', JWT_SECRET: DEVELOPMENT_JWT_SECRET })).toEqual([
      expect.stringMatching(/^INTERNAL_SECRET: /),
      expect.stringMatching(/^JWT_SECRET: is a development default/),
    ]);
  });

  it('leaves the development defaults alone outside production', () => {
    expect(() => readEnv({ ...commonEnv, ...jwtSecretEnv }, { NODE_ENV: 'development', INTERNAL_SECRET: 'short' })).not.toThrow();
  });
});

describe('readEnv without NODE_ENV', () => {
  it('treats the process as development, so a bare `node dist/...` starts', () => {
    const env = readEnv(commonEnv, {});
    expect(env.NODE_ENV).toBe('development');
    expect(env.INTERNAL_SECRET).toBeTruthy();
  });
});
