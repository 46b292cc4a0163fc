import { InvalidAccessTokenError, signAccessToken, verifyAccessToken } from './access-token';
import { Role } from './identity';

const SECRET = 'unit-test-secret-that-is-long-enough';

describe('access tokens', () => {
  it('carry the user id and role', async () => {
    const token = await signAccessToken({ id: 'u1', role: Role.ADMIN }, SECRET);
    await expect(verifyAccessToken(token, SECRET)).resolves.toEqual({ id: 'u1', role: Role.ADMIN });
  });

  it('are refused when forged, expired or malformed', async () => {
    const forged = await signAccessToken({ id: 'u1', role: Role.ADMIN }, 'another-secret-that-is-long-enough');
    const expired = await signAccessToken({ id: 'u1', role: Role.CUSTOMER }, SECRET, -1);
    await expect(verifyAccessToken(forged, SECRET)).rejects.toBeInstanceOf(InvalidAccessTokenError);
    await expect(verifyAccessToken(expired, SECRET)).rejects.toThrow('expired');
    await expect(verifyAccessToken('a.b.c', SECRET)).rejects.toBeInstanceOf(InvalidAccessTokenError);
  });
});
