import { createHmac, generateKeyPairSync } from 'node:crypto';
import jwt from 'jsonwebtoken';

/** What the API fixture (fixtures/api-server.cjs) accepts: RS256, this issuer and audience. */
export const ISSUER = 'tasker-stress';
export const AUDIENCE = 'tasker-api';

export interface KeyPair {
  publicKey: string;
  privateKey: string;
}

export function rsaKeyPair(): KeyPair {
  return generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
}

export function validToken(
  keys: KeyPair,
  claims: Record<string, unknown>,
  options: jwt.SignOptions = {},
): string {
  return jwt.sign({ sub: 'stress-user', ...claims }, keys.privateKey, {
    algorithm: 'RS256',
    expiresIn: '1h',
    issuer: ISSUER,
    audience: AUDIENCE,
    ...options,
  });
}

export const adminToken = (keys: KeyPair) => validToken(keys, { admin: true });

const base64url = (value: object | string | Buffer) =>
  Buffer.from(typeof value === 'object' && !Buffer.isBuffer(value) ? JSON.stringify(value) : value).toString(
    'base64url',
  );

function adminPayload(): Record<string, unknown> {
  const now = Math.floor(Date.now() / 1000);
  return { sub: 'attacker', admin: true, iat: now, exp: now + 3600, iss: ISSUER, aud: AUDIENCE };
}

/** HS256 over header.payload with `secret`, built by hand (jsonwebtoken refuses a PEM as an HMAC key). */
function hmacToken(secret: string, header: object = { alg: 'HS256', typ: 'JWT' }): string {
  const signingInput = `${base64url(header)}.${base64url(adminPayload())}`;
  return `${signingInput}.${createHmac('sha256', secret).update(signingInput).digest('base64url')}`;
}

/**
 * Tokens that must never authenticate, although each claims `admin: true`. `other` is a second,
 * unrelated key pair (a forger's).
 */
export function forgedTokens(keys: KeyPair, other: KeyPair): [string, string | undefined][] {
  const now = Math.floor(Date.now() / 1000);
  return [
    ['no token', undefined],
    ['expired', signed(keys, { ...adminPayload(), iat: now - 7200, exp: now - 3600 })],
    ['wrong signature (another RSA key)', validToken(other, { admin: true })],
    ['alg: none', `${base64url({ alg: 'none', typ: 'JWT' })}.${base64url(adminPayload())}.`],
    ['alg: none, signature kept', `${base64url({ alg: 'none' })}.${base64url(adminPayload())}.c2ln`],
    ['HS256 signed with the RSA public key (HS/RS confusion)', hmacToken(keys.publicKey)],
    ['HS256 with a guessed secret', hmacToken('secret')],
    ['wrong issuer', validToken(keys, { admin: true }, { issuer: 'evil-issuer' })],
    ['wrong audience', validToken(keys, { admin: true }, { audience: 'someone-else' })],
    ['no exp claim', signed(keys, { ...adminPayload(), exp: undefined })],
    ['garbage', 'not.a.jwt'],
    ['payload tampered after signing', tamper(validToken(keys, { permissions: [] }))],
  ];
}

/** RS256 over exactly `payload` (no claims added). */
function signed(keys: KeyPair, payload: Record<string, unknown>): string {
  return jwt.sign(JSON.parse(JSON.stringify(payload)) as object, keys.privateKey, { algorithm: 'RS256' });
}

/** Swaps the payload of a genuine token for an admin one, keeping the genuine signature. */
function tamper(token: string): string {
  const [header, , signature] = token.split('.');
  return `${header}.${base64url(adminPayload())}.${signature}`;
}
