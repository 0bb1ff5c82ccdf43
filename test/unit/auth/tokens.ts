import { generateKeyPairSync } from 'node:crypto';
import jwt from 'jsonwebtoken';

export const HS_SECRET = 'a-test-secret-that-is-at-least-32-bytes-long';
export const ISSUER = 'tasker-test';
export const AUDIENCE = 'tasker-api';

export function rsaKeyPair(): { publicKey: string; privateKey: string } {
  return generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
}

export function ecKeyPair(namedCurve = 'prime256v1'): { publicKey: string; privateKey: string } {
  return generateKeyPairSync('ec', {
    namedCurve,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
}

export const nowSeconds = (): number => Math.floor(Date.now() / 1000);

/** Standard test claims as in the reference: one hour of validity, issuer and audience set. */
export function claims(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    sub: 'user-1',
    iat: nowSeconds(),
    exp: nowSeconds() + 3600,
    iss: ISSUER,
    aud: AUDIENCE,
    ...overrides,
  };
}

export function hsToken(payload: Record<string, unknown> = claims(), secret: string = HS_SECRET): string {
  return jwt.sign(payload, secret, { algorithm: 'HS256', noTimestamp: true });
}

export function base64url(value: object): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

/** An unsigned token: jsonwebtoken refuses to sign these, so it is assembled by hand. */
export function unsignedToken(payload: Record<string, unknown> = claims()): string {
  return `${base64url({ alg: 'none', typ: 'JWT' })}.${base64url(payload)}.`;
}

export function bearer(token: string): { headers: { authorization: string } } {
  return { headers: { authorization: `Bearer ${token}` } };
}
