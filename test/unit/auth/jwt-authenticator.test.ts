import { createHmac } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { describe, expect, it } from 'vitest';
import { AuthenticationError, jwtAuthenticator, type Principal } from '../../../src/auth';
import {
  AUDIENCE,
  base64url,
  bearer,
  claims,
  ecKeyPair,
  HS_SECRET,
  hsToken,
  ISSUER,
  nowSeconds,
  rsaKeyPair,
  unsignedToken,
} from './tokens';

const hs256 = () => jwtAuthenticator({ secret: HS_SECRET, algorithms: ['HS256'] });
const rsa = rsaKeyPair();
const ec = ecKeyPair();

async function rejection(promise: Promise<unknown>): Promise<AuthenticationError> {
  const error = await promise.then(
    () => {
      throw new Error('expected authentication to fail');
    },
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(AuthenticationError);
  return error as AuthenticationError;
}

describe('jwtAuthenticator', () => {
  it('turns a valid HS256 bearer token into a principal', async () => {
    const token = hsToken(claims({ permissions: ['tasker.task:index'], role: 'viewer' }));
    const principal = await hs256().authenticate(bearer(token));
    expect(principal).toEqual<Principal>({
      id: 'user-1',
      claims: expect.objectContaining({ sub: 'user-1', role: 'viewer' }) as Record<string, unknown>,
      permissions: ['tasker.task:index'],
      admin: false,
    });
  });

  it('accepts a raw token without the Bearer prefix', async () => {
    const principal = await hs256().authenticate({ headers: { authorization: hsToken() } });
    expect(principal.id).toBe('user-1');
  });

  it('accepts the Bearer scheme in any case', async () => {
    const principal = await hs256().authenticate({ headers: { authorization: `bearer ${hsToken()}` } });
    expect(principal.id).toBe('user-1');
  });

  it('finds the header under a non-lower-case key built by hand', async () => {
    const principal = await hs256().authenticate({ headers: { Authorization: `Bearer ${hsToken()}` } });
    expect(principal.id).toBe('user-1');
  });

  it('verifies RS256 tokens with the configured public key', async () => {
    const token = jwt.sign(claims(), rsa.privateKey, { algorithm: 'RS256' });
    const authenticator = jwtAuthenticator({ publicKey: rsa.publicKey, algorithms: ['RS256'] });
    await expect(authenticator.authenticate(bearer(token))).resolves.toMatchObject({ id: 'user-1' });
  });

  it('verifies ES256 tokens with the configured public key', async () => {
    const token = jwt.sign(claims(), ec.privateKey, { algorithm: 'ES256' });
    const authenticator = jwtAuthenticator({ publicKey: ec.publicKey, algorithms: ['ES256'] });
    await expect(authenticator.authenticate(bearer(token))).resolves.toMatchObject({ id: 'user-1' });
  });

  it('rejects a request without an Authorization header', async () => {
    const error = await rejection(hs256().authenticate({ headers: {} }));
    expect(error.message).toBe('Missing bearer token');
    expect(error.code).toBe('UNAUTHENTICATED');
    expect(error.status).toBe(401);
    expect(error.toResponseBody()).toEqual({ error: 'Unauthorized', message: 'Missing bearer token' });
  });

  it('rejects a Bearer scheme without a token', async () => {
    const error = await rejection(hs256().authenticate({ headers: { authorization: 'Bearer ' } }));
    expect(error.message).toBe('Missing bearer token');
  });

  it('rejects other authorization schemes', async () => {
    const error = await rejection(hs256().authenticate({ headers: { authorization: 'Basic dXNlcjpwYXNz' } }));
    expect(error.message).toBe('Unsupported authorization scheme; use Bearer');
  });

  it('rejects an expired token', async () => {
    const token = hsToken(claims({ iat: nowSeconds() - 7200, exp: nowSeconds() - 3600 }));
    const error = await rejection(hs256().authenticate(bearer(token)));
    expect(error.message).toBe('Token has expired');
  });

  it('honours the configured clock tolerance for expiry', async () => {
    const token = hsToken(claims({ exp: nowSeconds() - 5 }));
    const lenient = jwtAuthenticator({ secret: HS_SECRET, algorithms: ['HS256'], clockToleranceSeconds: 30 });
    await expect(lenient.authenticate(bearer(token))).resolves.toMatchObject({ id: 'user-1' });
  });

  it('rejects a token without an exp claim', async () => {
    const { exp: _exp, ...withoutExp } = claims();
    const error = await rejection(hs256().authenticate(bearer(hsToken(withoutExp))));
    expect(error.message).toBe('Token has no expiry (exp claim is required)');
  });

  it('rejects a token whose signature does not match', async () => {
    const forged = hsToken(claims(), 'another-secret-that-is-also-32-bytes-long!!');
    const error = await rejection(hs256().authenticate(bearer(forged)));
    expect(error.message).toBe('Invalid token signature');
  });

  it('rejects a token whose payload was altered after signing', async () => {
    const [header, , signature] = hsToken().split('.');
    const tampered = `${header}.${base64url(claims({ admin: true }))}.${signature}`;
    const error = await rejection(hs256().authenticate(bearer(tampered)));
    expect(error.message).toBe('Invalid token signature');
  });

  it('rejects an unsigned alg: none token', async () => {
    const error = await rejection(hs256().authenticate(bearer(unsignedToken(claims({ admin: true })))));
    expect(error.message).toBe('Unsigned tokens (alg: none) are not accepted');
  });

  it('rejects an HS256 token signed with the RSA public key when configured for RS256', async () => {
    const header = base64url({ alg: 'HS256', typ: 'JWT' });
    const payload = base64url(claims({ admin: true }));
    const signature = createHmac('sha256', rsa.publicKey).update(`${header}.${payload}`).digest('base64url');
    const authenticator = jwtAuthenticator({ publicKey: rsa.publicKey, algorithms: ['RS256'] });
    const error = await rejection(authenticator.authenticate(bearer(`${header}.${payload}.${signature}`)));
    expect(error.message).toBe('Token algorithm is not accepted');
  });

  it('rejects a token signed with an allowed family but a different algorithm', async () => {
    const token = jwt.sign(claims(), HS_SECRET, { algorithm: 'HS512' });
    const error = await rejection(hs256().authenticate(bearer(token)));
    expect(error.message).toBe('Token algorithm is not accepted');
  });

  it('rejects a token from another issuer without revealing the expected one', async () => {
    const authenticator = jwtAuthenticator({ secret: HS_SECRET, algorithms: ['HS256'], issuer: ISSUER });
    const error = await rejection(authenticator.authenticate(bearer(hsToken(claims({ iss: 'evil' })))));
    expect(error.message).toBe('Token issuer is not accepted');
    expect(error.message).not.toContain(ISSUER);
  });

  it('rejects a token for another audience', async () => {
    const authenticator = jwtAuthenticator({
      secret: HS_SECRET,
      algorithms: ['HS256'],
      audience: [AUDIENCE],
    });
    const error = await rejection(authenticator.authenticate(bearer(hsToken(claims({ aud: 'other-api' })))));
    expect(error.message).toBe('Token audience is not accepted');
  });

  it('accepts the configured issuer and audience', async () => {
    const authenticator = jwtAuthenticator({
      secret: HS_SECRET,
      algorithms: ['HS256'],
      issuer: ISSUER,
      audience: AUDIENCE,
    });
    await expect(authenticator.authenticate(bearer(hsToken()))).resolves.toMatchObject({ id: 'user-1' });
  });

  it('rejects a token that is not valid yet', async () => {
    const error = await rejection(hs256().authenticate(bearer(hsToken(claims({ nbf: nowSeconds() + 600 })))));
    expect(error.message).toBe('Token is not yet valid');
  });

  it('rejects garbage as a malformed token', async () => {
    const error = await rejection(hs256().authenticate(bearer('not-a-jwt')));
    expect(error.message).toBe('Malformed token');
  });

  it('rejects an oversized token before decoding it', async () => {
    const error = await rejection(hs256().authenticate(bearer('a'.repeat(20_000))));
    expect(error.message).toBe('Token is too large');
  });

  it('gives concurrent requests their own principals', async () => {
    const authenticator = hs256();
    const alice = hsToken(claims({ sub: 'alice', permissions: ['tasker.task:create'] }));
    const bob = hsToken(claims({ sub: 'bob', admin: true }));
    const [first, second] = await Promise.all([
      authenticator.authenticate(bearer(alice)),
      authenticator.authenticate(bearer(bob)),
    ]);
    expect(first).toMatchObject({ id: 'alice', permissions: ['tasker.task:create'], admin: false });
    expect(second).toMatchObject({ id: 'bob', permissions: [], admin: true });
    first.permissions.push('tasker.task:destroy');
    expect((await authenticator.authenticate(bearer(alice))).permissions).toEqual(['tasker.task:create']);
  });

  it('uses a custom principal mapping when given', async () => {
    const authenticator = jwtAuthenticator({
      secret: HS_SECRET,
      algorithms: ['HS256'],
      principal: async (verified) => ({
        id: `tenant/${String(verified.sub)}`,
        claims: verified,
        permissions: ['tasker.task:index'],
        admin: false,
      }),
    });
    await expect(authenticator.authenticate(bearer(hsToken()))).resolves.toMatchObject({
      id: 'tenant/user-1',
      permissions: ['tasker.task:index'],
    });
  });
});
