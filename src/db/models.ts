import {
  DataTypes,
  Model,
  type CreationOptional,
  type InferAttributes,
  type InferCreationAttributes,
  type ModelAttributes,
  type Sequelize,
} from 'sequelize';

/**
 * Sequelize models for the `tasker_*` tables. The classes are created per Sequelize instance
 * (`defineModels` returns fresh classes each call), so two engines in one process never share them.
 * State is never a column: it is the `to_state` of the `most_recent` transition row.
 */

const timestamps = {
  createdAt: { type: DataTypes.DATE, field: 'created_at' },
  updatedAt: { type: DataTypes.DATE, field: 'updated_at' },
};
const common = { underscored: true, timestamps: true } as const;

function transitionAttributes(parentColumn: 'task_id' | 'workflow_step_id') {
  return {
    id: { type: DataTypes.BIGINT, primaryKey: true, autoIncrement: true },
    [parentColumn === 'task_id' ? 'taskId' : 'workflowStepId']: {
      type: DataTypes.BIGINT,
      allowNull: false,
      field: parentColumn,
    },
    toState: { type: DataTypes.STRING(32), allowNull: false, field: 'to_state' },
    fromState: { type: DataTypes.STRING(32), field: 'from_state' },
    metadata: { type: DataTypes.JSONB, allowNull: false, defaultValue: {} },
    sortKey: { type: DataTypes.INTEGER, allowNull: false, field: 'sort_key' },
    mostRecent: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: true, field: 'most_recent' },
    ...timestamps,
  };
}

export class TaskNamespaceRow extends Model<
  InferAttributes<TaskNamespaceRow>,
  InferCreationAttributes<TaskNamespaceRow>
> {
  declare taskNamespaceId: CreationOptional<number>;
  declare name: string;
  declare description: string | null;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
}

export class NamedTaskRow extends Model<
  InferAttributes<NamedTaskRow>,
  InferCreationAttributes<NamedTaskRow>
> {
  declare namedTaskId: CreationOptional<number>;
  declare name: string;
  declare description: string | null;
  declare taskNamespaceId: number;
  declare version: string;
  declare configuration: CreationOptional<object>;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
}

export class DependentSystemRow extends Model<
  InferAttributes<DependentSystemRow>,
  InferCreationAttributes<DependentSystemRow>
> {
  declare dependentSystemId: CreationOptional<number>;
  declare name: string;
  declare description: string | null;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
}

export class NamedStepRow extends Model<
  InferAttributes<NamedStepRow>,
  InferCreationAttributes<NamedStepRow>
> {
  declare namedStepId: CreationOptional<number>;
  declare dependentSystemId: number;
  declare name: string;
  declare description: string | null;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
}

export class NamedTaskNamedStepRow extends Model<
  InferAttributes<NamedTaskNamedStepRow>,
  InferCreationAttributes<NamedTaskNamedStepRow>
> {
  declare id: CreationOptional<number>;
  declare namedTaskId: number;
  declare namedStepId: number;
  declare skippable: CreationOptional<boolean>;
  declare defaultRetryable: CreationOptional<boolean>;
  declare defaultRetryLimit: CreationOptional<number>;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
}

export class DependentSystemObjectMapRow extends Model<
  InferAttributes<DependentSystemObjectMapRow>,
  InferCreationAttributes<DependentSystemObjectMapRow>
> {
  declare dependentSystemObjectMapId: CreationOptional<number>;
  declare dependentSystemOneId: number;
  declare dependentSystemTwoId: number;
  declare remoteIdOne: string;
  declare remoteIdTwo: string;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
}

export class TaskRow extends Model<InferAttributes<TaskRow>, InferCreationAttributes<TaskRow>> {
  declare taskId: CreationOptional<number>;
  declare namedTaskId: number;
  declare complete: CreationOptional<boolean>;
  declare requestedAt: CreationOptional<Date>;
  declare initiator: CreationOptional<string | null>;
  declare sourceSystem: CreationOptional<string | null>;
  declare reason: CreationOptional<string | null>;
  declare bypassSteps: CreationOptional<string[]>;
  declare tags: CreationOptional<string[]>;
  declare context: object;
  declare identityHash: string;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
}

export class WorkflowStepRow extends Model<
  InferAttributes<WorkflowStepRow>,
  InferCreationAttributes<WorkflowStepRow>
> {
  declare workflowStepId: CreationOptional<number>;
  declare taskId: number;
  declare namedStepId: number;
  declare retryable: CreationOptional<boolean>;
  declare retryLimit: CreationOptional<number>;
  declare inProcess: CreationOptional<boolean>;
  declare processed: CreationOptional<boolean>;
  declare processedAt: Date | null;
  declare attempts: CreationOptional<number>;
  declare lastAttemptedAt: Date | null;
  declare backoffRequestSeconds: number | null;
  declare inputs: object | null;
  declare results: unknown;
  declare skippable: CreationOptional<boolean>;
  declare timeoutSeconds: number | null;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
}

