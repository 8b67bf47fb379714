import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Signed session tokens: `<payload>.<signature>`, the payload `{ sub, exp }` in base64url and the
 * signature its HMAC-SHA256 under `secret`. Anyone can read a token; nobody without the secret
 * can make or change one.
 */
export function createTokens(secret, { ttlMs = 8 * 60 * 60 * 1000 } = {}) {
  if (typeof secret !== 'string' || secret.length < 32) {
    throw new TypeError('createTokens: "secret" must be a string of at least 32 characters.');
  }
  const sign = (payload) => createHmac('sha256', secret).update(payload).digest('base64url');

  return {
    /** A token for `user`, valid for `ttlMs`. */
    issue(user) {
      const payload = Buffer.from(JSON.stringify({ sub: user, exp: Date.now() + ttlMs })).toString(
        'base64url',
      );
      return `${payload}.${sign(payload)}`;
    },
    /** The user a token was issued to, or `undefined` when it is missing, forged or expired. */
    verify(token) {
      if (typeof token !== 'string') return undefined;
      const [payload, signature, extra] = token.split('.');
      if (!payload || !signature || extra !== undefined) return undefined;
      const expected = Buffer.from(sign(payload));
      const given = Buffer.from(signature);
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
      try {
        const { sub, exp } = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
        return typeof sub === 'string' && typeof exp === 'number' && exp > Date.now()
          ? sub
          : undefined;
      } catch {
        return undefined;
      }
    },
  };
}
