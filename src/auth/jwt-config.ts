import { createPrivateKey, createPublicKey, createSecretKey, type KeyObject } from 'node:crypto';
import type { Algorithm, VerifyOptions } from 'jsonwebtoken';
import { ConfigurationError } from '../errors';

export const HMAC_ALGORITHMS = ['HS256', 'HS384', 'HS512'] as const;
export const PUBLIC_KEY_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'ES256',
  'ES384',
  'ES512',
  'PS256',
  'PS384',
  'PS512',
] as const;

export type JwtAlgorithm = (typeof HMAC_ALGORITHMS)[number] | (typeof PUBLIC_KEY_ALGORITHMS)[number];

/** Shortest HMAC secret accepted: 256 bits, the strength of HS256 itself (and the reference's minimum). */
export const MIN_SECRET_BYTES = 32;
/** Shortest RSA modulus accepted for verification (NIST SP 800-131A). */
export const MIN_RSA_MODULUS_BITS = 2048;

const EC_CURVES: Readonly<Record<string, string>> = Object.freeze({
  ES256: 'prime256v1',
  ES384: 'secp384r1',
  ES512: 'secp521r1',
});

export interface JwtKeyOptions {
  secret?: string | Buffer;
  publicKey?: string | Buffer;
  algorithms: Algorithm[];
  issuer?: string | string[];
  audience?: string | string[];
  clockToleranceSeconds?: number;
}

/** Everything `jwt.verify` needs, checked once at construction. */
export interface JwtVerification {
  /** A KeyObject, so jsonwebtoken never has to guess whether a string is a secret or a PEM. */
  key: KeyObject;
  algorithms: JwtAlgorithm[];
  verifyOptions: VerifyOptions;
}

/** Validates `jwtAuthenticator` options; throws ConfigurationError naming the first problem. */
export function compileJwtConfig(options: JwtKeyOptions): JwtVerification {
  const algorithms = validAlgorithms(options.algorithms);
  if (options.secret !== undefined && options.publicKey !== undefined) {
    throw configError('give either `secret` (HS*) or `publicKey` (RS*/ES*/PS*), not both');
  }
  const key = algorithms.every(isHmac)
    ? secretKey(options.secret)
    : publicKeyFor(options.publicKey, algorithms, options.secret);
  return {
    key,
    algorithms,
    verifyOptions: {
      algorithms,
      issuer: nonEmptyStrings('issuer', options.issuer),
      audience: nonEmptyStrings('audience', options.audience),
      clockTolerance: clockTolerance(options.clockToleranceSeconds),
    },
  };
}

function validAlgorithms(algorithms: unknown): JwtAlgorithm[] {
  if (!Array.isArray(algorithms) || algorithms.length === 0) {
    throw configError('`algorithms` must list at least one algorithm');
  }
  for (const algorithm of algorithms) {
    if (typeof algorithm === 'string' && algorithm.toLowerCase() === 'none') {
      throw configError("algorithm 'none' is never accepted: an unsigned token would authenticate anyone");
    }
    if (!isSupported(algorithm)) {
      throw configError(
        `unsupported algorithm ${JSON.stringify(algorithm)} (allowed: ${[...HMAC_ALGORITHMS, ...PUBLIC_KEY_ALGORITHMS].join(', ')})`,
      );
    }
  }
  const supported = algorithms as JwtAlgorithm[];
  if (supported.some(isHmac) && !supported.every(isHmac)) {
    throw configError(
      'do not mix HS* with RS*/ES*/PS* algorithms in one allow-list: a token signed with the public key ' +
        'as an HMAC secret would then verify (algorithm confusion)',
    );
  }
  return [...new Set(supported)];
}

function isSupported(algorithm: unknown): algorithm is JwtAlgorithm {
  return (
    (HMAC_ALGORITHMS as readonly unknown[]).includes(algorithm) ||
    (PUBLIC_KEY_ALGORITHMS as readonly unknown[]).includes(algorithm)
  );
}

