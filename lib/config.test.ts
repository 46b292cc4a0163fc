import { commonEnv, ConfigError, databaseEnv, port, readEnv } from './config';

describe('readEnv', () => {
  it('reports every problem at once, one line each', () => {
    let error: unknown;
    try {
      readEnv({ ...commonEnv, ...databaseEnv, PORT: port() }, { NODE_ENV: 'production', DATABASE_URL: 'not a url', PORT: 'eighty' });
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
    const env = readEnv(commonEnv, { NODE_ENV: 'development' });
    expect(env.INTERNAL_SECRET).toBeTruthy();
    expect(env.JWT_SECRET).toBeTruthy();
    expect(() => readEnv(commonEnv, { NODE_ENV: 'production' })).toThrow(ConfigError);
  });
});

describe('readEnv without NODE_ENV', () => {
  it('treats the process as development, so a bare `node dist/...` starts', () => {
    const env = readEnv(commonEnv, {});
    expect(env.NODE_ENV).toBe('development');
    expect(env.INTERNAL_SECRET).toBeTruthy();
  });
});
