import { describe, expect, it } from 'vitest';
import {
  isKnownPermission,
  isPermission,
  PERMISSIONS,
  TASKER_RESOURCE_DESCRIPTIONS,
} from '../../../src/auth';

describe('permission registry', () => {
  it("lists the reference's 18 permissions plus tasker.workflow_step:resolve", () => {
    expect(PERMISSIONS.map((entry) => entry.permission)).toEqual([
      'tasker.task:index',
      'tasker.task:show',
      'tasker.task:create',
      'tasker.task:update',
      'tasker.task:destroy',
      'tasker.task:retry',
      'tasker.task:cancel',
      'tasker.workflow_step:index',
      'tasker.workflow_step:show',
      'tasker.workflow_step:update',
      'tasker.workflow_step:destroy',
      'tasker.workflow_step:retry',
      'tasker.workflow_step:cancel',
      'tasker.workflow_step:resolve',
      'tasker.health_status:index',
      'tasker.handler:index',
      'tasker.handler:show',
      'tasker.metrics:index',
      'tasker.analytics:index',
    ]);
  });

  it('describes every permission and every resource', () => {
    for (const entry of PERMISSIONS) {
      expect(entry.description).not.toBe('');
      expect(TASKER_RESOURCE_DESCRIPTIONS[entry.resource]).toBeTruthy();
    }
  });

  it('recognises registered pairs only', () => {
    expect(isKnownPermission('tasker.workflow_step', 'resolve')).toBe(true);
    expect(isKnownPermission('tasker.task', 'resolve')).toBe(false);
    expect(isKnownPermission('tasker.handler', 'show_namespace')).toBe(false);
    expect(isPermission('tasker.metrics:index')).toBe(true);
    expect(isPermission('tasker.metrics:show')).toBe(false);
  });

  it('cannot be extended at runtime', () => {
    expect(Object.isFrozen(PERMISSIONS)).toBe(true);
    expect(Object.isFrozen(PERMISSIONS[0])).toBe(true);
  });
});