function isHmac(algorithm: JwtAlgorithm): boolean {
  return algorithm.startsWith('HS');
}

function secretKey(secret: unknown): KeyObject {
  if (secret === undefined) throw configError('HS* algorithms require `secret`');
  if (typeof secret !== 'string' && !Buffer.isBuffer(secret)) {
    throw configError('`secret` must be a string or a Buffer');
  }
  const bytes = typeof secret === 'string' ? Buffer.from(secret, 'utf8') : secret;
  if (bytes.length < MIN_SECRET_BYTES) {
    throw configError(`\`secret\` must be at least ${MIN_SECRET_BYTES} bytes long`);
  }
  return createSecretKey(bytes);
}

function publicKeyFor(publicKey: unknown, algorithms: JwtAlgorithm[], secret: unknown): KeyObject {
  if (secret !== undefined) throw configError('`secret` is only used with HS* algorithms; give `publicKey`');
  if (publicKey === undefined) throw configError('RS*/ES*/PS* algorithms require `publicKey`');
  if (typeof publicKey !== 'string' && !Buffer.isBuffer(publicKey)) {
    throw configError('`publicKey` must be a PEM string or Buffer');
  }
  if (isPrivateKey(publicKey)) {
    // Verifiers only need the public half; a private key in API config is a key leak waiting to happen.
    throw configError('`publicKey` is a private key; configure the public key only');
  }
  const key = parsePublicKey(publicKey);
  for (const algorithm of algorithms) assertKeyFits(key, algorithm);
  return key;
}

function isPrivateKey(pem: string | Buffer): boolean {
  try {
    createPrivateKey(pem);
    return true;
  } catch {
    return false;
  }
}

function parsePublicKey(pem: string | Buffer): KeyObject {
  try {
    return createPublicKey(pem);
  } catch (error) {
    throw new ConfigurationError('jwtAuthenticator: `publicKey` is not a valid PEM public key', {
      cause: error,
    });
  }
}

function assertKeyFits(key: KeyObject, algorithm: JwtAlgorithm): void {
  const type = key.asymmetricKeyType;
  if (algorithm.startsWith('ES')) {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    if (type !== 'ec' || curve !== EC_CURVES[algorithm]) {
      throw configError(
        `${algorithm} needs an EC ${EC_CURVES[algorithm]} public key, got ${describeKey(key)}`,
      );
    }
    return;
  }
  const rsaTypes = algorithm.startsWith('PS') ? ['rsa', 'rsa-pss'] : ['rsa'];
  if (type === undefined || !rsaTypes.includes(type)) {
    throw configError(`${algorithm} needs an RSA public key, got ${describeKey(key)}`);
  }
  const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
  if (bits < MIN_RSA_MODULUS_BITS) {
    throw configError(`RSA public key must be at least ${MIN_RSA_MODULUS_BITS} bits, got ${bits}`);
  }
}

function describeKey(key: KeyObject): string {
  const curve = key.asymmetricKeyDetails?.namedCurve;
  return `key type ${key.asymmetricKeyType ?? 'unknown'}${curve ? ` (${curve})` : ''}`;
}

function nonEmptyStrings(name: string, value: unknown): string | [string, ...string[]] | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'string' && value !== '') return value;
  if (
    Array.isArray(value) &&
    value.length > 0 &&
    value.every((item) => typeof item === 'string' && item !== '')
  ) {
    return value as [string, ...string[]];
  }
  throw configError(`\`${name}\` must be a non-empty string or a non-empty array of them`);
}

function clockTolerance(seconds: unknown): number {
  if (seconds === undefined) return 0;
  if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds < 0) {
    throw configError('`clockToleranceSeconds` must be a finite number ≥ 0');
  }
  return seconds;
}

function configError(message: string): ConfigurationError {
  return new ConfigurationError(`jwtAuthenticator: ${message}`);
}
