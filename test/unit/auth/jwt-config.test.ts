import { describe, expect, it } from 'vitest';
import { jwtAuthenticator, type JwtAuthenticatorOptions } from '../../../src/auth';
import { ConfigurationError } from '../../../src/errors';
import { ecKeyPair, HS_SECRET, rsaKeyPair } from './tokens';

const rsa = rsaKeyPair();
const ec = ecKeyPair();

function configurationMessage(options: JwtAuthenticatorOptions): string {
  try {
    jwtAuthenticator(options);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigurationError);
    return (error as ConfigurationError).message;
  }
  throw new Error('expected a ConfigurationError');
}

describe('jwtAuthenticator configuration', () => {
  it('refuses a secret shorter than 32 bytes', () => {
    expect(configurationMessage({ secret: 'too-short', algorithms: ['HS256'] })).toMatch(/at least 32 bytes/);
  });

  it('refuses an empty algorithm list', () => {
    expect(configurationMessage({ secret: HS_SECRET, algorithms: [] })).toMatch(/at least one algorithm/);
  });

  it("refuses the 'none' algorithm", () => {
    expect(configurationMessage({ secret: HS_SECRET, algorithms: ['HS256', 'none'] })).toMatch(
      /'none' is never/,
    );
  });

  it('refuses an algorithm jsonwebtoken does not know', () => {
    const options = { secret: HS_SECRET, algorithms: ['HS1'] } as unknown as JwtAuthenticatorOptions;
    expect(configurationMessage(options)).toMatch(/unsupported algorithm "HS1"/);
  });

  it('refuses mixing HS and RS algorithms in one allow-list', () => {
    expect(configurationMessage({ publicKey: rsa.publicKey, algorithms: ['RS256', 'HS256'] })).toMatch(
      /algorithm confusion/,
    );
  });

  it('refuses RS algorithms without a public key', () => {
    expect(configurationMessage({ algorithms: ['RS256'] })).toMatch(/require `publicKey`/);
  });

  it('refuses HS algorithms without a secret', () => {
    expect(configurationMessage({ algorithms: ['HS256'] })).toMatch(/require `secret`/);
  });

  it('refuses a secret and a public key together', () => {
    expect(
      configurationMessage({ secret: HS_SECRET, publicKey: rsa.publicKey, algorithms: ['RS256'] }),
    ).toMatch(/not both/);
  });

  it('refuses a private key configured as the public key', () => {
    expect(configurationMessage({ publicKey: rsa.privateKey, algorithms: ['RS256'] })).toMatch(
      /is a private key/,
    );
  });

  it('refuses a public key that is not a key', () => {
    expect(configurationMessage({ publicKey: 'not a pem', algorithms: ['RS256'] })).toMatch(
      /not a valid PEM/,
    );
  });

  it('refuses a public key of the wrong type for the algorithm', () => {
    expect(configurationMessage({ publicKey: ec.publicKey, algorithms: ['RS256'] })).toMatch(
      /needs an RSA public key/,
    );
    expect(configurationMessage({ publicKey: rsa.publicKey, algorithms: ['ES256'] })).toMatch(
      /needs an EC prime256v1/,
    );
  });

  it('refuses an EC key on a curve other than the algorithm’s', () => {
    expect(
      configurationMessage({ publicKey: ecKeyPair('secp384r1').publicKey, algorithms: ['ES256'] }),
    ).toMatch(/needs an EC prime256v1 public key, got key type ec \(secp384r1\)/);
  });

  it('refuses an empty issuer and a negative clock tolerance', () => {
    expect(configurationMessage({ secret: HS_SECRET, algorithms: ['HS256'], issuer: [] })).toMatch(
      /`issuer`/,
    );
    expect(
      configurationMessage({ secret: HS_SECRET, algorithms: ['HS256'], clockToleranceSeconds: -1 }),
    ).toMatch(/clockToleranceSeconds/);
  });

  it('accepts a 32-byte Buffer secret', () => {
    expect(() =>
      jwtAuthenticator({ secret: Buffer.alloc(32, 7), algorithms: ['HS256', 'HS512'] }),
    ).not.toThrow();
  });
});
