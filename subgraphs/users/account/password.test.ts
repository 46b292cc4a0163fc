import { DEFAULT_SCRYPT_PARAMS, hashPassword, needsRehash, verifyPassword } from './password';

const FAST = { ln: 10, r: 8, p: 1 };

describe('password hashing', () => {
  it('verifies the right password and rejects a wrong one with the default parameters', async () => {
    const stored = await hashPassword('correct horse battery staple');
    expect(stored).toMatch(/^\$scrypt\$ln=15,r=8,p=1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
    await expect(verifyPassword('correct horse battery staple', stored)).resolves.toBe(true);
    await expect(verifyPassword('correct horse battery stapl', stored)).resolves.toBe(false);
    await expect(verifyPassword('', stored)).resolves.toBe(false);
  });

  it('salts every hash, so equal passwords give different strings', async () => {
    const [a, b] = await Promise.all([hashPassword('same-password', FAST), hashPassword('same-password', FAST)]);
    expect(a).not.toBe(b);
    expect(a.split('$')[3]).not.toBe(b.split('$')[3]);
    await expect(verifyPassword('same-password', a)).resolves.toBe(true);
    await expect(verifyPassword('same-password', b)).resolves.toBe(true);
  });

  it('verifies with the parameters stored in the hash, not the current defaults', async () => {
    const stored = await hashPassword('old-account', { ln: 11, r: 4, p: 2 });
    expect(stored.startsWith('$scrypt$ln=11,r=4,p=2$')).toBe(true);
    await expect(verifyPassword('old-account', stored)).resolves.toBe(true);
    expect(needsRehash(stored)).toBe(true);
    expect(needsRehash(stored, { ln: 11, r: 4, p: 2 })).toBe(false);
    expect(needsRehash(await hashPassword('x', DEFAULT_SCRYPT_PARAMS))).toBe(false);
  });

  it('treats composed and decomposed unicode as the same password', async () => {
    const stored = await hashPassword('caf\u00e9-password', FAST);
    await expect(verifyPassword('cafe\u0301-password', stored)).resolves.toBe(true);
  });

  it('rejects tampered or malformed stored values without throwing', async () => {
    const stored = await hashPassword('secret-password', FAST);
    const parts = stored.split('$');
    const hash = Buffer.from(parts[4], 'base64');
    hash[0] ^= 0xff;
    const tampered = [...parts.slice(0, 4), hash.toString('base64')].join('$');
    await expect(verifyPassword('secret-password', tampered)).resolves.toBe(false);
    const otherSalt = [...parts.slice(0, 3), Buffer.alloc(16, 1).toString('base64'), parts[4]].join('$');
    await expect(verifyPassword('secret-password', otherSalt)).resolves.toBe(false);
    for (const bad of ['', 'plain-text', '$scrypt$ln=15,r=8,p=1$$', '$scrypt$ln=40,r=8,p=1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=', '$bcrypt$whatever']) {
      await expect(verifyPassword('secret-password', bad)).resolves.toBe(false);
      expect(needsRehash(bad)).toBe(true);
    }
  });

  it('refuses to hash with parameters outside the safe range', async () => {
    await expect(hashPassword('x', { ln: 4, r: 8, p: 1 })).rejects.toThrow(RangeError);
    await expect(hashPassword('x', { ln: 15, r: 0, p: 1 })).rejects.toThrow(RangeError);
  });
});