export class WorkflowStepEdgeRow extends Model<
  InferAttributes<WorkflowStepEdgeRow>,
  InferCreationAttributes<WorkflowStepEdgeRow>
> {
  declare id: CreationOptional<number>;
  declare fromStepId: number;
  declare toStepId: number;
  declare name: CreationOptional<string>;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
}

export class TaskTransitionRow extends Model<
  InferAttributes<TaskTransitionRow>,
  InferCreationAttributes<TaskTransitionRow>
> {
  declare id: CreationOptional<number>;
  declare taskId: number;
  declare toState: string;
  declare fromState: string | null;
  declare metadata: CreationOptional<object>;
  declare sortKey: number;
  declare mostRecent: CreationOptional<boolean>;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
}

export class WorkflowStepTransitionRow extends Model<
  InferAttributes<WorkflowStepTransitionRow>,
  InferCreationAttributes<WorkflowStepTransitionRow>
> {
  declare id: CreationOptional<number>;
  declare workflowStepId: number;
  declare toState: string;
  declare fromState: string | null;
  declare metadata: CreationOptional<object>;
  declare sortKey: number;
  declare mostRecent: CreationOptional<boolean>;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
}

export class AnnotationTypeRow extends Model<
  InferAttributes<AnnotationTypeRow>,
  InferCreationAttributes<AnnotationTypeRow>
> {
  declare annotationTypeId: CreationOptional<number>;
  declare name: string;
  declare description: string | null;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
}

export class TaskAnnotationRow extends Model<
  InferAttributes<TaskAnnotationRow>,
  InferCreationAttributes<TaskAnnotationRow>
> {
  declare taskAnnotationId: CreationOptional<number>;
  declare taskId: number;
  declare annotationTypeId: number;
  declare annotation: object | null;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
}

export interface TaskerModels {
  TaskNamespace: typeof TaskNamespaceRow;
  NamedTask: typeof NamedTaskRow;
  DependentSystem: typeof DependentSystemRow;
  NamedStep: typeof NamedStepRow;
  NamedTaskNamedStep: typeof NamedTaskNamedStepRow;
  DependentSystemObjectMap: typeof DependentSystemObjectMapRow;
  Task: typeof TaskRow;
  WorkflowStep: typeof WorkflowStepRow;
  WorkflowStepEdge: typeof WorkflowStepEdgeRow;
  TaskTransition: typeof TaskTransitionRow;
  WorkflowStepTransition: typeof WorkflowStepTransitionRow;
  AnnotationType: typeof AnnotationTypeRow;
  TaskAnnotation: typeof TaskAnnotationRow;
}

