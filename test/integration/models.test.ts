import { Sequelize } from 'sequelize';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineModels, type TaskerModels } from '../../src/db/models';
import type { TaskerEngine } from '../../src/engine';
import { defineTask } from '../../src/registry/define-task';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { testEngine } from '../support/engine';

const pair = defineTask({
  name: 'pair',
  namespaceName: 'models',
  version: '2.0.0',
  stepTemplates: [
    { name: 'first', handlerClass: 'Noop', dependentSystem: 'billing' },
    { name: 'second', handlerClass: 'Noop', dependsOnStep: 'first' },
  ],
});

describe('Sequelize models', () => {
  let db: TestDatabase;
  let engine: TaskerEngine;
  let sequelize: Sequelize;
  let models: TaskerModels;

  beforeAll(async () => {
    db = await createTestDatabase();
    engine = testEngine(db, { tasks: [pair], stepHandlers: { Noop: () => ({}) } });
    sequelize = new Sequelize(db.url, { logging: false });
    models = defineModels(sequelize);
  });
  afterAll(async () => {
    await sequelize.close();
    await engine.close();
    await db.drop();
  });

  it('read a created task with its definition, namespace, steps, edges and transitions', async () => {
    const created = await engine.createTask({
      name: 'pair',
      namespace: 'models',
      context: { x: 1 },
      tags: ['t'],
    });
    const task = await models.Task.findByPk(created.taskId, {
      include: [
        { association: 'namedTask', include: [{ association: 'namespace' }] },
        {
          association: 'workflowSteps',
          include: [
            { association: 'namedStep', include: [{ association: 'dependentSystem' }] },
            { association: 'incomingEdges' },
          ],
        },
        { association: 'transitions' },
      ],
      order: [[{ model: models.WorkflowStep, as: 'workflowSteps' }, 'workflowStepId', 'ASC']],
    });
    const plain = task?.get({ plain: true }) as unknown as Record<string, unknown> & {
      namedTask: { name: string; version: string; namespace: { name: string } };
      workflowSteps: Array<{
        namedStep: { name: string; dependentSystem: { name: string } };
        incomingEdges: unknown[];
        retryLimit: number;
      }>;
      transitions: Array<{ toState: string; mostRecent: boolean }>;
    };
    expect(plain).toMatchObject({
      context: { x: 1 },
      tags: ['t'],
      complete: false,
      identityHash: created.identityHash,
    });
    expect(Number(plain.taskId)).toBe(created.taskId);
    expect(plain.namedTask).toMatchObject({ name: 'pair', version: '2.0.0', namespace: { name: 'models' } });
    expect(
      plain.workflowSteps.map((s) => [
        s.namedStep.name,
        s.namedStep.dependentSystem.name,
        s.incomingEdges.length,
        s.retryLimit,
      ]),
    ).toEqual([
      ['first', 'billing', 0, 3],
      ['second', 'unknown', 1, 3],
    ]);
    expect(plain.transitions).toMatchObject([{ toState: 'pending', mostRecent: true }]);
  });

  it('write through the models (annotations on a task)', async () => {
    const created = await engine.createTask({ name: 'pair', namespace: 'models', context: {} });
    const type = await models.AnnotationType.create({ name: 'audit', description: 'Audit notes' });
    await models.TaskAnnotation.create({
      taskId: created.taskId,
      annotationTypeId: type.annotationTypeId,
      annotation: { note: 'checked' },
    });
    const { rows } = await db.pool.query(
      'SELECT annotation FROM tasker_task_annotations WHERE task_id = $1',
      [created.taskId],
    );
    expect(rows).toEqual([{ annotation: { note: 'checked' } }]);
  });

  it('are independent per Sequelize instance', () => {
    const other = defineModels(new Sequelize(db.url, { logging: false }));
    expect(other.Task).not.toBe(models.Task);
    expect(other.Task.sequelize).not.toBe(models.Task.sequelize);
  });
});
