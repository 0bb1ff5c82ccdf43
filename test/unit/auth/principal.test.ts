import { describe, expect, it } from 'vitest';
import { principalFromClaims } from '../../../src/auth';

describe('principalFromClaims', () => {
  it('takes the id from sub, else a stringified user_id, else null', () => {
    expect(principalFromClaims({ sub: 'abc', user_id: 7 }).id).toBe('abc');
    expect(principalFromClaims({ user_id: 7 }).id).toBe('7');
    expect(principalFromClaims({}).id).toBeNull();
  });

  it('only accepts permissions given as an array of strings', () => {
    expect(principalFromClaims({ permissions: ['tasker.task:index'] }).permissions).toEqual([
      'tasker.task:index',
    ]);
    expect(principalFromClaims({ permissions: 'tasker.task:index' }).permissions).toEqual([]);
    expect(principalFromClaims({ permissions: ['tasker.task:index', 1] }).permissions).toEqual([]);
  });

  it('recognises admins by admin: true, role or roles', () => {
    expect(principalFromClaims({ admin: true }).admin).toBe(true);
    expect(principalFromClaims({ role: 'admin' }).admin).toBe(true);
    expect(principalFromClaims({ roles: ['ops', 'admin'] }).admin).toBe(true);
    expect(principalFromClaims({ admin: 'true', role: 'ops', roles: 'admin' }).admin).toBe(false);
  });
});
