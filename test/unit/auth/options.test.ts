import { describe, expect, it } from 'vitest';
import {
  claimsAuthorization,
  jwtAuthenticator,
  NO_AUTH_WARNING,
  resolveAuthSettings,
  type AuthOptions,
} from '../../../src/auth';
import { ConfigurationError } from '../../../src/errors';
import { HS_SECRET } from './tokens';

const authenticator = jwtAuthenticator({ secret: HS_SECRET, algorithms: ['HS256'] });

describe('resolveAuthSettings', () => {
  it('refuses to run in production when auth is not configured', () => {
    expect(() => resolveAuthSettings(undefined, 'production')).toThrow(ConfigurationError);
    expect(() => resolveAuthSettings(undefined, 'production')).toThrow(/configure `auth`.*`auth: false`/);
  });

  it('runs without auth and without a warning when auth: false is explicit, even in production', () => {
    expect(resolveAuthSettings(false, 'production')).toEqual({ mode: 'disabled' });
  });

  it('runs without auth outside production but warns', () => {
    const settings = resolveAuthSettings(undefined, 'development');
    expect(settings).toEqual({ mode: 'disabled', warning: NO_AUTH_WARNING });
    expect(NO_AUTH_WARNING).not.toContain('\n');
    expect(resolveAuthSettings(undefined, undefined)).toEqual({ mode: 'disabled', warning: NO_AUTH_WARNING });
  });

  it('enforces auth with claims authorization and protected metrics by default', () => {
    const settings = resolveAuthSettings({ authenticator }, 'production');
    expect(settings).toMatchObject({ mode: 'enforced', authenticator, protectMetrics: true });
    expect(settings.mode === 'enforced' && typeof settings.authorization.authorize).toBe('function');
  });

  it('keeps a custom coordinator and unprotected metrics when asked', () => {
    const authorization = claimsAuthorization();
    expect(resolveAuthSettings({ authenticator, authorization, protectMetrics: false }, 'test')).toEqual({
      mode: 'enforced',
      authenticator,
      authorization,
      protectMetrics: false,
    });
  });

  it('refuses an auth object without a usable authenticator', () => {
    expect(() => resolveAuthSettings({} as AuthOptions, 'test')).toThrow(/auth.authenticator/);
  });
});
