import { describe, expect, it } from 'vitest';
import {
  AuthorizationError,
  authorizeOrThrow,
  claimsAuthorization,
  type AuthorizationCoordinator,
  type Principal,
} from '../../../src/auth';
import { ConfigurationError } from '../../../src/errors';

function principal(overrides: Partial<Principal> = {}): Principal {
  return { id: 'user-1', claims: {}, permissions: [], admin: false, ...overrides };
}

describe('claimsAuthorization', () => {
  const coordinator = claimsAuthorization();

  it('lets an admin do everything', async () => {
    await expect(
      authorizeOrThrow(coordinator, principal({ admin: true }), 'tasker.task', 'cancel', {}),
    ).resolves.toBeUndefined();
  });

  it('allows an action the principal holds the permission for', async () => {
    const reader = principal({ permissions: ['tasker.task:show'] });
    await expect(
      authorizeOrThrow(coordinator, reader, 'tasker.task', 'show', { resourceId: '42' }),
    ).resolves.toBeUndefined();
  });

  it('denies an action without the permission with a 403 Forbidden', async () => {
    const reader = principal({ permissions: ['tasker.task:show'] });
    const error = await authorizeOrThrow(coordinator, reader, 'tasker.task', 'create', {}).catch(
      (reason: unknown) => reason,
    );
    expect(error).toBeInstanceOf(AuthorizationError);
    const denial = error as AuthorizationError;
    expect(denial.code).toBe('FORBIDDEN');
    expect(denial.status).toBe(403);
    expect(denial.toResponseBody()).toEqual({
      error: 'Forbidden',
      message: 'Not authorized to create on tasker.task',
    });
  });

  it('does not treat a permission on one resource as covering another', async () => {
    const reader = principal({ permissions: ['tasker.task:show'] });
    await expect(
      authorizeOrThrow(coordinator, reader, 'tasker.workflow_step', 'show', {}),
    ).rejects.toBeInstanceOf(AuthorizationError);
  });

  it('allows resolving a step with the added tasker.workflow_step:resolve permission', async () => {
    const operator = principal({ permissions: ['tasker.workflow_step:resolve'] });
    await expect(
      authorizeOrThrow(coordinator, operator, 'tasker.workflow_step', 'resolve', { parentResourceId: '1' }),
    ).resolves.toBeUndefined();
  });

  it('fails an unknown resource:action pair as a configuration error, even for an admin', async () => {
    const error = await authorizeOrThrow(
      coordinator,
      principal({ admin: true }),
      'tasker.handler',
      'show_namespace',
      {},
    ).catch((reason: unknown) => reason);
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as ConfigurationError).message).toBe(
      "Unknown resource:action 'tasker.handler:show_namespace'",
    );
  });
});

describe('authorizeOrThrow', () => {
  it('passes the context to the coordinator and awaits async decisions', async () => {
    const seen: unknown[] = [];
    const coordinator: AuthorizationCoordinator = {
      async authorize(who, resource, action, context) {
        seen.push([who.id, resource, action, context]);
        return context.resourceId === '7';
      },
    };
    await authorizeOrThrow(coordinator, principal(), 'tasker.task', 'retry', { resourceId: '7' });
    await expect(
      authorizeOrThrow(coordinator, principal(), 'tasker.task', 'retry', { resourceId: '8' }),
    ).rejects.toBeInstanceOf(AuthorizationError);
    expect(seen[0]).toEqual(['user-1', 'tasker.task', 'retry', { resourceId: '7' }]);
  });

  it('denies when a coordinator returns something other than true', async () => {
    const sloppy = { authorize: () => 'yes' } as unknown as AuthorizationCoordinator;
    await expect(authorizeOrThrow(sloppy, principal(), 'tasker.task', 'index', {})).rejects.toBeInstanceOf(
      AuthorizationError,
    );
  });
});