export function defineModels(sequelize: Sequelize): TaskerModels {
  const TaskNamespace = class extends TaskNamespaceRow {};
  TaskNamespace.init(
    {
      taskNamespaceId: {
        type: DataTypes.INTEGER,
        primaryKey: true,
        autoIncrement: true,
        field: 'task_namespace_id',
      },
      name: { type: DataTypes.STRING(64), allowNull: false },
      description: { type: DataTypes.STRING(255) },
      ...timestamps,
    },
    { sequelize, tableName: 'tasker_task_namespaces', modelName: 'TaskNamespace', ...common },
  );

  const NamedTask = class extends NamedTaskRow {};
  NamedTask.init(
    {
      namedTaskId: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true, field: 'named_task_id' },
      name: { type: DataTypes.STRING(64), allowNull: false },
      description: { type: DataTypes.STRING(255) },
      taskNamespaceId: { type: DataTypes.INTEGER, allowNull: false, field: 'task_namespace_id' },
      version: { type: DataTypes.STRING(64), allowNull: false },
      configuration: { type: DataTypes.JSONB, allowNull: false, defaultValue: {} },
      ...timestamps,
    },
    { sequelize, tableName: 'tasker_named_tasks', modelName: 'NamedTask', ...common },
  );

  const DependentSystem = class extends DependentSystemRow {};
  DependentSystem.init(
    {
      dependentSystemId: {
        type: DataTypes.INTEGER,
        primaryKey: true,
        autoIncrement: true,
        field: 'dependent_system_id',
      },
      name: { type: DataTypes.STRING(64), allowNull: false },
      description: { type: DataTypes.STRING(255) },
      ...timestamps,
    },
    { sequelize, tableName: 'tasker_dependent_systems', modelName: 'DependentSystem', ...common },
  );

  const NamedStep = class extends NamedStepRow {};
  NamedStep.init(
    {
      namedStepId: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true, field: 'named_step_id' },
      dependentSystemId: { type: DataTypes.INTEGER, allowNull: false, field: 'dependent_system_id' },
      name: { type: DataTypes.STRING(128), allowNull: false },
      description: { type: DataTypes.STRING(255) },
      ...timestamps,
    },
    { sequelize, tableName: 'tasker_named_steps', modelName: 'NamedStep', ...common },
  );

  const NamedTaskNamedStep = class extends NamedTaskNamedStepRow {};
  NamedTaskNamedStep.init(
    {
      id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
      namedTaskId: { type: DataTypes.INTEGER, allowNull: false, field: 'named_task_id' },
      namedStepId: { type: DataTypes.INTEGER, allowNull: false, field: 'named_step_id' },
      skippable: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false },
      defaultRetryable: {
        type: DataTypes.BOOLEAN,
        allowNull: false,
        defaultValue: true,
        field: 'default_retryable',
      },
      defaultRetryLimit: {
        type: DataTypes.INTEGER,
        allowNull: false,
        defaultValue: 3,
        field: 'default_retry_limit',
      },
      ...timestamps,
    },
    { sequelize, tableName: 'tasker_named_tasks_named_steps', modelName: 'NamedTaskNamedStep', ...common },
  );

  const DependentSystemObjectMap = class extends DependentSystemObjectMapRow {};
  DependentSystemObjectMap.init(
    {
      dependentSystemObjectMapId: {
        type: DataTypes.BIGINT,
        primaryKey: true,
        autoIncrement: true,
        field: 'dependent_system_object_map_id',
      },
      dependentSystemOneId: { type: DataTypes.INTEGER, allowNull: false, field: 'dependent_system_one_id' },
      dependentSystemTwoId: { type: DataTypes.INTEGER, allowNull: false, field: 'dependent_system_two_id' },
      remoteIdOne: { type: DataTypes.STRING(128), allowNull: false, field: 'remote_id_one' },
      remoteIdTwo: { type: DataTypes.STRING(128), allowNull: false, field: 'remote_id_two' },
      ...timestamps,
    },
    {
      sequelize,
      tableName: 'tasker_dependent_system_object_maps',
      modelName: 'DependentSystemObjectMap',
      ...common,
    },
  );

  const Task = class extends TaskRow {};
  Task.init(
    {
      taskId: { type: DataTypes.BIGINT, primaryKey: true, autoIncrement: true, field: 'task_id' },
      namedTaskId: { type: DataTypes.INTEGER, allowNull: false, field: 'named_task_id' },
      complete: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false },
      requestedAt: {
        type: DataTypes.DATE,
        allowNull: false,
        defaultValue: DataTypes.NOW,
        field: 'requested_at',
      },
      initiator: { type: DataTypes.STRING(128), defaultValue: 'unknown' },
      sourceSystem: { type: DataTypes.STRING(128), defaultValue: 'unknown', field: 'source_system' },
      reason: { type: DataTypes.STRING(128), defaultValue: 'unknown' },
      bypassSteps: { type: DataTypes.JSONB, allowNull: false, defaultValue: [], field: 'bypass_steps' },
      tags: { type: DataTypes.JSONB, allowNull: false, defaultValue: [] },
      context: { type: DataTypes.JSONB, allowNull: false },
      identityHash: { type: DataTypes.STRING(128), allowNull: false, field: 'identity_hash' },
      ...timestamps,
    },
    { sequelize, tableName: 'tasker_tasks', modelName: 'Task', ...common },
  );

  const WorkflowStep = class extends WorkflowStepRow {};
  WorkflowStep.init(
    {
      workflowStepId: {
        type: DataTypes.BIGINT,
        primaryKey: true,
        autoIncrement: true,
        field: 'workflow_step_id',
      },
      taskId: { type: DataTypes.BIGINT, allowNull: false, field: 'task_id' },
      namedStepId: { type: DataTypes.INTEGER, allowNull: false, field: 'named_step_id' },
      retryable: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: true },
      retryLimit: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 3, field: 'retry_limit' },
      inProcess: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false, field: 'in_process' },
      processed: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false },
      processedAt: { type: DataTypes.DATE, field: 'processed_at' },
      attempts: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
      lastAttemptedAt: { type: DataTypes.DATE, field: 'last_attempted_at' },
      backoffRequestSeconds: { type: DataTypes.INTEGER, field: 'backoff_request_seconds' },
      inputs: { type: DataTypes.JSONB },
      results: { type: DataTypes.JSONB },
      skippable: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false },
      timeoutSeconds: { type: DataTypes.INTEGER, field: 'timeout_seconds' },
      ...timestamps,
    },
    { sequelize, tableName: 'tasker_workflow_steps', modelName: 'WorkflowStep', ...common },
  );

  const WorkflowStepEdge = class extends WorkflowStepEdgeRow {};
  WorkflowStepEdge.init(
    {
      id: { type: DataTypes.BIGINT, primaryKey: true, autoIncrement: true },
      fromStepId: { type: DataTypes.BIGINT, allowNull: false, field: 'from_step_id' },
      toStepId: { type: DataTypes.BIGINT, allowNull: false, field: 'to_step_id' },
      name: { type: DataTypes.STRING(64), allowNull: false, defaultValue: 'provides' },
      ...timestamps,
    },
    { sequelize, tableName: 'tasker_workflow_step_edges', modelName: 'WorkflowStepEdge', ...common },
  );

  const TaskTransition = class extends TaskTransitionRow {};
  TaskTransition.init(transitionAttributes('task_id') as ModelAttributes<TaskTransitionRow>, {
    sequelize,
    tableName: 'tasker_task_transitions',
    modelName: 'TaskTransition',
    ...common,
  });

  const WorkflowStepTransition = class extends WorkflowStepTransitionRow {};
  WorkflowStepTransition.init(
    transitionAttributes('workflow_step_id') as ModelAttributes<WorkflowStepTransitionRow>,
    {
      sequelize,
      tableName: 'tasker_workflow_step_transitions',
      modelName: 'WorkflowStepTransition',
      ...common,
    },
  );

  const AnnotationType = class extends AnnotationTypeRow {};
  AnnotationType.init(
    {
      annotationTypeId: {
        type: DataTypes.INTEGER,
        primaryKey: true,
        autoIncrement: true,
        field: 'annotation_type_id',
      },
      name: { type: DataTypes.STRING(64), allowNull: false },
      description: { type: DataTypes.STRING(255) },
      ...timestamps,
    },
    { sequelize, tableName: 'tasker_annotation_types', modelName: 'AnnotationType', ...common },
  );

  const TaskAnnotation = class extends TaskAnnotationRow {};
  TaskAnnotation.init(
    {
      taskAnnotationId: {
        type: DataTypes.BIGINT,
        primaryKey: true,
        autoIncrement: true,
        field: 'task_annotation_id',
      },
      taskId: { type: DataTypes.BIGINT, allowNull: false, field: 'task_id' },
      annotationTypeId: { type: DataTypes.INTEGER, allowNull: false, field: 'annotation_type_id' },
      annotation: { type: DataTypes.JSONB },
      ...timestamps,
    },
    { sequelize, tableName: 'tasker_task_annotations', modelName: 'TaskAnnotation', ...common },
  );

  TaskNamespace.hasMany(NamedTask, { foreignKey: 'taskNamespaceId', as: 'namedTasks' });
  NamedTask.belongsTo(TaskNamespace, { foreignKey: 'taskNamespaceId', as: 'namespace' });
  NamedTask.hasMany(Task, { foreignKey: 'namedTaskId', as: 'tasks' });
  Task.belongsTo(NamedTask, { foreignKey: 'namedTaskId', as: 'namedTask' });
  DependentSystem.hasMany(NamedStep, { foreignKey: 'dependentSystemId', as: 'namedSteps' });
  NamedStep.belongsTo(DependentSystem, { foreignKey: 'dependentSystemId', as: 'dependentSystem' });
  NamedTask.belongsToMany(NamedStep, {
    through: NamedTaskNamedStep,
    foreignKey: 'namedTaskId',
    otherKey: 'namedStepId',
    as: 'namedSteps',
  });
  Task.hasMany(WorkflowStep, { foreignKey: 'taskId', as: 'workflowSteps' });
  WorkflowStep.belongsTo(Task, { foreignKey: 'taskId', as: 'task' });
  WorkflowStep.belongsTo(NamedStep, { foreignKey: 'namedStepId', as: 'namedStep' });
  WorkflowStep.hasMany(WorkflowStepEdge, { foreignKey: 'toStepId', as: 'incomingEdges' });
  WorkflowStep.hasMany(WorkflowStepEdge, { foreignKey: 'fromStepId', as: 'outgoingEdges' });
  Task.hasMany(TaskTransition, { foreignKey: 'taskId', as: 'transitions' });
  WorkflowStep.hasMany(WorkflowStepTransition, { foreignKey: 'workflowStepId', as: 'transitions' });
  Task.hasMany(TaskAnnotation, { foreignKey: 'taskId', as: 'annotations' });
  TaskAnnotation.belongsTo(AnnotationType, { foreignKey: 'annotationTypeId', as: 'annotationType' });

  return {
    TaskNamespace,
    NamedTask,
    DependentSystem,
    NamedStep,
    NamedTaskNamedStep,
    DependentSystemObjectMap,
    Task,
    WorkflowStep,
    WorkflowStepEdge,
    TaskTransition,
    WorkflowStepTransition,
    AnnotationType,
    TaskAnnotation,
  };
}
