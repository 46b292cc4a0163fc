import { connectFailure, errnoCode, folderFailure, listenFailure, StartupError } from './startup-error';

const systemError = (code: string) => Object.assign(new Error(`${code} (test)`), { code });

describe('start-up failure classifier', () => {
  it('finds the errno code, also inside an AggregateError (several addresses tried)', () => {
    expect(errnoCode(systemError('EADDRINUSE'))).toBe('EADDRINUSE');
    expect(errnoCode(new AggregateError([new Error('no code'), systemError('ECONNREFUSED')]))).toBe('ECONNREFUSED');
    expect(errnoCode(undefined)).toBeUndefined();
  });

  it('names the setting to change for a listen failure: the port setting, or HOST', () => {
    const inUse = listenFailure(systemError('EADDRINUSE'), 4001, '0.0.0.0', 'USERS_PORT') as StartupError;
    expect(inUse).toBeInstanceOf(StartupError);
    expect(inUse.setting).toBe('USERS_PORT');
    expect(inUse.message).toBe('port 4001 on 0.0.0.0 is already in use by another program: stop that program, or set USERS_PORT to a free port');
    expect((listenFailure(systemError('EADDRNOTAVAIL'), 4000, '10.9.9.9') as StartupError).setting).toBe('HOST');
    expect((listenFailure(systemError('EACCES'), 80, '0.0.0.0') as StartupError).message).toMatch(/set PORT to a port above 1023$/);
  });

  it('turns known connection and folder failures into one line, and leaves unknown errors as they are', () => {
    expect((connectFailure(systemError('ENOTFOUND'), 'PostgreSQL at db:5432', 'DATABASE_URL') as Error).message).toBe(
      'PostgreSQL at db:5432 cannot be found (its host name does not resolve): correct the host in DATABASE_URL',
    );
    expect((folderFailure(systemError('EACCES'), 'create the folder /x', 'EMBEDDED_POSTGRES_DIR') as Error).message).toBe(
      'cannot create the folder /x: permission denied: set EMBEDDED_POSTGRES_DIR to a folder this user can write',
    );
    const unexpected = new TypeError('a bug');
    expect(connectFailure(unexpected, 'Redis at r:6379', 'REDIS_URL')).toBe(unexpected);
    expect(listenFailure(unexpected, 4000, '0.0.0.0')).toBe(unexpected);
  });
});
